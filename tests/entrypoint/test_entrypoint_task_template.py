"""``aioflyte-execute`` runs a prebuilt-container task from its template alone (the task template resolver), with
the template and the database on local disk or on the loopback S3 server. The template is the one flytekit 1.16
wrote for a SQLite3Task (``tests/remote/golden_sql``), naming flytekit's resolver and executor: aioflyte runs it."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from entrypoint_helpers import Store, run_entrypoint
from flyteidl.admin import task_pb2
from google.protobuf import text_format

from aioflyte.io import default_provider
from aioflyte.types.structured import StructuredDataset

pytestmark = pytest.mark.slow  # runs the entrypoint as a subprocess

GOLDEN = Path(__file__).resolve().parents[1] / "remote" / "golden_sql" / "0_serialization_sql.tracks_1.pbtxt"
FLYTEKIT_RESOLVER = "flytekit.core.python_customized_container_task.default_task_template_resolver"
FLYTEKIT_EXECUTOR = "flytekit.extras.sqlite3.task.SQLite3TaskExecutor"


def flytekits_template(db_uri: str) -> bytes:
    spec = task_pb2.TaskSpec()
    text_format.Parse(GOLDEN.read_text(), spec)
    tt = spec.template
    assert tt.container.args[-3:-1] == ["--", "{{.taskTemplatePath}}"]
    tt.custom.fields["uri"].string_value = db_uri
    return tt.SerializeToString()


@pytest.fixture
def chinook(tmp_path) -> str:
    db = tmp_path / "chinook.db"
    with sqlite3.connect(db) as con:
        con.execute("create table tracks (TrackId integer, Name text)")
        con.executemany("insert into tracks values (?, ?)", [(i, f"t{i}") for i in range(5)])
    archive = tmp_path / "chinook.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(db, arcname="chinook.db")
    return str(archive)


async def test_a_flytekit_sqlite_template_runs(store: Store, chinook: str):
    db_uri = store.uri("dbs", "chinook.zip")
    await default_provider().put_file(chinook, db_uri)
    template = await store.put("task_template.pb", flytekits_template(db_uri))
    await store.put_inputs({"limit": 3}, {"limit": int})
    proc = run_entrypoint(store, [template, FLYTEKIT_EXECUTOR], resolver=FLYTEKIT_RESOLVER)
    assert proc.returncode == 0, proc.stderr
    sd = await store.value("results", StructuredDataset)
    df = await sd.open(pd.DataFrame).all()
    assert df.to_dict("list") == {"TrackId": [0, 1, 2], "Name": ["t0", "t1", "t2"]}


async def test_a_wrong_executor_is_a_user_error(local_store: Store, chinook: str):
    template = await local_store.put("task_template.pb", flytekits_template(chinook))
    await local_store.put_inputs({"limit": 1}, {"limit": int})
    proc = run_entrypoint(local_store, [template, "os.path"], resolver=FLYTEKIT_RESOLVER)
    err = await local_store.error()
    assert proc.returncode == 0 and "os.path is not a ShimTaskExecutor subclass" in err.message
    run_entrypoint(local_store, [template, "no_such_module_zz.Executor"], resolver=FLYTEKIT_RESOLVER)
    assert "cannot import the executor 'no_such_module_zz.Executor'" in (await local_store.error()).message
