"""flyteadmin-style list filters: parsed into SQL (unit), and honoured by the server subprocess's list calls."""

from __future__ import annotations

import re
from pathlib import Path

import executions_tasks as tasks
import pytest
import pytest_asyncio
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.client import FlyteInvalidInputException
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.errors import InvalidArgument
from aioflyte.server.filters import ENTITY_FIELDS, EXECUTION_FIELDS, to_sql
from aioflyte.server.testing import ServerProcess

P, D = "flytesnacks", "development"
HERE = Path(__file__).parent
Phase = core_execution_pb2.WorkflowExecution


def test_filters_become_parameterized_sql():
    where, params = to_sql("eq(execution.phase,SUCCEEDED)+value_in(name,a;b)+gte(updated_at,1970-01-01T00:00:01Z)",
                           EXECUTION_FIELDS)  # fmt: skip
    assert where == " AND phase = ? AND name IN (?, ?) AND updated_at >= ?"
    assert params == [Phase.SUCCEEDED, "a", "b", 1_000_000_000]
    assert to_sql("", EXECUTION_FIELDS) == ("", [])
    where, params = to_sql("contains(name,a_b%)", ENTITY_FIELDS, "task")
    assert where == " AND CAST(name AS TEXT) LIKE ? ESCAPE '\\'" and params == ["%a\\_b\\%%"]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ("eq(colour,red)", "invalid filter field 'colour'"),
        ("near(name,x)", "invalid filter function 'near'"),
        ("eq(phase,SLEEPY)", "invalid execution phase 'SLEEPY'"),
        ("gte(updated_at,yesterday)", "expected RFC 3339"),
        ("name=x", "expected fn(field,value)"),
        ("value_in(name,)", "needs at least one value"),
    ],
)
def test_bad_filters_are_invalid_argument_naming_the_problem(filters, message):
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        to_sql(filters, EXECUTION_FIELDS)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("filters") / "state", env=task_env(HERE)) as s:
        async with FlyteRemote(Config.for_endpoint(s.endpoint, insecure=True), default_project=P,
                               default_domain=D) as r:  # fmt: skip
            yield r


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="module")
async def test_entity_and_execution_lists_honour_filters(remote):
    for version in ("f1", "f2"):
        await remote.register_task(tasks.add, version=version)
    listed, _ = await remote.client.list_tasks(P, D, tasks.add.name, filters="eq(version,f2)")
    assert [t.id.version for t in listed] == ["f2"]
    listed, _ = await remote.client.list_tasks(P, D, tasks.add.name, filters="value_in(task.version,f1;f2)")
    assert sorted(t.id.version for t in listed) == ["f1", "f2"]

    ok = await remote.execute(tasks.add, inputs={"a": 1, "b": 2}, version="f1", execution_name="filters-ok", wait=True)
    assert ok.is_successful
    listed, _ = await remote.client.list_executions(P, D, filters="eq(execution.phase,SUCCEEDED)+eq(name,filters-ok)")
    assert [e.id.name for e in listed] == ["filters-ok"]
    listed, _ = await remote.client.list_executions(P, D, filters="eq(phase,FAILED)+contains(execution_name,filters)")
    assert listed == []
    with pytest.raises(FlyteInvalidInputException, match="invalid filter field 'colour'"):
        await remote.client.list_executions(P, D, filters="eq(colour,red)")
