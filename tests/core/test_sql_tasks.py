"""SQL tasks through the public API: ``SQLTask`` (its template rules; a local run asks to be mocked) and
``SQLite3Task`` run locally with the database fetched through the data plane (local path, ``file://``, S3 on a moto
server), plain or archived (zip, tar.gz), inside workflows, with its outputs as a DataFrame, a StructuredDataset or
a FlyteSchema."""

from __future__ import annotations

import os
import sqlite3
import tarfile
import zipfile

import pandas as pd
import pytest

import aioflyte
from aioflyte import SQLTask, kwtypes, task, workflow
from aioflyte.extras.sqlite3.task import SQLite3Config, SQLite3Task
from aioflyte.testing import task_mock
from aioflyte.types.schema import FlyteSchema
from aioflyte.types.structured import StructuredDataset


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "music.db")
    with sqlite3.connect(path) as con:
        con.execute("create table tracks (TrackId integer, Name text, Genre text)")
        con.executemany(
            "insert into tracks values (?, ?, ?)", [(i, f"track {i}", "rock" if i % 2 else "jazz") for i in range(10)]
        )
    return path


def tracks_task(uri: str, compressed: bool = False, output: object = pd.DataFrame) -> SQLite3Task:
    return SQLite3Task(
        "tracks",
        query_template="""select TrackId, Name from tracks
            where Genre = '{{ .inputs.genre }}'
            limit {{.inputs.limit}}""",
        inputs=kwtypes(genre=str, limit=int),
        output_schema_type=output,
        task_config=SQLite3Config(uri=uri, compressed=compressed),
    )


def test_query_template_rules():
    t = SQLTask(
        "q",
        query_template="select *\n\tfrom t\n  where a = {{ .inputs.a }} and b = {{.Inputs.b}}",
        inputs=kwtypes(a=int, b=str),
    )
    assert t.query_template == "select * from t where a = {{ .inputs.a }} and b = {{.Inputs.b}}"
    assert t.get_query(a=1, b="x") == "select * from t where a = 1 and b = x"
    raw = "insert overwrite directory '{{ .rawOutputDataPrefix }}' select {{ .inputs.a }}"
    assert SQLTask.interpolate_query(raw, a=2) == "insert overwrite directory '{{ .rawOutputDataPrefix }}' select 2"
    assert t.task_type == "sql_task" and list(t.python_interface.inputs) == ["a", "b"]
    with pytest.raises(ValueError, match="names input 'b'"):
        t.get_query(a=1)
    with pytest.raises(ValueError, match=r"\['c'\] are not used"):
        t.get_query(a=1, b="x", c=2)
    with pytest.raises(aioflyte.exceptions.FlyteValidationException, match="'query_template' expected str"):
        SQLTask("bad", query_template=3)  # type: ignore[arg-type]


def test_a_sql_task_runs_locally_only_when_mocked():
    t = SQLTask("q", query_template="select {{ .inputs.a }}", inputs=kwtypes(a=int), outputs=kwtypes(o0=int))
    with pytest.raises(NotImplementedError, match="mock it"):
        aioflyte.run(t, a=1)
    with task_mock(t) as m:
        m.return_value = 7
        assert aioflyte.run(t, a=1) == 7


def test_sqlite_from_a_local_path(db):
    df = aioflyte.run(tracks_task(db), genre="rock", limit=3)
    assert isinstance(df, pd.DataFrame)
    assert df.to_dict("list") == {"TrackId": [1, 3, 5], "Name": ["track 1", "track 3", "track 5"]}


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_sqlite_from_an_archive_by_file_uri(db, tmp_path, fmt):
    archive = str(tmp_path / f"music.{fmt}")
    if fmt == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            z.write(db, arcname="music.db")
    else:
        with tarfile.open(archive, "w:gz") as tf:
            tf.add(db, arcname="music.db")
    df = aioflyte.run(tracks_task(f"file://{archive}", compressed=True), genre="jazz", limit=2)
    assert df["TrackId"].tolist() == [0, 2]


