"""The cache stage of the task pipeline: look up, run once (serialized if asked), store.

The cache never fails a run: a store that cannot be read or written is counted and logged (the first time, with
its cause) and the task runs uncached; an entry that does not verify, or whose data is gone, is a miss that the
call replaces. ``FLYTE_LOCAL_CACHE_ENABLED=false`` turns the local cache off; ``FLYTE_LOCAL_CACHE_OVERWRITE=true``
(or a run's ``overwrite_cache``) reruns cached tasks and replaces their entries.

``cache_serialize``: identical calls in this process share one runner (and across processes, the store's
reservation); if the runner fails or is cancelled, a waiter takes over and runs the body itself; only a caller
that is itself cancelled sees ``CancelledError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from typing import Any

from flyteidl.core import literals_pb2 as _lit

from aioflyte.core.task import PythonTask
from aioflyte.engine import events, hashes
from aioflyte.engine._cache_store import CacheStore, CorruptEntry, Entry
from aioflyte.engine.cache_entries import DataGone, decode, literal_entry, outputs_plain, pickled_entry
from aioflyte.exceptions import FlyteCacheError
from aioflyte.runscope import RunState
from aioflyte.types.engine import TypeEngine

log = logging.getLogger("aioflyte.cache")

# Identical serialized calls in flight in this process, per event loop: key -> the runner's outcome.
_inflight: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Future[Entry]]] = (
    weakref.WeakKeyDictionary()
)


class _RunnerGone(Exception):
    """The call running a serialized body was cancelled: its waiters take over."""


_literal_types: weakref.WeakKeyDictionary[PythonTask, list[tuple[str, Any, Any]]] = weakref.WeakKeyDictionary()


async def _input_literals(
    task: PythonTask, raw: dict[str, Any], inputs: dict[str, Any], run: RunState
) -> dict[str, _lit.Literal]:
    """The inputs' literals (what the cache key hashes), with upstream outputs' HashMethod hashes."""
    spec = _literal_types.get(task)
    if spec is None:
        spec = _literal_types[task] = [
            (n, t, TypeEngine.to_literal_type(t)) for n, (t, _) in task.python_interface.inputs.items()
        ]
    out = {}
    for n, t, lt in spec:
        lit = out[n] = await TypeEngine.async_to_literal(None, inputs[n], t, lt)
        if not lit.hash:
            upstream = hashes.hash_of(run, raw.get(n))  # an upstream output's HashMethod hash
            if upstream is not None:
                lit.hash = upstream
    return out


async def _execute(task: PythonTask, plan: Any, run: RunState, inputs: dict[str, Any], store: CacheStore) -> Any:
    """Run the body (retries, timeout): (the caller's value, the entry to store)."""
    from aioflyte.engine.task_runner import run_with_retries

    if outputs_plain(task):
        value = await run_with_retries(task, plan, run, inputs)
        return value, pickled_entry(task, value)
    result = await run_with_retries(task, plan, run, inputs, convert=False)
    return await literal_entry(task, result, store)


async def _put(task: PythonTask, store: CacheStore, key: str, entry: Entry, replace: bool) -> None:
    try:
        await store.put(key, entry, task_name=task.name, version=task.metadata.cache_version, replace=replace)
        store.stats.puts += 1
    except FlyteCacheError as e:
        store.note_error(f"could not store the outputs of task {task.name}", e)


async def _lookup(task: PythonTask, store: CacheStore, key: str) -> tuple[bool, Any]:
    """(True, the caller's value) on a hit; (False, None) on a miss (a corrupt entry or one whose data is gone
    is a miss, and is removed)."""
    try:
        entry = await store.get(key)
    except CorruptEntry as e:
        log.warning("task %s: %s; running it again", task.name, e)
        await _forget_entry(store, key)
        return False, None
    except FlyteCacheError as e:
        store.note_error(f"lookup failed for task {task.name}, running it uncached", e)
        return False, None
    if entry is None:
        store.stats.misses += 1
        if events.on():
            events.event("cache miss", task=task.name, key=key[:16])
        return False, None
    found = await _decoded(task, store, key, entry)
    if events.on():
        events.event("cache hit" if found[0] else "cache miss", task=task.name, key=key[:16])
    return found


async def _decoded(task: PythonTask, store: CacheStore, key: str, entry: Entry) -> tuple[bool, Any]:
    try:
        value = await decode(task, entry, store)
    except DataGone as e:
        log.info("task %s: data of a cached result is gone (%s); running it again", task.name, e)
    except Exception as e:  # an entry that no longer decodes (e.g. a class that changed)
        log.warning(
            "task %s: a cached result could not be read (%s: %s); running it again", task.name, type(e).__name__, e
        )
    else:
        store.stats.hits += 1
        return True, value
    store.stats.misses += 1
    await _forget_entry(store, key)
    return False, None


async def _forget_entry(store: CacheStore, key: str) -> None:
    try:
        await store.delete(key)
    except FlyteCacheError as e:
        store.note_error("could not remove an unusable entry", e)


_SCALARS = frozenset((int, float, str, bool, bytes, type(None)))
# cache keys of calls whose inputs are all scalars, by (task, version, inputs): a repeated call skips building
# and hashing its input literals
_keys: dict[tuple[Any, ...], str] = {}


async def _key(task: PythonTask, raw: dict[str, Any], inputs: dict[str, Any], run: RunState) -> str:
    from aioflyte.engine.cache import cache_key

    md = task.metadata
    memo = None
    if not run.hashes and all(type(v) in _SCALARS for v in inputs.values()):
        memo = (task.name, md.cache_version, *((n, type(v), v) for n, v in inputs.items()))
        found = _keys.get(memo)
        if found is not None:
            return found
    key = cache_key(
        task.name, md.cache_version, await _input_literals(task, raw, inputs, run), md.cache_ignore_input_vars
    )
    if memo is not None:
        if len(_keys) >= 4096:
            _keys.clear()
        _keys[memo] = key
    return key


async def run_cached(task: PythonTask, plan: Any, run: RunState, raw: dict[str, Any]) -> Any:
    from aioflyte.engine.cache import get_store, local_cache_settings
    from aioflyte.engine.task_runner import convert_inputs, run_with_retries

    settings = local_cache_settings()
    if not settings.cache_enabled:
        return await run_with_retries(task, plan, run, raw)
    md = task.metadata
    inputs = await convert_inputs(task, plan, raw)  # type errors surface before any lookup
    key = await _key(task, raw, inputs, run)
    store = get_store()
    overwrite = run.overwrite_cache or settings.cache_overwrite
    if not overwrite:
        hit, value = await _lookup(task, store, key)
        if hit:
            return value
    if not md.cache_serialize:
        value, entry = await _execute(task, plan, run, inputs, store)
        if overwrite:
            await _put(task, store, key, entry, overwrite)
        else:  # the write goes on behind the caller's back (a serialized call's waiters need it written)
            store.put_behind(
                key,
                entry,
                task_name=task.name,
                version=md.cache_version,
                what=f"could not store the outputs of task {task.name}",
            )
        return value
    return await _serialized(task, plan, run, inputs, store, key, overwrite)


async def _serialized(
    task: PythonTask, plan: Any, run: RunState, inputs: dict[str, Any], store: CacheStore, key: str, overwrite: bool
) -> Any:
    """One runner per key in this process; the others wait for its entry, and take over if it fails or is
    cancelled (a waiter's own cancellation is the only ``CancelledError`` a waiter sees)."""
    loop = asyncio.get_running_loop()
    inflight = _inflight.setdefault(loop, {})
    while (fut := inflight.get(key)) is not None:
        try:
            entry = await asyncio.shield(fut)
        except Exception:
            continue  # the runner failed or was cancelled: the next waiter runs the body itself, as on Flyte
        hit, value = await _decoded(task, store, key, entry)
        if hit:
            return value
    fut = inflight[key] = loop.create_future()
    try:
        value, entry = await _run_serialized(task, plan, run, inputs, store, key, overwrite)
    except BaseException as e:
        fut.set_exception(e if isinstance(e, Exception) else _RunnerGone(task.name))
        fut.exception()  # waiters get it; mark it retrieved
        raise
    else:
        fut.set_result(entry)
    finally:
        if inflight.get(key) is fut:
            del inflight[key]
    return value


async def _keep_reserved(store: CacheStore, key: str, owner: str, ttl: float) -> None:
    while True:
        await asyncio.sleep(ttl / 2)
        with contextlib.suppress(FlyteCacheError):
            await store.extend(key, owner, ttl)


async def _run_serialized(
    task: PythonTask, plan: Any, run: RunState, inputs: dict[str, Any], store: CacheStore, key: str, overwrite: bool
) -> tuple[Any, Entry]:
    """Across processes: hold the store's reservation while running, or wait for the holder's entry."""
    from aioflyte.engine.cache import wait_for_entry
    from aioflyte.engine.config import settings

    ttl = settings.cache_reservation_ttl
    owner = uuid.uuid4().hex
    # Everything from the first reservation attempt on is inside this try: a call cancelled while its reservation
    # is being taken (the store's thread still commits it) or re-checked releases it too (a no-op when not held;
    # the store runs operations in order, so the release follows the reserve).
    try:
        while True:
            try:
                entry = None if overwrite else await wait_for_entry(store, key, owner, ttl)
            except FlyteCacheError as e:
                store.note_error(f"reservation failed for task {task.name}, running it uncached", e)
                return await _execute(task, plan, run, inputs, store)
            if entry is None:
                break
            hit, value = await _decoded(task, store, key, entry)
            if hit:
                return value, entry
        if overwrite:
            with contextlib.suppress(FlyteCacheError):
                await store.reserve(key, owner, ttl)
        keeper = asyncio.ensure_future(_keep_reserved(store, key, owner, ttl))
        try:
            value, entry = await _execute(task, plan, run, inputs, store)
            await _put(task, store, key, entry, overwrite)
            return value, entry
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
    finally:
        store.release_behind(key, owner)
