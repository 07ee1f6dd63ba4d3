"""Durations as people write them, for the command line's inputs and the console's signal forms: seconds (``90``,
``1.5``), ``H:MM:SS`` / ``MM:SS``, ISO 8601 (``PT1H30M``, ``P2D``, ``P1W``) or words (``10 minutes``)."""

from __future__ import annotations

import datetime
import re
from typing import Any

_ISO_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"^(?:(?:(?P<hours>\d+):)?(?P<minutes>\d*):)(?P<seconds>\d+(?:\.\d+)?)$")
_WORDS = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[a-z]+)$", re.IGNORECASE)
_UNITS = {
    "s": "seconds", "sec": "seconds", "secs": "seconds", "second": "seconds", "seconds": "seconds",
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days", "w": "weeks", "week": "weeks", "weeks": "weeks",
    "ms": "milliseconds", "millisecond": "milliseconds", "milliseconds": "milliseconds",
}  # fmt: skip

#: what ``parse_duration`` accepts, for error messages
FORMS = "seconds (90), H:MM:SS, ISO 8601 (PT1H30M) or '10 minutes'"


def parse_duration(value: Any) -> datetime.timedelta:
    """``value`` as a ``timedelta`` (a ``timedelta`` as it is, a number as seconds, text in any of ``FORMS``);
    ``ValueError`` naming the value and the forms otherwise."""
    if isinstance(value, datetime.timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.timedelta(seconds=value)
    t = str(value).strip()
    try:
        return datetime.timedelta(seconds=float(t))
    except ValueError:
        pass
    for pattern in (_ISO_DURATION, _CLOCK):
        m = pattern.match(t)
        if m and any(m.groupdict().values()):
            return datetime.timedelta(**{k: float(v) for k, v in m.groupdict().items() if v})
    m = _WORDS.match(t)
    if m and m.group("unit").lower() in _UNITS:
        return datetime.timedelta(**{_UNITS[m.group("unit").lower()]: float(m.group("n"))})
    raise ValueError(f"{value!r} is not a duration: expected {FORMS}")


__all__ = ["FORMS", "parse_duration"]
