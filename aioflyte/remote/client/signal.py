"""``SignalClient``: Flyte Admin's ``SignalService`` calls as coroutines, on an :class:`AdminClient`'s channel.

Calls go through :meth:`AdminClient.call_service`, so they share its channel, metadata, retries of transient errors
and error translation (an unknown signal raises ``FlyteEntityNotExistException`` naming the signal and execution; a
value of the wrong type raises ``FlyteInvalidInputException`` with the expected and actual types).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeAlias

from flyteidl.admin import common_pb2, signal_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from flyteidl.service import signal_pb2_grpc

from aioflyte.remote.client.admin import AdminClient

ExecutionId: TypeAlias = identifier_pb2.WorkflowExecutionIdentifier


def signal_identifier(signal_id: str, execution_id: ExecutionId) -> identifier_pb2.SignalIdentifier:
    return identifier_pb2.SignalIdentifier(signal_id=signal_id, execution_id=execution_id)


def describe_signal(signal_id: str, execution_id: ExecutionId) -> str:
    """``signal 'approval' of execution flytesnacks/development/abc``."""
    return f"signal {signal_id!r} of execution {execution_id.project}/{execution_id.domain}/{execution_id.name}"


class SignalClient:
    """The signal calls of Flyte Admin, made through ``admin`` (which owns the channel; close that, not this)."""

    def __init__(self, admin: AdminClient) -> None:
        self.admin = admin

    async def _call(self, method: str, request: Any, entity: str | None = None) -> Any:
        return await self.admin.call_service(signal_pb2_grpc.SignalServiceStub, method, request, entity)

    async def get_or_create_signal(
        self, signal_id: str, execution_id: ExecutionId, type: types_pb2.LiteralType
    ) -> signal_pb2.Signal:
        """The signal, created with ``type`` and no value if it does not exist yet."""
        request = signal_pb2.SignalGetOrCreateRequest(id=signal_identifier(signal_id, execution_id), type=type)
        return await self._call("GetOrCreateSignal", request, describe_signal(signal_id, execution_id))

    async def list_signals(
        self,
        execution_id: ExecutionId,
        *,
        limit: int = 100,
        token: str = "",
        filters: str = "",
        sort: common_pb2.Sort | None = None,
    ) -> tuple[list[signal_pb2.Signal], str]:
        """One page of an execution's signals and the next page's token ("" after the last page)."""
        request = signal_pb2.SignalListRequest(
            workflow_execution_id=execution_id, limit=limit, token=token, filters=filters, sort_by=sort
        )
        entity = f"signals of execution {execution_id.project}/{execution_id.domain}/{execution_id.name}"
        resp: signal_pb2.SignalList = await self._call("ListSignals", request, entity)
        return list(resp.signals), resp.token

    async def iter_signals(
        self, execution_id: ExecutionId, *, limit: int = 100, filters: str = ""
    ) -> AsyncIterator[signal_pb2.Signal]:
        """Every signal of an execution, fetching pages of ``limit`` as needed."""
        token = ""
        while True:
            signals, token = await self.list_signals(execution_id, limit=limit, token=token, filters=filters)
            for signal in signals:
                yield signal
            if not token or not signals:
                return

    async def get_signal(self, signal_id: str, execution_id: ExecutionId) -> signal_pb2.Signal | None:
        """The signal with this id, or None if the execution has no such signal (found by listing, never creating)."""
        async for signal in self.iter_signals(execution_id):
            if signal.id.signal_id == signal_id:
                return signal
        return None

    async def set_signal(self, signal_id: str, execution_id: ExecutionId, value: literals_pb2.Literal) -> None:
        """Give the signal its value (the server checks it against the signal's type)."""
        request = signal_pb2.SignalSetRequest(id=signal_identifier(signal_id, execution_id), value=value)
        await self._call("SetSignal", request, describe_signal(signal_id, execution_id))
