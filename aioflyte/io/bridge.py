"""Sync access to async I/O without a hidden event loop: ``call`` runs one coroutine for sync code.

Async clients belong to the loop that made them, so sync code never gets a loop of its own in some helper thread
(a second loop would hold its own clients and outlive the work). Inside a sync task (a worker thread of a run) the
work is sent to the run's own loop and the thread waits for it. In a plain script (no loop anywhere) a private loop
is created in the calling thread for the duration of the work. On a thread that is running an event loop, a
blocking call would stall every task on that loop, so it is refused (``FlyteBlockingCallError``) with a message
naming the awaitable to use instead.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any, Awaitable, Callable, TypeVar

from aioflyte.exceptions import FlyteBlockingCallError
from aioflyte.io.provider import default_provider
from aioflyte.runscope import run_loop

T = TypeVar("T")

# The loop of the code that handed this thread its work (the engine runs a transformer written for flytekit, which
# is sync, in a worker thread): sync I/O asked for on this thread is sent there, as it is to the run's loop from a
# sync task's body.
CALLER_LOOP: contextvars.ContextVar[asyncio.AbstractEventLoop | None] = contextvars.ContextVar(
    "aioflyte_caller_loop", default=None
)


def check_not_on_loop(what: str, instead: str) -> None:
    """Refuse a blocking call on a thread that is running an event loop."""
    if not _on_loop_thread():
        return
    raise FlyteBlockingCallError(
        f"{what} needs data from the store, and waiting for it here would block the event loop; "
        f"in async code use {instead}"
    )


class Bridge:
    """Runs coroutines for sync code: on the loop that handed this thread its work (``CALLER_LOOP``, else the current
    run's), else on a private loop.

    A bridge is used for one piece of work (a download, or a stream from open to close), so that objects bound
    to a loop (an S3 stream, say) are always used on the loop that made them. Close it when done.
    """

    def __init__(self, what: str, instead: str) -> None:
        check_not_on_loop(what, instead)
        loop = CALLER_LOOP.get() or run_loop()
        if loop is not None:  # a worker thread of a sync task's body (or of a transformer): work on that loop
            self._loop: asyncio.AbstractEventLoop = loop
            self._own = False
        else:
            self._loop = asyncio.new_event_loop()
            self._own = True
        self._closed = False

    def run(self, fn: Callable[[], Awaitable[T]]) -> T:
        if self._closed:
            raise ValueError("I/O operation on a closed stream")
        if self._own:
            return self._loop.run_until_complete(_as_coro(fn))
        if not self._loop.is_running():  # the run has ended: nothing would ever answer
            raise RuntimeError("the run's event loop is no longer running")
        return asyncio.run_coroutine_threadsafe(_as_coro(fn), self._loop).result()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._own:
            if _on_loop_thread():  # finalized by the garbage collector on a loop thread: just drop the loop
                self._loop.close()
                return
            try:
                self._loop.run_until_complete(default_provider().aclose())  # the sessions opened on this loop
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            finally:
                self._loop.close()

    def __enter__(self) -> Bridge:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


async def _as_coro(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()


def _on_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def call(fn: Callable[[], Awaitable[T]], what: str, instead: str) -> T:
    """Run one coroutine for sync code and return its result (see ``Bridge``)."""
    with Bridge(what, instead) as bridge:
        return bridge.run(fn)
