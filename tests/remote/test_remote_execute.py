"""FlyteRemote executions against the server subprocess: execute (registering when missing), wait with backoff and
timeouts, outputs as Python values, failures, terminate, fetch_execution, recent_executions, concurrent waits."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import executions_tasks as tasks
import grpc
import pytest
import pytest_asyncio
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import fresh_project, task_env

from aioflyte import workflow
from aioflyte.configuration.config import Config
from aioflyte.exceptions import FlyteAssertion
from aioflyte.remote.client import (
    AdminClient,
    FlyteEntityAlreadyExistsException,
    FlyteEntityNotExistException,
    FlyteInvalidInputException,
    FlyteRemoteError,
)
from aioflyte.remote.executions import FlyteExecutionTimeoutError, FlyteWorkflowExecution
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

D = "development"
Phase = core_execution_pb2.WorkflowExecution
HERE = Path(__file__).parent
pytestmark = pytest.mark.asyncio(loop_scope="module")  # the tests share the module's server


@workflow
def add_wf(a: int, b: int) -> int:
    return tasks.add(a=a, b=b)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    """One server for the module's tests: each works in a project of its own (lists and names do not clash)."""
    async with ServerProcess(tmp_path_factory.mktemp("remote-execute") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, D) as r:
        yield r


async def _started(marker: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert time.monotonic() < deadline, "the task never started"
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_execute_registers_and_waits_for_outputs(remote):
    ex = await remote.execute(tasks.add, inputs={"a": 2, "b": 40}, version="v1", wait=True)
    assert isinstance(ex, FlyteWorkflowExecution)
    assert ex.is_done and ex.is_successful and ex.phase == Phase.SUCCEEDED and ex.error is None
    assert ex.outputs["o0"] == 42 and ex.outputs == {"o0": 42}
    assert ex.inputs == {"a": 2, "b": 40}
    assert ex.closure.HasField("started_at")
    assert ex.id.project == remote.default_project and ex.id.domain == D and ex.id.name
    assert ex.spec.launch_plan.name == tasks.add.name and ex.spec.launch_plan.version == "v1"
    # the task is registered now: a second execute reuses it; a fetched task executes the same way
    ft = await remote.fetch_task(name=tasks.add.name, version="v1")
    again = await remote.execute(ft, inputs={"a": 1, "b": 1}, wait=True)
    assert again.outputs["o0"] == 2 and again.id.name != ex.id.name


@pytest.mark.slow
async def test_execute_then_wait(remote):
    started = time.monotonic()
    ex = await remote.execute(tasks.add, inputs={"a": 1, "b": 2}, version="v1", execution_name_prefix="later")
    assert ex.id.name.startswith("later-")
    assert not ex.is_done
    with pytest.raises(FlyteAssertion, match="wait until it has completed"):
        ex.outputs  # noqa: B018
    done = await remote.wait(ex)
    assert done is ex and ex.outputs["o0"] == 3
    assert time.monotonic() - started < 20  # backoff from 0.1 s, not fixed long sleeps


@pytest.mark.slow
async def test_version_is_derived_when_not_given(remote):
    ex = await remote.execute(tasks.add, inputs={"a": 3, "b": 4}, wait=True)
    assert ex.outputs["o0"] == 7
    again = await remote.execute(tasks.add, inputs={"a": 3, "b": 5}, wait=True)
    assert again.spec.launch_plan.version == ex.spec.launch_plan.version  # unchanged code, same version


@pytest.mark.slow
async def test_bad_inputs_name_the_input(remote):
    with pytest.raises(FlyteInvalidInputException, match="no input named 'c'"):
        await remote.execute(tasks.add, inputs={"a": 1, "b": 2, "c": 3}, version="v1")
    with pytest.raises(FlyteInvalidInputException, match=r"input 'b' of task .*add"):
        await remote.execute(tasks.add, inputs={"a": 1, "b": "two"}, version="v1")
    with pytest.raises(FlyteInvalidInputException, match=r"missing input.* b"):
        await remote.execute(tasks.add, inputs={"a": 1}, version="v1")
    assert await remote.recent_executions() == []


@pytest.mark.slow
async def test_failing_task_has_its_error(remote):
    ex = await remote.execute(tasks.explode, inputs={"x": 3}, version="v1", wait=True)
    assert ex.is_done and not ex.is_successful and ex.phase == Phase.FAILED
    assert "ValueError: bad x=3" in ex.error.message
    assert ex.error.kind == core_execution_pb2.ExecutionError.USER
    with pytest.raises(FlyteAssertion, match="bad x=3"):
        ex.outputs  # noqa: B018
    assert ex.inputs == {"x": 3}


@pytest.mark.slow
async def test_terminate_a_long_execution(remote, tmp_path):
    marker = tmp_path / "pids"
    ex = await remote.execute(tasks.sleepy, inputs={"marker": str(marker), "seconds": 60.0}, version="v1")
    await _started(marker)
    await remote.terminate(ex, "no longer needed")
    assert ex.phase == Phase.ABORTED and ex.abort_cause == "no longer needed"
    await remote.wait(ex, timeout=10)
    assert ex.is_done and not ex.is_successful
    with pytest.raises(FlyteRemoteError) as info:  # already done
        await remote.terminate(ex, "again")
    assert info.value.code == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.slow
async def test_wait_timeout_names_the_execution(remote, tmp_path):
    marker = tmp_path / "pids"
    ex = await remote.execute(tasks.sleepy, inputs={"marker": str(marker), "seconds": 60.0}, version="v1")
    started = time.monotonic()
    with pytest.raises(FlyteExecutionTimeoutError, match=ex.id.name) as info:
        await remote.wait(ex, timeout=0.5, poll_interval=0.2)
    assert isinstance(info.value, TimeoutError)
    assert time.monotonic() - started < 5
    assert not ex.is_done
    await remote.terminate(ex, "test over")


@pytest.mark.slow
async def test_fetch_execution_and_recent_executions(remote):
    ex = await remote.execute(tasks.add, inputs={"a": 5, "b": 6}, version="v1", execution_name="named-one", wait=True)
    assert ex.id.name == "named-one"
    with pytest.raises(FlyteEntityAlreadyExistsException):
        await remote.execute(tasks.add, inputs={"a": 1, "b": 1}, version="v1", execution_name="named-one")
    fetched = await remote.fetch_execution(name="named-one")  # interface from the fetched task
    assert fetched.is_successful and fetched.outputs["o0"] == 11 and fetched.inputs == {"a": 5, "b": 6}
    assert isinstance(fetched.flyte_entity.id.name, str) and fetched.flyte_entity.name == tasks.add.name
    second = await remote.execute(tasks.add, inputs={"a": 0, "b": 0}, version="v1")
    recent = await remote.recent_executions(limit=10)
    assert [e.id.name for e in recent] == [second.id.name, "named-one"]
    assert len(await remote.recent_executions(limit=1)) == 1
    synced = await remote.sync_execution(recent[1])
    assert synced.outputs["o0"] == 11
    with pytest.raises(FlyteEntityNotExistException):
        await remote.fetch_execution(name="no-such-execution")


@pytest.mark.slow
async def test_concurrent_executions_with_gather(remote, tmp_path):
    await remote.register_task(tasks.meet, version="v1")
    # each execution returns only once all six are running: awaited one after another, none would finish
    inputs = [{"marker_dir": str(tmp_path), "parties": 6, "i": i, "timeout": 60.0} for i in range(6)]
    executions = await asyncio.gather(*[remote.execute(tasks.meet, inputs=x, version="v1", wait=True) for x in inputs])
    assert all(e.is_successful for e in executions), [e.error for e in executions]
    assert [e.outputs["o0"] for e in executions] == list(range(6))
    assert len({e.id.name for e in executions}) == 6


@pytest.mark.slow
async def test_wait_does_not_block_the_loop(remote, tmp_path, monkeypatch):
    """While ``execute(..., wait=True)`` waits, the loop runs other coroutines, here the one that lets the task
    finish: a wait that blocked the loop would never see the task end. And nothing sleeps on the loop's thread."""
    loop_thread = threading.get_ident()
    blocking_sleeps = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if threading.get_ident() == loop_thread:
            blocking_sleeps.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    started, release = tmp_path / "started", tmp_path / "release"
    inputs = {"started": str(started), "release": str(release), "timeout": 60.0}
    waiting = asyncio.create_task(remote.execute(tasks.handshake, inputs=inputs, version="v1", wait=True))
    await _started(started)  # this coroutine ran on the loop while execute() was waiting for the task
    assert not waiting.done()
    release.touch()
    ex = await waiting
    assert ex.is_successful and ex.outputs["o0"] == "released"
    assert blocking_sleeps == []


@pytest.mark.slow
async def test_workflows_execute_through_their_launch_plan(remote):
    ex = await remote.execute(add_wf, inputs={"a": 1, "b": 2}, version="v1", wait=True)
    assert ex.outputs["o0"] == 3
    # it was registered on the way (the default launch plan exists), and the fetched launch plan runs the same
    lp = await remote.fetch_launch_plan(name=add_wf.name, version="v1")
    again = await remote.execute(lp, inputs={"a": 2, "b": 2}, wait=True)
    assert again.outputs["o0"] == 4


@pytest.mark.slow
async def test_envs_tags_and_overwrite_cache_reach_the_execution(remote):
    ex = await remote.execute(
        tasks.env_and_context, inputs={"name": "MY_VAR"}, version="v1", envs={"MY_VAR": "hello"},
        tags=["nightly"], overwrite_cache=True, execution_name="with-env", wait=True,
    )  # fmt: skip
    assert ex.outputs["o0"] == f"hello|with-env|{tasks.env_and_context.name}"
    assert list(ex.spec.tags) == ["nightly"] and ex.spec.overwrite_cache


async def test_values_are_read_from_the_blob_url_when_not_inline(tmp_path):
    from flyteidl.admin import common_pb2
    from flyteidl.core import literals_pb2

    from aioflyte.remote.executions import _data_literals

    lm = literals_pb2.LiteralMap()
    lm.literals["o0"].scalar.primitive.integer = 7
    path = tmp_path / "outputs.pb"
    path.write_bytes(lm.SerializeToString())
    blob = common_pb2.UrlBlob(url=str(path), bytes=path.stat().st_size)
    assert await _data_literals(literals_pb2.LiteralMap(), blob) == lm
    inline = literals_pb2.LiteralMap()
    inline.literals["o0"].scalar.primitive.integer = 8
    assert await _data_literals(inline, blob) == inline
    assert await _data_literals(literals_pb2.LiteralMap(), common_pb2.UrlBlob()) == literals_pb2.LiteralMap()
