"""Remote eager: an @eager workflow run here with a RemoteController turns each awaited task into a child
execution on the server subprocess — bounded in flight, watched by one batched watcher, failures typed,
cancellation terminating the children, and a re-run of the same parent reusing finished children."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
import pytest_asyncio
import remote_eager_tasks as t
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import task_env

from aioflyte import FlyteRemoteExecutionFailed, RemoteController, use_controller
from aioflyte.configuration.config import Config
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

P, D = "flytesnacks", "development"
Phase = core_execution_pb2.WorkflowExecution
HERE = Path(__file__).parent


# every test runs executions on the server subprocess; the tests share its loop
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    state = tmp_path_factory.mktemp("remote-eager")
    async with ServerProcess(state / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    config = Config.for_endpoint(server.endpoint, insecure=True)
    async with FlyteRemote(config, default_project=P, default_domain=D) as r:
        yield r


async def _children(remote: FlyteRemote, parent: str) -> list:
    return [ex async for ex in remote.client.iter_executions(P, D, filters=f"contains(execution_name,{parent}-)")]


def _peak_overlap(executions: list) -> int:
    """The most executions RUNNING at the same moment, from their start times and durations."""
    events = []
    for ex in executions:
        start = ex.closure.started_at.ToNanoseconds()
        events += [(start, 1), (start + ex.closure.duration.ToNanoseconds(), -1)]
    peak = running = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        running += step
        peak = max(peak, running)
    return peak


async def test_gather_200_tasks_as_200_child_executions_bounded_in_flight(remote):
    controller = RemoteController(remote, version="v1", execution_name="gather-a", max_in_flight=20)
    started = time.monotonic()
    async with controller:
        total = await controller.run_eager(t.gather_squares, {"n": 200})
    elapsed = time.monotonic() - started
    assert total == sum(i * i for i in range(200))
    assert controller.stats["launched"] == 200 and controller.stats["reused"] == 0
    assert controller.stats["in_flight_peak"] == 20
    children = await _children(remote, "gather-a")
    assert len(children) == 200
    assert all(c.closure.phase == Phase.SUCCEEDED for c in children)
    assert {c.spec.launch_plan.name for c in children} == {t.square.name}
    assert _peak_overlap(children) <= 20  # the backend never ran more than the cap at once
    # one watcher: its status calls are bounded by its tick rate, not by the 200 outstanding children
    assert controller.stats["status_rpcs"] <= elapsed / controller.min_poll + 10


async def test_rerun_of_the_same_parent_reuses_finished_children(remote):
    async with RemoteController(remote, version="v1", execution_name="rerun-b") as first:
        assert await first.run_eager(t.gather_squares, {"n": 5}) == 30
    async with RemoteController(remote, version="v1", execution_name="rerun-b") as again:
        assert await again.run_eager(t.gather_squares, {"n": 5}) == 30
    assert first.stats["launched"] == 5
    assert again.stats["launched"] == 0 and again.stats["reused"] == 5
    assert len(await _children(remote, "rerun-b")) == 5
    # a new parent name launches new children
    assert await t.gather_squares.run_remote(remote, {"n": 2}, version="v1", execution_name="rerun-c") == 1
    assert len(await _children(remote, "rerun-c")) == 2


async def test_child_failure_raises_typed_error_in_the_awaiting_coroutine(remote):
    result = await t.catch_failure.run_remote(remote, {"n": 3, "bad": 1}, version="v1", execution_name="fail-d")
    assert result.startswith("FAILED: ")
    assert t.fail_on.name in result and "item 1 is bad" in result
    children = await _children(remote, "fail-d")
    phases = sorted(Phase.Phase.Name(c.closure.phase) for c in children)
    (failed,) = [c for c in children if c.closure.phase == Phase.FAILED]
    assert "item 1 is bad" in failed.closure.error.message and len(children) == 3, phases
    # the other two succeeded, or were still running when the eager run returned and were terminated then
    # (which of the two depends on when each finished: both happen)
    for other in (c for c in children if c is not failed):
        assert other.closure.phase in (Phase.SUCCEEDED, Phase.ABORTED), phases
        if other.closure.phase == Phase.ABORTED:
            assert "eager" in other.closure.abort_metadata.cause, other.closure.abort_metadata.cause


async def test_uncaught_child_failure_fails_the_eager_run(remote):
    with pytest.raises(FlyteRemoteExecutionFailed, match="item 0 is bad") as info:
        await t.fail_uncaught.run_remote(remote, {"n": 1, "bad": 0}, version="v1", execution_name="fail-f")
    assert info.value.phase == "FAILED" and info.value.execution_id.name.startswith("fail-f-")
    assert info.value.error is not None and info.value.error.kind == core_execution_pb2.ExecutionError.USER


async def test_cancelling_the_eager_run_terminates_running_children(remote, tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    run = asyncio.create_task(
        t.sleepers.run_remote(remote, {"n": 4, "marker_dir": str(markers)}, version="v1", execution_name="cancel-e")
    )
    deadline = time.monotonic() + 60
    while len(list(markers.glob("*.started"))) < 4:
        assert time.monotonic() < deadline, "the children never started"
        assert not run.done(), run
        await asyncio.sleep(0.1)
    pids = [int(p.name.split(".")[0]) for p in markers.glob("*.started")]
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    children = await _children(remote, "cancel-e")
    assert len(children) == 4
    assert {Phase.Phase.Name(c.closure.phase) for c in children} == {"ABORTED"}
    assert all("cancelled" in c.closure.abort_metadata.cause for c in children)
    for pid in pids:  # the task processes are gone
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def test_a_failing_call_terminates_its_running_siblings_before_the_error_arrives(remote, tmp_path):
    """Structured concurrency (docs/eager.md): the sibling still running when a gathered call fails is cancelled
    by the eager run's end, which terminates its execution, before the error reaches the caller."""
    markers = tmp_path / "markers"
    markers.mkdir()
    with pytest.raises(FlyteRemoteExecutionFailed, match="failing beside a running sibling"):
        await t.fail_beside_sleeper.run_remote(
            remote, {"marker_dir": str(markers)}, version="v1", execution_name="sc-h"
        )
    children = await _children(remote, "sc-h")
    (sleeper,) = [c for c in children if c.spec.launch_plan.name == t.sleepy.name]
    assert Phase.Phase.Name(sleeper.closure.phase) == "ABORTED"
    # terminated by its cancelled call, not by the controller's close() ("the parent eager run ended")
    assert sleeper.closure.abort_metadata.cause == "the awaiting eager call was cancelled"


