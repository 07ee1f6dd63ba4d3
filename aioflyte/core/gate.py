"""Gates: ``sleep``, ``approve`` and ``wait_for_input`` nodes (flytekit's names and parameters).

Locally the engine runs them (``aioflyte/engine/gates.py``): a real sleep, or a wait for the run's signal.
"""

from __future__ import annotations

import datetime
from typing import Any

from aioflyte.core.base_task import to_timedelta
from aioflyte.core.context import _COMPILATION
from aioflyte.core.controller import get_controller
from aioflyte.core.entity import Entity
from aioflyte.core.interface import NO_DEFAULT, Interface
from aioflyte.core.promise import Promise, compile_error
from aioflyte.exceptions import GateRejected as GateRejected


class Gate(Entity):
    """A gate node: sleeps, or waits for a signal (a typed input, or an approval of an upstream value)."""

    node_kind = "gate"

    def __init__(
        self,
        name: str,
        *,
        sleep: datetime.timedelta | None = None,
        input_type: Any = None,
        upstream_type: Any = None,
        timeout: datetime.timedelta | None = None,
    ) -> None:
        self._name = name
        self.sleep_duration = sleep
        self.input_type = input_type
        self.upstream_type = upstream_type
        self.timeout = timeout
        inputs: dict[str, tuple[Any, Any]] = {}
        outputs: dict[str, Any] = {}
        if upstream_type is not None:
            inputs["o0"] = (upstream_type, NO_DEFAULT)
            outputs["o0"] = upstream_type
        elif input_type is not None:
            outputs["o0"] = input_type
        self._interface = Interface(inputs, outputs)
        self._init_binding(self._interface)

    @property
    def kind(self) -> str:
        """``sleep``, ``approve`` (an upstream value, passed on when approved) or ``signal`` (a typed input)."""
        if self.sleep_duration is not None:
            return "sleep"
        return "approve" if self.upstream_type is not None else "signal"


def _call(gate: Gate, **inputs: Any) -> Any:
    state = _COMPILATION.get()
    if state is not None:
        return state.add_call(gate, (), inputs)
    return get_controller().run_entity(gate, inputs)


def sleep(duration: datetime.timedelta) -> Any:
    """A node that waits ``duration`` (a real asyncio sleep when run locally)."""
    return _call(Gate("sleep-gate", sleep=to_timedelta("sleep", duration)))


def wait_for_input(name: str, timeout: datetime.timedelta, expected_type: Any) -> Any:
    """A node that waits (at most ``timeout``) for a signal ``name`` carrying a value of ``expected_type``."""
    return _call(Gate(name, input_type=expected_type, timeout=to_timedelta(f"wait_for_input {name}", timeout)))


def approve(upstream_item: Any, name: str, timeout: datetime.timedelta) -> Any:
    """A node that passes ``upstream_item`` on once signal ``name`` approves it (True), or fails if rejected."""
    if not isinstance(upstream_item, Promise):
        raise compile_error(f"approve({name!r}) needs the output of an upstream node to approve")
    gate = Gate(name, upstream_type=upstream_item.python_type, timeout=to_timedelta(f"approve {name}", timeout))
    return _call(gate, o0=upstream_item)
