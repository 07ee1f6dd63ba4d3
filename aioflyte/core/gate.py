"""Gates: ``sleep``, ``approve`` and ``wait_for_input`` nodes (flytekit's names and parameters)."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

from aioflyte.core import context as _ctx
from aioflyte.core.base_task import to_timedelta
from aioflyte.core.entity import Entity
from aioflyte.core.interface import NO_DEFAULT, Interface
from aioflyte.core.promise import Promise, compile_error
from aioflyte.exceptions import FlyteUserException


class GateRejected(FlyteUserException):
    """An approval gate received a rejection."""


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
    def name(self) -> str:
        return self._name

    @property
    def python_interface(self) -> Interface:
        return self._interface

    @property
    def kind(self) -> str:
        if self.sleep_duration is not None:
            return "sleep"
        return "approve" if self.upstream_type is not None else "signal"

    async def run_local(self, controller: Any, inputs: dict[str, Any], run: Any) -> Any:
        if self.sleep_duration is not None:
            await asyncio.sleep(self.sleep_duration.total_seconds())
            return None
        from aioflyte.engine.signals import provider_for

        timeout = self.timeout.total_seconds() if self.timeout is not None else None
        provider = provider_for(run)
        if self.upstream_type is not None:
            value = await provider.wait(self._name, timeout, f"Approve {self._name}? [y/n] ")
            if isinstance(value, str):
                value = value.strip().lower() in ("y", "yes", "true", "1", "approve", "approved")
            if value is not True:
                raise GateRejected(f"approval gate {self._name!r} was rejected")
            return inputs["o0"]
        value = await provider.wait(self._name, timeout, f"Value for {self._name} ({self.input_type}): ")
        return await _coerce(self._name, self.input_type, value)


async def _coerce(name: str, t: Any, value: Any) -> Any:
    from aioflyte.core.task import raise_type_error
    from aioflyte.types.engine import TypeEngine

    if isinstance(value, str) and t is not str:  # typed at a prompt
        import json

        try:
            value = json.loads(value)
        except ValueError:
            pass
    try:
        return await TypeEngine.local_round_trip(None, value, t)
    except Exception as e:
        raise_type_error(f"gate {name!r}", "signal", name, t, value, e)


def _call(gate: Gate, **inputs: Any) -> Any:
    state = _ctx._COMPILATION.get()
    if state is not None:
        return state.add_call(gate, (), inputs)
    return _ctx.get_controller().run_entity(gate, inputs)


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
