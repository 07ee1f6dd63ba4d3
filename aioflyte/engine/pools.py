"""Where sync task bodies run: one shared, bounded worker-thread pool, or a process pool on request."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextvars
import functools
import importlib
import multiprocessing
import os
from typing import Any, Callable

from aioflyte.core.context import forget_outside_decks
from aioflyte.engine.config import settings
from aioflyte.runscope import IN_PROCESS_BODY, RUN, RunState

_thread_pool: list[concurrent.futures.ThreadPoolExecutor] = []
_process_pool: list[concurrent.futures.ProcessPoolExecutor] = []


def thread_pool() -> concurrent.futures.ThreadPoolExecutor:
    """The one bounded worker-thread pool shared by every sync task of the process (all loops).

    A plain executor rather than anyio's limiter: measured at half the per-call cost (docs/performance.md).
    """
    if not _thread_pool:
        _thread_pool.append(
            concurrent.futures.ThreadPoolExecutor(settings.max_threads, thread_name_prefix="aioflyte-task")
        )
    return _thread_pool[0]


#: one item per sync body started and not finished (list.append and list.pop are atomic: no lock on the hot path)
_running: list[None] = []


def in_thread(fn: Callable[..., Any], kwargs: dict[str, Any]) -> asyncio.Future[Any]:
    """Start a sync callable on the shared pool; a future of its result. The caller's contextvars are visible in
    the thread. On cancellation (e.g. a timeout) the await returns at once; the thread finishes on its own, since
    Python cannot stop a running thread. Until it has, the run it belongs to keeps its scratch space
    (``RunState.hold``), so a body still running after its run ended never writes into a removed directory or
    leaves a new one, and ``in_flight()`` counts it."""
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    run = RUN.get()
    _running.append(None)
    if run is not None:
        run.hold()
    try:
        cf = thread_pool().submit(lambda: ctx.run(fn, **kwargs))
    except BaseException:
        _finished(run, None)
        raise
    # called once the body has finished, or at once if it is cancelled before it starts
    cf.add_done_callback(functools.partial(_finished, run))
    return asyncio.wrap_future(cf, loop=loop)


def _finished(run: RunState | None, _: Any) -> None:
    try:
        if run is not None:
            run.release()  # first: once in_flight() says 0, the scratch space of ended runs is gone
    finally:
        _running.pop()


def in_flight() -> int:
    """How many sync bodies started on the worker threads have not finished, including those a cancelled run or a
    timed-out attempt stopped waiting for."""
    return len(_running)


async def run_in_thread(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """Run a sync callable on the shared pool (``in_thread``, awaited)."""
    return await in_thread(fn, kwargs)


def load_body(module: str, name: str) -> Any:
    """In the worker process: the task (or function) ``name`` of ``module``, imported."""
    return getattr(importlib.import_module(module), name)


def _process_entry(module: str, name: str, kwargs: dict[str, Any]) -> Any:
    """Runs in the worker process: import the task's module and call the task's function."""
    obj = load_body(module, name)
    fn = getattr(obj, "task_function", obj)
    IN_PROCESS_BODY.append(True)  # a task the body calls runs to completion here (core/entity.value_or_awaitable)
    try:
        return fn(**kwargs)
    finally:
        IN_PROCESS_BODY.pop()
        forget_outside_decks()  # a task without a deck: what its body made there is its own (engine/decks.py)


def process_pool() -> concurrent.futures.ProcessPoolExecutor:
    if not _process_pool:
        workers = settings.max_processes or os.cpu_count() or 1
        _process_pool.append(
            concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        )
        atexit.register(shutdown)
    return _process_pool[0]


async def run_in_process(module: str, name: str, kwargs: dict[str, Any]) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(process_pool(), _process_entry, module, name, kwargs)


def shutdown() -> None:
    """Stop the worker pools (the process pool is also stopped at interpreter exit)."""
    while _thread_pool:
        _thread_pool.pop().shutdown(wait=True, cancel_futures=True)
    while _process_pool:
        _process_pool.pop().shutdown(wait=True, cancel_futures=True)
