"""The cache stage of the task pipeline: look up, run once (serialized if asked), store.

The store never fails a run: if it is unreadable the task runs uncached and a warning is logged.
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
from aioflyte.exceptions import FlyteCacheError
from aioflyte.runscope import RunState
from aioflyte.types.engine import TypeEngine

log = logging.getLogger("aioflyte.cache")

# Identical calls in flight in this process, per event loop: key -> future of the serialized outputs.
_inflight: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Future[bytes]]] = (
    weakref.WeakKeyDictionary()
)


async def _input_literals(task: PythonTask, inputs: dict[str, Any]) -> _lit.LiteralMap:
    lm = _lit.LiteralMap()
    for n, (t, _) in task.python_interface.inputs.items():
        lm.literals[n].CopyFrom(await TypeEngine.to_literal(None, inputs[n], t))
    return lm


async def _output_literals(task: PythonTask, result: Any) -> _lit.LiteralMap:
    iface = task.python_interface
    values = iface.unpack_outputs(result, f"task {task.name}")
    lm = _lit.LiteralMap()
    for n, t in iface.outputs.items():
        lm.literals[n].CopyFrom(await TypeEngine.to_literal(None, values[n], t))
    return lm


async def _decode(task: PythonTask, data: bytes) -> Any:
    lm = _lit.LiteralMap()
    lm.ParseFromString(data)
    iface = task.python_interface
    values = {n: await TypeEngine.to_python_value(None, lm.literals[n], t) for n, t in iface.outputs.items()}
    return iface.pack_outputs(values)


async def _execute(task: PythonTask, plan: Any, run: RunState, inputs: dict[str, Any]) -> bytes:
    from aioflyte.engine.task_runner import run_with_retries

    result = await run_with_retries(task, plan, run, inputs)
    return (await _output_literals(task, result)).SerializeToString(deterministic=True)


async def _keep_reserved(store: Any, key: str, owner: str, ttl: float) -> None:
    while True:
        await asyncio.sleep(ttl / 2)
        with contextlib.suppress(FlyteCacheError):
            await store.extend(key, owner, ttl)


async def _run_serialized(
    task: PythonTask, plan: Any, run: RunState, inputs: dict[str, Any], store: Any, key: str
) -> bytes:
    """Across processes: hold the store's reservation while running, or wait for the holder's result."""
    from aioflyte.engine.cache import wait_for_entry
    from aioflyte.engine.config import settings

    ttl = settings.cache_reservation_ttl
    owner = uuid.uuid4().hex
    try:
        data = await wait_for_entry(store, key, owner, ttl)
    except FlyteCacheError as e:
        log.warning("cache unavailable for task %s, running uncached: %s", task.name, e)
        return await _execute(task, plan, run, inputs)
    if data is not None:
        return data
    keeper = asyncio.ensure_future(_keep_reserved(store, key, owner, ttl))
    try:
        data = await _execute(task, plan, run, inputs)
        await _put(task, store, key, data)
        return data
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        with contextlib.suppress(FlyteCacheError):
            await store.release(key, owner)


async def _put(task: PythonTask, store: Any, key: str, data: bytes) -> None:
    try:
        await store.put(key, data, task_name=task.name, version=task.metadata.cache_version)
    except FlyteCacheError as e:
        log.warning("could not store the cached outputs of task %s: %s", task.name, e)


async def run_cached(task: PythonTask, plan: Any, run: RunState, inputs: dict[str, Any]) -> Any:
    from aioflyte.engine.cache import cache_key, get_store
    from aioflyte.engine.task_runner import convert_inputs

    md = task.metadata
    inputs = await convert_inputs(task, plan, inputs)  # type errors surface before any lookup
    key = cache_key(task.name, md.cache_version, await _input_literals(task, inputs), md.cache_ignore_input_vars)
    store = get_store()
    try:
        hit = None if run.overwrite_cache else await store.get(key)
    except FlyteCacheError as e:
        log.warning("cache unavailable for task %s, running uncached: %s", task.name, e)
        hit = None
    if hit is not None:
        return await _decode(task, hit)
    if not md.cache_serialize:
        data = await _execute(task, plan, run, inputs)
        await _put(task, store, key, data)
        return await _decode(task, data)

    loop = asyncio.get_running_loop()
    inflight = _inflight.setdefault(loop, {})
    while (fut := inflight.get(key)) is not None:
        try:
            return await _decode(task, await asyncio.shield(fut))
        except Exception:
            continue  # the holder failed: like Flyte, the next waiter takes over and runs the body itself
    fut = inflight[key] = loop.create_future()
    try:
        data = await _run_serialized(task, plan, run, inputs, store, key)
    except BaseException as e:
        if not fut.done():
            fut.set_exception(e if isinstance(e, Exception) else asyncio.CancelledError())
            fut.exception()  # waiters get it; mark it retrieved
        raise
    else:
        fut.set_result(data)
    finally:
        inflight.pop(key, None)
    return await _decode(task, data)
