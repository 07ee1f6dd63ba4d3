"""Literal maps as Python values, through the type engine."""

from __future__ import annotations

import logging
from typing import Any

from flyteidl.core import literals_pb2

from aioflyte.types.engine import TypeEngine

log = logging.getLogger("aioflyte.types")


async def to_python_values(lm: literals_pb2.LiteralMap, types: dict[str, Any]) -> dict[str, Any]:
    """Literals as Python values of ``types``; a literal with no type (or ``Any``), or whose conversion fails, is
    returned as the literal itself."""
    out: dict[str, Any] = {}
    for name, lit in lm.literals.items():
        t = types.get(name)
        try:
            out[name] = lit if t is None or t is Any else await TypeEngine.async_to_python_value(None, lit, t)
        except Exception as e:
            log.debug("cannot convert %s to %s, keeping the literal: %s", name, t, e)
            out[name] = lit
    return out


__all__ = ["to_python_values"]
