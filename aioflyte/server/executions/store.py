"""The ``executions`` table, in the server's SQLite database (the same connection and lock as :class:`Store`).

Each row is the serialized ``admin.Execution`` plus the columns queries need (phase, times, the task process's
group id while it runs).
"""

from __future__ import annotations

from typing import Any

import aiosqlite
from flyteidl.admin import execution_pb2

from aioflyte.server.store import Store

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
"""

#: Sort keys ``ListExecutions`` accepts, and their columns.
EXECUTION_SORT_KEYS = {"created_at": "created_at", "updated_at": "updated_at", "name": "name", "phase": "phase"}


class ExecutionStore:
    """Executions stored beside the registered entities."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def open(self) -> None:
        async with self.store.lock:
            await self.store.db.executescript(_SCHEMA)
            await self.store.db.commit()

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        async with self.store.lock, self.store.db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def insert(self, execution: execution_pb2.Execution, created_at: int) -> bool:
        """Insert a new execution; False if one with that name exists already."""
        id = execution.id
        async with self.store.lock:
            try:
                await self.store.db.execute(
                    "INSERT INTO executions (project, domain, name, phase, payload, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (id.project, id.domain, id.name, execution.closure.phase, execution.SerializeToString(),
                     created_at, created_at),
                )  # fmt: skip
            except aiosqlite.IntegrityError:
                await self.store.db.rollback()
                return False
            await self.store.db.commit()
            return True

    async def update(self, execution: execution_pb2.Execution, updated_at: int, pgid: int | None = None) -> None:
        id = execution.id
        async with self.store.lock:
            await self.store.db.execute(
                "UPDATE executions SET phase = ?, payload = ?, updated_at = ?, pgid = ? "
                "WHERE project = ? AND domain = ? AND name = ?",
                (execution.closure.phase, execution.SerializeToString(), updated_at, pgid,
                 id.project, id.domain, id.name),
            )  # fmt: skip
            await self.store.db.commit()

    async def get(self, project: str, domain: str, name: str) -> execution_pb2.Execution | None:
        rows = await self._fetch(
            "SELECT payload FROM executions WHERE project = ? AND domain = ? AND name = ?", (project, domain, name)
        )
        return execution_pb2.Execution.FromString(rows[0][0]) if rows else None

    async def list(
        self, project: str, domain: str, *, limit: int, offset: int, sort_key: str, ascending: bool
    ) -> list[execution_pb2.Execution]:
        direction = "ASC" if ascending else "DESC"
        column = EXECUTION_SORT_KEYS[sort_key]
        rows = await self._fetch(
            f"SELECT payload FROM executions WHERE project = ? AND domain = ? "
            f"ORDER BY {column} {direction}, seq {direction} LIMIT ? OFFSET ?",
            (project, domain, limit, offset),
        )
        return [execution_pb2.Execution.FromString(r[0]) for r in rows]

    async def unfinished(self, phases: tuple[int, ...]) -> list[execution_pb2.Execution]:
        marks = ", ".join("?" for _ in phases)
        rows = await self._fetch(f"SELECT payload FROM executions WHERE phase IN ({marks}) ORDER BY seq", phases)
        return [execution_pb2.Execution.FromString(r[0]) for r in rows]
