"""Workflow and launch plan executions on the server subprocess, through FlyteRemote: chained tasks, a conditional
and a map task, launch plan default/fixed inputs (and their errors), rich outputs, failures, subworkflow and launch
plan nodes, dynamic tasks, the task cache, gates, and terminate killing every process of the workflow."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import grpc
import pandas as pd
import pytest
import pytest_asyncio
import workflow_entities as W
import workflow_rich as R
from flyteidl.admin import execution_pb2
from flyteidl.core import catalog_pb2, identifier_pb2, literals_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import task_env, until_gone

from aioflyte.configuration.config import Config
from aioflyte.remote.client import FlyteEntityNotExistException, FlyteRemoteError
from aioflyte.remote.client.admin import launch_plan_id, workflow_id
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

# every test runs workflows on the server subprocess; the tests share its loop
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

P, D = "flytesnacks", "development"
Phase = core_execution_pb2.WorkflowExecution
NodePhase = core_execution_pb2.NodeExecution
HERE = Path(__file__).parent


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(tmp_path_factory):
    state = tmp_path_factory.mktemp("wf-exec") / "state"
    async with ServerProcess(state, env=task_env(HERE)) as server:
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
            yield r


async def _run(remote: FlyteRemote, entity: object, **inputs: object):
    return await remote.execute(entity, inputs=inputs, version="v1", wait=True, timeout=120)


def _int(value: int) -> literals_pb2.Literal:
    lit = literals_pb2.Literal()
    lit.scalar.primitive.integer = value
    return lit


async def test_two_chained_tasks(remote):
    ex = await _run(remote, W.chain, a=2)
    assert ex.is_successful, ex.error
    assert ex.outputs == {"o0": 14}  # double(add(2, 5)): b's default comes from the launch plan
    assert ex.inputs == {"a": 2, "b": 5}
    assert ex.spec.launch_plan.resource_type == identifier_pb2.LAUNCH_PLAN
    assert ex.closure.workflow_id.name == W.chain.name
    assert ex.spec.metadata.mode == execution_pb2.ExecutionMetadata.MANUAL
    nodes = ex.node_executions
    assert [k for k in nodes if not k.endswith("-node")] == ["n0", "n1"]
    assert nodes["n0"].outputs == {"o0": 7} and nodes["n1"].inputs == {"x": 7} and nodes["n1"].outputs == {"o0": 14}
    assert all(n.phase == NodePhase.SUCCEEDED for n in nodes.values())


async def test_conditional_and_map_task(remote):
    small, big = await asyncio.gather(_run(remote, W.branchy, n=3), _run(remote, W.branchy, n=30))
    assert small.outputs["o0"] == 12 + 3  # else: add(total([2, 4, 6]), n)
    assert big.outputs["o0"] == 24  # if n > 10: double(total)
    mapped = small.node_executions["n0"]
    assert mapped.outputs == {"o0": [2, 4, 6]} and mapped.metadata.is_array
    branch = small.node_executions["n2"]
    assert branch.is_parent_node and branch.outputs == {"o0": 15}
    (chosen,) = branch.subworkflow_node_executions.values()
    assert chosen.id.node_id == "n2-0-n1" and chosen.outputs == {"o0": 15}


async def test_launch_plan_default_and_fixed_inputs(remote):
    given, defaulted = await asyncio.gather(_run(remote, W.fixed_lp, a=1), _run(remote, W.fixed_lp))
    assert given.outputs["o0"] == 1 + 100 + 1
    assert given.inputs["a"] == 1 and given.inputs["c"] == 1  # the launch plan's own inputs, as Python values
    assert given.inputs["b"] == 100  # the fixed input is there too, typed by the workflow's interface
    assert defaulted.outputs["o0"] == 10 + 100 + 1
    client = remote.client
    lp = launch_plan_id(P, D, W.fixed_lp.name, "v1")
    with pytest.raises(FlyteRemoteError, match=r"fixed input b of launch plan .*with_fixed_lp@v1 cannot be overridden"):
        await client.create_execution(P, D, lp, literals_pb2.LiteralMap(literals={"a": _int(1), "b": _int(2)}))
    # the workflow's default launch plan requires a and b
    await remote.register_workflow(W.with_fixed, version="v1")
    wf_lp = launch_plan_id(P, D, W.with_fixed.name, "v1")
    with pytest.raises(FlyteRemoteError, match=r"missing required input\(s\) b \(integer\)") as info:
        await client.create_execution(P, D, wf_lp, literals_pb2.LiteralMap(literals={"a": _int(1)}))
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(FlyteRemoteError, match="expects integer") as info:
        bad = literals_pb2.LiteralMap(literals={"a": _int(1), "b": literals_pb2.Literal()})
        bad.literals["b"].scalar.primitive.string_value = "x"
        await client.create_execution(P, D, wf_lp, bad)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(FlyteEntityNotExistException, match=r"launch plan .*nope@v1 does not exist"):
        await client.create_execution(P, D, launch_plan_id(P, D, "nope", "v1"))
    # a workflow id launches the workflow's default launch plan, as in flyteadmin
    wid = workflow_id(P, D, W.with_fixed.name, "v1")
    ex_id = await client.create_execution(P, D, wid, literals_pb2.LiteralMap(literals={"a": _int(1), "b": _int(2)}))
    ex = await remote.wait(await remote.fetch_execution(name=ex_id.name), timeout=120)
    assert ex.outputs["o0"] == 4


async def test_dataclass_file_and_dataframe_outputs(remote):
    ex = await _run(remote, R.rich, n=3)
    point, file, sd = ex.outputs["o0"], ex.outputs["o1"], ex.outputs["o2"]
    assert isinstance(point, R.Point) and point == R.Point(x=3, label="p3")
    async with file.open("rb") as f:
        assert (await f.read()).decode() == "note 3"
    df = await sd.open(pd.DataFrame).all()
    assert list(df["a"]) == [0, 1, 2] and list(df["b"]) == ["0", "1", "2"]


async def test_failing_task_fails_the_workflow_and_its_node(remote):
    ex = await _run(remote, W.failing, x=3)
    assert ex.phase == Phase.FAILED
    assert "ValueError: bad x=6" in ex.error.message
    assert ex.error.kind == core_execution_pb2.ExecutionError.USER
    nodes = ex.node_executions
    assert nodes["n0"].phase == NodePhase.SUCCEEDED and nodes["n0"].outputs == {"o0": 6}
    failed = nodes["n1"]
    assert failed.phase == NodePhase.FAILED and "bad x=6" in failed.error.message
    (attempt,) = failed.task_executions
    assert attempt.phase == core_execution_pb2.TaskExecution.FAILED and "bad x=6" in attempt.error.message
    log = Path(attempt.logs[0].uri.removeprefix("file://"))
    assert log.exists()
    assert "end-node" not in nodes


async def test_subworkflow_and_launch_plan_node(remote):
    ex = await _run(remote, W.outer, x=1)
    assert ex.outputs == {"o0": 2, "o1": 3}
    sub = ex.node_executions["n0"]
    assert sub.is_parent_node and sub.outputs == {"o0": 2}
    assert "n0-0-n0" in sub.subworkflow_node_executions
    assert sub.subworkflow_node_executions["n0-0-n0"].inputs == {"a": 1, "b": 1}
    lp_node = ex.node_executions["n1"]
    (child,) = lp_node.workflow_executions
    assert child.is_successful and child.outputs == {"o0": 3}
    assert child.spec.metadata.mode == execution_pb2.ExecutionMetadata.CHILD_WORKFLOW
    assert child.spec.metadata.parent_node_execution.node_id == "n1"
    assert child.spec.metadata.parent_node_execution.execution_id.name == ex.id.name
    assert child.spec.launch_plan.name == W.inner_lp.name


async def test_dynamic_workflow(remote):
    ex = await _run(remote, W.dyn_wf, n=3)
    assert ex.outputs == {"o0": [0, 2, 4]}
    dyn = ex.node_executions["n0"]
    assert dyn.metadata.is_dynamic and dyn.outputs == {"o0": [0, 2, 4]}
    children = dyn.subworkflow_node_executions
    assert [children[f"n0-0-dn{i}"].outputs["o0"] for i in range(3)] == [0, 2, 4]


async def test_cached_task_hits_on_the_second_execution(remote, tmp_path):
    marker = str(tmp_path / "runs")
    first = await _run(remote, W.cached_wf, x=4, marker=marker)
    second = await _run(remote, W.cached_wf, x=4, marker=marker)
    assert first.outputs == second.outputs == {"o0": 16}
    assert Path(marker).read_text() == "ran\n"  # the task body ran once
    assert first.node_executions["n0"].cache_status == catalog_pb2.CACHE_POPULATED
    assert second.node_executions["n0"].cache_status == catalog_pb2.CACHE_HIT
    assert second.node_executions["n0"].task_executions == []


async def _until(what: str, check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except FlyteEntityNotExistException:
            assert time.monotonic() < deadline, f"{what} never happened"
            await asyncio.sleep(0.1)


async def test_gates_wait_for_approval_and_input(remote):
    ex = await remote.execute(W.gated, inputs={"x": 5}, version="v1")
    await _until("the approve gate", lambda: remote.approve("review", ex.id.name))
    await _until("the input gate", lambda: remote.set_input("extra", ex.id.name, 7))
    await remote.wait(ex, timeout=120)
    assert ex.outputs == {"o0": 17}
    approved = ex.node_executions["n1"].outputs["o0"]  # the approved value passes through (a literal: the
    assert approved.scalar.primitive.integer == 10  # closure does not type an approve gate's value)
    rejected = await remote.execute(W.gated, inputs={"x": 1}, version="v1")
    await _until("the approve gate", lambda: remote.reject("review", rejected.id.name))
    await remote.wait(rejected, timeout=120)
    assert rejected.phase == Phase.FAILED and "review was rejected" in rejected.error.message


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return False


async def _pids(marker: Path) -> list[int]:
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert time.monotonic() < deadline, "the task never started"
        await asyncio.sleep(0.05)
    return [int(p) for p in marker.read_text().split()]


async def test_terminate_kills_the_workflow_processes(remote, tmp_path):
    marker = tmp_path / "pids"
    ex = await remote.execute(W.sleepy_wf, inputs={"marker": str(marker), "seconds": 120.0}, version="v1")
    pids = await _pids(marker)
    await remote.terminate(ex, "stop it")
    assert ex.phase == Phase.ABORTED and ex.abort_cause == "stop it"
    assert not _alive(pids[0])  # the task's process: terminate returned once it had exited
    await until_gone(pids[1:])  # the process it started: killed with its group
    await remote.sync_execution(ex, sync_nodes=True)
    node = ex.node_executions["n0"]
    assert node.phase == NodePhase.ABORTED
    assert node.task_executions[0].phase == core_execution_pb2.TaskExecution.ABORTED


async def test_terminate_reaches_child_executions(remote, tmp_path):
    marker = tmp_path / "pids"
    ex = await remote.execute(W.sleepy_parent, inputs={"marker": str(marker), "seconds": 120.0}, version="v1")
    pids = await _pids(marker)  # written by the task of the child execution
    await remote.terminate(ex, "stop the family")
    assert not _alive(pids[0])  # the child execution's task process: terminate returned once it had exited
    await until_gone(pids[1:])  # the process it started: killed with its group
    await remote.sync_execution(ex, sync_nodes=True)
    (child,) = ex.node_executions["n0"].workflow_executions
    assert ex.phase == Phase.ABORTED and child.phase == Phase.ABORTED
    assert child.spec.metadata.parent_node_execution.execution_id.name == ex.id.name


async def test_failure_policy_and_failure_node(remote, tmp_path):
    marker = tmp_path / "failure"
    ex = await _run(remote, W.fail_after, marker=str(marker))
    assert ex.phase == Phase.FAILED and "bad x=1" in ex.error.message
    nodes = ex.node_executions
    assert nodes["n0"].phase == NodePhase.FAILED
    assert nodes["n1"].phase == NodePhase.SUCCEEDED  # FAIL_AFTER_EXECUTABLE_NODES_COMPLETE: the sibling finished
    assert Path(str(marker) + ".sibling").exists()
    failed_node, message = marker.read_text().split("|", 1)  # the on_failure handler got the error
    assert failed_node == "n0" and "bad x=1" in message
    assert nodes["fn0"].phase == NodePhase.SUCCEEDED


async def test_map_task_min_success_ratio(remote):
    ex = await _run(remote, W.partial_map, xs=[1, 2, 3, 5])
    assert ex.outputs == {"o0": [1, None, 3, 5]}  # the failed item is None: 3 of 4 succeeded, 50% were required
    too_few = await _run(remote, W.partial_map, xs=[2, 4, 5])
    assert too_few.phase == Phase.FAILED and "2 of 3 item(s) failed" in too_few.error.message


async def test_max_parallelism_of_the_launch_plan(remote, tmp_path):
    ex = await _run(remote, W.one_at_a_time, folder=str(tmp_path))
    assert ex.outputs == {"o0": 0, "o1": 1, "o2": 2} and ex.spec.max_parallelism == 1
    spans = sorted(tuple(map(float, p.read_text().split())) for p in tmp_path.iterdir())
    assert len(spans) == 3
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))  # never two at once
