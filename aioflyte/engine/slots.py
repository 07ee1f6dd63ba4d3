"""A run's ``max_parallelism``: how many task (and array) nodes of one run execute at once.

``Slots`` is a FIFO counting semaphore whose uncontended acquire and release are plain attribute updates
(``asyncio.Semaphore`` costs two coroutine calls per node even when nobody waits). A slot that is freed while
nodes wait is handed straight to the oldest waiter.
"""

from __future__ import annotations

import asyncio
import collections

from aioflyte.runscope import RunState


class Slots:
    """``free`` slots now; waiters queue in order and are handed slots as others release them."""

    __slots__ = ("_waiters", "free")

    def __init__(self, n: int) -> None:
        self.free = n
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_acquire(self) -> bool:
        """Take a slot if one is free and nobody waits for one (no await needed)."""
        if self.free > 0:
            self.free -= 1
            return True
        return False

    async def acquire(self) -> None:
        """Take a slot, waiting in line if none is free."""
        if self.free > 0:
            self.free -= 1
            return
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except BaseException:
            if fut.done() and not fut.cancelled():  # a slot was handed to us as we were cancelled: pass it on
                self.release()
            elif not fut.done():
                fut.cancel()
            raise

    def release(self) -> None:
        """Give a slot back: to the oldest live waiter, else to the pool."""
        waiters = self._waiters
        while waiters:
            fut = waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self.free += 1


def parallelism(run: RunState) -> Slots:
    """The run's slots bounding how many task nodes execute at once (``max_parallelism``)."""
    slots = run.parallelism
    if slots is None:
        from aioflyte.engine.config import settings

        slots = run.parallelism = Slots(run.max_parallelism or settings.max_parallelism)
    return slots
