"""The serialized SQL tasks, class-based tasks and plugin tasks of ``serialization_sql.py`` equal what flytekit
1.16 produces for the same code (``golden_sql/``, written by ``make_golden_area.py sql``; these tests do not need
it).

Compared modulo what legitimately differs, as in ``test_translator_golden.py`` (whose normalization is reused):
the entrypoint and resolvers (flytekit's -> aioflyte's, incl. the task template resolver of prebuilt container
tasks and the executor class it loads), each side's default image, and the runtime version and flavor.
"""

from __future__ import annotations

import asyncio
import os

import pytest
import test_translator_golden as base
from flyteidl.admin import task_pb2
from google.protobuf import text_format

from aioflyte.remote.translator import registrable_entities

GOLDEN = os.path.join(os.path.dirname(__file__), "golden_sql")
#: flytekit's resolver of prebuilt container tasks and the executor it loads, and aioflyte's (the layout of the
#: arguments is the same; aioflyte-execute maps flytekit's names to these when it runs flytekit's templates)
_TEMPLATE_RESOLVERS = {
    "flytekit.core.python_customized_container_task.default_task_template_resolver": (
        "aioflyte.core.python_customized_container_task.default_task_template_resolver"
    ),
    "flytekit.extras.sqlite3.task.SQLite3TaskExecutor": "aioflyte.extras.sqlite3.task.SQLite3TaskExecutor",
}


def golden_files() -> list[str]:
    return sorted(f for f in os.listdir(GOLDEN) if f[0].isdigit())


def load_golden(fname: str) -> object:
    kind = fname.rsplit("_", 1)[1].split(".")[0]
    msg = base._KINDS[kind]()
    with open(os.path.join(GOLDEN, fname)) as f:
        text_format.Parse(f.read(), msg)
    return msg


def _template_resolvers(m: object) -> object:
    if isinstance(m, task_pb2.TaskSpec) and m.template.HasField("container"):
        m2 = task_pb2.TaskSpec()
        m2.CopyFrom(m)
        args = [_TEMPLATE_RESOLVERS.get(a, a) for a in m2.template.container.args]
        del m2.template.container.args[:]
        m2.template.container.args.extend(args)
        return m2
    return m


@pytest.fixture(scope="module")
def examples():
    import serialization_sql

    return serialization_sql


@pytest.fixture(scope="module")
def ours(examples):
    msgs = asyncio.run(registrable_entities(list(vars(examples).values()), base.settings()))
    width = len(str(len(msgs) - 1))
    return {base.file_name(i, width, m): m for i, m in enumerate(msgs)}


def test_same_entities_in_the_same_order_as_pyflyte_package(ours):
    assert list(ours) == golden_files()


@pytest.mark.parametrize("fname", golden_files())
def test_message_equals_flytekits(ours, fname):
    base.assert_same(ours[fname], _template_resolvers(load_golden(fname)), fname)


def test_what_the_templates_carry(ours):
    """The shapes the plugin hooks give (beyond equality with flytekit): no container where there is a pod or SQL."""
    by_name = {m.template.id.name: m.template for m in ours.values() if isinstance(m, task_pb2.TaskSpec)}
    sqlite = by_name["serialization_sql.tracks"]
    assert sqlite.type == "sqlite" and sqlite.WhichOneof("target") == "container"
    assert sqlite.container.args[-2:] == ["{{.taskTemplatePath}}", "aioflyte.extras.sqlite3.task.SQLite3TaskExecutor"]
    assert dict(sqlite.custom) == {
        "query_template": "select TrackId, Name from tracks limit {{ .inputs.limit }}",
        "uri": "s3://bucket/chinook.zip",
        "compressed": True,
    }
    assert by_name["serialization_sql.all_artists"].container.image == "ghcr.io/example/sqlite:1"
    warehouse = by_name["serialization_sql.count_rows"]
    assert warehouse.WhichOneof("target") == "sql" and warehouse.sql.statement.startswith("select count(*)")
    gpu = by_name["serialization_sql.gpu"]
    assert gpu.WhichOneof("target") == "k8s_pod" and gpu.k8s_pod.metadata.labels == {"team": "ml"}
    assert by_name["serialization_sql.spark_sum"].config == {"engine": "spark"}
