"""Signals: the values gate nodes wait for (``approve`` / ``wait_for_input``), stored in the ``signals`` table.

A signal is identified by its execution and its ``signal_id``; it is created (GetOrCreate, with its literal type and
no value) by the gate node that waits for it or through ``SignalService.GetOrCreateSignal``, and it is given its value
by ``SetSignal``. :meth:`SignalManager.wait` returns once the value is set: waiters are woken by an in-process
``asyncio.Event`` per signal (no polling), and a value stored before the wait (e.g. before a server restart) is
returned at once. Setting a value again overwrites it, as flyteadmin does.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from flyteidl.admin import signal_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from flyteidl.service import signal_pb2_grpc

from aioflyte.server import validation as check
from aioflyte.server.errors import AlreadyExists, InvalidArgument, NotFound, missing
from aioflyte.server.executions.typecheck import matches, type_name
from aioflyte.server.filters import EXECUTION_FIELDS, Field, to_sql
from aioflyte.server.rpc import handler
from aioflyte.server.store import Store, now_ns

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL,
    domain TEXT NOT NULL,
    name TEXT NOT NULL,
    signal_id TEXT NOT NULL,
    type BLOB NOT NULL,
    value BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (project, domain, name, signal_id)
);
"""

#: Sort keys ``ListSignals`` accepts, and their columns (flyteadmin's signal columns).
SIGNAL_SORT_KEYS = {"signal_id": "signal_id", "created_at": "created_at", "updated_at": "updated_at"}

#: Fields ``ListSignals`` filters on (times in RFC 3339, as for executions).
SIGNAL_FILTER_FIELDS = {
    "signal_id": Field("signal_id", str),
    "created_at": Field("created_at", EXECUTION_FIELDS["created_at"].convert),
    "updated_at": Field("updated_at", EXECUTION_FIELDS["updated_at"].convert),
}

SignalKey = tuple[str, str, str, str]
_PRIMITIVE_TYPES = {
    "integer": "integer",
    "float_value": "float",
    "string_value": "string",
    "boolean": "boolean",
    "datetime": "datetime",
    "duration": "duration",
}


def describe_signal(signal_id: str, execution_id: identifier_pb2.WorkflowExecutionIdentifier) -> str:
    """``signal 'approval' of execution flytesnacks/development/abc``: how messages name a signal."""
    return f"signal {signal_id!r} of execution {execution_id.project}/{execution_id.domain}/{execution_id.name}"


def literal_type_name(lit: literals_pb2.Literal) -> str:
    """A readable name for the type of a literal value (``integer``, ``string``, ``list[integer]``)."""
    value = lit.WhichOneof("value")
    if value == "scalar":
        inner = lit.scalar.WhichOneof("value")
        if inner == "primitive":
            kind = lit.scalar.primitive.WhichOneof("value")
            return _PRIMITIVE_TYPES.get(kind or "", kind or "empty primitive")
        if inner == "none_type":
            return "none"
        if inner == "union":
            return literal_type_name(lit.scalar.union.value)
        return inner or "empty scalar"
    if value == "collection":
        items = lit.collection.literals
        return f"list[{literal_type_name(items[0]) if items else 'empty'}]"
    if value == "map":
        values = list(lit.map.literals.values())
        return f"dict[string, {literal_type_name(values[0]) if values else 'empty'}]"
    return value or "empty literal"


def _key(execution_id: identifier_pb2.WorkflowExecutionIdentifier, signal_id: str) -> SignalKey:
    return (execution_id.project, execution_id.domain, execution_id.name, signal_id)


def _signal(row: Any) -> signal_pb2.Signal:
    project, domain, name, signal_id, type_bytes, value_bytes = row
    signal = signal_pb2.Signal(
        id=identifier_pb2.SignalIdentifier(
            signal_id=signal_id,
            execution_id=identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name),
        ),
        type=types_pb2.LiteralType.FromString(type_bytes),
    )
    if value_bytes is not None:
        signal.value.CopyFrom(literals_pb2.Literal.FromString(value_bytes))
    return signal


