"""One thread that owns one SQLite connection and runs operations on it in turn, for coroutines on any loop.

Operations are plain functions ``fn(connection, *args)``; ``submit`` queues one and returns a future of the
calling loop. The thread opens the connection on first use, retires after ``_IDLE_S`` seconds without work
(closing it), and the next operation starts a new one, so no thread outlives its use for long; at interpreter
exit the queued work finishes first. A forked child starts its own thread.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import queue
import sqlite3
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_IDLE_S = 2.0


class SqliteWorker:
    """One thread running operations in order on its own connection; it retires when idle."""

    def __init__(self, open_connection: Callable[[], sqlite3.Connection], name: str) -> None:
        self._open = open_connection
        self._name = name
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Any] | None = None
        self._thread: threading.Thread | None = None
        _workers.add(self)

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self._queue is None:
                self._queue = queue.SimpleQueue()
                self._thread = threading.Thread(target=self._serve, args=(self._queue,), name=self._name, daemon=True)
                self._thread.start()
            self._queue.put((fn, args, loop, fut))
        return fut

    def _serve(self, q: queue.SimpleQueue[Any]) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                try:
                    item = q.get(timeout=_IDLE_S)
                except queue.Empty:
                    with self._lock:
                        if q.empty():  # retire; the next operation starts a new thread
                            self._queue = self._thread = None
                            return
                    continue
                if item is None:
                    return
                fn, args, loop, fut = item
                result: Any = None
                error: BaseException | None = None
                try:
                    if conn is None:
                        conn = self._open()
                    result = fn(conn, *args)
                except BaseException as e:  # delivered to the awaiting coroutine
                    error = e
                    if conn is not None and isinstance(e, sqlite3.DatabaseError):
                        conn.close()  # a fresh connection next time
                        conn = None
                try:
                    loop.call_soon_threadsafe(_deliver, fut, result, error)
                except RuntimeError:
                    pass  # the loop is closed: nobody is waiting
        finally:
            if conn is not None:
                conn.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the queued operations, close the connection and end the thread."""
        with self._lock:
            q, thread = self._queue, self._thread
            self._queue = self._thread = None
        if q is not None and thread is not None:
            q.put(None)
            if thread is not threading.current_thread():
                thread.join(timeout)

    def forget(self) -> None:
        """In a forked child: the parent's thread does not exist here."""
        self._lock = threading.Lock()
        self._queue = self._thread = None


def _deliver(fut: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if fut.cancelled():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(result)


_workers: weakref.WeakSet[SqliteWorker] = weakref.WeakSet()


def _stop_all() -> None:
    for worker in list(_workers):
        worker.stop()


def _forget_all() -> None:
    for worker in list(_workers):
        worker.forget()


atexit.register(_stop_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_all)
