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
"""

from __future__ import annotations

from collections.abc import Coroutine
from contextvars import Context
from typing import Any

from aioflyte.runscope import DirectCall

_new = object.__new__
_SENT = object()


class Call(DirectCall):
    """One direct call of a task: its frame (``task``, ``run``, the TaskFrame ``made`` when asked) and, once its
    body waits, what runs the body's later steps in the body's context (``ctx``, ``body``, ``first``: the first
    step's yield, passed on when the caller starts awaiting)."""

    __slots__ = ("body", "ctx", "first")

    ctx: Any  # a Context while the body waits, then None
    body: Any  # the body's coroutine while it waits, then None

    def drive(self, ctx: Context, body: Coroutine[Any, Any, Any], yielded: Any) -> Call:
        """Await the result: the body goes on in ``ctx`` from where its first step yielded ``yielded``. (The caller
        clears ``ctx`` and ``body`` when it ends: ``ctx`` holds this call as its frame.)"""
        self.ctx = ctx
        self.body = body
        self.first = yielded
        return self

    def __await__(self) -> Call:  # the awaitable is its own iterator
        return self

    def __iter__(self) -> Call:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    def send(self, value: Any) -> Any:
        first = self.first
        if first is not _SENT:  # the first step's yield, not passed on yet
            self.first = _SENT
            return first
        return self.ctx.run(self.body.send, value)

    def throw(self, *exc: Any) -> Any:
        self.first = _SENT
        return self.ctx.run(self.body.throw, *exc)

    def close(self) -> None:
        self.ctx.run(self.body.close)


async def finish(ctx: Context, body: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    """The result of ``body``, whose first step (run in ``ctx``) yielded ``yielded``: its later steps run in ``ctx``
    too. What the pipeline's attempts await when a body waits (the hot path writes this out)."""
    call = _new(Call)
    try:
        return await call.drive(ctx, body, yielded)
    finally:
        call.ctx = call.body = None


__all__ = ["Call", "finish"]
