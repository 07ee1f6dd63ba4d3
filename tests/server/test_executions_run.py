"""Executions of tasks on the server, run as a real subprocess: the task runs as a local process through the
container entrypoint; outputs, errors, retries, bad inputs, terminate, and restarts."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import executions_tasks as tasks
import pytest
import pytest_asyncio
from flyteidl.admin import task_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import literals_pb2
from servers import fresh_project, task_env, until_gone

from aioflyte.remote.client import AdminClient, FlyteEntityNotExistException, FlyteInvalidInputException
from aioflyte.remote.client.admin import execution_id
from aioflyte.server.testing import ServerProcess

P, D = "flytesnacks", "development"
Phase = core_execution_pb2.WorkflowExecution
HERE = Path(__file__).parent
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]  # the tests share the module's server
TERMINAL = (Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.TIMED_OUT)


def _server(state: Path) -> ServerProcess:
    return ServerProcess(state, env=task_env(HERE))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    """One server for the tests that only run executions: each in a project of its own (see ``project``).
    The restart test below starts servers of its own."""
    async with _server(tmp_path_factory.mktemp("executions") / "state") as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def client(server):
    async with AdminClient(server.endpoint) as admin:
        yield admin


@pytest_asyncio.fixture(loop_scope="module")
async def project(client):
    return await fresh_project(client)


def _lit(value: object) -> literals_pb2.Literal:
    lit = literals_pb2.Literal()
    primitive = lit.scalar.primitive
    if isinstance(value, bool):
        primitive.boolean = value
    elif isinstance(value, int):
        primitive.integer = value
    elif isinstance(value, float):
        primitive.float_value = value
    else:
        primitive.string_value = str(value)
    return lit


def _inputs(**values: object) -> literals_pb2.LiteralMap:
    return literals_pb2.LiteralMap(literals={k: _lit(v) for k, v in values.items()})


async def _register(client: AdminClient, project: str, entity: object):
    from aioflyte.remote import translator
    from aioflyte.remote.serialization import SerializationSettings, default_image_config

    settings = SerializationSettings(image_config=default_image_config(), project=project, domain=D, version="v1")
    (spec,) = [m for m in await translator.registrable_entities([entity], settings) if isinstance(m, task_pb2.TaskSpec)]
    await client.register_task(spec.template.id, spec)
    return spec.template.id


async def _wait(client: AdminClient, id, timeout: float = 60.0, phases=TERMINAL):
    deadline = time.monotonic() + timeout
    while True:
        execution = await client.get_execution(id)
        if execution.closure.phase in phases:
            return execution
        assert time.monotonic() < deadline, f"still {Phase.Phase.Name(execution.closure.phase)}"
        await asyncio.sleep(0.1)


def _gone(pid: int) -> bool:
    """The process no longer exists (or is a zombie waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return True


async def _pids(marker: Path, timeout: float = 30.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert time.monotonic() < deadline, "the task never started"
        await asyncio.sleep(0.05)
    return [int(p) for p in marker.read_text().split()]


async def test_task_execution_succeeds_with_outputs(server, client, project):
    tid = await _register(client, project, tasks.add)
    id = await client.create_execution(project, D, tid, _inputs(a=2, b=40))
    assert id.project == project and id.domain == D and id.name
    execution = await _wait(client, id)
    assert execution.closure.phase == Phase.SUCCEEDED, execution.closure.error.message
    assert execution.spec.launch_plan == tid
    assert execution.closure.HasField("started_at") and execution.closure.HasField("duration")
    data = await client.get_execution_data(id)
    assert data.full_outputs.literals["o0"].scalar.primitive.integer == 42
    assert data.full_inputs.literals["a"].scalar.primitive.integer == 2
    assert data.inputs.url.endswith("inputs.pb") and Path(data.inputs.url).exists()
    assert data.inputs.url.startswith(str(server.state_dir / "data"))
    assert data.outputs.url.endswith("outputs.pb")


async def test_failing_task_is_failed_with_its_error(client, project):
    tid = await _register(client, project, tasks.explode)
    id = await client.create_execution(project, D, tid, _inputs(x=3), name="boom")
    assert id.name == "boom"
    execution = await _wait(client, id)
    assert execution.closure.phase == Phase.FAILED
    error = execution.closure.error
    assert error.kind == core_execution_pb2.ExecutionError.USER
    assert "ValueError: bad x=3" in error.message and error.code
    data = await client.get_execution_data(id)
    assert not data.full_outputs.literals


async def test_recoverable_errors_are_retried(client, project):
    tid = await _register(client, project, tasks.flaky)
    id = await client.create_execution(project, D, tid, _inputs(x=4))
    execution = await _wait(client, id)
    assert execution.closure.phase == Phase.SUCCEEDED, execution.closure.error.message
    data = await client.get_execution_data(id)
    assert data.full_outputs.literals["o0"].scalar.primitive.integer == 42  # third attempt (number 2)


async def test_invalid_inputs_are_invalid_argument(client, project):
    tid = await _register(client, project, tasks.add)
    with pytest.raises(FlyteInvalidInputException, match="missing input b"):
        await client.create_execution(project, D, tid, _inputs(a=1))
    with pytest.raises(FlyteInvalidInputException, match="invalid input c"):
        await client.create_execution(project, D, tid, _inputs(a=1, b=2, c=3))
    with pytest.raises(FlyteInvalidInputException, match=r"invalid input b: .* expects integer, got string"):
        await client.create_execution(project, D, tid, _inputs(a=1, b="two"))
    with pytest.raises(FlyteInvalidInputException, match="invalid execution name"):
        await client.create_execution(project, D, tid, _inputs(a=1, b=2), name="Not_Valid")
    missing = type(tid)()
    missing.CopyFrom(tid)
    missing.version = "nope"
    with pytest.raises(FlyteEntityNotExistException):
        await client.create_execution(project, D, missing, _inputs(a=1, b=2))
    assert (await client.list_executions(project, D))[0] == []  # nothing was recorded
    with pytest.raises(FlyteEntityNotExistException):
        await client.get_execution(execution_id(project, D, "unknown"))


async def test_duplicate_name_and_list_pagination(client, project):
    from aioflyte.remote.client import FlyteEntityAlreadyExistsException

    tid = await _register(client, project, tasks.add)
    ids = [await client.create_execution(project, D, tid, _inputs(a=i, b=1), name=f"run-{i}") for i in range(5)]
    with pytest.raises(FlyteEntityAlreadyExistsException):
        await client.create_execution(project, D, tid, _inputs(a=1, b=1), name="run-0")
    page, token = await client.list_executions(project, D, limit=2)
    assert [e.id.name for e in page] == ["run-4", "run-3"] and token == "2"
    names = [e.id.name async for e in client.iter_executions(project, D, limit=2)]
    assert names == ["run-4", "run-3", "run-2", "run-1", "run-0"]
    for id in ids:
        assert (await _wait(client, id)).closure.phase == Phase.SUCCEEDED


async def test_terminate_kills_the_process_group(client, project, tmp_path):
    marker = tmp_path / "pids"
    tid = await _register(client, project, tasks.sleepy)
    id = await client.create_execution(project, D, tid, _inputs(marker=str(marker), seconds=300.0))
    await _wait(client, id, phases=(Phase.RUNNING,))
    pids = await _pids(marker)
    assert not any(_gone(p) for p in pids)
    await client.terminate_execution(id, cause="no longer needed")
    execution = await client.get_execution(id)
    assert execution.closure.phase == Phase.ABORTED
    assert execution.closure.abort_metadata.cause == "no longer needed"
    deadline = time.monotonic() + 10
    while not all(_gone(p) for p in pids):
        assert time.monotonic() < deadline, "a task process outlived terminate"
        await asyncio.sleep(0.05)
    from aioflyte.remote.client import FlyteRemoteError

    with pytest.raises(FlyteRemoteError, match="already finished"):
        await client.terminate_execution(id)


async def test_running_executions_are_failed_across_restarts(tmp_path):
    state = tmp_path / "state"
    stopped, crashed = tmp_path / "stopped", tmp_path / "crashed"
    # a clean stop (SIGTERM) kills the task process and marks the execution failed at once
    async with _server(state) as server, AdminClient(server.endpoint) as client:
        tid = await _register(client, P, tasks.sleepy)
        done = await client.create_execution(P, D, await _register(client, P, tasks.add), _inputs(a=1, b=2))
        await _wait(client, done)
        first = await client.create_execution(P, D, tid, _inputs(marker=str(stopped), seconds=300.0))
        pids = await _pids(stopped)
    assert _gone(pids[0])  # the task's process: the server stopped once it had exited
    await until_gone(pids[1:])  # the process it started: killed with its group
    # a crash (SIGKILL) leaves the execution RUNNING in the database: the next start marks it failed
    server = _server(state)
    await server.start()
    try:
        async with AdminClient(server.endpoint) as client:
            execution = await client.get_execution(first)
            assert execution.closure.phase == Phase.FAILED
            assert "server stopped" in execution.closure.error.message
            second = await client.create_execution(P, D, tid, _inputs(marker=str(crashed), seconds=3.0))
            await _wait(client, second, phases=(Phase.RUNNING,))
            await _pids(crashed)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
    finally:
        await server.stop()
    async with _server(state) as server, AdminClient(server.endpoint) as client:
        execution = await client.get_execution(second)
        assert execution.closure.phase == Phase.FAILED
        assert "marked failed when the server restarted" in execution.closure.error.message
        finished = await client.get_execution(done)  # finished executions survive with their outputs
        assert finished.closure.phase == Phase.SUCCEEDED
        assert (await client.get_execution_data(done)).full_outputs.literals["o0"].scalar.primitive.integer == 3


async def test_task_timeout_fails_the_execution(client, project):
    tid = await _register(client, project, tasks.too_slow)
    start = time.monotonic()
    id = await client.create_execution(project, D, tid, _inputs(seconds=60.0))
    execution = await _wait(client, id)
    assert execution.closure.phase == Phase.FAILED
    assert execution.closure.error.code == "USER:Timeout" and "timed out after 1s" in execution.closure.error.message
    assert time.monotonic() - start < 30


async def test_task_process_sees_execution_env_and_identity(client, project):
    from flyteidl.admin import common_pb2, execution_pb2

    spec = execution_pb2.ExecutionSpec(
        envs=common_pb2.Envs(values=[literals_pb2.KeyValuePair(key="GREETING", value="hi")])
    )
    tid = await _register(client, project, tasks.env_and_context)
    id = await client.create_execution(project, D, tid, _inputs(name="GREETING"), name="with-env", spec=spec)
    execution = await _wait(client, id)
    assert execution.closure.phase == Phase.SUCCEEDED, execution.closure.error.message
    out = (await client.get_execution_data(id)).full_outputs.literals["o0"].scalar.primitive.string_value
    assert out == f"hi|with-env|{tid.name}"