_COLUMNS = "project, domain, name, signal_id, type, value"
_WHERE_KEY = "project = ? AND domain = ? AND name = ? AND signal_id = ?"


class SignalManager:
    """Creates, lists, sets and waits for signals; shares the :class:`Store`'s connection and lock."""

    def __init__(self, store: Store) -> None:
        self.store = store
        #: one event per signal somebody waits for, set (and dropped) when the signal gets its value
        self._events: dict[SignalKey, asyncio.Event] = {}
        self._waiters: dict[SignalKey, int] = {}

    async def open(self) -> None:
        """Create the ``signals`` table (signals and their values survive restarts)."""
        await self.store.write(lambda db: db.executescript(_SCHEMA))

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return await self.store.read(sql, params)

    async def get(self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, signal_id: str) -> signal_pb2.Signal:
        """One signal; NOT_FOUND naming the signal and its execution if it was never created."""
        rows = await self._fetch(f"SELECT {_COLUMNS} FROM signals WHERE {_WHERE_KEY}", _key(execution_id, signal_id))
        if not rows:
            raise NotFound(f"{describe_signal(signal_id, execution_id)} does not exist")
        return _signal(rows[0])

    async def get_or_create(
        self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, signal_id: str, type: types_pb2.LiteralType
    ) -> signal_pb2.Signal:
        """The signal, created with ``type`` and no value if it does not exist yet.

        An existing signal of another type is ALREADY_EXISTS (one signal id has one type in an execution).
        """
        key = _key(execution_id, signal_id)
        type_bytes = type.SerializeToString(deterministic=True)
        ts = now_ns()

        async def create(db: Any) -> Any:
            await db.execute(
                "INSERT OR IGNORE INTO signals (project, domain, name, signal_id, type, value, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
                (*key, type_bytes, ts, ts),
            )
            return next(iter(await db.execute_fetchall(f"SELECT {_COLUMNS} FROM signals WHERE {_WHERE_KEY}", key)))

        signal = _signal(await self.store.write(create))
        if signal.type != type:
            raise AlreadyExists(
                f"{describe_signal(signal_id, execution_id)} already exists with type {type_name(signal.type)}, "
                f"cannot create it again with type {type_name(type)}"
            )
        return signal

    async def list(
        self,
        execution_id: identifier_pb2.WorkflowExecutionIdentifier,
        *,
        limit: int,
        offset: int = 0,
        sort_key: str = "created_at",
        ascending: bool = True,
        filters: str = "",
    ) -> list[signal_pb2.Signal]:
        """One page of an execution's signals, in creation order unless ``sort_key`` says otherwise.

        ``filters`` are flyteadmin's (``eq(signal_id,review)``, ``value_in(signal_id,a;b)``, ``gte(created_at,...)``)
        on ``signal_id``, ``created_at`` and ``updated_at``; others are INVALID_ARGUMENT.
        """
        direction = "ASC" if ascending else "DESC"
        column = SIGNAL_SORT_KEYS[sort_key]
        where, params = to_sql(filters, SIGNAL_FILTER_FIELDS, "signal")
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM signals WHERE project = ? AND domain = ? AND name = ?{where} "
            f"ORDER BY {column} {direction}, seq {direction} LIMIT ? OFFSET ?",
            (execution_id.project, execution_id.domain, execution_id.name, *params, limit, offset),
        )
        return [_signal(r) for r in rows]

    async def set(
        self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, signal_id: str, value: literals_pb2.Literal
    ) -> None:
        """Give a signal its value (replacing an earlier one) and wake whoever waits for it.

        NOT_FOUND if the signal does not exist; INVALID_ARGUMENT naming expected and actual types if the value is not
        of the signal's type.
        """
        signal = await self.get(execution_id, signal_id)
        if not matches(value, signal.type):
            raise InvalidArgument(
                f"invalid value for {describe_signal(signal_id, execution_id)}: expected {type_name(signal.type)}, "
                f"got {literal_type_name(value)}"
            )
        key = _key(execution_id, signal_id)

        async def update(db: Any) -> bool:
            cur = await db.execute(
                f"UPDATE signals SET value = ?, updated_at = ? WHERE {_WHERE_KEY}",
                (value.SerializeToString(deterministic=True), now_ns(), *key),
            )
            return cur.rowcount > 0

        changed = await self.store.write(update)
        if not changed:  # pragma: no cover - signals are never deleted
            raise NotFound(f"{describe_signal(signal_id, execution_id)} does not exist")
        event = self._events.pop(key, None)
        if event is not None:
            event.set()

    async def wait(
        self, execution_id: identifier_pb2.WorkflowExecutionIdentifier, signal_id: str, type: types_pb2.LiteralType
    ) -> literals_pb2.Literal:
        """Create the signal if needed (GetOrCreate), then return its value once it is set.

        Returns at once if the value is already set. Cancelling the wait leaves the signal in place.
        """
        key = _key(execution_id, signal_id)
        while True:
            # registered before the value is read, so a set() that lands in between still wakes this waiter
            event = self._events.setdefault(key, asyncio.Event())
            self._waiters[key] = self._waiters.get(key, 0) + 1
            try:
                signal = await self.get_or_create(execution_id, signal_id, type)
                if signal.HasField("value"):
                    return signal.value
                await event.wait()
            finally:
                left = self._waiters[key] - 1
                if left:
                    self._waiters[key] = left
                else:
                    del self._waiters[key]
                    if self._events.get(key) is event and not event.is_set():
                        del self._events[key]

    def waiting(self) -> int:
        """How many signals somebody currently waits for (in this process)."""
        return len(self._events)


