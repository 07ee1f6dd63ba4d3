"""@task: calling conventions, async and sync bodies, outputs, and aioflyte.run."""

from __future__ import annotations

import asyncio
import threading
import time
import typing

import pytest
from concurrency import Meeting

import aioflyte
from aioflyte import task


@task
async def inc(x: int) -> int:
    return x + 1


@task
def square(x: int) -> int:
    return x * x


@task
def greet(name: str, greeting: str = "hello", punct: str | None = None) -> str:
    return f"{greeting} {name}{punct or ''}"


class Stats(typing.NamedTuple):
    total: int
    mean: float


@task
def stats(xs: list[int]) -> Stats:
    return Stats(sum(xs), sum(xs) / len(xs))


@task
def pair(x: int) -> tuple[int, str]:
    return x, str(x)


@task
def nothing(x: int) -> None:
    return None


async def test_async_and_sync_tasks_return_values():
    assert await inc(x=1) == 2
    assert await square(x=4) == 16
    assert await square(5) == 25  # positional, as in flytekit


async def test_defaults_and_optional():
    assert await greet(name="ada") == "hello ada"
    assert await greet("ada", "hi", "!") == "hi ada!"
    assert await greet(name="ada", punct=None) == "hello ada"


async def test_named_tuple_tuple_and_none_outputs():
    r = await stats(xs=[1, 2, 3])
    assert isinstance(r, Stats) and r.total == 6 and r.mean == 2.0
    assert await pair(x=3) == (3, "3")
    assert await nothing(x=1) is None
    assert list(stats.python_interface.outputs) == ["total", "mean"]
    assert list(pair.python_interface.outputs) == ["o0", "o1"]
    assert list(square.python_interface.outputs) == ["o0"]


async def test_bad_arguments_are_clear_errors():
    with pytest.raises(TypeError, match=r"missing required input\(s\): 'x'"):
        await inc()
    with pytest.raises(TypeError, match=r"unexpected input\(s\) 'y'"):
        await inc(x=1, y=2)
    with pytest.raises(TypeError, match="multiple values for input 'x'"):
        await inc(1, x=2)


async def test_wrong_input_type_names_task_input_expected_and_actual():
    with pytest.raises(aioflyte.FlyteTypeException) as ei:
        await inc(x="abc")
    msg = str(ei.value)
    assert "test_task_calls.inc" in msg and "input 'x'" in msg and "expected int" in msg and "got str" in msg
    assert ei.value.parameter == "x" and ei.value.expected is int and ei.value.actual is str


async def test_wrong_output_type_names_the_output():
    @task
    def bad(x: int) -> int:
        return "nope"  # type: ignore[return-value]

    with pytest.raises(aioflyte.FlyteTypeException, match=r"output 'o0' expected int, got str"):
        await bad(x=1)


async def test_wrong_number_of_outputs():
    @task
    def bad() -> tuple[int, int]:
        return (1,)  # type: ignore[return-value]

    with pytest.raises(Exception, match=r"declares 2 outputs \(o0, o1\) but returned 1 values"):
        await bad()


async def test_values_behave_as_after_a_literal_round_trip():
    @task
    def mutate(xs: list[int]) -> list[int]:
        xs.append(99)
        return xs

    data = [1, 2]
    out = await mutate(xs=data)
    assert out == [1, 2, 99] and data == [1, 2]  # the caller's list is not the task's

    @task
    def widen(x: float) -> float:
        return x

    assert await widen(x=2) == 2.0 and isinstance(await widen(x=2), float)


def test_aioflyte_run_is_the_sync_entry_point():
    assert aioflyte.run(inc, x=41) == 42
    assert aioflyte.run(square, 3) == 9


async def test_aioflyte_run_inside_a_loop_is_a_clear_error():
    with pytest.raises(RuntimeError, match="inside a running event loop"):
        aioflyte.run(inc, x=1)


async def test_sync_tasks_run_in_threads_not_on_the_loop():
    meeting = Meeting(50)  # every body waits until all 50 are running at once
    threads: set[int] = set()

    @task
    def nap(i: int) -> int:
        threads.add(threading.get_ident())
        meeting.meet()
        return i

    out = await asyncio.gather(*[nap(i=i) for i in range(50)])
    assert out == list(range(50))
    assert meeting.peak == 50  # all 50 were in flight at once: concurrent
    assert len(threads) == 50 and threading.get_ident() not in threads  # each in a worker thread, none on the loop


async def test_loop_stays_responsive_while_sync_task_runs():
    @task
    def block(s: float) -> float:
        time.sleep(s)
        return s

    ticks = 0

    async def ticker():
        nonlocal ticks
        for _ in range(10):
            await asyncio.sleep(0.02)
            ticks += 1

    await asyncio.gather(block(s=0.3), ticker())
    assert ticks == 10


async def test_task_called_inside_sync_task_returns_its_value():
    @task
    def outer(x: int) -> int:
        assert threading.current_thread() is not threading.main_thread()
        return square(x=x) + 1  # no await: flytekit's semantics inside a sync body

    assert await outer(x=3) == 10


async def test_async_task_calling_tasks():
    @task
    async def fan(n: int) -> list[int]:
        return list(await asyncio.gather(*[square(x=i) for i in range(n)]))

    assert await fan(n=5) == [0, 1, 4, 9, 16]


def _cpu(n: int) -> int:
    return sum(i * i for i in range(n))


cpu_task = task(executor="process")(_cpu)  # the module keeps the plain function under its own name


@task(executor="process")
def proc_pid() -> int:
    import os

    return os.getpid()


async def test_process_executor_for_cpu_bound_tasks():
    import os

    assert await cpu_task(n=10) == 285
    assert await proc_pid() != os.getpid()
    assert await asyncio.gather(*[cpu_task(n=i) for i in range(4)]) == [0, 0, 1, 5]


async def test_process_executor_needs_a_module_level_task():
    @task(executor="process")
    def nested(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="module level"):
        await nested(x=1)


def test_process_executor_rejects_async():
    with pytest.raises(ValueError, match="executor='process' is for CPU-bound sync functions"):

        @task(executor="process")
        async def a(x: int) -> int:
            return x


def test_task_keeps_its_function_and_metadata():
    assert inc.name == "test_task_calls.inc"
    assert inc.is_async and not square.is_async
    assert square.task_function(3) == 9
    assert square.__doc__ is None and square.__name__ == "square"


def test_aioflyte_run_uses_uvloop_when_installed():
    pytest.importorskip("uvloop")

    @task
    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert aioflyte.run(loop_module).startswith("uvloop")
