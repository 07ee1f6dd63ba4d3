"""Structured concurrency of eager runs: when an @eager body ends (raising, cancelled or returning), the calls it
started in Tasks of their own and did not await are cancelled, and have finished, before its error or result
reaches the caller. No test measures time: bodies wait for each other (events, counters)."""

from __future__ import annotations

import asyncio
import collections.abc
import concurrent.futures
import contextlib
import gc
import logging
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from aioflyte import LaunchPlan, eager, map_task, task, workflow

state = SimpleNamespace()


@pytest.fixture(autouse=True)
async def fresh_state():
    state.loop = asyncio.get_running_loop()
    state.changed = asyncio.Event()  # set whenever a body reports progress (what `until` waits for)
    state.log = []  # what the bodies did, in order
    state.blocked = 0  # how many bodies wait to be cancelled
    state.tasks = []  # their Tasks: held, so that a stray one is not collected while it waits
    state.recorded = []  # the values `record` saw
    state.release = threading.Event()  # lets `blocking_sync` go on
    state.thread_started = threading.Event()
    state.thread_done = threading.Event()
    state.thread_outcome = None
    state.handles = []
    before = asyncio.all_tasks()
    yield
    state.release.set()  # never leave a worker thread blocked, whatever the test did
    # after a failed test, stop the Tasks it left behind, so that the failure is reported rather than their
    # finalizers' noise (a passing test leaves none: each asserts it)
    strays = asyncio.all_tasks() - before - {asyncio.current_task()}
    for t in strays:
        t.cancel()
    await asyncio.gather(*strays, return_exceptions=True)


def progress() -> None:
    """Report progress to `until` (from the loop's thread)."""
    state.changed.set()


def now_blocked() -> None:
    """A body is about to wait to be cancelled."""
    state.blocked += 1
    state.tasks.append(asyncio.current_task())
    progress()


async def until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds, re-checking it on every progress report (the timeout only guards against
    a hang)."""
    while not condition():
        state.changed.clear()
        await asyncio.wait_for(state.changed.wait(), 30)


def no_tasks_left(before: set[asyncio.Task[Any]]) -> bool:
    return asyncio.all_tasks() == before


@task
async def blocked(i: int) -> int:
    """Waits until cancelled; its clean-up takes loop turns (so a caller that did not wait for it would miss it)."""
    now_blocked()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        state.log.append(f"blocked {i} cancelled")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        state.log.append(f"blocked {i} cleaned up")
        raise
    return i


@task(retries=2)
async def blocked_with_retries(i: int) -> int:
    return await blocked.task_function(i)


@task
async def fail_when_blocked(n: int) -> int:
    """Raises once ``n`` blocked bodies wait (so the failure finds them running)."""
    await until(lambda: state.blocked >= n)
    raise ValueError(f"boom after {n} blocked")


@task
async def quick(x: int) -> int:
    return x + 1


@task
async def record(x: int) -> int:
    state.recorded.append(x)
    return x


@eager
async def gather_fail(n: int) -> int:
    values = await asyncio.gather(fail_when_blocked(n=n), *[blocked(i=i) for i in range(n)])
    return sum(values)


def cancelled_and_cleaned(*ids: int) -> list[str]:
    return sorted([f"blocked {i} cancelled" for i in ids] + [f"blocked {i} cleaned up" for i in ids])


async def test_a_failure_cancels_the_running_siblings_before_the_error_reaches_the_caller():
    before = asyncio.all_tasks()
    with pytest.raises(ValueError, match="boom after 2 blocked") as info:
        await gather_fail(n=2)
    assert type(info.value) is ValueError  # the body's own error, not a CancelledError
    # read at once, before this test awaits anything: the siblings were cancelled and had cleaned up
    assert sorted(state.log) == cancelled_and_cleaned(0, 1)
    assert no_tasks_left(before)


# --- every kind of call in a Task of its own ---------------------------------------------------------------------


@workflow
def wf_blocked(i: int) -> int:
    return blocked(i=i)


lp_blocked = LaunchPlan.get_or_create(wf_blocked, "lp_blocked_structured")


@eager
async def inner_gathering(i: int) -> int:
    return sum(await asyncio.gather(blocked(i=i), blocked(i=i + 1)))


async def helper_waits_until_cancelled() -> None:
    """What the helper coroutines below do after their calls: wait on something that is not a call."""
    now_blocked()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        state.log.append("helper cancelled")
        raise


async def helper_calls_then_waits(x: int, calls: int = 1) -> int:
    """A coroutine of the user's (no entity) that calls a task (``calls`` times), then waits."""
    y = x
    for _ in range(calls):
        y = await quick(x=y)
    await helper_waits_until_cancelled()
    return y


