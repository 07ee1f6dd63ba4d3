"""A task body's own context: what the hot path of ``LocalController.run_task`` runs a body in.

A task's frame (``TASK_FRAME``: which task attempt is running, what ``current_context()`` returns in its body) must
be seen by the body, by the worker thread of a sync body and by every asyncio Task the body starts (they copy the
context they are created in). Setting the variable in the caller's context and resetting it afterwards would do
that, but leaves each caller's Task holding a context of its own (the reset makes a new one): two more objects per
call that the garbage collector scans for as long as the Task lives (with 10⁴ calls gathered, the collector's
work per call doubled). So a call copies the caller's context (``contextvars.copy_context``: cheap, the copy shares
the caller's mapping), sets its ``Call`` as the frame in the copy, and runs the body in it: the first step of an
async body directly (a body that never waits ends there and the copy is freed at once), the later ones through
the ``Call``, which the caller awaits. The caller's context is never changed.

A ``Call`` delegates to the body exactly as ``await body`` would (what the body yields goes to the Task that runs
the caller; what that Task sends, throws or closes goes to the body), entering the body's context at each step.
It is one small object that is both the frame and the driver: a call waiting in its body holds just it, the
copied context and its mapping (10⁵ calls in flight hold 10⁵ of each).

The first step of a task whose last call did not wait goes through ``first_step`` (no ``StopIteration`` for a
body that ends there). A task whose last call waited, called as its asyncio Task's coroutine, needs none of this:
the Task's context is already a copy of its own, so ``run_task`` sets the frame there and awaits the body.
"""

from __future__ import annotations

import types
from collections.abc import Coroutine, Generator
from contextvars import Context
from typing import Any

from aioflyte.runscope import TASK_FRAME, DirectCall

_new = object.__new__
#: a ``Call``'s ``value`` once its first step's yield was passed on (or before a body's first step: ``finish``)
_SENT = object()
#: what ``next(step, RETURNED)`` gives when a ``first_step`` generator ran its body to the end
RETURNED = object()


class Call(DirectCall):
    """One direct call of a task: its frame (``task``, ``run``, the TaskFrame ``made`` when asked) and, once its
    body waits, what runs the body's later steps in the body's context (``ctx``, ``body``), and ``value``: the
    first step's yield until the caller starts awaiting (then passed on), and the body's return value once a
    ``first_step`` has run it to the end (one slot for both: 8 bytes less per call in flight)."""

    __slots__ = ("body", "ctx", "value")

    ctx: Any  # a Context while the body waits, then None
    body: Any  # the body's coroutine (or its ``first_step``) while it waits, then None
    value: Any

    def drive(self, ctx: Context, body: Coroutine[Any, Any, Any], yielded: Any) -> Call:
        """Await the result: the body goes on in ``ctx`` from where its first step yielded ``yielded`` (``_SENT``:
        the body has not started). (The caller clears ``ctx`` and ``body`` when it ends: ``ctx`` holds this call
        as its frame.)"""
        self.ctx = ctx
        self.body = body
        self.value = yielded
        return self

    def __await__(self) -> Call:  # the awaitable is its own iterator
        return self

    def __iter__(self) -> Call:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    def send(self, value: Any) -> Any:
        first = self.value
        if first is not _SENT:  # the first step's yield, not passed on yet
            self.value = _SENT
            return first
        return self.ctx.run(self.body.send, value)

    def throw(self, *exc: Any) -> Any:
        self.value = _SENT
        return self.ctx.run(self.body.throw, *exc)

    def close(self) -> None:
        self.ctx.run(self.body.close)


@types.coroutine
def first_step(call: Call, body: Coroutine[Any, Any, Any]) -> Generator[Any, Any, None]:
    """Run ``body`` as ``call``'s, in the context this generator is stepped in: set the frame, then delegate to the
    body, keeping its return value in ``call.value``.

    What it saves: ``ctx.run(next, first_step(call, body), RETURNED)`` runs the body's first step and, when the body
    returns there, gives ``RETURNED`` with no exception raised (``yield from`` takes the body's value without a
    ``StopIteration``, and a generator that ends with ``None`` makes ``next`` return its default without one),
    where ``ctx.run(body.send, None)`` raises and catches a ``StopIteration`` for every body that never waits; and
    the frame is set in the same ``ctx.run``. A body that waits is then driven through this generator (one more
    object held while it waits), so the engine uses it for tasks whose last call did not wait.
    """
    TASK_FRAME.set(call)
    call.value = yield from body


async def finish(ctx: Context, body: Coroutine[Any, Any, Any], yielded: Any = _SENT) -> Any:
    """The result of ``body``, whose first step (run in ``ctx``) yielded ``yielded`` (by default: not run yet): its
    later steps run in ``ctx`` too. What the pipeline's attempts await when a body waits."""
    call = _new(Call)
    try:
        return await call.drive(ctx, body, yielded)
    finally:
        call.ctx = call.body = None


__all__ = ["RETURNED", "Call", "finish", "first_step"]
