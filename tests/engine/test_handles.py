"""Run handles: start in the background, watch node states, cancel, await the result."""

from __future__ import annotations

import asyncio

import pytest

import aioflyte
from aioflyte import task, workflow


@task
async def quick(x: int) -> int:
    await asyncio.sleep(0.05)
    return x + 1


@task
async def slow(x: int) -> int:
    await asyncio.sleep(30)
    return x


@workflow
def chain(x: int) -> int:
    return quick(x=quick(x=x))


@workflow
def stuck(x: int) -> int:
    return slow(x=quick(x=x))


async def test_handle_exposes_id_node_states_and_result():
    changes = []
    h = aioflyte.start(chain, x=1)
    h.on_change(lambda st: changes.append((st.id, st.status)))
    assert isinstance(h.id, str) and h.id
    assert not h.done()
    assert await h == 3
    assert h.status == "succeeded"
    assert {k: v.status for k, v in h.nodes.items()} == {"n0": "succeeded", "n1": "succeeded"}
    assert all(v.attempts == 1 and v.duration is not None for v in h.nodes.values())
    assert ("n0", "running") in changes and ("n1", "succeeded") in changes


async def test_handle_cancel_stops_the_run():
    before = asyncio.all_tasks()
    h = wf_start = stuck.start(x=1)
    await asyncio.sleep(0.2)
    assert h.nodes["n0"].status == "succeeded" and h.nodes["n1"].status == "running"
    wf_start.cancel()
    with pytest.raises(asyncio.CancelledError):
        await h
    assert h.status == "cancelled"
    assert h.nodes["n1"].status == "cancelled"
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before


async def test_handle_of_a_task():
    h = aioflyte.start(quick, x=41)
    assert await h == 42


@aioflyte.eager
async def fan(n: int) -> int:
    return sum(await asyncio.gather(*[quick(x=i % 2) for i in range(n)]))


async def test_eager_children_get_deterministic_ids():
    h1 = aioflyte.start(fan, n=4)
    assert await h1 == 6
    h2 = aioflyte.start(fan, n=4)
    await h2
    ids = sorted(k for k in h1.nodes if k.startswith("quick-"))
    assert len(ids) == 4 and ids == sorted(k for k in h2.nodes if k.startswith("quick-"))
    # same entity and inputs: distinguished by call order
    assert sum(1 for k in ids if k.endswith("-0")) == 2 and sum(1 for k in ids if k.endswith("-1")) == 2
