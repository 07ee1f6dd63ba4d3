"""Terminating many executions at once on the server (a real subprocess with two process slots): every one ends
ABORTED, every Terminate call answers, and no task process outlives its execution. Also: each attempt runs in a
working directory of its own under the execution's data, never in the server's working directory."""

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
import terminate_tasks as tasks
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.client import FlyteRemoteError
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

# every test runs tasks on the server subprocess; the tests share its loop
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

P, D = "flytesnacks", "development"
Phase = core_execution_pb2.WorkflowExecution
HERE = Path(__file__).parent
MANY = 150
SLOTS = 2


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("terminate-many")
    cwd = root / "server-cwd"
    cwd.mkdir()
    s = ServerProcess(root / "state", env=task_env(HERE), args=["--max-processes", str(SLOTS)])
    old = os.getcwd()
    os.chdir(cwd)  # the server process inherits it: tasks must not run there
    try:
        await s.start()
    finally:
        os.chdir(old)
    s.cwd = cwd  # type: ignore[attr-defined]
    try:
        yield s
    finally:
        await s.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
        yield r


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return False


def _pids(markers: Path) -> list[int]:
    return [int(p.name) for p in markers.iterdir() if p.name.isdigit()]


async def _until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def test_terminating_many_queued_and_running_executions_aborts_all_and_kills_every_process(
    remote, server, tmp_path
):
    markers = tmp_path / "pids"
    markers.mkdir()
    executions = await asyncio.gather(*(
        remote.execute(tasks.hold, inputs={"markers": str(markers), "seconds": 600.0}, version="v1",
                       execution_name=f"hold-{i}")
        for i in range(MANY)
    ))  # fmt: skip
    # both slots taken: some executions RUNNING (their processes started), the rest QUEUED behind them
    await _until(lambda: len(list(markers.iterdir())) >= SLOTS, 60, "no task process started")
    phases = [(await remote.client.get_execution(e.id)).closure.phase for e in executions]
    assert phases.count(Phase.QUEUED) >= MANY - SLOTS - 1, [Phase.Phase.Name(p) for p in phases]

    try:
        await asyncio.gather(*(remote.terminate(e, cause=f"stop {e.id.name}") for e in executions))

        for e in executions:  # each refreshed by terminate: ABORTED with its own cause, as soon as the call returned
            assert e.closure.phase == Phase.ABORTED, f"{e.id.name}: {Phase.Phase.Name(e.closure.phase)}"
            assert e.closure.abort_metadata.cause == f"stop {e.id.name}"
        assert list(markers.iterdir()), "no task process ever started"
        # every process a task started (the terminated ones and any that slipped in before its terminate) is gone
        await _until(lambda: not [p for p in _pids(markers) if _alive(p)], 15, "task processes outlived terminate")
    finally:  # never leave one behind, even when the test fails
        for pid in _pids(markers):
            with contextlib.suppress(OSError):  # only a task process of this server, still there
                if _alive(pid) and str(server.state_dir) in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                    os.killpg(pid, signal.SIGKILL)
    # and nothing else runs: with the slots free again, a new execution runs to the end
    done = await remote.execute(tasks.hold, inputs={"markers": str(markers), "seconds": 0.0}, version="v1", wait=True)
    assert done.closure.phase == Phase.SUCCEEDED


async def test_terminating_a_finished_execution_is_refused_and_keeps_its_outcome(remote):
    done = await remote.execute(tasks.where, version="v1", wait=True)
    assert done.closure.phase == Phase.SUCCEEDED
    with pytest.raises(FlyteRemoteError) as info:
        await remote.terminate(done, cause="too late")
    assert info.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert "has already finished (SUCCEEDED)" in str(info.value)
    assert (await remote.client.get_execution(done.id)).closure.phase == Phase.SUCCEEDED


async def test_each_attempt_runs_in_its_own_working_directory(remote, server):
    done = await remote.execute(tasks.where, version="v1", wait=True)
    assert done.closure.phase == Phase.SUCCEEDED, done.closure.error.message
    cwd = Path(done.outputs["o0"])
    expected = server.state_dir / "data" / P / D / done.id.name / "attempt-0" / "work"
    assert cwd == expected.resolve()
    assert cwd != server.cwd.resolve()
