"""Node and task executions of workflow executions, through the Admin calls (flyteadmin's shapes): listing with
``unique_parent_id``, their data, attempts as task executions, errors; and a server stopped mid-workflow leaves
nothing RUNNING."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
import workflow_entities as W
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2
from servers import task_env, until_gone

from aioflyte.configuration.config import Config
from aioflyte.remote.client import FlyteEntityNotExistException, FlyteRemoteError
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

# every test runs workflows on the server subprocess; the tests share its loop
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

P, D = "flytesnacks", "development"
Phase = core_execution_pb2.WorkflowExecution
NodePhase = core_execution_pb2.NodeExecution
TaskPhase = core_execution_pb2.TaskExecution
HERE = Path(__file__).parent


def _server(state: Path) -> ServerProcess:
    return ServerProcess(state, env=task_env(HERE))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(tmp_path_factory):
    async with _server(tmp_path_factory.mktemp("nodes") / "state") as server:
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
            yield r


def _node(ex_id: identifier_pb2.WorkflowExecutionIdentifier, node_id: str) -> identifier_pb2.NodeExecutionIdentifier:
    return identifier_pb2.NodeExecutionIdentifier(node_id=node_id, execution_id=ex_id)


async def test_node_and_task_execution_calls(remote):
    ex = await remote.execute(W.outer, inputs={"x": 1}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    client = remote.client
    top, token = await client.list_node_executions(ex.id)
    assert [n.id.node_id for n in top] == ["start-node", "n0", "n1", "end-node"] and token == ""
    assert all(n.closure.phase == NodePhase.SUCCEEDED for n in top)
    assert all(n.closure.HasField("started_at") and n.closure.HasField("duration") for n in top)
    sub, lp_node = top[1], top[2]
    assert sub.metadata.is_parent_node and sub.metadata.spec_node_id == "n0"
    page, token = await client.list_node_executions(ex.id, limit=2)
    assert len(page) == 2 and token == "2"
    children, _ = await client.list_node_executions(ex.id, unique_parent_id="n0")
    assert [n.id.node_id for n in children] == ["n0-0-start-node", "n0-0-n0", "n0-0-end-node"]
    assert children[1].metadata.spec_node_id == "n0"
    data = await client.get_node_execution_data(_node(ex.id, "n0-0-n0"))
    assert data.full_inputs.literals["a"].scalar.primitive.integer == 1
    assert data.full_outputs.literals["o0"].scalar.primitive.integer == 2
    assert Path(data.outputs.url).exists() and data.outputs.bytes > 0
    # the launch plan node names its child execution
    child_id = lp_node.closure.workflow_node_metadata.executionId
    child = await client.get_execution(child_id)
    assert child.closure.phase == Phase.SUCCEEDED and child.spec.metadata.parent_node_execution.node_id == "n1"
    # a task node's attempt
    (attempt,), _ = await client.list_task_executions(_node(ex.id, "n0-0-n0"))
    assert attempt.closure.phase == TaskPhase.SUCCEEDED and attempt.id.task_id.name == W.add.name
    assert attempt.id.retry_attempt == 0 and attempt.closure.task_type == "python-task"
    assert Path(attempt.closure.logs[0].uri.removeprefix("file://")).exists()
    again = await client.get_task_execution(attempt.id)
    assert again == attempt
    tdata = await client.get_task_execution_data(attempt.id)
    assert tdata.full_outputs.literals["o0"].scalar.primitive.integer == 2


async def test_errors_name_the_node_execution(remote):
    ex = await remote.execute(W.chain, inputs={"a": 1}, version="v1", wait=True, timeout=120)
    client = remote.client
    with pytest.raises(FlyteEntityNotExistException, match="node execution nope of execution"):
        await client.get_node_execution(_node(ex.id, "nope"))
    with pytest.raises(FlyteEntityNotExistException, match="node execution nope"):
        await client.list_node_executions(ex.id, unique_parent_id="nope")
    missing = identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name="nosuchexecution")
    with pytest.raises(FlyteEntityNotExistException, match="execution flytesnacks/development/nosuchexecution"):
        await client.list_node_executions(missing)
    with pytest.raises(FlyteRemoteError, match="limit") as info:
        await client.list_node_executions(ex.id, limit=0)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    attempt = identifier_pb2.TaskExecutionIdentifier(node_execution_id=_node(ex.id, "n0"), retry_attempt=3)
    with pytest.raises(FlyteEntityNotExistException, match=r"task execution \(attempt 3\) of node execution n0"):
        await client.get_task_execution(attempt)


async def test_retries_are_task_executions(remote, tmp_path):
    marker = str(tmp_path / "attempted")
    ex = await remote.execute(W.retried, inputs={"x": 1, "marker": marker}, version="v1", wait=True, timeout=120)
    assert ex.outputs == {"o0": 2}
    node = ex.node_executions["n0"]
    assert [t.id.retry_attempt for t in node.task_executions] == [0, 1]
    first, second = node.task_executions
    assert first.phase == TaskPhase.FAILED and "first attempt fails" in first.error.message
    assert second.phase == TaskPhase.SUCCEEDED and second.outputs == {"o0": 2}
    assert node.phase == NodePhase.SUCCEEDED and node.outputs == {"o0": 2}


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return True


async def _started(r: FlyteRemote, marker: Path, seconds: float):
    ex = await r.execute(W.sleepy_wf, inputs={"marker": str(marker), "seconds": seconds}, version="v1")
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert time.monotonic() < deadline, "the task never started"
        await asyncio.sleep(0.05)
    return ex, [int(pid) for pid in marker.read_text().split()]


async def test_server_stop_and_crash_leave_nothing_running(tmp_path):
    state = tmp_path / "state"
    async with _server(state) as server:  # a clean stop (SIGTERM) kills the workflow's processes
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
            stopped, pids = await _started(r, tmp_path / "stopped", 120.0)
    assert _gone(pids[0])  # the task's process: the server stopped once it had exited
    await until_gone(pids[1:])  # the process it started: killed with its group
    server = _server(state)
    await server.start()
    try:
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
            again = await r.fetch_execution(name=stopped.id.name)
            assert again.phase == Phase.FAILED and "server stopped" in again.error.message
            await r.sync_execution(again, sync_nodes=True)
            node = again.node_executions["n0"]
            assert node.phase in (NodePhase.ABORTED, NodePhase.FAILED)
            assert all(t.phase != TaskPhase.RUNNING for t in node.task_executions)
            crashed, pids = await _started(r, tmp_path / "crashed", 3.0)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)  # a crash leaves RUNNING rows behind
    finally:
        await server.stop()
    for pid in pids:  # the crashed server's task process, in its own session, is not tracked across the crash
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    async with _server(state) as server:
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
            after = await r.fetch_execution(name=crashed.id.name)
            assert after.phase == Phase.FAILED and "marked failed when the server restarted" in after.error.message
            await r.sync_execution(after, sync_nodes=True)
            node = after.node_executions["n0"]
            assert node.phase == NodePhase.FAILED and "server restarted" in node.error.message
            assert [t.phase for t in node.task_executions] == [TaskPhase.FAILED]
