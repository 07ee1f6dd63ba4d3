"""Tasks and eager workflows the remote eager tests run on the server (importable by its task processes)."""

from __future__ import annotations

import asyncio
import os
import time

from aioflyte import eager, task


@task
def square(x: int) -> int:
    return x * x


@task
def fail_on(x: int, bad: int) -> int:
    if x == bad:
        raise ValueError(f"item {x} is bad")
    return x


@task
def sleepy(x: int, marker_dir: str) -> int:
    """Marks that it started (a file named by its pid), then sleeps long: the tests cancel it."""
    open(os.path.join(marker_dir, f"{os.getpid()}.started"), "w").close()
    time.sleep(120)
    return x


@task
def fail_once_started(marker_dir: str) -> int:
    """Fails once a ``sleepy`` task has marked that it started (so the failure finds its sibling running)."""
    deadline = time.monotonic() + 60  # guards against a hang only
    while not any(name.endswith(".started") for name in os.listdir(marker_dir)):
        if time.monotonic() > deadline:
            raise TimeoutError("no sleepy sibling started")
        time.sleep(0.05)
    raise ValueError("failing beside a running sibling")


@eager
async def gather_squares(n: int) -> int:
    values = await asyncio.gather(*(square(x=i) for i in range(n)))
    return sum(values)


@eager
async def catch_failure(n: int, bad: int) -> str:
    from aioflyte import FlyteRemoteExecutionFailed

    try:
        await asyncio.gather(*(fail_on(x=i, bad=bad) for i in range(n)))
    except FlyteRemoteExecutionFailed as e:
        return f"{e.phase}: {e}"
    return "no failure"


@eager
async def sleepers(n: int, marker_dir: str) -> int:
    values = await asyncio.gather(*(sleepy(x=i, marker_dir=marker_dir) for i in range(n)))
    return sum(values)


@eager
async def fail_uncaught(n: int, bad: int) -> int:
    values = await asyncio.gather(*(fail_on(x=i, bad=bad) for i in range(n)))
    return sum(values)


@eager
async def fail_beside_sleeper(marker_dir: str) -> int:
    a, b = await asyncio.gather(fail_once_started(marker_dir=marker_dir), sleepy(x=1, marker_dir=marker_dir))
    return a + b
