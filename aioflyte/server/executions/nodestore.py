"""The ``node_executions``, ``task_executions`` and ``task_cache`` tables (same database and lock as :class:`Store`).

Node executions are keyed by their execution and their unique node id (``n0``, or ``n0-0-n1`` for a node inside
subworkflow/branch/dynamic node ``n0``, as flytepropeller names them); ``parent_id`` is the unique id of the node
that contains them ("" at the top level). Task executions are keyed by node execution and retry attempt. The cache
maps a task identity and a hash of its inputs to the outputs of a run that succeeded.
"""

from __future__ import annotations

from typing import Any

from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import literals_pb2

from aioflyte.server.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS node_executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL,
    domain TEXT NOT NULL,
    name TEXT NOT NULL,
    node_id TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    phase INTEGER NOT NULL,
    payload BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (project, domain, name, node_id)
);
CREATE INDEX IF NOT EXISTS node_executions_by_parent ON node_executions (project, domain, name, parent_id);
CREATE TABLE IF NOT EXISTS task_executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL,
    domain TEXT NOT NULL,
    name TEXT NOT NULL,
    node_id TEXT NOT NULL,
    retry_attempt INTEGER NOT NULL,
    phase INTEGER NOT NULL,
    payload BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (project, domain, name, node_id, retry_attempt)
);
CREATE TABLE IF NOT EXISTS task_cache (
    key TEXT PRIMARY KEY,
    outputs BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
"""

#: Sort keys the node and task execution lists accept, and their columns.
NODE_SORT_KEYS = {"created_at": "created_at", "updated_at": "updated_at", "phase": "phase", "node_id": "node_id"}

ExecKey = tuple[str, str, str]


class NodeStore:
    """Node executions, task executions and cached task outputs."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def open(self) -> None:
        await self.store.write(lambda db: db.executescript(_SCHEMA))

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return await self.store.read(sql, params)

    async def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        await self.store.write(lambda db: db.execute(sql, params))

    # --- node executions ----------------------------------------------------------------------------------------

    async def put_node(self, ne: node_execution_pb2.NodeExecution, parent_id: str, ns: int) -> None:
        """Insert or replace one node execution's record."""
        ex = ne.id.execution_id
        await self._write(
            "INSERT INTO node_executions (project, domain, name, node_id, parent_id, phase, payload, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project, domain, name, node_id) DO UPDATE "
            "SET phase = excluded.phase, payload = excluded.payload, updated_at = excluded.updated_at",
            (ex.project, ex.domain, ex.name, ne.id.node_id, parent_id, ne.closure.phase, ne.SerializeToString(),
             ns, ns),
        )  # fmt: skip

    async def get_node(self, key: ExecKey, node_id: str) -> node_execution_pb2.NodeExecution | None:
        rows = await self._fetch(
            "SELECT payload FROM node_executions WHERE project = ? AND domain = ? AND name = ? AND node_id = ?",
            (*key, node_id),
        )
        return node_execution_pb2.NodeExecution.FromString(rows[0][0]) if rows else None

    async def list_nodes(
        self, key: ExecKey, parent_id: str, *, limit: int, offset: int, sort_key: str, ascending: bool
    ) -> list[node_execution_pb2.NodeExecution]:
        direction = "ASC" if ascending else "DESC"
        rows = await self._fetch(
            "SELECT payload FROM node_executions WHERE project = ? AND domain = ? AND name = ? AND parent_id = ? "
            f"ORDER BY {NODE_SORT_KEYS[sort_key]} {direction}, seq {direction} LIMIT ? OFFSET ?",
            (*key, parent_id, limit, offset),
        )
        return [node_execution_pb2.NodeExecution.FromString(r[0]) for r in rows]

    async def unfinished_nodes(self, phases: tuple[int, ...]) -> list[tuple[node_execution_pb2.NodeExecution, str]]:
        marks = ", ".join("?" for _ in phases)
        rows = await self._fetch(
            f"SELECT payload, parent_id FROM node_executions WHERE phase IN ({marks}) ORDER BY seq", phases
        )
        return [(node_execution_pb2.NodeExecution.FromString(r[0]), r[1]) for r in rows]

    # --- task executions ----------------------------------------------------------------------------------------

    async def put_task(self, te: task_execution_pb2.TaskExecution, ns: int) -> None:
        nid = te.id.node_execution_id
        ex = nid.execution_id
        await self._write(
            "INSERT INTO task_executions (project, domain, name, node_id, retry_attempt, phase, payload, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project, domain, name, node_id, "
            "retry_attempt) DO UPDATE SET phase = excluded.phase, payload = excluded.payload, "
            "updated_at = excluded.updated_at",
            (ex.project, ex.domain, ex.name, nid.node_id, te.id.retry_attempt, te.closure.phase,
             te.SerializeToString(), ns, ns),
        )  # fmt: skip

    async def get_task(self, key: ExecKey, node_id: str, retry_attempt: int) -> task_execution_pb2.TaskExecution | None:
        rows = await self._fetch(
            "SELECT payload FROM task_executions WHERE project = ? AND domain = ? AND name = ? AND node_id = ? "
            "AND retry_attempt = ?",
            (*key, node_id, retry_attempt),
        )
        return task_execution_pb2.TaskExecution.FromString(rows[0][0]) if rows else None

    async def list_tasks(
        self, key: ExecKey, node_id: str, *, limit: int, offset: int, ascending: bool = True
    ) -> list[task_execution_pb2.TaskExecution]:
        direction = "ASC" if ascending else "DESC"
        rows = await self._fetch(
            "SELECT payload FROM task_executions WHERE project = ? AND domain = ? AND name = ? AND node_id = ? "
            f"ORDER BY retry_attempt {direction} LIMIT ? OFFSET ?",
            (*key, node_id, limit, offset),
        )
        return [task_execution_pb2.TaskExecution.FromString(r[0]) for r in rows]

    async def unfinished_tasks(self, phases: tuple[int, ...]) -> list[task_execution_pb2.TaskExecution]:
        marks = ", ".join("?" for _ in phases)
        rows = await self._fetch(f"SELECT payload FROM task_executions WHERE phase IN ({marks}) ORDER BY seq", phases)
        return [task_execution_pb2.TaskExecution.FromString(r[0]) for r in rows]

    # --- cache --------------------------------------------------------------------------------------------------

    async def cached(self, key: str) -> literals_pb2.LiteralMap | None:
        rows = await self._fetch("SELECT outputs FROM task_cache WHERE key = ?", (key,))
        return literals_pb2.LiteralMap.FromString(rows[0][0]) if rows else None

    async def cache(self, key: str, outputs: literals_pb2.LiteralMap, ns: int) -> None:
        await self._write(
            "INSERT OR REPLACE INTO task_cache (key, outputs, created_at) VALUES (?, ?, ?)",
            (key, outputs.SerializeToString(deterministic=True), ns),
        )
