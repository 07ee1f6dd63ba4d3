"""The SQLite file behind the local task cache: entries plus cross-process reservations."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aioflyte.exceptions import FlyteCacheError

if TYPE_CHECKING:
    import aiosqlite

DB_FILENAME = "cache.db"
_BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_entries (
    key        TEXT PRIMARY KEY,
    task_name  TEXT NOT NULL,
    version    TEXT NOT NULL,
    outputs    BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS cache_entries_task_name ON cache_entries (task_name);
CREATE TABLE IF NOT EXISTS reservations (
    key        TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""

# Database paths whose schema this process has already created (once per process per path).
_initialized: set[str] = set()


class CacheStore:
    """Async access to one ``cache.db``; opens a connection per operation so no thread outlives a loop."""

    def __init__(self, directory: str | None = None) -> None:
        if directory is None:
            from aioflyte.engine.cache import cache_dir

            directory = cache_dir()
        self.directory: str = os.path.abspath(os.path.expanduser(directory))
        self.path: str = os.path.join(self.directory, DB_FILENAME)

    def __repr__(self) -> str:
        return f"CacheStore({self.directory!r})"

    @contextlib.asynccontextmanager
    async def _connect(self, operation: str) -> AsyncIterator[aiosqlite.Connection]:
        """Open a connection (creating the directory and schema on first use), wrapping SQLite errors."""
        import sqlite3

        import aiosqlite

        try:
            if self.path not in _initialized:
                os.makedirs(self.directory, exist_ok=True)
            # timeout= is SQLite's busy_timeout: wait for other processes' locks instead of failing.
            async with aiosqlite.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None) as db:
                if self.path not in _initialized:
                    await _init_schema(db, self.path)
                yield db
        except (sqlite3.Error, OSError) as e:
            raise FlyteCacheError(f"local cache {operation} failed for {self.path}: {e}") from e

    async def get(self, key: str) -> bytes | None:
        """The serialized output LiteralMap stored under ``key``, or None."""
        async with self._connect("get") as db:
            async with db.execute("SELECT outputs FROM cache_entries WHERE key = ?", (key,)) as cur:
                row = await cur.fetchone()
        return None if row is None else bytes(row[0])

    async def put(self, key: str, outputs: bytes, *, task_name: str, version: str) -> None:
        """Store (or replace) the serialized outputs of one cached task execution."""
        async with self._connect("put") as db:
            await db.execute(
                "INSERT OR REPLACE INTO cache_entries (key, task_name, version, outputs, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (key, task_name, version, bytes(outputs), time.time()),
            )

    async def clear(self, task_name: str | None = None) -> int:
        """Delete the entries of one task (all entries when None); returns how many were deleted."""
        async with self._connect("clear") as db:
            if task_name is None:
                cur = await db.execute("DELETE FROM cache_entries")
            else:
                cur = await db.execute("DELETE FROM cache_entries WHERE task_name = ?", (task_name,))
            deleted = cur.rowcount
            await cur.close()
            await db.execute("DELETE FROM reservations WHERE expires_at <= ?", (time.time(),))
        return max(deleted, 0)

    async def count(self) -> int:
        """The number of cache entries."""
        async with self._connect("count") as db:
            async with db.execute("SELECT COUNT(*) FROM cache_entries") as cur:
                row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def reserve(self, key: str, owner: str, ttl: float) -> bool:
        """Atomically take the reservation of ``key`` if it is free, expired or already ``owner``'s."""
        async with self._connect("reserve") as db:
            await db.execute("BEGIN IMMEDIATE")  # take the write lock before reading: no lost races
            try:
                async with db.execute("SELECT owner, expires_at FROM reservations WHERE key = ?", (key,)) as cur:
                    row = await cur.fetchone()
                now = time.time()
                granted = row is None or row[0] == owner or row[1] <= now
                if granted:
                    await db.execute(
                        "INSERT OR REPLACE INTO reservations (key, owner, expires_at) VALUES (?, ?, ?)",
                        (key, owner, now + ttl),
                    )
                await db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    await db.execute("ROLLBACK")
                raise
        return granted

    async def release(self, key: str, owner: str) -> None:
        """Drop ``owner``'s reservation of ``key`` (a no-op if someone else holds it)."""
        async with self._connect("release") as db:
            await db.execute("DELETE FROM reservations WHERE key = ? AND owner = ?", (key, owner))

    async def extend(self, key: str, owner: str, ttl: float) -> bool:
        """Push ``owner``'s reservation to expire ``ttl`` seconds from now; False if it is not held."""
        async with self._connect("extend") as db:
            cur = await db.execute(
                "UPDATE reservations SET expires_at = ? WHERE key = ? AND owner = ?",
                (time.time() + ttl, key, owner),
            )
            updated = cur.rowcount
            await cur.close()
        return updated > 0


async def _init_schema(db: aiosqlite.Connection, path: str) -> None:
    """Switch the file to WAL (best effort: another process may be doing it) and create the tables."""
    import sqlite3

    settled = True
    try:
        # Fetch and close the cursor: a pending statement would keep a read transaction open.
        # (A filesystem without WAL support keeps its journal mode; that is fine.)
        async with db.execute("PRAGMA journal_mode=WAL") as cur:
            await cur.fetchall()
    except sqlite3.OperationalError:
        settled = False  # locked by a concurrent switch; the file works in either mode: retry next time
    # BEGIN IMMEDIATE takes the write lock up front, so concurrent creators wait (busy_timeout)
    # instead of failing to upgrade a read transaction, which SQLite refuses without waiting.
    await db.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                await db.execute(statement)
        await db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            await db.execute("ROLLBACK")
        raise
    if settled:
        _initialized.add(path)
