"""@eager (async workflows on the loop, through the Controller), @dynamic, imperative Workflow."""

from __future__ import annotations

import asyncio

import pytest
from concurrency import Meeting

import aioflyte
from aioflyte import Workflow, dynamic, eager, task, workflow

#: gather3's three naps meet here: each returns only once all three are running (a new one per test)
meeting = Meeting(3)


@task
async def nap(x: int) -> int:
    await meeting.ameet()
    return x


@task
def add_one(x: int) -> int:
    return x + 1


@task
def double(x: int) -> int:
    return x * 2


@eager
async def gather3(x: int) -> int:
    a, b, c = await asyncio.gather(nap(x=x), nap(x=x + 1), nap(x=x + 2))
    return a + b + c


async def test_eager_gather_runs_concurrently():
    global meeting
    meeting = Meeting(3)
    assert await gather3(x=1) == 6
    assert meeting.peak == 3  # the three gathered tasks were in flight at once


@eager
async def eager_workflow(x: int) -> int:
    out = await add_one(x=x)
    return await double(x=out)


def test_flytekit_reference_eager_example_with_await_added():
    assert asyncio.run(eager_workflow(x=1)) == 4
    assert aioflyte.run(eager_workflow, x=1) == 4


@workflow
def small_wf(x: int) -> int:
    return double(x=add_one(x=x))


@eager
async def inner_eager(x: int) -> int:
    return await add_one(x=x)


@eager
async def mixed(x: int) -> list[int]:
    # tasks, a workflow and another eager workflow, all concurrently
    return list(await asyncio.gather(add_one(x=x), small_wf(x=x), inner_eager(x=x)))


async def test_eager_awaits_tasks_workflows_and_eager():
    assert await mixed(x=1) == [2, 4, 2]


@workflow
def wf_with_eager_node(x: int) -> int:
    return double(x=inner_eager(x=x))


async def test_eager_as_a_node_in_a_workflow():
    assert await wf_with_eager_node(x=3) == 8


seen: list[str] = []


@task
async def long_child(i: int) -> int:
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        seen.append(f"cancelled {i}")
        raise
    return i


@eager
async def long_eager(n: int) -> int:
    return sum(await asyncio.gather(*[long_child(i=i) for i in range(n)]))


async def test_cancelling_an_eager_run_cancels_its_children():
    seen.clear()
    before = asyncio.all_tasks()
    t = asyncio.ensure_future(long_eager(n=3))
    await asyncio.sleep(0.1)
    t.cancel()
    with pytest.raises(asyncio.CancelledError):
        await t
    assert sorted(seen) == ["cancelled 0", "cancelled 1", "cancelled 2"]
    assert asyncio.all_tasks() == before


def test_eager_must_be_async():
    with pytest.raises(ValueError, match="must be an async def"):

        @eager
        def not_async(x: int) -> int:
            return x


@dynamic
def fan(n: int) -> list[int]:
    return [double(x=add_one(x=i)) for i in range(n)]  # type: ignore[return-value]


async def test_dynamic_builds_a_graph_at_run_time():
    assert await fan(n=4) == [2, 4, 6, 8]
    assert await fan(n=0) == []


@workflow
def wf_with_dynamic(n: int) -> list[int]:
    return fan(n=n)


async def test_dynamic_as_a_workflow_node():
    assert await wf_with_dynamic(n=3) == [2, 4, 6]


@task
def t1(a: str) -> str:
    return a + " world"


@task
def t2() -> None:
    print("side effect")


async def test_imperative_workflow():
    wb = Workflow(name="my.imperative.workflow")
    wb.add_workflow_input("in1", str)
    node = wb.add_entity(t1, a=wb.inputs["in1"])
    wb.add_entity(t2)
    wb.add_workflow_output("from_n0t1", node.outputs["o0"])
    assert wb.ready()
    assert await wb(in1="hello") == "hello world"
    assert [n.id for n in wb.nodes] == ["n0", "n1"]


async def test_imperative_workflow_with_list_output_and_subworkflow():
    wb = Workflow(name="my.imperative.two")
    x = wb.add_workflow_input("x", int)
    n1 = wb.add_subwf(small_wf, x=x)
    n2 = wb.add_task(add_one, x=n1.outputs["o0"])
    wb.add_workflow_output("both", [n1.outputs["o0"], n2.outputs["o0"]], list[int])
    assert await wb(x=1) == [4, 5]
