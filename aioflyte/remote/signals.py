"""``FlyteRemote``'s signal calls: list the signals an execution waits for, set them, approve or reject gates.

Signals are created by an execution's gate nodes (``aioflyte.approve``, ``aioflyte.wait_for_input``). ``set_signal``
takes a literal or a Python value; a Python value is converted with ``TypeEngine`` using, in this order, the
``literal_type`` / ``python_type`` given, else the type the signal was registered with, else the value's own type.
The backend checks the value against the signal's type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flyteidl.admin import signal_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2

from aioflyte.remote.client.exceptions import FlyteInvalidInputException
from aioflyte.remote.client.signal import SignalClient, describe_signal

if TYPE_CHECKING:
    from aioflyte.remote.remote import FlyteRemote

ExecutionIdentifier = identifier_pb2.WorkflowExecutionIdentifier


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


class SignalsMixin:
    """``list_signals``, ``set_signal`` / ``set_input``, ``approve`` and ``reject`` (flytekit 1.16's signatures)."""

    @property
    def signal_client(self: FlyteRemote) -> SignalClient:
        """The SignalService calls, on the same channel (and retries) as :attr:`client`."""
        return SignalClient(self.client)

    def _signal_execution(self: FlyteRemote, execution_name: Any, project: str | None, domain: str | None) -> Any:
        """The execution id: from a name and the project/domain (defaults of the remote), or an execution object."""
        id = getattr(execution_name, "id", execution_name)
        if isinstance(id, ExecutionIdentifier):
            return id
        if not isinstance(execution_name, str) or not execution_name:
            raise ValueError(f"execution_name must be an execution's name (a non-empty str), not {execution_name!r}")
        p, d = self._project_domain(project, domain)
        return ExecutionIdentifier(project=p, domain=d, name=execution_name)

    async def list_signals(
        self: FlyteRemote,
        execution_name: str,
        project: str | None = None,
        domain: str | None = None,
        limit: int = 100,
        filters: Any = None,
    ) -> list[signal_pb2.Signal]:
        """Up to ``limit`` signals of the execution (``flyteidl.admin.Signal``: id, type, and value once set)."""
        from aioflyte.remote.remote import _filters

        ex_id = self._signal_execution(execution_name, project, domain)
        signals, _ = await self.signal_client.list_signals(ex_id, limit=limit, filters=_filters(filters))
        return signals

    async def _signal_literal(
        self: FlyteRemote,
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
            return await TypeEngine.to_literal(None, value, python_type, lt)
        except Exception as e:
            entity = describe_signal(signal_id, ex_id)
            raise FlyteInvalidInputException(
                f"invalid value for {entity}: expected {type_name(python_type)}, got {value_repr(value)} "
                f"({type(value).__name__}): {e}",
                entity=entity,
            ) from e

    async def set_signal(
        self: FlyteRemote,
        signal_id: str,
        execution_name: str,
        value: Any,
        project: str | None = None,
        domain: str | None = None,
        python_type: type | None = None,
        literal_type: Any = None,
    ) -> None:
        """Give the signal ``signal_id`` of an execution its value (a literal, or a Python value to convert).

        Raises ``FlyteEntityNotExistException`` if the execution has no such signal and ``FlyteInvalidInputException``
        if the value is not of the signal's type.
        """
        ex_id = self._signal_execution(execution_name, project, domain)
        lit = await self._signal_literal(signal_id, ex_id, value, python_type, literal_type)
        await self.signal_client.set_signal(signal_id, ex_id, lit)

    async def set_input(
        self: FlyteRemote,
        signal_id: str,
        execution_name: str,
        value: Any,
        project: str | None = None,
        domain: str | None = None,
        python_type: type | None = None,
        literal_type: Any = None,
    ) -> None:
        """The same as :meth:`set_signal` (flytekit's name for giving a ``wait_for_input`` its value)."""
        await self.set_signal(signal_id, execution_name, value, project, domain, python_type, literal_type)

    async def _set_bool(
        self: FlyteRemote, signal_id: str, execution_name: str, flag: bool, project: Any, domain: Any
    ) -> None:
        from aioflyte.types.engine import TypeEngine

        ex_id = self._signal_execution(execution_name, project, domain)
        lit = await TypeEngine.to_literal(None, flag, bool, TypeEngine.to_literal_type(bool))
        await self.signal_client.set_signal(signal_id, ex_id, lit)

    async def approve(
        self: FlyteRemote, signal_id: str, execution_name: str, project: str | None = None, domain: str | None = None
    ) -> None:
        """Approve the ``approve`` gate ``signal_id``: its signal is set to True and the execution goes on."""
        await self._set_bool(signal_id, execution_name, True, project, domain)

    async def reject(
        self: FlyteRemote, signal_id: str, execution_name: str, project: str | None = None, domain: str | None = None
    ) -> None:
        """Reject the ``approve`` gate ``signal_id``: its signal is set to False (the gate node fails)."""
        await self._set_bool(signal_id, execution_name, False, project, domain)
