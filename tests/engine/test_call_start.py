"""Task calls that start when they are made (``aioflyte/engine/call_start.py``): a call of an ``async def`` task
whose body ends without waiting runs at once and gives a completed awaitable, which every asyncio entry point
takes; its error is raised where it is awaited; a body that waits after all goes on when awaited, as one of the
eager's calls. No test measures time."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import sys
from types import SimpleNamespace

import pytest

from aioflyte import current_context, eager, task

log: list[str] = []
VAR: contextvars.ContextVar[str] = contextvars.ContextVar("test_call_start_var", default="caller")


@pytest.fixture(autouse=True)
def fresh_log():
    log.clear()


@task
async def square(x: int) -> int:
    log.append(f"square {x}")
    return x * x


@task
async def refuses(x: int) -> int:
    raise ValueError(f"no {x}")


@eager
async def every_entry_point(x: int) -> list[int]:
    """One call handed to each of asyncio's ways to run an awaitable."""
    direct = await square(x=x)
    gathered = await asyncio.gather(square(x=x + 1), square(x=x + 2))
    in_a_task = await asyncio.create_task(square(x=x + 3))
    if sys.version_info >= (3, 11):
        async with asyncio.TaskGroup() as group:
            grouped = group.create_task(square(x=x + 4))
    else:  # no TaskGroup before Python 3.11
        grouped = asyncio.ensure_future(square(x=x + 4))
        await grouped
    timed = await asyncio.wait_for(square(x=x + 5), 30)
    shielded = await asyncio.shield(square(x=x + 6))
    done, _ = await asyncio.wait([asyncio.create_task(square(x=x + 7))])
    completed = [await c for c in asyncio.as_completed([square(x=x + 8)])]
    return [direct, *gathered, in_a_task, grouped.result(), timed, shielded, next(iter(done)).result(), *completed]


async def test_a_call_that_ends_at_once_works_with_every_asyncio_entry_point():
    assert await every_entry_point(x=1) == [(1 + i) ** 2 for i in range(9)]
    assert log == [f"square {1 + i}" for i in range(9)]


@eager
async def made_then_awaited(x: int) -> list[str]:
    call = square(x=x)
    seen = list(log)  # what had run when the call was made, before it is awaited
    assert await call == x * x
    return seen


async def test_a_call_that_ends_at_once_runs_when_it_is_made():
    assert await made_then_awaited(x=3) == ["square 3"]


@eager
async def error_where_awaited(x: int) -> str:
    call = refuses(x=x)  # made without an error
    try:
        await call
    except ValueError as e:
        return f"{e} | {' '.join(getattr(e, '__notes__', []))}"
    return "no error"


async def test_an_error_of_a_call_that_ends_at_once_is_raised_where_it_is_awaited():
    message = await error_where_awaited(x=4)
    assert message.startswith("no 4 | ")
    if sys.version_info >= (3, 11):  # exception notes
        assert "raised by task" in message and "refuses" in message


@task
async def sets_and_reads(x: int) -> str:
    VAR.set(f"body {x}")
    return f"{VAR.get()} in {current_context().execution_id.name != ''}"


@eager
async def context_kept(n: int) -> list[str]:
    VAR.set("eager")
    out = [await sets_and_reads(x=i) for i in range(n)]
    out.append(VAR.get())
    return out


async def test_a_call_started_at_once_runs_in_its_own_context_with_its_frame():
    assert await context_kept(n=2) == ["body 0 in True", "body 1 in True", "eager"]


# --- a task whose body waits after calls that did not (one task per test: what a task's calls did is kept) -------

gate = SimpleNamespace(event=None)


async def wait_on_odd(x: int) -> int:
    if x % 2:
        log.append(f"waiting {x}")
        try:
            await gate.event.wait()
        finally:
            log.append(f"done waiting {x}")
    return x


waits_then_goes_on = task(wait_on_odd, name="waits_then_goes_on")
waits_then_is_stopped = task(wait_on_odd, name="waits_then_is_stopped")
waits_then_is_dropped = task(wait_on_odd, name="waits_then_is_dropped")


@eager
async def first_wait(n: int) -> list[int]:
    gate.event = asyncio.Event()
    at_once = await waits_then_goes_on(x=0)
    pending = waits_then_goes_on(x=1)  # started when made: its body waits
    assert log == ["waiting 1"]
    gate.event.set()
    return [at_once, await pending, await waits_then_goes_on(x=3), await waits_then_goes_on(x=2)]


async def test_a_call_whose_body_waits_after_all_goes_on_when_awaited():
    assert await first_wait(n=1) == [0, 1, 3, 2]
    assert log == ["waiting 1", "done waiting 1", "waiting 3", "done waiting 3"]


@eager
async def started_then_fails(n: int) -> int:
    gate.event = asyncio.Event()
    await waits_then_is_stopped(x=0)
    asyncio.gather(waits_then_is_stopped(x=1))  # started (its body waits), then run in a Task, not awaited
    assert log == ["waiting 1"]
    raise RuntimeError("eager fails")


async def test_a_started_call_that_waits_is_stopped_when_the_eager_ends():
    before = asyncio.all_tasks()
    with pytest.raises(RuntimeError, match="eager fails"):
        await started_then_fails(n=1)
    assert log == ["waiting 1", "done waiting 1"]  # cancelled by the eager's end, its clean-up done
    assert asyncio.all_tasks() == before


@eager
async def started_and_dropped(n: int) -> str:
    gate.event = asyncio.Event()
    await waits_then_is_dropped(x=0)
    call = waits_then_is_dropped(x=1)
    assert log == ["waiting 1"]
    with pytest.warns(RuntimeWarning, match="never awaited"):
        del call
        gc.collect()
    return "dropped"


async def test_a_started_call_never_awaited_is_closed_when_dropped():
    assert await started_and_dropped(n=1) == "dropped"
    assert log == ["waiting 1", "done waiting 1"]
