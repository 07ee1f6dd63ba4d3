"""Process-pool task bodies that call other tasks (the pool's workers import this module by name)."""

from __future__ import annotations

from aioflyte import task


@task
def add_one(x: int) -> int:
    return x + 1


@task
async def double(x: int) -> int:
    return 2 * x


@task(executor="process")
def calls_in_process(x: int) -> int:
    return double(x=add_one(x=x)) * 10


@task(executor="process", enable_deck=True)
def calls_in_process_with_deck(x: int) -> int:
    return add_one(x=x)
