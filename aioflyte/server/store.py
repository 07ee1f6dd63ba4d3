"""SQLite state of the server (aiosqlite): registered entities (tasks, workflows, launch plans) and projects.

One connection per server; every statement runs under one ``asyncio.Lock`` so multi-statement changes (activating a
launch plan deactivates the previous one) are atomic. Entities are stored as their serialized admin messages plus
the columns the queries need; the schema is created on open, so a state directory survives restarts.

Writes go through :meth:`Store.write`: the statements and their commit (or rollback) run as one unit that the
caller being cancelled (a terminated execution, an RPC past its deadline) never interrupts halfway, so a cancelled
writer can never leave a transaction open on the shared connection for the next writer to commit or roll back.
Reads go through :meth:`Store.read`: one round trip to the connection's thread.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from flyteidl.core import identifier_pb2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind INTEGER NOT NULL,
    project TEXT NOT NULL,
    domain TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    digest BLOB NOT NULL,
    payload BLOB NOT NULL,
    state INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (kind, project, domain, name, version)
);
CREATE INDEX IF NOT EXISTS entities_by_name ON entities (kind, project, domain, name, created_at);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    payload BLOB NOT NULL,
    state INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
"""

#: Sort keys a list request may name, and the column each one orders by.
ENTITY_SORT_KEYS = {"created_at": "created_at", "name": "name", "version": "version", "updated_at": "updated_at"}
ID_SORT_KEYS = {"name": "name", "created_at": "created_at"}
PROJECT_SORT_KEYS = {"identifier": "id", "id": "id", "created_at": "created_at"}


@dataclass(frozen=True)
class Key:
    """What identifies one entity version (``core.Identifier`` without ``org``)."""

    kind: identifier_pb2.ResourceType
    project: str
    domain: str
    name: str
    version: str


@dataclass(frozen=True)
class Row:
    key: Key
    digest: bytes
    payload: bytes
    state: int
    created_at: int  # nanoseconds since the epoch
    updated_at: int


T = TypeVar("T")


def now_ns() -> int:
    return time.time_ns()


def _row(r: Any) -> Row:
    return Row(Key(r[0], r[1], r[2], r[3], r[4]), r[5], r[6], r[7], r[8], r[9])


_COLUMNS = "kind, project, domain, name, version, digest, payload, state, created_at, updated_at"
_WHERE_KEY = "kind = ? AND project = ? AND domain = ? AND name = ? AND version = ?"


class _Unchanged(Exception):
    """Raised inside a write to roll it back: the row it would change does not exist."""


def _key_params(key: Key) -> tuple[Any, ...]:
    return (key.kind, key.project, key.domain, key.name, key.version)


