"""No task process outlives the server: SIGKILL the server while many task processes run (each with a child of its
own), restart it, and none is left alive, none writes outputs, and their executions are FAILED. Also: the restart
sweep kills a recorded process only when its start time is the recorded one (a reused pid is left alone)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orphan_tasks as tasks
import pytest
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import process_gone, task_env, until_gone

from aioflyte.configuration.config import Config
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.executions.processes import kill_recorded, start_time, with_parent_death_signal
from aioflyte.server.testing import ServerProcess

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG: Linux")

HERE = Path(__file__).parent
Phase = core_execution_pb2.WorkflowExecution
MANY = 8
#: how long each task (and its child) would run: long enough to still be running when the server is killed
SECONDS = 8.0


def _pids(markers: Path) -> list[int]:
    return [int(p.name.removesuffix(".pid")) for p in markers.glob("*.pid")]


async def _until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_sigkill_of_the_server_leaves_no_task_process_and_no_outputs(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    state = tmp_path / "state"
    server = ServerProcess(state, env=task_env(HERE), args=["--max-processes", str(MANY)])
    await server.start()
    ids = []
    try:
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), "flytesnacks", "development") as r:
            executions = await asyncio.gather(*(
                r.execute(tasks.family, inputs={"markers": str(markers), "seconds": SECONDS}, version="v1",
                          execution_name=f"family-{i}")
                for i in range(MANY)
            ))  # fmt: skip
            ids = [e.id for e in executions]
            # every task process and its child are running
            await _until(lambda: len(_pids(markers)) >= 2 * MANY, 120, "the task processes did not all start")
        assert server.process is not None
        server.process.kill()  # SIGKILL: the server gets no chance to stop anything
        await server.process.wait()
        server.process = None
        restarted = ServerProcess(state, port=server.port, env=task_env(HERE))
        await restarted.start()  # kills the survivors before it serves
        try:
            pids = _pids(markers)
            assert len(pids) == 2 * MANY
            # SIGKILL is delivered when the kernel next schedules each process: wait for that, not for a run to end
            await until_gone(pids)
            async with FlyteRemote(
                Config.for_endpoint(restarted.endpoint, insecure=True), "flytesnacks", "development"
            ) as r:
                for id in ids:
                    e = await r.client.get_execution(id)
                    assert e.closure.phase == Phase.FAILED, Phase.Phase.Name(e.closure.phase)
            # past the time the tasks would have finished, none has written anything
            await asyncio.sleep(SECONDS + 1)
            assert list(markers.glob("*.late")) == []
            data = state / "data" / "flytesnacks" / "development"
            # (the start node's record holds the execution's inputs as its outputs, as Flyte's does: not a task's)
            written = [p for id in ids for p in (data / id.name).rglob("outputs.pb") if "start-node" not in p.parts]
            assert written == []
        finally:
            await restarted.stop()
    finally:
        await server.stop()
        for pid in _pids(markers):  # never leave one behind, even when the test fails
            if not process_gone(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def test_the_restart_sweep_kills_a_recorded_group_only_when_the_start_time_matches(tmp_path):
    # a process group of our own: a leader and its child, as a task process and what it started
    leader = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
         "'import time; time.sleep(600)']); print('ok', flush=True); time.sleep(600)"],
        start_new_session=True, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert leader.stdout is not None and leader.stdout.readline().strip() == b"ok"
        start = start_time(leader.pid)
        assert start is not None
        # a record with another start time names an unrelated process that reused the pid: nothing is killed
        assert kill_recorded(leader.pid, start + 1) == []
        assert leader.poll() is None
        killed = kill_recorded(leader.pid, start)
        assert leader.pid in killed and len(killed) == 2
        leader.wait(timeout=30)
        child = next(p for p in killed if p != leader.pid)
        deadline = time.monotonic() + 30
        while not process_gone(child):
            assert time.monotonic() < deadline, "the leader's child outlived the sweep"
            time.sleep(0.02)
    finally:
        with contextlib.suppress(OSError):
            os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()


def test_a_task_command_started_through_the_launcher_dies_with_its_parent():
    # the parent: a process that starts a child as the server starts a task command, prints its pid, then waits
    code = (
        "import subprocess, sys, time; from aioflyte.server.executions.processes import with_parent_death_signal; "
        "c = subprocess.Popen(with_parent_death_signal(['sleep', '600'])); "
        "print(c.pid, flush=True); time.sleep(600)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        assert not process_gone(child)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 30
        while not process_gone(child):
            assert time.monotonic() < deadline, "the child outlived its parent"
            time.sleep(0.02)
    finally:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)


def test_the_launcher_runs_the_command_as_given_with_default_signal_handlers():
    out = subprocess.run(
        with_parent_death_signal(["sh", "-c", "grep '^SigIgn' /proc/self/status; echo \"$0 $1\"", "a b", "c"]),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    ignored, args = out.stdout.splitlines()
    assert int(ignored.split()[1], 16) & (1 << (signal.SIGPIPE - 1)) == 0  # SIGPIPE not ignored, as Python has it
    assert args == "a b c"
    missing = subprocess.run(with_parent_death_signal(["no-such-command-x"]), capture_output=True, text=True)
    assert missing.returncode == 127
    assert "cannot run the task command 'no-such-command-x'" in missing.stderr
