"""``FlyteRemote``'s signal calls (:class:`Signals`): list the signals an execution waits for, set them, approve or
reject gates.

Signals are created by an execution's gate nodes (``aioflyte.approve``, ``aioflyte.wait_for_input``). ``set_signal``
takes a literal or a Python value; a Python value is converted with ``TypeEngine`` using, in this order, the
``literal_type`` / ``python_type`` given, else the type the signal was registered with, else the value's own type.
The backend checks the value against the signal's type.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from flyteidl.admin import signal_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2

from aioflyte.exceptions import FlyteInvalidInputException
from aioflyte.remote.client.signal import SignalClient, describe_signal
from aioflyte.remote.registry import filters_string
from aioflyte.remote.session import RemoteSession

ExecutionIdentifier: TypeAlias = identifier_pb2.WorkflowExecutionIdentifier


def _proto(value: Any, cls: type) -> Any:
    """``value`` as the protobuf ``cls`` (flytekit-style model objects have ``to_flyte_idl``), else None."""
    if isinstance(value, cls):
        return value
    to_idl = getattr(value, "to_flyte_idl", None)
    if to_idl is not None:
        idl = to_idl()
        if isinstance(idl, cls):
            return idl
    return None


class Signals:
    """``list_signals``, ``set_signal`` / ``set_input``, ``approve`` and ``reject`` on the backend of ``session``."""

    def __init__(self, session: RemoteSession) -> None:
        self.session = session

    @property
    def signal_client(self) -> SignalClient:
        """The SignalService calls, on the same channel (and retries) as the session's client."""
        return SignalClient(self.session.client)

    def _signal_execution(self, execution_name: Any, project: str | None, domain: str | None) -> Any:
        """The execution id: from a name and the project/domain (defaults of the remote), or an execution object."""
        id = getattr(execution_name, "id", execution_name)
        if isinstance(id, ExecutionIdentifier):
            return id
        if not isinstance(execution_name, str) or not execution_name:
            raise ValueError(f"execution_name must be an execution's name (a non-empty str), not {execution_name!r}")
        p, d = self.session.project_domain(project, domain)
        return ExecutionIdentifier(project=p, domain=d, name=execution_name)

    async def list_signals(
        self,
        execution_name: str,
        project: str | None = None,
        domain: str | None = None,
        limit: int = 100,
        filters: Any = None,
    ) -> list[signal_pb2.Signal]:
        """Up to ``limit`` signals of the execution (``flyteidl.admin.Signal``: id, type, and value once set)."""
        ex_id = self._signal_execution(execution_name, project, domain)
        signals, _ = await self.signal_client.list_signals(ex_id, limit=limit, filters=filters_string(filters))
        return signals

    async def _signal_literal(
        self,
        signal_id: str,
        ex_id: ExecutionIdentifier,
        value: Any,
        python_type: Any,
        literal_type: Any,
    ) -> literals_pb2.Literal:
        from aioflyte.types.engine import TypeEngine, type_name, value_repr

        lit = _proto(value, literals_pb2.Literal)
        if lit is not None:
            return lit
        lt = _proto(literal_type, types_pb2.LiteralType) if literal_type is not None else None
        if literal_type is not None and lt is None:
            raise TypeError(f"literal_type must be a flyteidl LiteralType, not {literal_type!r}")
        if lt is None and python_type is None:
            registered = await self.signal_client.get_signal(signal_id, ex_id)
            if registered is not None:  # an unknown signal is left for the backend to answer NOT_FOUND
                lt = registered.type
                python_type = TypeEngine.guess_python_type(lt)
        if python_type is None:
            python_type = type(value)
        if lt is None:
            lt = TypeEngine.to_literal_type(python_type)
        try:
            return await TypeEngine.async_to_literal(None, value, python_type, lt)
        except Exception as e:
            entity = describe_signal(signal_id, ex_id)
            raise FlyteInvalidInputException(
                f"invalid value for {entity}: expected {type_name(python_type)}, got {value_repr(value)} "
                f"({type(value).__name__}): {e}",
                entity=entity,
            ) from e

    async def set_signal(
        self,
        signal_id: str,
        execution_name: str,
        value: Any,
        project: str | None = None,
        domain: str | None = None,
        python_type: type | None = None,
        literal_type: Any = None,
    ) -> None:
        """Give the signal ``signal_id`` of an execution its value; see ``FlyteRemote.set_signal``."""
        ex_id = self._signal_execution(execution_name, project, domain)
        lit = await self._signal_literal(signal_id, ex_id, value, python_type, literal_type)
        await self.signal_client.set_signal(signal_id, ex_id, lit)

    async def set_bool(
        self, signal_id: str, execution_name: str, flag: bool, project: str | None, domain: str | None
    ) -> None:
        """Set the boolean signal of an ``approve`` gate: True approves it, False rejects it."""
        from aioflyte.types.engine import TypeEngine

        ex_id = self._signal_execution(execution_name, project, domain)
        lit = await TypeEngine.async_to_literal(None, flag, bool, TypeEngine.to_literal_type(bool))
        await self.signal_client.set_signal(signal_id, ex_id, lit)


__all__ = ["Signals"]
