"""The SQLite file behind the local task cache: entries, cross-process reservations and the store's MAC key.

One worker thread per store owns one connection and runs every operation in turn (bounded: never a thread per
lookup; ``aioflyte.engine._sqlite_worker``). The file is in WAL mode
with ``synchronous=NORMAL``: a committed entry survives a crash of the process, and a power loss can drop the
last entries written (the cache then recomputes them), never corrupt the file.

Every entry carries an HMAC (SHA-256) of its contents under a random key kept beside the database (``cache.key``,
owner-only), checked before the entry is used: an entry that does not verify is treated as corrupt. The
directory is created owner-only (0700), the database and key files 0600.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from aioflyte.engine._sqlite_worker import SqliteWorker
from aioflyte.exceptions import FlyteCacheError

log = logging.getLogger("aioflyte.cache")

DB_FILENAME = "cache.db"
KEY_FILENAME = "cache.key"
GENERATION_FILENAME = "generation"
OBJECTS_DIRNAME = "objects"
SCHEMA_VERSION = 2
_BUSY_TIMEOUT_S = 30.0
_MEMO_ENTRIES = 1024
_MEMO_BYTES = 64 << 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key        TEXT PRIMARY KEY,
    task_name  TEXT NOT NULL,
    version    TEXT NOT NULL,
    format     TEXT NOT NULL,
    payload    BLOB NOT NULL,
    refs       TEXT NOT NULL,
    mac        BLOB NOT NULL,
    size       INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_task_name ON entries (task_name);
CREATE TABLE IF NOT EXISTS reservations (
    key        TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at REAL NOT NULL
);
DROP TABLE IF EXISTS cache_entries;
"""

T = TypeVar("T")
_ASK_WORKER: Any = object()
_READ_HERE_BYTES = 64 << 10  # entries up to this size are read on the caller's thread


class Entry(NamedTuple):
    """One cached call's outputs: ``format`` says how ``payload`` encodes them (``pickle``: the output values
    pickled; ``literals``: a serialized LiteralMap); ``refs`` are the URIs of data the outputs point at."""

    format: str
    payload: bytes
    refs: tuple[str, ...] = ()


class CorruptEntry(Exception):
    """An entry that fails its MAC check (or cannot be read): the caller treats it as a miss and replaces it."""


class Stats:
    """Counters of one store in this process."""

    __slots__ = ("errors", "hits", "memo_hits", "misses", "puts")

    def __init__(self) -> None:
        self.hits = self.memo_hits = self.misses = self.puts = self.errors = 0

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__slots__}


def _owner_only_dir(path: str) -> None:
    """Create ``path`` (and parents) with mode 0700; tighten it if it is this user's cache folder (empty, or holding
    a cache database) left looser by an older version. Another folder named by ``$AIOFLYTE_CACHE_DIR`` keeps its
    mode: the entries in it are verified anyway."""
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
    st = os.stat(path)
    if st.st_uid == os.getuid() and st.st_mode & 0o077:
        names = os.listdir(path)
        if not names or DB_FILENAME in names:
            os.chmod(path, 0o700)


def _owner_only_file(path: str) -> None:
    """Make sure ``path`` exists with mode 0600 (created so, or tightened if ours)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        st = os.stat(path)
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.chmod(path, 0o600)
    else:
        os.close(fd)


def _read_or_make_key(path: str) -> bytes:
    """The store's MAC key: read it, or write a new random one atomically (a concurrent creator wins once)."""
    for _ in range(50):
        try:
            with open(path, "rb") as f:
                key = f.read()
            if len(key) >= 32:
                return key
        except FileNotFoundError:
            pass
        tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # fails if another process made it first: then read theirs
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    raise OSError(f"cannot read the cache key {path}")


