"""The ``executions`` table, in the server's SQLite database (the same connection and lock as :class:`Store`).

Each row is the serialized ``admin.Execution`` plus the columns queries need (phase, times, the task process's
group id while it runs).
"""

from __future__ import annotations

import builtins
from typing import Any

import aiosqlite
from flyteidl.admin import execution_pb2

from aioflyte.server.filters import EXECUTION_FIELDS, to_sql
from aioflyte.server.store import Store, now_ns

_SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL,
    domain TEXT NOT NULL,
    name TEXT NOT NULL,
    phase INTEGER NOT NULL,
    payload BLOB NOT NULL,
    pgid INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (project, domain, name)
);
CREATE INDEX IF NOT EXISTS executions_by_project ON executions (project, domain, created_at);
CREATE INDEX IF NOT EXISTS executions_by_update ON executions (project, domain, updated_at);
"""

#: Sort keys ``ListExecutions`` accepts, and their columns.
EXECUTION_SORT_KEYS = {"created_at": "created_at", "updated_at": "updated_at", "name": "name", "phase": "phase"}


class ExecutionStore:
    """Executions stored beside the registered entities."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def open(self) -> None:
        async def work(db: aiosqlite.Connection) -> None:
            await db.executescript(_SCHEMA)

        await self.store.write(work)

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return await self.store.read(sql, params)

    async def insert(self, execution: execution_pb2.Execution, created_at: int) -> bool:
        """Insert a new execution; False if one with that name exists already."""
        id = execution.id
        payload = execution.SerializeToString()

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO executions (project, domain, name, phase, payload, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (id.project, id.domain, id.name, execution.closure.phase, payload, created_at, created_at),
            )

        try:
            await self.store.write(work)
        except aiosqlite.IntegrityError:
            return False
        return True

    async def update(self, execution: execution_pb2.Execution, updated_at: int, pgid: int | None = None) -> None:
        """Write the execution's record as it is now; completes even if the caller is cancelled meanwhile."""
        id = execution.id
        phase, payload = execution.closure.phase, execution.SerializeToString()

        async def work(db: aiosqlite.Connection) -> None:
            # stamped under the lock, so rows commit in updated_at order: a list "updated since T" never misses
            # a change committed after it ran (the remote eager watcher relies on this)
            stamp = max(updated_at, now_ns())
            await db.execute(
                "UPDATE executions SET phase = ?, payload = ?, updated_at = ?, pgid = ? "
                "WHERE project = ? AND domain = ? AND name = ?",
                (phase, payload, stamp, pgid, id.project, id.domain, id.name),
            )

        await self.store.write(work)

    async def get(self, project: str, domain: str, name: str) -> execution_pb2.Execution | None:
        rows = await self._fetch(
            "SELECT payload FROM executions WHERE project = ? AND domain = ? AND name = ?", (project, domain, name)
        )
        return execution_pb2.Execution.FromString(rows[0][0]) if rows else None

    async def list(
        self,
        project: str,
        domain: str,
        *,
        limit: int,
        offset: int,
        sort_key: str,
        ascending: bool,
        filters: str = "",
    ) -> list[execution_pb2.Execution]:
        """A page of the project/domain's executions matching flyteadmin-style ``filters``."""
        direction = "ASC" if ascending else "DESC"
        column = EXECUTION_SORT_KEYS[sort_key]
        where, params = to_sql(filters, EXECUTION_FIELDS)
        rows = await self._fetch(
            f"SELECT payload FROM executions WHERE project = ? AND domain = ?{where} "
            f"ORDER BY {column} {direction}, seq {direction} LIMIT ? OFFSET ?",
            (project, domain, *params, limit, offset),
        )
        return [execution_pb2.Execution.FromString(r[0]) for r in rows]

    async def unfinished(self, phases: tuple[int, ...]) -> builtins.list[execution_pb2.Execution]:
        marks = ", ".join("?" for _ in phases)
        rows = await self._fetch(f"SELECT payload FROM executions WHERE phase IN ({marks}) ORDER BY seq", phases)
        return [execution_pb2.Execution.FromString(r[0]) for r in rows]
