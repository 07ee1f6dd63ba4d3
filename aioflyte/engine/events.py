"""The engine's DEBUG events, through aioflyte's structlog logger ``aioflyte.engine``: run, node and attempt starts
and ends, retries, cache hits and misses, map progress. Every call site asks ``on()`` first, so a run whose log
level is above DEBUG pays one level check per event and builds no event.

    aioflyte --log-level DEBUG run wf.py wf         # or logging.getLogger("aioflyte.engine").setLevel("DEBUG")
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from aioflyte.loggers import get_logger

_std = logging.getLogger("aioflyte.engine")
log = get_logger("engine")


#: ``on()``: whether DEBUG events of the engine are wanted (a partial: it is asked once per task attempt)
on: Callable[[], bool] = functools.partial(_std.isEnabledFor, logging.DEBUG)


def event(name: str, **fields: Any) -> None:
    """Log ``name`` with ``fields`` at DEBUG (call it after :func:`on`)."""
    log.debug(name, **fields)
