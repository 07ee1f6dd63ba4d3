"""map_task: bounded lazy fan-out, partials, workflows, failure ratios, per-item retries/cache, cancellation."""

from __future__ import annotations

import asyncio
import functools
import gc
import hashlib
import tracemalloc
import typing

import pytest

from aioflyte import Cache, task, workflow
from aioflyte.core.launch_plan import LaunchPlan
from aioflyte.core.map_task import ArrayNodeMapTask, MapTaskFailure, map_task
from aioflyte.exceptions import FlyteRecoverableException, FlyteValidationException

# ruff: noqa: UP045


@task
def square(x: int) -> int:
    return x * x


@task
async def asquare(x: int) -> int:
    return x * x


@task
def scale(x: int, factor: int) -> int:
    return x * factor


@task
def divmod_task(a: int, b: int) -> typing.Tuple[int, int]:
    return a // b, a % b


@task
def produce(n: int) -> list[int]:
    return list(range(n))


@task
def total(xs: list[int]) -> int:
    return sum(xs)


# --- entity shape ---------------------------------------------------------------------------------


def test_name_and_interface_match_flytekit():
    mt = map_task(square)
    assert isinstance(mt, ArrayNodeMapTask)
    assert mt.node_kind == "array"
    h = hashlib.md5(b"NoneNone1.0").hexdigest()
    assert mt.name == f"{__name__}.map_square_{h}-arraynode"
    assert mt.python_interface.input_types == {"x": list[int]}
    assert mt.python_interface.outputs == {"o0": list[int]}
    assert (mt.concurrency, mt.min_successes, mt.min_success_ratio, mt.bound_inputs) == (None, None, 1.0, set())

    partial_ratio = map_task(square, concurrency=5, min_success_ratio=0.5)
    assert partial_ratio.python_interface.outputs == {"o0": list[typing.Optional[int]]}
    assert partial_ratio.name == f"{__name__}.map_square_{hashlib.md5(b'5None0.5').hexdigest()}-arraynode"
    assert map_task(square, min_successes=2).python_interface.outputs == {"o0": list[typing.Optional[int]]}


def test_kwargs_are_kept_and_bad_arguments_rejected():
    mt = map_task(square, run_all_sub_nodes=True, container_image="img:1")
    assert mt.run_all_sub_nodes is True
    assert mt.settings == {"container_image": "img:1"}
    with pytest.raises(FlyteValidationException, match="min_success_ratio"):
        map_task(square, min_success_ratio=1.5)
    with pytest.raises(FlyteValidationException, match="concurrency"):
        map_task(square, concurrency=-1)
    with pytest.raises(FlyteValidationException, match="@task"):
        map_task(lambda x: x)
    with pytest.raises(FlyteValidationException, match="'nope'"):
        map_task(functools.partial(scale, nope=1))


# --- running --------------------------------------------------------------------------------------


async def test_1000_items_with_concurrency_10_never_exceed_10_in_flight():
    in_flight = 0
    high = 0

    @task
    async def tracked(x: int) -> int:
        nonlocal in_flight, high
        in_flight += 1
        high = max(high, in_flight)
        try:
            await asyncio.sleep(0.001 * (x % 3))
            return x * 2
        finally:
            in_flight -= 1

    result = await map_task(tracked, concurrency=10)(x=list(range(1000)))
    assert result == [x * 2 for x in range(1000)]
    assert high == 10
    assert in_flight == 0


async def test_sync_task_and_empty_input():
    assert await map_task(square)(x=[1, 2, 3]) == [1, 4, 9]
    assert await map_task(square)(x=[]) == []


async def test_partial_with_fixed_input():
    mt = map_task(functools.partial(scale, factor=10))
    assert mt.bound_inputs == {"factor"}
    assert mt.name == f"{__name__}.map_scale_{hashlib.md5(b'factorNoneNone1.0').hexdigest()}-arraynode"
    assert mt.python_interface.input_types == {"x": list[int], "factor": int}
    assert await mt(x=[1, 2, 3]) == [10, 20, 30]
    assert await mt(x=[1], factor=3) == [3]  # a call may still override the fixed value, as in flytekit


