"""Helpers of the tests that run the server as a subprocess (``aioflyte.server.testing.ServerProcess``)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SUPPORT = Path(__file__).resolve().parent


def task_env(*dirs: str | Path) -> dict[str, str]:
    """The environment of a server whose task processes import test modules by name: ``dirs`` (usually the
    test's own folder), then ``tests/support`` (shared task modules such as ``executions_tasks``), then the
    inherited ``PYTHONPATH`` (which points at the checkout under test)."""
    paths = [str(d) for d in (*dirs, SUPPORT)]
    inherited = os.environ.get("PYTHONPATH", "")
    return {"PYTHONPATH": os.pathsep.join([*paths, inherited] if inherited else paths)}


async def fresh_project(client: Any) -> str:
    """Register a project of its own for one test on a server shared by a module (``client``: an AdminClient).

    Entity lists, execution lists and names are per project, so tests sharing a server do not see each other's.
    """
    project = f"t{uuid.uuid4().hex[:16]}"
    assert await client.register_project(project) is True
    return project


def process_gone(pid: int) -> bool:
    """The process no longer exists, or is a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return True


async def until_gone(pids: Iterable[int], timeout: float = 10.0) -> None:
    """Wait until every process in ``pids`` is gone. The server awaits a task's own process, but the processes
    that process started are only sent SIGKILL with its group: each exits when the kernel next schedules it,
    which on a loaded machine is not always before the call that killed them returns. ``timeout`` only guards
    against a process that was never killed."""
    pids = list(pids)
    deadline = time.monotonic() + timeout
    while alive := [p for p in pids if not process_gone(p)]:
        assert time.monotonic() < deadline, f"processes {alive} outlived their execution"
        await asyncio.sleep(0.02)
