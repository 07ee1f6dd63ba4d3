"""A task body runs in a context of its own (aioflyte/engine/own_context.py): the body's frame is seen by the body
across its waits and by the Tasks it starts; what the body sets in context variables stays the body's; the
caller's context is never changed, on the direct path and on the pipeline's (retries, timeout)."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from aioflyte import current_context, eager, task

USER_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("user_var", default="caller")


@task
async def waits_and_reads(x: int) -> str:
    USER_VAR.set(f"body-{x}")
    before = current_context().execution_id
    await asyncio.sleep(0.01)
    assert current_context().execution_id == before
    return USER_VAR.get()


@task(retries=1, timeout=30)
async def waits_and_reads_piped(x: int) -> str:
    USER_VAR.set(f"piped-{x}")
    await asyncio.sleep(0.01)
    return USER_VAR.get()


@task
async def child_tasks_see_the_frame(n: int) -> list[str]:
    mine = current_context().working_directory

    async def part() -> str:
        await asyncio.sleep(0)
        return current_context().working_directory

    parts = await asyncio.gather(*[part() for _ in range(n)])
    assert all(p == mine for p in parts)
    return parts


@task
async def fails_after_waiting(x: int) -> int:
    await asyncio.sleep(0.01)
    raise ValueError(f"no {x}")


@task
async def catches_cancellation(x: int) -> str:
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        USER_VAR.set("cleaned")
        return USER_VAR.get()
    return "slept"


@pytest.mark.parametrize("entity", [waits_and_reads, waits_and_reads_piped])
async def test_a_body_keeps_its_context_variables_across_waits_and_the_caller_keeps_its_own(entity):
    USER_VAR.set("caller")
    assert await entity(x=3) == ("body-3" if entity is waits_and_reads else "piped-3")
    assert USER_VAR.get() == "caller"


async def test_tasks_a_body_starts_see_its_frame():
    assert len(await child_tasks_see_the_frame(n=3)) == 3


async def test_an_error_after_a_wait_reaches_the_caller_with_the_task_named():
    with pytest.raises(ValueError, match="no 2"):
        await fails_after_waiting(x=2)


async def test_a_cancellation_reaches_the_body_which_may_handle_it():
    t = asyncio.ensure_future(catches_cancellation(x=1))
    await asyncio.sleep(0.05)
    t.cancel()
    assert await t == "cleaned"


@eager
async def gathers(n: int) -> list[str]:
    return await asyncio.gather(*[waits_and_reads(x=i) for i in range(n)])


async def test_gathered_calls_in_an_eager_body_each_see_their_own_variables():
    assert await gathers(n=4) == [f"body-{i}" for i in range(4)]


@task
async def waits_if(x: int) -> str:
    """Waits for odd ``x`` only; sets the variable and reads its own frame either way."""
    USER_VAR.set(f"body-{x}")
    frame = current_context().working_directory
    if x % 2:
        await asyncio.sleep(0)

    async def child() -> str:
        return current_context().working_directory

    assert await asyncio.create_task(child()) == frame
    return USER_VAR.get()


@eager
async def mixes(n: int) -> list[str]:
    """Calls ``waits_if`` gathered (each call its Task's coroutine) and awaited in this body, waiting and not, in
    turns: the engine switches how it runs a body by whether the task's last call waited."""
    USER_VAR.set("eager")
    out = []
    for round_ in range(3):
        out += await asyncio.gather(*[waits_if(x=round_ * n + i) for i in range(n)])
        assert USER_VAR.get() == "eager"
        out.append(await waits_if(x=1))  # waits
        out.append(await waits_if(x=2))  # does not
        assert USER_VAR.get() == "eager"
    return out


async def test_calls_that_wait_or_not_gathered_or_awaited_each_keep_their_frame_and_variables():
    USER_VAR.set("caller")
    expected = []
    for round_ in range(3):
        expected += [f"body-{round_ * 4 + i}" for i in range(4)] + ["body-1", "body-2"]
    assert await mixes(n=4) == expected
    assert USER_VAR.get() == "caller"


@task
async def tagged(x: int) -> str:
    return f"coroutine-{x}"


def _future_of(x: int) -> asyncio.Future[str]:
    """A plain function returning an awaitable that is not a coroutine (as a function marked with Python 3.12's
    ``inspect.markcoroutinefunction`` may)."""
    fut = asyncio.get_running_loop().create_future()
    fut.set_result(f"future-{x}")
    return fut


class _NotACoroutine:
    def __init__(self, x: int) -> None:
        self.x = x

    def __await__(self):  # type: ignore[no-untyped-def]
        yield from asyncio.sleep(0).__await__()
        return f"awaitable-{self.x}"


@pytest.mark.parametrize("fn", [_future_of, _NotACoroutine], ids=["a future", "an awaitable object"])
async def test_a_task_function_that_returns_another_awaitable_is_awaited_as_is(monkeypatch, fn):
    """The engine steps a body's coroutine itself, so it calls directly only an ``async def`` (Python 3.12 lets a
    plain function be marked a coroutine function; here the task keeps its async flag and gets such a function)."""
    monkeypatch.setattr(tagged, "_task_function", fn)
    monkeypatch.setattr(tagged, "_plan", None)  # the engine plans the task again
    for x in (1, 2):
        assert await tagged(x=x) == f"{'future' if fn is _future_of else 'awaitable'}-{x}"
    monkeypatch.setattr(tagged, "_plan", None)