async def test_multiple_outputs_give_a_tuple_of_lists():
    mt = map_task(divmod_task)
    assert mt.python_interface.outputs == {"o0": list[int], "o1": list[int]}
    assert await mt(a=[7, 9, 10], b=[2, 4, 5]) == ([3, 2, 2], [1, 1, 0])


async def test_mismatched_list_lengths_error_names_inputs_and_lengths():
    with pytest.raises(FlyteValidationException, match=r"same length.*a: 3, b: 2"):
        await map_task(divmod_task)(a=[1, 2, 3], b=[1, 2])


async def test_map_in_a_workflow_between_upstream_and_downstream_nodes():
    mt = map_task(square, concurrency=4)

    @workflow
    def wf(n: int) -> int:
        xs = produce(n=n)
        return total(xs=mt(x=xs))

    assert [node.entity.node_kind for node in wf.nodes] == ["task", "array", "task"]
    assert await wf(n=10) == sum(x * x for x in range(10))


async def test_map_over_a_launch_plan_with_fixed_inputs():
    @workflow
    def sub(x: int, factor: int) -> int:
        return scale(x=x, factor=factor)

    lp = LaunchPlan.get_or_create(sub, name=f"{__name__}.map_lp", fixed_inputs={"factor": 100})
    mt = map_task(lp, concurrency=2)
    assert mt.name == lp.name  # as flytekit names a launch plan's array node
    assert mt.python_interface.input_types == {"x": list[int]}
    assert await mt(x=[1, 2, 3]) == [100, 200, 300]


async def test_node_overrides_apply_to_every_item():
    attempts: dict[int, int] = {}

    @task
    async def flaky(x: int) -> int:
        attempts[x] = attempts.get(x, 0) + 1
        if attempts[x] == 1:
            raise FlyteRecoverableException("transient")
        return x

    @workflow
    def wf(xs: list[int]) -> list[int]:
        return map_task(flaky)(x=xs).with_overrides(retries=1)

    assert await wf(xs=[1, 2, 3]) == [1, 2, 3]
    assert attempts == {1: 2, 2: 2, 3: 2}


async def test_map_called_from_a_sync_task_body():
    @task
    def outer(xs: list[int]) -> list[int]:
        return map_task(asquare)(x=xs)

    assert await outer(xs=[2, 3]) == [4, 9]


# --- failures -------------------------------------------------------------------------------------


@task
async def fail_every_10th(x: int) -> int:
    if x % 10 == 0:
        raise ValueError(f"bad {x}")
    return x


@task
async def fail_3_in_10(x: int) -> int:
    if x % 10 in (0, 1, 2):
        raise ValueError(f"bad {x}")
    return x


async def test_ratio_08_with_10_percent_failures_returns_none_in_failed_slots():
    mt = map_task(fail_every_10th, concurrency=7, min_success_ratio=0.8)
    result = await mt(x=list(range(100)))
    assert result == [None if x % 10 == 0 else x for x in range(100)]


async def test_ratio_08_with_30_percent_failures_raises():
    mt = map_task(fail_3_in_10, concurrency=7, min_success_ratio=0.8, run_all_sub_nodes=True)
    with pytest.raises(MapTaskFailure, match=r"70 of 100 items succeeded and 30 failed; 80 successes") as ei:
        await mt(x=list(range(100)))
    assert isinstance(ei.value.__cause__, ValueError)
    assert (ei.value.succeeded, ei.value.failed, ei.value.required) == (70, 30, 80)