@task
async def fails_at_once(x: int) -> int:
    raise ValueError(f"no {x}")


async def helper_catches_then_waits(x: int) -> int:
    """A coroutine of the user's whose call fails without waiting; it catches the error and goes on to wait."""
    with contextlib.suppress(ValueError):
        await fails_at_once(x=x)
    await helper_waits_until_cancelled()
    return x


CALLS: dict[str, tuple[Callable[[], Any], int, list[str]]] = {
    # kind: (the call, how many bodies block in it, what the log must show)
    "task": (lambda: blocked(i=0), 1, cancelled_and_cleaned(0)),
    "task with retries": (lambda: blocked_with_retries(i=0), 1, cancelled_and_cleaned(0)),  # and not retried
    "workflow": (lambda: wf_blocked(i=0), 1, cancelled_and_cleaned(0)),
    "launch plan": (lambda: lp_blocked(i=0), 1, cancelled_and_cleaned(0)),
    "map task": (lambda: map_task(blocked)(i=[0, 1]), 2, cancelled_and_cleaned(0, 1)),
    "nested eager": (lambda: inner_gathering(i=0), 2, cancelled_and_cleaned(0, 1)),
    "helper coroutine": (lambda: helper_calls_then_waits(1), 1, ["helper cancelled"]),
    # more calls than the scope keeps before it drops finished Tasks and repeats: the helper's Task stays
    "helper coroutine after 3000 calls": (lambda: helper_calls_then_waits(1, 3000), 1, ["helper cancelled"]),
    "helper coroutine whose call failed at once": (lambda: helper_catches_then_waits(1), 1, ["helper cancelled"]),
}


@eager
async def gather_with(kind: str) -> int:
    call, n, _ = CALLS[kind]
    values = await asyncio.gather(fail_when_blocked(n=n), call())
    return sum(values)


@pytest.mark.parametrize("kind", list(CALLS))
async def test_every_kind_of_call_in_a_gather_is_cancelled_when_a_sibling_fails(kind: str):
    before = asyncio.all_tasks()
    with pytest.raises(ValueError, match="boom"):
        await gather_with(kind=kind)
    assert sorted(state.log) == CALLS[kind][2]
    assert no_tasks_left(before)


@task
async def blocked_then_records(i: int) -> int:
    """Waits until cancelled; its clean-up calls a task."""
    now_blocked()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        await record(x=i)
        raise
    return i


@eager
async def gather_fail_beside_recorder(i: int) -> int:
    return sum(await asyncio.gather(fail_when_blocked(n=1), blocked_then_records(i=i)))


async def test_a_cancelled_call_may_still_call_tasks_in_its_clean_up():
    before = asyncio.all_tasks()
    with pytest.raises(ValueError, match="boom"):
        await gather_fail_beside_recorder(i=9)
    assert state.recorded == [9]
    assert no_tasks_left(before)


# --- create_task, start ------------------------------------------------------------------------------------------


@eager
async def fire_then_fail(child: str) -> int:
    if child == "waiting for its input call":  # a call whose input is a call not awaited yet
        asyncio.create_task(quick(x=blocked(i=0)))  # noqa: RUF006 - fire and forget, on purpose
    else:
        asyncio.create_task(blocked(i=0))  # noqa: RUF006 - fire and forget, on purpose
    if child != "not started yet":
        await until(lambda: state.blocked == 1)
    raise ValueError("boom")


@pytest.mark.parametrize("child", ["running", "not started yet", "waiting for its input call"])
async def test_a_fire_and_forget_child_is_cancelled_when_the_eager_fails(child: str):
    before = asyncio.all_tasks()
    with pytest.raises(ValueError, match="boom"):
        await fire_then_fail(child=child)
    # a child created in the body's last step still starts (and so joins) before it is cancelled
    assert sorted(state.log) == cancelled_and_cleaned(0)
    assert no_tasks_left(before)


@eager
async def start_then_fail(x: int) -> int:
    state.handles.append(blocked.start(i=x))
    await until(lambda: state.blocked == 1)
    raise ValueError("boom")


async def test_a_background_run_started_in_the_body_is_a_child_too():
    before = asyncio.all_tasks()
    with pytest.raises(ValueError, match="boom"):
        await start_then_fail(x=3)
    assert state.handles[0].status == "cancelled"
    assert sorted(state.log) == cancelled_and_cleaned(3)
    assert no_tasks_left(before)