class CacheStore:
    """The local cache in one directory: entries (verified), reservations, an in-process memo of recent hits."""

    def __init__(self, directory: str | None = None) -> None:
        if directory is None:
            from aioflyte.engine.cache import cache_dir

            directory = cache_dir()
        self.directory: str = os.path.abspath(os.path.expanduser(directory))
        self.path: str = os.path.join(self.directory, DB_FILENAME)
        self.objects: str = os.path.join(self.directory, OBJECTS_DIRNAME)
        self._generation_file = os.path.join(self.directory, GENERATION_FILENAME)
        self.stats = Stats()
        self._key: bytes | None = None
        self._worker = SqliteWorker(self._open, "aioflyte-cache")
        self._memo: OrderedDict[str, Entry] = OrderedDict()
        self._memo_bytes = 0
        self._memo_lock = threading.Lock()
        self._generation: tuple[int, int, int] | None = None
        self._lookups: dict[str, asyncio.Future[Entry | None]] = {}
        self._reader: sqlite3.Connection | None = None  # for reading small entries on the caller's thread
        self._reader_pid = 0
        self._reader_lock = threading.Lock()
        self._logged: set[str] = set()

    def __repr__(self) -> str:
        return f"CacheStore({self.directory!r})"

    # --- the connection (in the worker thread) ------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        _owner_only_dir(self.directory)
        self._key = _read_or_make_key(os.path.join(self.directory, KEY_FILENAME))
        _owner_only_file(self.path)  # SQLite gives its -wal and -shm files the database file's mode
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        try:
            _init_schema(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    async def _run(self, operation: str, fn: Callable[..., T], *args: Any) -> T:
        try:
            return await self._worker.submit(fn, *args)
        except (sqlite3.DatabaseError, OSError) as e:
            raise self._error(operation, e) from e

    def _error(self, operation: str, e: BaseException) -> FlyteCacheError:
        if isinstance(e, sqlite3.DatabaseError) and _is_corrupt(e):
            return FlyteCacheError(
                f"local cache {operation} failed: {self.path} is corrupt or not a cache database ({e}); "
                "`aioflyte cache clear` removes it"
            )
        return FlyteCacheError(f"local cache {operation} failed for {self.path}: {e}")

    def _mac(self, key: str, fmt: str, refs: str, payload: bytes) -> bytes:
        assert self._key is not None
        head = b"".join(len(p).to_bytes(8, "big") + p for p in (key.encode(), fmt.encode(), refs.encode()))
        return hmac.digest(self._key, head + payload, "sha256")

    # --- errors -------------------------------------------------------------------------------------------------

    def note_error(self, what: str, error: BaseException) -> None:
        """Count a store error; log the first of each kind as a warning with its cause (later ones at debug)."""
        self.stats.errors += 1
        kind = f"{what}:{type(error).__name__}"
        if kind in self._logged:
            log.debug("local cache %s: %s", what, error)
            return
        self._logged.add(kind)
        log.warning("local cache %s (this kind of error is logged once; see `aioflyte cache info`): %s", what, error)

    # --- the memo -----------------------------------------------------------------------------------------------

    def _generation_now(self) -> tuple[int, int, int]:
        try:
            st = os.stat(self._generation_file)
        except OSError:
            return (0, 0, 0)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _memo_get(self, key: str) -> Entry | None:
        entry = self._memo.get(key)
        if entry is None:
            return None
        gen = self._generation_now()  # another process cleared or overwrote entries: forget what we know
        if gen != self._generation:
            self.forget()
            self._generation = gen
            return None
        with self._memo_lock:
            if key in self._memo:
                self._memo.move_to_end(key)
        return entry

    def _memo_put(self, key: str, entry: Entry) -> None:
        size = len(entry.payload)
        if size > _MEMO_BYTES // 8:
            return
        if not self._memo:
            self._generation = self._generation_now()
        with self._memo_lock:
            old = self._memo.pop(key, None)
            if old is not None:
                self._memo_bytes -= len(old.payload)
            self._memo[key] = entry
            self._memo_bytes += size
            while len(self._memo) > _MEMO_ENTRIES or self._memo_bytes > _MEMO_BYTES:
                _, dropped = self._memo.popitem(last=False)
                self._memo_bytes -= len(dropped.payload)

    def forget(self, key: str | None = None) -> None:
        """Drop one key (or everything) from the in-process memo."""
        with self._memo_lock:
            if key is None:
                self._memo.clear()
                self._memo_bytes = 0
            else:
                old = self._memo.pop(key, None)
                if old is not None:
                    self._memo_bytes -= len(old.payload)

    def _bump_generation(self) -> None:
        """Tell other processes' memos that entries were removed or replaced."""
        path = os.path.join(self.directory, GENERATION_FILENAME)
        tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(8))
        os.replace(tmp, path)

    # --- entries ------------------------------------------------------------------------------------------------

    async def get(self, key: str) -> Entry | None:
        """The verified entry stored under ``key``, or None. Raises ``CorruptEntry`` for an entry that does not
        verify (the caller reruns and replaces it) and ``FlyteCacheError`` if the store cannot be read.
        Concurrent lookups of one key in one loop share one read."""
        entry = self._memo_get(key)
        if entry is not None:
            self.stats.memo_hits += 1
            return entry
        found = self._read_here(key)
        if found is not _ASK_WORKER:
            if found is not None:
                self._memo_put(key, found)
            return found
        pending = self._lookups.get(key)
        if pending is not None and pending.get_loop() is asyncio.get_running_loop():
            return await asyncio.shield(pending)
        fut = self._lookups[key] = asyncio.ensure_future(self._run("get", self._get, key))
        try:
            entry = await asyncio.shield(fut)
        finally:
            if self._lookups.get(key) is fut:
                del self._lookups[key]
        if entry is not None:
            self._memo_put(key, entry)
        return entry

    def _read_here(self, key: str) -> Any:
        """Read a small entry on this thread, on its own read-only use of the file: the entry, None, or
        ``_ASK_WORKER`` (a large entry, a store not opened yet, or anything unusual: the worker then reads it and
        reports errors). Under WAL a reader never waits for writers, so this does not block the loop."""
        if self._key is None or not self._reader_lock.acquire(blocking=False):
            return _ASK_WORKER  # the worker opens the store (folder, key, schema) first; or another thread reads
        try:
            conn = self._reader
            if conn is None or self._reader_pid != os.getpid():
                conn = self._reader = sqlite3.connect(
                    self.path, timeout=0, isolation_level=None, check_same_thread=False
                )
                self._reader_pid = os.getpid()
            row = conn.execute(
                "SELECT format, CASE WHEN size <= ? THEN payload END, refs, mac FROM entries WHERE key = ?",
                (_READ_HERE_BYTES, key),
            ).fetchone()
        except sqlite3.Error:
            self._close_reader()
            return _ASK_WORKER
        finally:
            self._reader_lock.release()
        if row is not None and row[1] is None:
            return _ASK_WORKER  # too large to read on the loop
        return self._entry(key, row)

    def _get(self, conn: sqlite3.Connection, key: str) -> Entry | None:
        row = conn.execute("SELECT format, payload, refs, mac FROM entries WHERE key = ?", (key,)).fetchone()
        return self._entry(key, row)

    def _entry(self, key: str, row: Any) -> Entry | None:
        if row is None:
            return None
        fmt, payload, refs, mac = row
        payload = bytes(payload)
        if not hmac.compare_digest(bytes(mac), self._mac(key, fmt, refs, payload)):
            raise CorruptEntry(f"the entry {key[:12]}… in {self.path} fails its integrity check")
        return Entry(fmt, payload, tuple(refs.split("\n")) if refs else ())

    async def put(self, key: str, entry: Entry, *, task_name: str, version: str, replace: bool = False) -> None:
        """Store (or replace) one cached call's outputs; ``replace`` tells other processes to forget the old."""
        self.forget(key)
        await self._run("put", self._put, key, entry, task_name, version, replace)
        self._memo_put(key, entry)

    def put_behind(self, key: str, entry: Entry, *, task_name: str, version: str, what: str) -> None:
        """``put`` without waiting for the write (this process sees the entry at once, through the memo; the
        worker writes it next, before any later operation); a failure is counted and logged as ``what``."""
        self.forget(key)
        self._memo_put(key, entry)
        fut = self._worker.submit(self._put, key, entry, task_name, version, False)
        fut.add_done_callback(lambda f: self._written(f, key, what))

    def _written(self, fut: Any, key: str, what: str) -> None:
        if fut.cancelled():
            return
        e = fut.exception()
        if e is None:
            self.stats.puts += 1
        else:
            self.forget(key)  # what this process remembers is what is stored
            self.note_error(what, self._error("put", e) if isinstance(e, (sqlite3.DatabaseError, OSError)) else e)

    def _put(
        self, conn: sqlite3.Connection, key: str, entry: Entry, task_name: str, version: str, replace: bool
    ) -> None:
        refs = "\n".join(entry.refs)
        conn.execute(
            "INSERT OR REPLACE INTO entries (key, task_name, version, format, payload, refs, mac, size, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                task_name,
                version,
                entry.format,
                entry.payload,
                refs,
                self._mac(key, entry.format, refs, entry.payload),
                len(entry.payload),
                time.time(),
            ),
        )
        if replace:
            self._bump_generation()

    async def delete(self, key: str) -> None:
        """Remove one entry (e.g. one whose data is gone)."""
        self.forget(key)
        await self._run("delete", self._delete, key)

    def _delete(self, conn: sqlite3.Connection, key: str) -> None:
        conn.execute("DELETE FROM entries WHERE key = ?", (key,))
        self._bump_generation()

    async def clear(self, task_name: str | None = None) -> int:
        """Delete the entries of one task (all entries when None); returns how many were deleted."""
        self.forget()
        try:
            return await self._run("clear", self._clear, task_name)
        except FlyteCacheError as e:
            cause = e.__cause__
            if task_name is not None or not isinstance(cause, sqlite3.DatabaseError) or not _is_corrupt(cause):
                raise
        log.warning("removing the corrupt local cache database %s", self.path)
        self._worker.stop()
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(self.path + suffix)
            except FileNotFoundError:
                pass
        return 0

    def _clear(self, conn: sqlite3.Connection, task_name: str | None) -> int:
        if task_name is None:
            cur = conn.execute("DELETE FROM entries")
        else:
            cur = conn.execute("DELETE FROM entries WHERE task_name = ?", (task_name,))
        deleted = max(cur.rowcount, 0)
        conn.execute("DELETE FROM reservations WHERE expires_at <= ?", (time.time(),))
        self._bump_generation()
        if task_name is None and os.path.isdir(self.objects):
            import shutil

            shutil.rmtree(self.objects, ignore_errors=True)
        return deleted

    async def count(self) -> int:
        """The number of entries."""
        return await self._run("count", lambda conn: conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    async def info(self) -> dict[str, Any]:
        """What ``aioflyte cache info`` shows: where the store is, its entries and sizes, and this process's
        counters."""
        report = await self._run("info", self._info)
        report["stats"] = self.stats.as_dict()  # counted on the loops, after the writes queued before this
        return report

    def _info(self, conn: sqlite3.Connection) -> dict[str, Any]:
        rows = conn.execute(
            "SELECT task_name, COUNT(*), SUM(size) FROM entries GROUP BY task_name ORDER BY task_name"
        ).fetchall()
        files = 0
        for name in os.listdir(self.directory):
            p = os.path.join(self.directory, name)
            if os.path.isfile(p):
                files += os.path.getsize(p)
        objects = tree_size(self.objects)
        return {
            "directory": self.directory,
            "entries": sum(r[1] for r in rows),
            "payload_bytes": sum(r[2] or 0 for r in rows),
            "disk_bytes": files + objects,
            "tasks": {r[0]: {"entries": r[1], "payload_bytes": r[2] or 0} for r in rows},
        }

    # --- reservations (cache_serialize across processes) ---------------------------------------------------------

    async def reserve(self, key: str, owner: str, ttl: float) -> bool:
        """Atomically take the reservation of ``key`` if it is free, expired or already ``owner``'s."""
        return await self._run("reserve", _reserve, key, owner, ttl)

    async def release(self, key: str, owner: str) -> None:
        """Drop ``owner``'s reservation of ``key`` (a no-op if someone else holds it)."""
        await self._run("release", _release, key, owner)

    def release_behind(self, key: str, owner: str) -> None:
        """``release`` without waiting (from a ``finally`` of a call being cancelled: no task is left behind; the
        store runs it after every operation queued before it). A failure is counted and logged."""
        fut = self._worker.submit(_release, key, owner)

        def done(f: Any) -> None:
            if not f.cancelled() and f.exception() is not None:
                e = f.exception()
                self.note_error("could not release a reservation", self._error("release", e))

        fut.add_done_callback(done)

    async def extend(self, key: str, owner: str, ttl: float) -> bool:
        """Push ``owner``'s reservation to expire ``ttl`` seconds from now; False if it is not held."""

        def _extend(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE reservations SET expires_at = ? WHERE key = ? AND owner = ?", (time.time() + ttl, key, owner)
            )
            return cur.rowcount > 0

        return await self._run("extend", _extend)

    def close(self) -> None:
        """End the worker thread (it also ends by itself after a few idle seconds) and close the reader (both
        start again if the store is used again)."""
        self._worker.stop()
        with self._reader_lock:
            self._close_reader()

    def _close_reader(self) -> None:
        conn, self._reader = self._reader, None
        if conn is not None and self._reader_pid == os.getpid():
            conn.close()


def _release(conn: sqlite3.Connection, key: str, owner: str) -> None:
    conn.execute("DELETE FROM reservations WHERE key = ? AND owner = ?", (key, owner))


def _reserve(conn: sqlite3.Connection, key: str, owner: str, ttl: float) -> bool:
    conn.execute("BEGIN IMMEDIATE")  # take the write lock before reading: no lost races
    try:
        row = conn.execute("SELECT owner, expires_at FROM reservations WHERE key = ?", (key,)).fetchone()
        now = time.time()
        granted = row is None or row[0] == owner or row[1] <= now
        if granted:
            conn.execute(
                "INSERT OR REPLACE INTO reservations (key, owner, expires_at) VALUES (?, ?, ?)", (key, owner, now + ttl)
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return granted


def _is_corrupt(e: sqlite3.DatabaseError) -> bool:
    return "not a database" in str(e) or "malformed" in str(e)


def tree_size(path: str) -> int:
    """Bytes of the files under ``path`` (0 if it is missing; files that vanish meanwhile are skipped)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def _init_schema(conn: sqlite3.Connection) -> None:
    """WAL with synchronous=NORMAL (best effort: a filesystem without WAL keeps its journal), then the tables."""
    try:
        conn.execute("PRAGMA journal_mode=WAL").fetchall()
    except sqlite3.OperationalError:
        pass  # locked by a concurrent switch; the file works in either mode
    conn.execute("PRAGMA synchronous=NORMAL")
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    # BEGIN IMMEDIATE takes the write lock up front, so concurrent creators wait (busy_timeout) instead of
    # failing to upgrade a read transaction, which SQLite refuses without waiting.
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
