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