def owner_only(path: Path) -> None:
    """Make the database file ``path`` (and its folder when new) readable by its owner only: the folder 0700,
    the file (created empty when missing, which SQLite takes as a new database) and its WAL files 0600.
    SQLite gives the WAL and shared-memory files the database file's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(p, 0o600)


class Store:
    """The server's state in ``<state_dir>/state.db``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        #: writes in flight (each its own task, so its caller's cancellation cannot cut it short)
        self._writes: set[asyncio.Task[Any]] = set()

    async def open(self) -> bool:
        """Open (creating the schema); True if the database is new."""
        owner_only(self.path)
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        async with self._db.execute("SELECT name FROM sqlite_master WHERE name = 'entities'") as cur:
            new = await cur.fetchone() is None
        await self._db.executescript(_SCHEMA)
        await self._db.commit()
        return new

    async def close(self) -> None:
        """Finish the writes in flight, then close the connection."""
        while self._writes:
            await asyncio.wait(list(self._writes))
        if self._db is not None:
            async with self._lock:
                await self._db.close()
            self._db = None

    @property
    def lock(self) -> asyncio.Lock:
        """The lock every statement runs under (other tables in this database, e.g. executions, share it)."""
        return self._lock

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    async def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """The rows of one query (a single round trip to the connection's thread, under the lock)."""
        async with self._lock:
            return list(await self.db.execute_fetchall(sql, params))

    async def write(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run ``work``'s statements as one transaction under the lock: committed when it returns, rolled back
        when it raises (the exception is re-raised). It runs in a task of its own, shielded from the caller: a
        caller cancelled meanwhile gets ``CancelledError`` at once, while the transaction still completes (in the
        order it was asked for), so the connection and the lock are never left mid-transaction."""
        task = asyncio.ensure_future(self._transaction(work))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        return await asyncio.shield(task)

    async def _transaction(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        async with self._lock:
            db = self.db
            try:
                result = await work(db)
            except BaseException:
                await db.rollback()
                raise
            await db.commit()
            return result

    async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return await self.read(sql, params)

    async def _fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = await self.read(sql, params)
        return rows[0] if rows else None

    # --- entities -------------------------------------------------------------------------------------------------

    async def get(self, key: Key) -> Row | None:
        r = await self._fetchone(f"SELECT {_COLUMNS} FROM entities WHERE {_WHERE_KEY}", _key_params(key))
        return None if r is None else _row(r)

    async def insert(self, key: Key, digest: bytes, payload: bytes, *, state: int = 0, created_at: int) -> bool:
        """Insert a new version; False (and nothing written) if that version exists already."""

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                f"INSERT INTO entities ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*_key_params(key), digest, payload, state, created_at, created_at),
            )

        try:
            await self.write(work)
        except aiosqlite.IntegrityError:
            return False
        return True

    async def list(
        self,
        kind: identifier_pb2.ResourceType,
        project: str,
        domain: str,
        name: str | None,
        *,
        limit: int,
        offset: int,
        sort_key: str = "created_at",
        ascending: bool = False,
        state: int | None = None,
        filters: str = "",
        entity: str = "task",
    ) -> list[Row]:
        """Versions of one name (or of every name when ``name`` is None) matching flyteadmin-style ``filters``
        (fields prefixed ``entity.`` allowed), sorted, one page."""
        from aioflyte.server.filters import ENTITY_FIELDS, to_sql

        extra, extra_params = to_sql(filters, ENTITY_FIELDS, entity)
        where = ["kind = ?", "project = ?", "domain = ?"]
        params: list[Any] = [kind, project, domain]
        if name:
            where.append("name = ?")
            params.append(name)
        if state is not None:
            where.append("state = ?")
            params.append(state)
        direction = "ASC" if ascending else "DESC"
        column = ENTITY_SORT_KEYS[sort_key]
        sql = (
            f"SELECT {_COLUMNS} FROM entities WHERE {' AND '.join(where)}{extra} "
            f"ORDER BY {column} {direction}, seq {direction} LIMIT ? OFFSET ?"
        )
        return [_row(r) for r in await self._fetchall(sql, (*params, *extra_params, limit, offset))]

    async def list_names(
        self,
        kind: identifier_pb2.ResourceType,
        project: str,
        domain: str,
        *,
        limit: int,
        offset: int,
        sort_key: str,
        ascending: bool,
    ) -> builtins.list[str]:
        """The distinct names registered in a project and domain (``created_at``: of the latest version)."""
        direction = "ASC" if ascending else "DESC"
        column = "name" if sort_key == "name" else "MAX(created_at)"
        sql = (
            "SELECT name FROM entities WHERE kind = ? AND project = ? AND domain = ? "
            f"GROUP BY name ORDER BY {column} {direction}, name {direction} LIMIT ? OFFSET ?"
        )
        return [r[0] for r in await self._fetchall(sql, (kind, project, domain, limit, offset))]

    async def set_state(self, key: Key, state: int, *, exclusive: bool) -> bool:
        """Set one version's state; with ``exclusive``, every other version of the name gets state 0 first.

        Both happen in one transaction, so at most one version of a name is ever ACTIVE.
        """
        ts = now_ns()

        async def work(db: aiosqlite.Connection) -> None:
            if exclusive:
                await db.execute(
                    "UPDATE entities SET state = 0, updated_at = ? "
                    "WHERE kind = ? AND project = ? AND domain = ? AND name = ? AND version != ? AND state != 0",
                    (ts, *_key_params(key)),
                )
            cur = await db.execute(
                f"UPDATE entities SET state = ?, updated_at = ? WHERE {_WHERE_KEY}", (state, ts, *_key_params(key))
            )
            if cur.rowcount == 0:
                raise _Unchanged  # rolled back: the other versions keep their state

        try:
            await self.write(work)
        except _Unchanged:
            return False
        return True

    # --- projects -------------------------------------------------------------------------------------------------

    async def insert_project(self, project_id: str, payload: bytes, state: int) -> bool:
        """Insert a project; False (and nothing written) if one with that id exists already."""

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO projects (id, payload, state, created_at) VALUES (?, ?, ?, ?)",
                (project_id, payload, state, now_ns()),
            )

        try:
            await self.write(work)
        except aiosqlite.IntegrityError:
            return False
        return True

    async def get_project(self, project_id: str) -> tuple[bytes, int] | None:
        r = await self._fetchone("SELECT payload, state FROM projects WHERE id = ?", (project_id,))
        return None if r is None else (r[0], r[1])

    async def list_projects(
        self, *, limit: int | None, offset: int, sort_key: str, ascending: bool
    ) -> builtins.list[bytes]:
        direction = "ASC" if ascending else "DESC"
        column = PROJECT_SORT_KEYS[sort_key]
        sql = f"SELECT payload FROM projects ORDER BY {column} {direction}, id {direction} LIMIT ? OFFSET ?"
        return [r[0] for r in await self._fetchall(sql, (-1 if limit is None else limit, offset))]