def test_an_archive_of_more_than_the_database_is_an_error(db, tmp_path):
    archive = str(tmp_path / "two.zip")
    with zipfile.ZipFile(archive, "w") as z:
        z.write(db, arcname="a.db")
        z.write(db, arcname="b.db")
    with pytest.raises(RuntimeError, match="exactly one file"):
        aioflyte.run(tracks_task(archive, compressed=True), genre="jazz", limit=2)


def test_sqlite_from_s3(db, s3_bucket):
    import boto3

    boto3.client(
        "s3",
        endpoint_url=os.environ["FLYTE_AWS_ENDPOINT"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).upload_file(db, s3_bucket, "dbs/music.db")
    df = aioflyte.run(tracks_task(f"s3://{s3_bucket}/dbs/music.db"), genre="rock", limit=10)
    assert len(df) == 5


def test_a_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothing\.db"):
        aioflyte.run(tracks_task(str(tmp_path / "nothing.db")), genre="rock", limit=1)


def test_outputs_as_structured_dataset_and_schema_in_a_workflow(db):
    by_genre = tracks_task(db, output=StructuredDataset)
    everything = SQLite3Task(
        "everything", query_template="select count(*) as n from tracks", task_config=SQLite3Config(uri=db)
    )
    assert everything.python_interface.outputs == {"results": FlyteSchema}
    assert everything.python_interface.inputs == {}

    @task
    def size(df: pd.DataFrame) -> int:
        return len(df)

    @task
    def total(s: FlyteSchema) -> int:
        return int(s.open().all()["n"][0])

    @workflow
    def wf(limit: int) -> tuple[int, int]:
        return size(df=by_genre(genre="rock", limit=limit)), total(s=everything())

    assert aioflyte.run(wf, limit=4) == (4, 10)
    sd = aioflyte.run(by_genre, genre="jazz", limit=1)
    assert isinstance(sd, StructuredDataset) and sd.open(pd.DataFrame).all()["TrackId"].tolist() == [0]


async def test_the_template_a_local_run_hands_to_the_executor(db):
    t = tracks_task(db)
    tt = t.task_template
    assert tt.id.name == "tracks" and tt.id.project == "PLACEHOLDER_PROJECT" and tt.type == "sqlite"
    assert tt.custom == {"query_template": t.query_template, "uri": db, "compressed": False}
    assert set(tt.interface.inputs) == {"genre", "limit"} and set(tt.interface.outputs) == {"results"}
    assert (await t(genre="rock", limit=1))["TrackId"].tolist() == [1]


def test_bad_configs_are_clear_errors(db):
    with pytest.raises(
        aioflyte.exceptions.FlyteValidationException, match=r"task t: .*SQLite3Config\(uri=...\).*got NoneType"
    ):
        SQLite3Task("t", query_template="select 1")
    with pytest.raises(
        aioflyte.exceptions.FlyteValidationException,
        match=r"expected SQLite3Config\(uri=...\) naming the database, got dict",
    ):
        SQLite3Task("t", query_template="select 1", task_config={"uri": db})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("aioflyte.core.base_sql_task", ["SQLTask"]),
        ("aioflyte.extras.sqlite3.task", ["SQLite3Config", "SQLite3Task", "SQLite3TaskExecutor", "unarchive_file"]),
        ("aioflyte.extras.sqlite3", ["SQLite3Config", "SQLite3Task"]),
        (
            "aioflyte.core.python_customized_container_task",
            ["PythonCustomizedContainerTask", "TaskTemplateResolver", "default_task_template_resolver"],
        ),
        ("aioflyte.core.shim_task", ["ExecutableTemplateShimTask", "ShimTaskExecutor"]),
        ("aioflyte.core.python_auto_container", ["PythonAutoContainerTask"]),
        ("aioflyte.lazy_import.lazy_module", ["lazy_module", "is_imported"]),
        ("aioflyte.loggers", ["LOGGING_RICH_FMT_ENV_VAR", "logger"]),
    ],
)
def test_flytekits_module_paths(module, names):
    import importlib

    import aioflyte.extend as extend

    mod = importlib.import_module(module)
    assert [n for n in names if not hasattr(mod, n)] == []
    assert aioflyte.SQLTask is SQLTask and extend.SQLTask is SQLTask
    assert issubclass(SQLite3Task, SQLTask) and issubclass(SQLite3Task, extend.PythonCustomizedContainerTask)
