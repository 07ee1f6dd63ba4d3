"""aioflyte's logger (flytekit's ``flytekit.loggers``): ``logger`` is a structlog logger over the standard library
logger ``aioflyte``, so ``logger.info("loaded %s", name)`` (flytekit's form) and ``logger.info("loaded", name=name)``
(structlog's key-value form) both work, and where the records go is the application's ``logging`` set-up (the
command line and the container entrypoint configure it; a library adds no handler of its own).

``LOGGING_RICH_FMT_ENV_VAR`` is flytekit's variable (``FLYTE_SDK_RICH_TRACEBACKS``), for code that reads it:
``is_rich_logging_enabled()`` gives flytekit's answer (on unless ``0``). aioflyte itself installs no rich traceback
handler at import (flytekit does).
"""

from __future__ import annotations

import logging
import os
from collections.abc import MutableMapping
from typing import Any

#: flytekit's variable: ``0`` turns rich tracebacks and log formatting off.
LOGGING_RICH_FMT_ENV_VAR = "FLYTE_SDK_RICH_TRACEBACKS"
#: The standard library logger under the structlog one.
LOGGER_NAME = "aioflyte"

_RECORD_KEYS = ("exc_info", "stack_info", "stacklevel")


def _to_record(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    """The last processor: the event, then its key-value pairs, as the record's message."""
    event = event_dict.pop("event", "")
    kwargs = {k: event_dict.pop(k) for k in _RECORD_KEYS if k in event_dict}
    pairs = " ".join(f"{k}={v!r}" for k, v in event_dict.items())
    return {"msg": f"{event} {pairs}" if pairs else str(event), **kwargs}


def _make_logger() -> Any:
    import structlog

    return structlog.wrap_logger(
        logging.getLogger(LOGGER_NAME),
        wrapper_class=structlog.stdlib.BoundLogger,
        processors=[structlog.stdlib.filter_by_level, structlog.stdlib.PositionalArgumentsFormatter(), _to_record],
        cache_logger_on_first_use=True,
    )


def is_rich_logging_enabled() -> bool:
    """Rich formatting is on unless ``FLYTE_SDK_RICH_TRACEBACKS=0`` (flytekit's rule)."""
    return os.environ.get(LOGGING_RICH_FMT_ENV_VAR) != "0"


def get_logger(name: str | None = None) -> Any:
    """A structlog logger over ``aioflyte.<name>`` (or ``aioflyte``)."""
    if name is None:
        return logger
    import structlog

    return structlog.wrap_logger(
        logging.getLogger(f"{LOGGER_NAME}.{name}"),
        wrapper_class=structlog.stdlib.BoundLogger,
        processors=[structlog.stdlib.filter_by_level, structlog.stdlib.PositionalArgumentsFormatter(), _to_record],
    )


#: aioflyte's logger (flytekit's ``flytekit.logger``).
logger = _make_logger()

__all__ = ["LOGGING_RICH_FMT_ENV_VAR", "get_logger", "is_rich_logging_enabled", "logger"]