async def test_eager_task_executed_on_the_backend_runs_its_calls_as_child_executions(remote):
    """Launched as an execution, the eager task's container gets a RemoteController from its environment."""
    ex = await remote.execute(t.gather_squares, inputs={"n": 3}, version="v1", wait=True)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == 0 + 1 + 4
    children = await _children(remote, ex.id.name)
    assert len(children) == 3
    assert {c.spec.launch_plan.name for c in children} == {t.square.name}
    assert all(c.closure.phase == Phase.SUCCEEDED for c in children)


async def test_under_use_controller_awaiting_an_eager_workflow_runs_it_as_one_execution(remote):
    """docs/eager.md: with a RemoteController installed, ``await eager_wf(...)`` is one execution on the backend
    (whose container then runs the calls of the body as child executions)."""
    async with RemoteController(remote, version="v1", execution_name="use-ctl") as controller:
        with use_controller(controller):
            assert await t.gather_squares(n=3) == 0 + 1 + 4
            assert await t.square(x=7) == 49
    assert controller.stats["launched"] == 2
    (parent,) = [c for c in await _children(remote, "use-ctl") if c.spec.launch_plan.name == t.gather_squares.name]
    # the body's children are named from the parent's name (its first 20 characters)
    children = await _children(remote, parent.id.name[:20].rstrip("-"))
    assert len(children) == 3 and {c.spec.launch_plan.name for c in children} == {t.square.name}


async def test_any_parent_name_gives_valid_child_names(remote):
    assert await t.gather_squares.run_remote(remote, {"n": 2}, version="v1", execution_name="2026 Nightly_Run") == 1
    children = await _children(remote, "e2026-nightly-run")
    assert len(children) == 2 and all(c.id.name.startswith("e2026-nightly-run-") for c in children)


async def test_run_remote_refuses_what_is_not_eager(remote):
    with pytest.raises(TypeError, match="is not one"):
        await RemoteController(remote).run_eager(t.square, {"x": 1})
    with pytest.raises(ValueError, match="max_in_flight must be at least 1"):
        RemoteController(remote, max_in_flight=0)


async def test_launches_respect_the_qps_limit(remote):
    # qps=4: a burst of one second's worth (the first 5 at once), then one launch every 0.25 s: 8 span >= 0.75 s
    total = await t.gather_squares.run_remote(remote, {"n": 8}, version="v1", execution_name="qps-g", qps=4)
    assert total == sum(i * i for i in range(8))
    created = sorted(c.closure.created_at.ToNanoseconds() for c in await _children(remote, "qps-g"))
    assert len(created) == 8
    assert (created[-1] - created[0]) / 1e9 >= 0.7
