"""The task and eager workflow bench_remote.py runs on the local server (importable by its task processes)."""

from __future__ import annotations

import asyncio
import time

from aioflyte import eager, task


@task
def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@eager
async def naps(n: int, seconds: float) -> float:
    return sum(await asyncio.gather(*(nap(seconds=seconds) for _ in range(n))))
