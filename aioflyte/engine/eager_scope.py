"""Structured concurrency for eager runs: the calls an ``@eager`` body started end before its run does.

While an eager body runs, the context variable ``EAGER_SCOPE`` holds its ``EagerScope``: the asyncio Task that
runs the body (the owner) and the Tasks its calls run in. Python 3.11's Tasks do not expose their context, so the
scope learns them by registration: the controllers call ``join`` as a call of an entity starts (a task, workflow,
launch plan, map task, a background run's ``start``; locally and on a ``RemoteController``). A call in the owner's
Task is awaited by the body itself and needs nothing. A call in another Task, made by the eager body's own code
(``asyncio.gather`` or ``create_task`` wrapped it, or a helper coroutine the body gathered or created made it),
adds that Task to the scope, once; it stays there until the scope ends, so a Task that calls several entities, or
waits between calls, is covered the whole time. Calls made inside what the body called are not the eager's: a
task body's own Tasks (told apart by their task frame, ``TASK_FRAME``, which is the task's and not the eager's)
and the Tasks a workflow, launch plan or map task runs with (the scope is hidden inside those runs) belong to that
task or runner, which stops them when it is cancelled. One exception, on the local direct path of a task call
(``LocalController.run_task``): a call that is its Task's coroutine and returns without waiting ends its Task too,
so it does not join (nothing would be left to stop); if it waits, fails, or converts its output, it joins then.

When the body ends (raising, cancelled, or returning), ``close`` cancels every registered Task that is not done and
waits for them all to finish; only then does the body's error or result go on. After that, a call that starts in
the scope's context and is not already one of its Tasks (e.g. from a worker thread that outlived the run) is
refused with ``CancelledError``. Each eager body has its own scope; a nested eager's children are its own.

The cost outside eager runs is one ``ContextVar.get`` per call; inside one, a call whose Task goes on appends it
to a list (pruned of finished Tasks as it grows, so a long eager loop does not keep every Task it ever ran).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from itertools import groupby
from typing import Any

from aioflyte.runscope import TASK_FRAME, DirectCall

log = logging.getLogger("aioflyte.engine")

#: the scope of the innermost eager body this code runs for (copied into the Tasks and threads it starts)
EAGER_SCOPE: ContextVar[EagerScope | None] = ContextVar("aioflyte_eager_scope", default=None)

_tasks_by_loop = getattr(asyncio.tasks, "_current_tasks", None)
#: ``asyncio.current_task(loop)`` (the loop given: finding the running loop costs a ``getpid`` system call). It is in
#: C from Python 3.12; before, it is a Python function around this dict, whose lookup costs a tenth of it.
task_on: Callable[[Any], asyncio.Task[Any] | None] = (
    asyncio.current_task if sys.version_info >= (3, 12) or not isinstance(_tasks_by_loop, dict) else _tasks_by_loop.get
)
_thread_id = threading.get_ident
_MIN_PRUNE = 1024
_ENDED = object()


class EagerScope:
    """One eager body's run: its owner Task and the Tasks its calls started in."""

    __slots__ = ("children", "closed", "frame", "loop", "members", "name", "owner", "prune_at", "thread")

    def __init__(self, name: str) -> None:
        self.name = name
        #: the eager's own task frame, which the Tasks its body starts inherit (``_ENDED`` once the scope has ended)
        self.frame: object = TASK_FRAME.get()
        self.loop = asyncio.get_running_loop()
        self.thread = _thread_id()
        self.owner = task_on(self.loop)
        #: the Tasks that joined (a Task that made several calls may be here more than once)
        self.children: list[asyncio.Task[Any]] = []
        #: while the ended scope waits for the Tasks it stopped: those, which may still call (their clean-up)
        self.members: set[asyncio.Task[Any]] = set()
        self.closed = False
        self.prune_at = _MIN_PRUNE

    def join(self) -> None:
        """Register the Task this call runs in if it is one of the body's own, not the owner (as every call starts).
        Raises ``CancelledError`` for a new Task once the scope has ended."""
        task = task_on(self.loop)
        if task is self.owner:
            return
        if TASK_FRAME.get() is not self.frame:  # also every call once the scope has ended (see close)
            self._join_other(task)
            return
        if task is None or _thread_id() != self.thread:
            return  # another thread runs a loop of its own (asyncio.run in a sync body): none of its Tasks is ours
        children = self.children
        children.append(task)
        if len(children) > self.prune_at:
            self._prune()

    def _join_other(self, task: asyncio.Task[Any] | None) -> None:
        """``join``'s rare cases: a call whose task frame is not the eager's (one inside a task body the eager called,
        which is that task's own; or the eager's frame in its other form), and every call once the scope has ended
        (refused, unless its Task is one of the scope's, finishing)."""
        if task is None or _thread_id() != self.thread:
            return
        if self.closed:
            if task not in self.members:
                raise asyncio.CancelledError(f"eager {self.name} has ended: a call it started cannot start now")
        elif self._same_attempt(TASK_FRAME.get()):
            self.children.append(task)

    def _prune(self) -> None:
        """Drop the finished Tasks, and the repeats of a Task that made calls one after another, so that the list
        grows with the calls in flight rather than with every call made."""
        live = [t for t in self.children if not t.done()]
        self.children = [t for t, _ in groupby(live)]
        self.prune_at = max(_MIN_PRUNE, 2 * len(self.children))

    def _same_attempt(self, frame: Any) -> bool:
        """Whether ``frame`` is this eager's frame in its other form: a direct call (``DirectCall``) is made into a
        TaskFrame (kept as its ``made``) when the body asks for its context, and
        ``FlyteContextManager.with_context`` installs that TaskFrame."""
        mine = self.frame
        return isinstance(mine, DirectCall) and mine.made is not None and mine.made is frame

    async def close(self, returned: bool) -> bool:
        """End the scope: cancel the registered Tasks still running and wait until every one has finished.

        Tasks the body created in its last step start first (one loop turn), so they are registered and cancelled
        too. If this Task is cancelled meanwhile, the wait goes on (the children were cancelled already) and the
        result is True: the caller then raises ``CancelledError``. ``returned``: the body returned (children still
        running then are reported in a warning: their results can reach no one).
        """
        interrupted = False
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            interrupted = True
        self.closed = True
        self.frame = _ENDED  # no call's frame is this: every later join takes the slow path, which refuses it
        pending = {t for t in self.children if not t.done()}
        self.children = []
        if not pending:
            return interrupted
        self.members = pending  # the Tasks being stopped may still call (their clean-up); no other may
        if returned:
            log.warning(
                "eager %s returned while %d call(s) it started were still running: cancelling them",
                self.name,
                len(pending),
            )
        for t in pending:
            t.cancel()
        stopped = pending
        while pending:
            try:
                _, pending = await asyncio.wait(pending)
            except asyncio.CancelledError:
                interrupted = True
        self.members = set()
        for t in stopped:  # their outcome was decided by the cancellation; asyncio need not report it
            if not t.cancelled():
                t.exception()
        return interrupted


def join_current() -> None:
    """``join`` the current eager scope, if any (what the controllers' entry points other than the hot one call)."""
    scope = EAGER_SCOPE.get()
    if scope is not None:
        scope.join()


__all__ = ["EAGER_SCOPE", "EagerScope", "join_current", "task_on"]
