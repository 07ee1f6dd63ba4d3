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
    # the event and its fields also ride on the record, for the JSON format (``AIOFLYTE_LOG_FORMAT=json``)
    extra = {"aioflyte_event": str(event), "aioflyte_fields": dict(event_dict)}
    return {"msg": f"{event} {pairs}" if pairs else str(event), "extra": extra, **kwargs}


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


#: The variables the command line reads: the level (``DEBUG``, ``INFO``, ...) and the format (``console`` or
#: ``json``) of aioflyte's records on stderr.
LOG_LEVEL_ENV_VAR = "AIOFLYTE_LOG_LEVEL"
LOG_FORMAT_ENV_VAR = "AIOFLYTE_LOG_FORMAT"
LOG_FORMATS = ("console", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, event, the event's fields, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        import datetime
        import json

        doc: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        event = getattr(record, "aioflyte_event", None)
        if event is not None:
            doc["event"] = event
            doc.update(getattr(record, "aioflyte_fields", None) or {})
        else:
            doc["event"] = record.getMessage()
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure_logging(level: str | None = None, fmt: str | None = None) -> bool:
    """Send aioflyte's records to stderr, at ``level`` (else ``$AIOFLYTE_LOG_LEVEL``, else WARNING), formatted
    as ``fmt`` (else ``$AIOFLYTE_LOG_FORMAT``, else ``console``). Does nothing (returns False) when neither a level
    nor a format is given here or in the environment. Calling it again replaces the handler it installed."""
    import sys

    level = level or os.environ.get(LOG_LEVEL_ENV_VAR)
    fmt = fmt or os.environ.get(LOG_FORMAT_ENV_VAR)
    if not level and not fmt:
        return False
    fmt = (fmt or "console").lower()
    if fmt not in LOG_FORMATS:
        raise ValueError(f"{LOG_FORMAT_ENV_VAR}={fmt!r}: expected one of {', '.join(LOG_FORMATS)}")
    numeric = logging.getLevelName((level or "WARNING").upper())
    if not isinstance(numeric, int):
        raise ValueError(f"log level {level!r}: expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    std = logging.getLogger(LOGGER_NAME)
    for h in list(std.handlers):
        if getattr(h, "_aioflyte_cli", False):
            std.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._aioflyte_cli = True  # type: ignore[attr-defined]  # marks the handler this function owns
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    std.addHandler(handler)
    std.setLevel(numeric)
    return True


#: aioflyte's logger (flytekit's ``flytekit.logger``).
logger = _make_logger()

__all__ = [
    "LOGGING_RICH_FMT_ENV_VAR",
    "LOG_FORMAT_ENV_VAR",
    "LOG_LEVEL_ENV_VAR",
    "configure_logging",
    "get_logger",
    "is_rich_logging_enabled",
    "logger",
]
