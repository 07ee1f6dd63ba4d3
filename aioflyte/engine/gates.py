"""How gate nodes run locally: ``sleep`` sleeps; ``approve`` and ``wait_for_input`` wait for the run's signal."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aioflyte.core.gate import Gate
from aioflyte.core.task import raise_type_error
from aioflyte.engine.signals import provider_for
from aioflyte.exceptions import GateRejected
from aioflyte.runscope import RunState
from aioflyte.types.engine import TypeEngine

_YES = frozenset({"y", "yes", "true", "1", "approve", "approved"})


async def run_gate(gate: Gate, inputs: dict[str, Any], run: RunState) -> Any:
    """Sleep, or wait (at most the gate's timeout) for its signal; an approval passes the upstream value on."""
    if gate.sleep_duration is not None:
        await asyncio.sleep(gate.sleep_duration.total_seconds())
        return None
    timeout = gate.timeout.total_seconds() if gate.timeout is not None else None
    provider = provider_for(run)
    if gate.upstream_type is not None:
        value = await provider.wait(gate.name, timeout, f"Approve {gate.name}? [y/n] ")
        if isinstance(value, str):
            value = value.strip().lower() in _YES
        if value is not True:
            raise GateRejected(f"approval gate {gate.name!r} was rejected")
        return inputs["o0"]
    value = await provider.wait(gate.name, timeout, f"Value for {gate.name} ({gate.input_type}): ")
    return await _coerce(gate.name, gate.input_type, value)


async def _coerce(name: str, t: Any, value: Any) -> Any:
    """A signal's value as the gate's type (a string typed at a prompt is read as JSON first)."""
    if isinstance(value, str) and t is not str:
        try:
            value = json.loads(value)
        except ValueError:
            pass
    try:
        return await TypeEngine.local_round_trip(None, value, t)
    except Exception as e:
        raise_type_error(f"gate {name!r}", "signal", name, t, value, e)