# --- the caller cancels ------------------------------------------------------------------------------------------


@eager
async def fire_and_gather(n: int) -> int:
    asyncio.create_task(blocked(i=0))  # noqa: RUF006 - fire and forget, on purpose
    return sum(await asyncio.gather(*[blocked(i=i) for i in range(1, n)]))


async def test_cancelling_the_eager_run_cancels_gathered_and_fire_and_forget_children():
    before = asyncio.all_tasks()
    run = asyncio.create_task(fire_and_gather(n=3))
    await until(lambda: state.blocked == 3)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert sorted(state.log) == cancelled_and_cleaned(0, 1, 2)
    assert no_tasks_left(before)


# --- nested eager runs: each scope stops its own children --------------------------------------------------------


@eager
async def inner_fires_and_gathers(i: int) -> int:
    asyncio.create_task(blocked(i=i))  # noqa: RUF006 - fire and forget, on purpose
    return await blocked(i=i + 1)


@eager
async def outer_gathers_inner(i: int) -> int:
    values = await asyncio.gather(fail_when_blocked(n=2), inner_fires_and_gathers(i=i))
    return sum(values)


async def test_a_failing_outer_eager_cancels_the_inner_which_cancels_its_own_children():
    before = asyncio.all_tasks()
    with pytest.raises(ValueError, match="boom"):
        await outer_gathers_inner(i=5)
    # blocked 5 is the inner's fire-and-forget child: only the inner's scope knows it
    assert sorted(state.log) == cancelled_and_cleaned(5, 6)
    assert no_tasks_left(before)


@eager
async def inner_fires_and_returns(i: int) -> int:
    asyncio.create_task(blocked(i=i))  # noqa: RUF006 - fire and forget, on purpose
    await until(lambda: state.blocked == 1)
    return i


@eager
async def outer_goes_on(i: int) -> list[str]:
    await inner_fires_and_returns(i=i)
    seen = sorted(state.log)  # the inner's child ended when the inner returned, not when this one does
    await quick(x=i)
    return seen


async def test_an_inner_eager_stops_its_own_children_when_it_returns(caplog):
    assert await outer_goes_on(i=7) == cancelled_and_cleaned(7)
    assert "eager test_eager_structured.inner_fires_and_returns returned while 1 call(s)" in caplog.text


# --- returning --------------------------------------------------------------------------------------------------


@eager
async def fire_and_return(x: int) -> int:
    asyncio.create_task(blocked(i=x))  # noqa: RUF006 - fire and forget, on purpose
    await until(lambda: state.blocked == 1)
    return x + 1


async def test_returning_cancels_the_calls_still_running_and_warns(caplog):
    before = asyncio.all_tasks()
    with caplog.at_level(logging.WARNING, logger="aioflyte.engine"):
        assert await fire_and_return(x=1) == 2
    assert sorted(state.log) == cancelled_and_cleaned(1)
    assert no_tasks_left(before)
    assert "returned while 1 call(s) it started were still running: cancelling them" in caplog.text


@eager
async def catch_and_return(n: int) -> str:
    try:
        await asyncio.gather(fail_when_blocked(n=n), *[blocked(i=i) for i in range(n)])
    except ValueError as e:
        return f"caught {e}"  # the gathered siblings still run: gather does not cancel them
    return "no failure"


async def test_a_body_that_catches_a_gather_failure_and_returns_stops_the_siblings():
    before = asyncio.all_tasks()
    assert await catch_and_return(n=2) == "caught boom after 2 blocked"
    assert sorted(state.log) == cancelled_and_cleaned(0, 1)
    assert no_tasks_left(before)


@eager
async def all_awaited(x: int) -> int:
    a = await quick(x=x)
    b, c = await asyncio.gather(quick(x=a), record(x=a))
    child = asyncio.create_task(quick(x=b))
    d = await child
    return a + b + c + d


async def test_calls_the_body_awaits_are_unaffected(caplog):
    with caplog.at_level(logging.WARNING, logger="aioflyte.engine"):
        assert await all_awaited(x=1) == 2 + 3 + 2 + 4
    assert state.recorded == [2]
    assert state.log == []
    assert "still running" not in caplog.text


# --- a sync body in a worker thread -------------------------------------------------------------------------------


@task
def blocking_sync(x: int) -> int:
    """A sync body (a worker thread): waits to be released, then calls a task."""
    state.thread_started.set()
    state.loop.call_soon_threadsafe(progress)
    try:
        state.release.wait(30)
        try:
            record(x=x)
        except BaseException as e:  # the test reads what the call raised
            state.thread_outcome = type(e)
        else:
            state.thread_outcome = "ran"
        return x
    finally:
        state.thread_done.set()


