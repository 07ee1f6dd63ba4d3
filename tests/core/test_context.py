"""current_context(), FlyteContextManager and isolation of concurrent runs."""

from __future__ import annotations

import asyncio
import os

import aioflyte
from aioflyte import FlyteContextManager, current_context, task


@task
async def my_execution_id(tag: str) -> str:
    await asyncio.sleep(0.01)
    ctx = current_context()
    return ctx.execution_id.name


@task
def sync_execution_id(tag: str) -> str:
    return current_context().execution_id.name


async def test_concurrent_runs_each_see_their_own_context():
    ids = await asyncio.gather(*[my_execution_id(tag=str(i)) for i in range(20)])
    assert len(set(ids)) == 20
    ids2 = await asyncio.gather(*[sync_execution_id(tag=str(i)) for i in range(10)])
    assert len(set(ids2)) == 10


async def test_nested_tasks_share_their_run():
    @task
    async def parent() -> tuple[str, str]:
        mine = current_context().execution_id.name
        child = await my_execution_id(tag="child")
        return mine, child

    mine, child = await parent()
    assert mine == child


async def test_context_fields():
    @task(retries=0)
    def fields() -> dict[str, str]:
        ctx = current_context()
        wd = ctx.working_directory
        assert os.path.isdir(wd)
        ctx.logging.info("hello from the task", extra_field=1)
        ctx.stats.incr("things")
        return {
            "task": ctx.task_id.name,
            "project": ctx.execution_id.project,
            "raw": ctx.raw_output_prefix,
            "date": ctx.execution_date.isoformat(),
            "wd": wd,
        }

    out = await fields()
    assert out["task"].endswith("fields")
    assert out["project"] == "local"
    assert out["raw"].endswith(out["raw"].rsplit("/", 1)[1]) and "raw" in out["raw"]
    assert not os.path.exists(out["wd"])  # scratch space is removed when the run ends


async def test_flyte_context_manager_is_per_task():
    @task
    async def inner() -> str:
        ctx = FlyteContextManager.current_context()
        return ctx.user_space_params.task_id.name

    assert (await inner()).endswith("inner")


def test_context_outside_a_task():
    ctx = aioflyte.current_context()
    assert ctx.execution_id.project == "local"
    assert ctx.task_id is None


def test_new_context_gives_a_fresh_run():
    with aioflyte.new_context() as ctx:
        a = ctx.user_space_params.execution_id.name
    with aioflyte.new_context() as ctx:
        b = ctx.user_space_params.execution_id.name
    assert a != b
