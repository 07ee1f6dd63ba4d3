"""Proving concurrency without a clock: task bodies that wait for each other.

Each body calls ``meet()`` (sync bodies, in worker threads) or ``await ameet()`` (async bodies): it counts itself in,
waits until ``parties`` bodies are running at the same time, and counts itself out. ``peak`` is the most that were
in flight at once. Bodies that ran one after another never meet, and fail with an AssertionError after ``timeout``
(a guard against a hang, not a measurement): the assertion is "all of them were running at once", which a slow
machine cannot make false.
"""

from __future__ import annotations

import asyncio
import threading


class Meeting:
    """``parties`` bodies that must all be in flight at once; ``peak`` is the most that were."""

    def __init__(self, parties: int, timeout: float = 30.0) -> None:
        self.parties = parties
        self.timeout = timeout
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()
        self._all_in = threading.Event()
        self._all_in_async: asyncio.Event | None = None  # made on first use, on the loop of the bodies

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if self.in_flight >= self.parties:
                self._all_in.set()
                if self._all_in_async is not None:
                    self._all_in_async.set()

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _missed(self) -> AssertionError:
        return AssertionError(f"only {self.peak} of {self.parties} were in flight at once after {self.timeout}s")

    def meet(self) -> None:
        """For sync bodies (worker threads): wait until ``parties`` bodies are in flight together."""
        self._enter()
        try:
            if not self._all_in.wait(self.timeout):
                raise self._missed()
        finally:
            self._leave()

    async def ameet(self) -> None:
        """For async bodies (on one loop): wait until ``parties`` bodies are in flight together."""
        if self._all_in_async is None:
            self._all_in_async = asyncio.Event()
            if self._all_in.is_set():
                self._all_in_async.set()
        self._enter()
        try:
            await asyncio.wait_for(self._all_in_async.wait(), self.timeout)
        except asyncio.TimeoutError:
            raise self._missed() from None
        finally:
            self._leave()