async def test_ratio_below_one_stops_early_once_success_is_out_of_reach():
    started: list[int] = []

    @task
    async def fails_first(x: int) -> int:
        started.append(x)
        if x < 5:
            raise ValueError(f"bad {x}")
        await asyncio.sleep(0.001)
        return x

    with pytest.raises(MapTaskFailure, match="First failure: item 0: ValueError: bad 0"):
        await map_task(fails_first, concurrency=1, min_successes=96)(x=list(range(100)))
    assert started == [0, 1, 2, 3, 4]


async def test_min_successes_is_exact():
    result = await map_task(fail_every_10th, min_successes=18)(x=list(range(20)))
    assert result == [None if x % 10 == 0 else x for x in range(20)]
    with pytest.raises(MapTaskFailure):
        await map_task(fail_every_10th, min_successes=19)(x=list(range(20)))


async def test_retries_apply_per_item():
    attempts: dict[int, int] = {}

    @task(retries=1)
    async def flaky(x: int) -> int:
        attempts[x] = attempts.get(x, 0) + 1
        if x % 2 == 0 and attempts[x] == 1:
            raise FlyteRecoverableException(f"transient {x}")
        return x + 100

    assert await map_task(flaky, concurrency=3)(x=list(range(6))) == [100, 101, 102, 103, 104, 105]
    assert attempts == {0: 2, 1: 1, 2: 2, 3: 1, 4: 2, 5: 1}


async def test_cache_applies_per_item():
    calls: list[int] = []

    @task(cache=Cache(version="1"))
    async def cached(x: int) -> int:
        calls.append(x)
        return -x

    mt = map_task(cached, concurrency=2)
    assert await mt(x=[1, 2, 3]) == [-1, -2, -3]
    assert sorted(calls) == [1, 2, 3]
    assert await mt(x=[2, 3, 4]) == [-2, -3, -4]
    assert sorted(calls) == [1, 2, 3, 4]


async def test_failure_with_ratio_1_cancels_in_flight_siblings_and_leaves_no_tasks():
    before = asyncio.all_tasks()
    cancelled: list[int] = []
    started = asyncio.Event()

    @task
    async def item(x: int) -> int:
        if x == 3:
            await started.wait()
            raise RuntimeError("item 3 broke")
        try:
            if x == 2:
                started.set()
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(x)
            raise
        return x

    mt = map_task(item, concurrency=4)
    with pytest.raises(RuntimeError, match="item 3 broke") as ei:
        await mt(x=list(range(10)))
    assert any("item 3 (of 10)" in note and mt.name in note for note in ei.value.__notes__)
    assert sorted(cancelled) == [0, 1, 2]
    assert asyncio.all_tasks() == before


async def test_cancelling_the_map_cancels_every_item():
    before = asyncio.all_tasks()
    running: list[int] = []
    cancelled: list[int] = []
    five_running = asyncio.Event()

    @task
    async def slow(x: int) -> int:
        running.append(x)
        if len(running) == 5:
            five_running.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(x)
            raise
        return x

    run = asyncio.ensure_future(map_task(slow, concurrency=5)(x=list(range(50))))
    await asyncio.wait_for(five_running.wait(), 30)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert sorted(cancelled) == [0, 1, 2, 3, 4]
    assert running == [0, 1, 2, 3, 4]
    assert asyncio.all_tasks() == before


# --- memory ---------------------------------------------------------------------------------------


@task
async def ident(x: int) -> int:
    return x


@pytest.mark.slow
async def test_100k_items_memory_grows_with_concurrency_not_items():
    xs = list(range(100_000))
    mt = map_task(ident, concurrency=100)
    await mt(x=xs[:10])  # warm up plans and converters outside the measurement
    gc.collect()
    tracemalloc.start()
    try:
        result = await mt(x=xs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result == xs
    # gather() of 100,000 item coroutines (even behind a semaphore of 100) peaks at ~90 MiB here; the lazy
    # workers need about 1 MiB, most of it the result list.
    assert peak < 20 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
