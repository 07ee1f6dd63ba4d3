"""Local, persistent task cache (Flyte's catalog on one machine): cache keys and the store API."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flyteidl.core import literals_pb2

from aioflyte.engine._cache_store import DB_FILENAME, CacheStore, CorruptEntry, Entry

if TYPE_CHECKING:
    from aioflyte.configuration.config import LocalConfig

__all__ = [
    "DB_FILENAME",
    "CacheStore",
    "Entry",
    "cache_dir",
    "cache_info",
    "cache_key",
    "clear_cache",
    "clear_cache_sync",
    "get_store",
    "local_cache_settings",
    "wait_for_entry",
]

CACHE_DIR_ENV = "AIOFLYTE_CACHE_DIR"
_KEY_SCHEME = b"aioflyte-cache-key-v1"

_stores: dict[str, CacheStore] = {}
_MAX_STORES = 8


def cache_dir() -> str:
    """The cache directory: ``$AIOFLYTE_CACHE_DIR``, else ``<default data dir>/cache``."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return env
    from aioflyte.runscope import default_data_dir

    return os.path.join(default_data_dir(), "cache")


def _env_reader(names: tuple[str, ...]) -> Any:
    """A function returning the current values of ``names`` (looked up on every call, cheaply: os.environ's
    mapping decodes every value it returns, which costs more than a cache hit should)."""
    data = getattr(os.environ, "_data", None)
    if os.name == "posix" and isinstance(data, dict):
        keys = tuple(os.fsencode(n) for n in names)
        return lambda: tuple(map(data.get, keys))
    return lambda: tuple(map(os.environ.get, names))


_by_env: dict[tuple[Any, ...], CacheStore] = {}
_dir_env = _env_reader((CACHE_DIR_ENV, "AIOFLYTE_HOME", "XDG_DATA_HOME", "HOME"))


def get_store(directory: str | None = None) -> CacheStore:
    """The store for ``directory`` (default: the current ``cache_dir()``), memoized per path."""
    if directory is None:
        env = _dir_env()
        found = _by_env.get(env)
        if found is None:
            found = _by_env[env] = get_store(cache_dir())
        return found
    path = os.path.abspath(os.path.expanduser(directory))
    store = _stores.get(path)
    if store is None:
        if len(_stores) >= _MAX_STORES:  # a process that used many cache dirs (tests): close the oldest
            oldest = next(iter(_stores))
            _stores.pop(oldest).close()
            for env, s in list(_by_env.items()):
                if s.directory == oldest:
                    del _by_env[env]
        store = _stores[path] = CacheStore(path)
    return store


async def clear_cache(task_name: str | None = None) -> int:
    """Delete the cached outputs of one task (all tasks when None); returns how many were deleted."""
    return await get_store().clear(task_name)


async def cache_info() -> dict[str, Any]:
    """The cache's location, entries (per task) and sizes, and this process's hit/miss/error counters."""
    return await get_store().info()


_settings: dict[tuple[Any, ...], LocalConfig] = {}
_settings_env = _env_reader(("FLYTE_LOCAL_CACHE_ENABLED", "FLYTE_LOCAL_CACHE_OVERWRITE", "FLYTECTL_CONFIG", "HOME"))


def local_cache_settings() -> LocalConfig:
    """flytekit's local cache switches (``FLYTE_LOCAL_CACHE_ENABLED``, ``FLYTE_LOCAL_CACHE_OVERWRITE``, or
    ``[local] cache_enabled`` / ``cache_overwrite`` in the config file), read again when these variables or the
    config file's location change (not when the file's contents change: a new process reads those)."""
    key = _settings_env()
    found = _settings.get(key)
    if found is None:
        from aioflyte.configuration.config import LocalConfig

        if len(_settings) > 64:
            _settings.clear()
        found = _settings[key] = LocalConfig.auto()
    return found


def clear_cache_sync(task_name: str | None = None) -> int:
    """Blocking ``clear_cache`` for scripts and the CLI; not callable from a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(clear_cache(task_name))
    raise RuntimeError("clear_cache_sync() was called from a running event loop; use `await clear_cache(...)` instead")


def _frame(h: bytearray, tag: bytes, data: bytes) -> None:
    """Feed one tagged, length-prefixed field, so that different field sequences never collide."""
    h += tag
    h += len(data).to_bytes(8, "big")
    h += data


_prefixes: dict[tuple[str, str], Any] = {}


def _feed_literal(h: bytearray, literal: literals_pb2.Literal) -> None:
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
    inputs: literals_pb2.LiteralMap | Mapping[str, literals_pb2.Literal],
    ignored_inputs: Iterable[str] = (),
) -> str:
    """sha256 hex of the task name, cache version and input literals (minus ``ignored_inputs``): a LiteralMap or
    the literals by name."""
    prefix = _prefixes.get((task_name, version))
    if prefix is None:
        head = bytearray()
        _frame(head, b"S", _KEY_SCHEME)
        _frame(head, b"T", task_name.encode())
        _frame(head, b"V", version.encode())
        if len(_prefixes) > 4096:
            _prefixes.clear()
        prefix = _prefixes[(task_name, version)] = hashlib.sha256(head)
    h = prefix.copy()
    buf = bytearray()
    literals = inputs.literals if isinstance(inputs, literals_pb2.LiteralMap) else inputs
    names = sorted(name for name in literals if name not in ignored_inputs) if ignored_inputs else sorted(literals)
    _frame(buf, b"N", len(names).to_bytes(8, "big"))
    for name in names:
        _frame(buf, b"K", name.encode())
        _feed_literal(buf, literals[name])
    h.update(buf)
    return h.hexdigest()


async def _entry(store: CacheStore, key: str) -> Entry | None:
    try:
        return await store.get(key)
    except CorruptEntry:
        return None  # rerun and replace it


async def wait_for_entry(store: CacheStore, key: str, owner: str, ttl: float, poll: float = 0.05) -> Entry | None:
    """The entry once written, or None once ``owner`` holds the reservation (then run, put, release)."""
    # A holder that dies stops extending its reservation; when it expires, a waiter here takes over.
    while True:
        value = await _entry(store, key)
        if value is not None:
            return value
        if await store.reserve(key, owner, ttl):
            # The previous holder may have written and released between our get and reserve.
            value = await _entry(store, key)
            if value is None:
                return None
            await store.release(key, owner)
            return value
        await asyncio.sleep(poll)