def _check_signal_id(id: identifier_pb2.SignalIdentifier, has_id: bool) -> None:
    """flyteadmin's checks of a ``SignalIdentifier``, with its wording."""
    if not has_id:
        raise missing("id")
    if not id.HasField("execution_id"):
        raise missing("execution_id")
    if not id.signal_id:
        raise missing("signal_id")
    check.named_entity(id.execution_id.project, id.execution_id.domain, id.execution_id.name)


class SignalService(signal_pb2_grpc.SignalServiceServicer):
    """``flyteidl.service.SignalService`` over a :class:`SignalManager`."""

    def __init__(self, signals: SignalManager) -> None:
        self.signals = signals

    @handler
    async def GetOrCreateSignal(
        self, request: signal_pb2.SignalGetOrCreateRequest, context: grpc.aio.ServicerContext
    ) -> signal_pb2.Signal:
        _check_signal_id(request.id, request.HasField("id"))
        if not request.HasField("type"):
            raise missing("type")
        return await self.signals.get_or_create(request.id.execution_id, request.id.signal_id, request.type)

    @handler
    async def ListSignals(
        self, request: signal_pb2.SignalListRequest, context: grpc.aio.ServicerContext
    ) -> signal_pb2.SignalList:
        """One page of an execution's signals (``limit`` > 0; ``token`` is the offset a previous page returned)."""
        execution_id = request.workflow_execution_id
        if not request.HasField("workflow_execution_id"):
            raise missing("execution_id")
        check.named_entity(execution_id.project, execution_id.domain, execution_id.name)
        check.limit(request.limit)
        offset = check.token(request.token, "ListSignals")
        if request.HasField("sort_by") and request.sort_by.key:
            sort_key, ascending = check.sort(request.sort_by, True, SIGNAL_SORT_KEYS, "created_at")
        else:
            sort_key, ascending = "created_at", True
        signals = await self.signals.list(
            execution_id,
            limit=request.limit,
            offset=offset,
            sort_key=sort_key,
            ascending=ascending,
            filters=request.filters,
        )
        token = str(offset + len(signals)) if len(signals) == request.limit else ""
        return signal_pb2.SignalList(signals=signals, token=token)

    @handler
    async def SetSignal(
        self, request: signal_pb2.SignalSetRequest, context: grpc.aio.ServicerContext
    ) -> signal_pb2.SignalSetResponse:
        _check_signal_id(request.id, request.HasField("id"))
        if not request.HasField("value"):
            raise missing("value")
        await self.signals.set(request.id.execution_id, request.id.signal_id, request.value)
        return signal_pb2.SignalSetResponse()
