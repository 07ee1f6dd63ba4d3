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


@task
async def helpers_see_their_task() -> list[str]:
    """A direct-path task (no stage applies) whose body asks for its context, also from tasks it starts."""
    first = current_context()
    assert current_context() is first  # one context per call, made on first ask

    async def helper(i: int) -> str:
        await asyncio.sleep(0)
        ctx = current_context()
        return f"{ctx.task_id.name}|{ctx.working_directory}|{ctx is first}"

    return await asyncio.gather(*(helper(i) for i in range(3)))


async def test_a_task_body_and_the_tasks_it_starts_share_one_context():
    seen = await helpers_see_their_task()
    names = {s.split("|")[0] for s in seen}
    assert names == {helpers_see_their_task.name}
    assert len({s.split("|")[1] for s in seen}) == 1  # one working directory for the call
    assert {s.split("|")[2] for s in seen} == {"True"}


async def test_each_call_of_the_same_task_gets_its_own_working_directory():
    a, b = await asyncio.gather(helpers_see_their_task(), helpers_see_their_task())
    assert a[0].split("|")[1] != b[0].split("|")[1]


@task
def sync_sees_its_task() -> str:
    ctx = current_context()
    assert current_context() is ctx and ctx.working_directory == current_context().working_directory
    return ctx.task_id.name


async def test_a_sync_task_sees_its_own_context_in_its_worker_thread():
    assert await sync_sees_its_task() == sync_sees_its_task.name
    names = await asyncio.gather(*(sync_sees_its_task() for _ in range(5)))
    assert set(names) == {sync_sees_its_task.name}


def test_scratch_space_asked_for_outside_any_run_is_removed_at_exit(tmp_path):
    """current_context().working_directory and flyte_tmp_dir outside a run: removed when the process exits."""
    import subprocess
    import sys

    code = (
        "from aioflyte import current_context\n"
        "from aioflyte.core import data_persistence\n"
        "import os\n"
        "wd = current_context().working_directory\n"
        "assert os.path.isdir(wd)\n"
        "open(os.path.join(wd, 'f'), 'w').write('x')\n"
        "print(wd)\n"
        "print(data_persistence.flyte_tmp_dir)\n"
    )
    env = {**__import__("os").environ, "TMPDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    wd, flyte_tmp = out.stdout.split()
    assert wd.startswith(str(tmp_path)) and flyte_tmp.startswith(str(tmp_path))
    assert list(tmp_path.iterdir()) == []