@task
async def fail_when_thread_started(x: int) -> int:
    await until(state.thread_started.is_set)
    raise ValueError("boom beside a thread")


@eager
async def gather_beside_thread(x: int) -> int:
    return sum(await asyncio.gather(fail_when_thread_started(x=x), blocking_sync(x=x)))


async def test_a_sync_sibling_is_abandoned_and_its_later_calls_are_refused():
    before = asyncio.all_tasks()
    with pytest.raises(ValueError, match="boom beside a thread"):
        await gather_beside_thread(x=4)
    # a running thread cannot be stopped: the error did not wait for it (it still waits to be released) ...
    assert not state.thread_done.is_set()
    # ... but the call's Task was cancelled and has ended
    assert no_tasks_left(before)
    state.release.set()
    assert await asyncio.to_thread(state.thread_done.wait, 30)
    # the thread went on; the call it made after the eager run had ended was refused, and never ran
    assert state.thread_outcome is concurrent.futures.CancelledError
    assert state.recorded == []
    assert no_tasks_left(before)


# --- the error that reaches the caller ------------------------------------------------------------------------------


@task
async def fails_when_cancelled(i: int) -> int:
    now_blocked()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        state.log.append(f"stubborn {i} cancelled")
        raise RuntimeError("clean-up failed") from None
    return i


@eager
async def fail_beside_stubborn(n: int) -> int:
    asyncio.create_task(fails_when_cancelled(i=1))  # noqa: RUF006 - fire and forget, on purpose
    return sum(await asyncio.gather(fail_when_blocked(n=n), fails_when_cancelled(i=0)))


async def test_the_original_error_reaches_the_caller_whatever_the_cancelled_children_raise():
    unreported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: unreported.append(context))
    try:
        with pytest.raises(ValueError, match="boom after 2 blocked"):
            await fail_beside_stubborn(n=2)
        gc.collect()  # a Task whose exception nobody retrieved says so when it is collected
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert sorted(state.log) == ["stubborn 0 cancelled", "stubborn 1 cancelled"]
    assert unreported == []


# --- calls that end without waiting (a helper coroutine whose call does so: "helper coroutine" above) -------------


@eager
async def many_quick_calls(n: int) -> int:
    return sum(await asyncio.gather(*[quick(x=i) for i in range(n)]))


async def test_gathered_calls_that_end_at_once_leave_nothing_running_and_a_later_eager_is_unaffected():
    before = asyncio.all_tasks()
    assert await many_quick_calls(n=2000) == sum(range(1, 2001))
    assert await many_quick_calls(n=3) == 6
    assert no_tasks_left(before)


@eager
async def schedule_a_call_after_the_end(x: int) -> int:
    """Leaves a callback (it runs in the body's context) that calls a task, in a Task, after the eager ended."""
    loop = asyncio.get_running_loop()
    started = state.started = asyncio.Event()

    def start() -> None:
        state.handles.append(loop.create_task(quick(x=1)))
        started.set()

    # the first callback runs while the eager ends (its scope waits one loop turn for the Tasks its last step
    # made); the one it schedules runs after that turn, once the scope has ended
    loop.call_soon(loop.call_soon, start)
    return x


async def test_a_call_that_would_end_at_once_is_refused_once_the_eager_has_ended():
    assert await schedule_a_call_after_the_end(x=2) == 2
    await asyncio.wait_for(state.started.wait(), 30)
    (late,) = state.handles
    with pytest.raises(asyncio.CancelledError):
        await late


class OddCoroutine(collections.abc.Coroutine):  # type: ignore[type-arg]
    """A Task's coroutine that is not a native one (a Cython coroutine is such an object): it awaits a call."""

    def __init__(self, x: int) -> None:
        self._inner = quick(x=x).__await__()

    def send(self, value: Any) -> Any:
        return self._inner.send(value)

    def throw(self, *exc: Any) -> Any:
        return self._inner.throw(*exc)

    def close(self) -> None:
        self._inner.close()

    def __await__(self) -> Any:
        return self


@eager
async def odd_coroutine_tasks(n: int) -> int:
    return sum(await asyncio.gather(*[asyncio.ensure_future(OddCoroutine(i)) for i in range(n)]))


async def test_a_call_in_a_task_whose_coroutine_is_not_a_native_one_runs():
    assert await odd_coroutine_tasks(n=3) == 6
