"""@workflow: compile once, run the graph concurrently, failure policies, subworkflows, compile errors."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import typing

import pytest
from concurrency import Meeting

import aioflyte
from aioflyte import Options, WorkflowFailurePolicy, current_context, task, workflow
from aioflyte.exceptions import FlyteError

# ruff: noqa: UP045


#: three_slow's three slow_sync nodes meet here: each returns only once all three are running (a new one per test)
meeting = Meeting(3)


@task
def slow_sync(x: int) -> int:
    meeting.meet()
    return x


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def double(n: float) -> float:
    return n * 2


@workflow
def three_slow(x: int) -> int:
    a = slow_sync(x=x)
    b = slow_sync(x=2)
    c = slow_sync(x=3)
    return add(a=add(a=a, b=b), b=c)


async def test_independent_nodes_run_concurrently():
    global meeting
    meeting = Meeting(3)
    assert await three_slow(x=1) == 6
    assert meeting.peak == 3  # the three independent nodes were in flight at once


def test_sync_entry_point_runs_workflows():
    global meeting
    meeting = Meeting(3)
    assert aioflyte.run(three_slow, x=1) == 6
    assert meeting.peak == 3


@task
def inc(x: int) -> int:
    return x + 1


def _diamond(width: int) -> typing.Callable[..., int]:
    @task
    def total(xs: list[int]) -> int:
        return sum(xs)

    @workflow
    def diamond(x: int) -> int:
        top = inc(x=x)
        middle = [inc(x=top) for _ in range(width)]
        return total(xs=middle)

    return diamond


async def test_200_node_diamond():
    wf = _diamond(198)
    assert len(wf.nodes) == 200
    assert await wf(x=1) == 198 * 3


running = 0
high_water = 0


@task
async def tracked(i: int) -> int:
    global running, high_water
    running += 1
    high_water = max(high_water, running)
    await asyncio.sleep(0.02)
    running -= 1
    return i


@workflow(default_options=Options(max_parallelism=4))
def wide(n: int) -> list[int]:
    return [tracked(i=i) for i in range(20)]  # type: ignore[return-value]


async def test_max_parallelism_bounds_running_nodes():
    global high_water
    high_water = 0
    assert await wide(n=0) == list(range(20))
    assert high_water == 4  # bounded, and actually reached


events: list[str] = []


@task
async def sleeper(x: int) -> int:
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        events.append("sibling cancelled")
        raise
    return x


@task
async def boom(x: int) -> int:
    await asyncio.sleep(0.05)
    raise ValueError("boom")


@workflow
def fails_fast(x: int) -> tuple[int, int]:
    return sleeper(x=x), boom(x=x)


async def test_fail_immediately_cancels_siblings_and_leaves_nothing_behind():
    events.clear()
    before_threads = threading.active_count()
    before_tasks = asyncio.all_tasks()
    start = time.perf_counter()
    with pytest.raises(ValueError, match="boom") as ei:
        await fails_fast(x=1)
    assert time.perf_counter() - start < 5
    assert events == ["sibling cancelled"]
    assert any("node n1" in n and "boom" in n for n in ei.value.__notes__)
    assert asyncio.all_tasks() == before_tasks
    assert threading.active_count() <= before_threads + 1


order: list[str] = []


@task
async def step(name: str, delay: float) -> str:
    await asyncio.sleep(delay)
    order.append(name)
    return name


@task
async def fail_early(x: int) -> int:
    raise RuntimeError("early failure")


@task
async def after(x: int) -> int:
    order.append("downstream-of-failure")
    return x


@workflow(failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
def completes_others(x: int) -> str:
    s = step(name="independent", delay=0.2)
    after(x=fail_early(x=x))
    return s


async def test_fail_after_executable_nodes_complete():
    order.clear()
    with pytest.raises(RuntimeError, match="early failure"):
        await completes_others(x=1)
    assert order == ["independent"]  # it finished; the failed node's downstream never ran


handled: list[typing.Any] = []


@task
def cleanup(x: int, err: typing.Optional[FlyteError] = None) -> None:
    handled.append((x, err))


@workflow(on_failure=cleanup)
def with_handler(x: int) -> int:
    return boom(x=x)


async def test_on_failure_handler_gets_inputs_and_error():
    handled.clear()
    with pytest.raises(ValueError, match="boom"):
        await with_handler(x=7)
    assert len(handled) == 1
    x, err = handled[0]
    assert x == 7 and "boom" in err.message and err.failed_node_id == "n0"


@workflow
def sub(a: int) -> int:
    return inc(x=inc(x=a))


@workflow
def parent(a: int) -> tuple[int, int]:
    s = sub(a=a)
    return s, sub(a=s)


async def test_subworkflows_run_as_nested_graphs():
    assert await parent(a=1) == (3, 5)


@dataclasses.dataclass
class Pair:
    left: int
    right: list[int]


@task
def make_pair(x: int) -> Pair:
    return Pair(left=x, right=[x, x + 1])


@task
def make_map(x: int) -> dict[str, int]:
    return {"k": x * 10}


@workflow
def accessors(x: int) -> tuple[int, int, int]:
    p = make_pair(x=x)
    m = make_map(x=x)
    return inc(x=p.left), inc(x=p.right[1]), inc(x=m["k"])


async def test_attribute_and_index_access_on_promises():
    assert await accessors(x=2) == (3, 4, 21)


class Stats(typing.NamedTuple):
    total: int
    count: int


@task
def stats(xs: list[int]) -> Stats:
    return Stats(sum(xs), len(xs))


@workflow
def named(xs: list[int]) -> Stats:
    s = stats(xs=xs)
    return Stats(total=inc(x=s.total), count=s.count)


async def test_named_tuple_outputs_keep_their_shape():
    out = await named(xs=[1, 2, 3])
    assert isinstance(out, Stats) and out == Stats(7, 3)


@task
async def record(tag: str) -> None:
    order.append(tag)


@workflow
def ordered() -> None:
    a = record(tag="first")
    b = record(tag="second")
    c = record(tag="third")
    a >> b >> c


async def test_rshift_orders_nodes_without_data():
    order.clear()
    await ordered()
    assert order == ["first", "second", "third"]


async def test_create_node_and_node_outputs():
    @workflow
    def with_nodes(x: int) -> int:
        n1 = aioflyte.create_node(inc, x=x)
        n2 = aioflyte.create_node(inc, x=n1.o0)
        n1 >> n2
        return n2.outputs["o0"]

    assert await with_nodes(x=1) == 3


async def test_with_overrides_applies_to_the_node():
    attempts = []

    @task
    def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) < 3:
            raise aioflyte.FlyteRecoverableException("again")
        return x

    @workflow
    def wf(x: int) -> int:
        return flaky(x=x).with_overrides(retries=2, name="flaky-node", timeout=30)

    assert await wf(x=5) == 5 and len(attempts) == 3
    assert wf.nodes[0].name == "flaky-node"
    assert flaky.metadata.retries == 0  # the task itself is unchanged


async def test_two_workflows_awaited_concurrently_keep_their_contexts():
    @task
    async def who(tag: str) -> str:
        await asyncio.sleep(0.01)
        return current_context().execution_id.name

    @workflow
    def wf(tag: str) -> tuple[str, str]:
        return who(tag=tag), who(tag=tag)

    (a1, a2), (b1, b2) = await asyncio.gather(wf(tag="a"), wf(tag="b"))
    assert a1 == a2 and b1 == b2 and a1 != b1


def test_node_ids_are_stable_across_compiles():
    ids1 = [n.id for n in _diamond(5).nodes]
    ids2 = [n.id for n in _diamond(5).nodes]
    assert ids1 == ids2 == [f"n{i}" for i in range(7)]


async def test_wrong_workflow_input_type():
    with pytest.raises(aioflyte.FlyteTypeException, match=r"workflow .*three_slow: input 'x' expected int, got str"):
        await three_slow(x="one")


@pytest.mark.filterwarnings("ignore::aioflyte.types.pickle.PickleFallbackWarning")
async def test_pickle_untyped_workflow_inputs():
    @task(pickle_untyped=True)
    def keep(v):  # untyped on purpose
        return v

    @workflow(pickle_untyped=True)
    def wf(v):  # untyped on purpose
        return keep(v=v)

    class Thing:
        pass

    t = Thing()
    out = await wf(v=t)
    assert isinstance(out, Thing) and out is not t
