"""Local, persistent task cache (Flyte's catalog on one machine): cache keys and the store API."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from aioflyte.engine._cache_store import DB_FILENAME, CacheStore

if TYPE_CHECKING:
    from flyteidl.core import literals_pb2

__all__ = [
    "DB_FILENAME",
    "CacheStore",
    "cache_dir",
    "cache_key",
    "clear_cache",
    "clear_cache_sync",
    "get_store",
    "wait_for_entry",
]

CACHE_DIR_ENV = "AIOFLYTE_CACHE_DIR"
_KEY_SCHEME = b"aioflyte-cache-key-v1"

_stores: dict[str, CacheStore] = {}


def cache_dir() -> str:
    """The cache directory: ``$AIOFLYTE_CACHE_DIR``, else ``<default data dir>/cache``."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return env
    from aioflyte.runscope import default_data_dir

    return os.path.join(default_data_dir(), "cache")


def get_store(directory: str | None = None) -> CacheStore:
    """The store for ``directory`` (default: the current ``cache_dir()``), memoized per path."""
    path = os.path.abspath(os.path.expanduser(directory if directory is not None else cache_dir()))
    store = _stores.get(path)
    if store is None:
        store = _stores[path] = CacheStore(path)
    return store


async def clear_cache(task_name: str | None = None) -> int:
    """Delete the cached outputs of one task (all tasks when None); returns how many were deleted."""
    return await get_store().clear(task_name)


def clear_cache_sync(task_name: str | None = None) -> int:
    """Blocking ``clear_cache`` for scripts and the CLI; not callable from a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(clear_cache(task_name))
    raise RuntimeError("clear_cache_sync() was called from a running event loop; use `await clear_cache(...)` instead")


def _frame(h: hashlib._Hash, tag: bytes, data: bytes) -> None:
    """Feed one tagged, length-prefixed field, so that different field sequences never collide."""
    h.update(tag)
    h.update(len(data).to_bytes(8, "big"))
    h.update(data)


def _feed_literal(h: hashlib._Hash, literal: literals_pb2.Literal) -> None:
    """Hash one literal: its ``hash`` override if set, recursing into collections and maps."""
    if literal.hash:
        _frame(h, b"H", literal.hash.encode())
        return
    kind = literal.WhichOneof("value")
    if kind == "collection":
        items = literal.collection.literals
        _frame(h, b"C", len(items).to_bytes(8, "big"))
        for item in items:
            _feed_literal(h, item)
    elif kind == "map":
        entries = literal.map.literals
        _frame(h, b"M", len(entries).to_bytes(8, "big"))
        for name in sorted(entries):
            _frame(h, b"K", name.encode())
            _feed_literal(h, entries[name])
    else:
        _frame(h, b"L", literal.SerializeToString(deterministic=True))


def cache_key(
    task_name: str,
    version: str,
    inputs: literals_pb2.LiteralMap,
    ignored_inputs: Iterable[str] = (),
) -> str:
    """sha256 hex of the task name, cache version and input literals (minus ``ignored_inputs``)."""
    ignored = frozenset(ignored_inputs)
    h = hashlib.sha256()
    _frame(h, b"S", _KEY_SCHEME)
    _frame(h, b"T", task_name.encode())
    _frame(h, b"V", version.encode())
    names = sorted(name for name in inputs.literals if name not in ignored)
    _frame(h, b"N", len(names).to_bytes(8, "big"))
    for name in names:
        _frame(h, b"K", name.encode())
        _feed_literal(h, inputs.literals[name])
    return h.hexdigest()


async def wait_for_entry(store: CacheStore, key: str, owner: str, ttl: float, poll: float = 0.05) -> bytes | None:
    """The entry once written, or None once ``owner`` holds the reservation (then run, put, release)."""
    # A holder that dies stops extending its reservation; when it expires, a waiter here takes over.
    while True:
        value = await store.get(key)
        if value is not None:
            return value
        if await store.reserve(key, owner, ttl):
            # The previous holder may have written and released between our get and reserve.
            value = await store.get(key)
            if value is None:
                return None
            await store.release(key, owner)
            return value
        await asyncio.sleep(poll)
