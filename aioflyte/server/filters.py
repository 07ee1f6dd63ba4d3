"""flyteadmin's list filters, turned into SQL: ``eq(phase,SUCCEEDED)+gte(updated_at,2026-01-01T00:00:00Z)``.

The syntax is flyteadmin's (what flytekit's ``filters.Filter`` classes and flytectl send): expressions
``fn(field,value)`` joined by ``+`` (all must hold); ``fn`` is one of ``eq ne gt gte lt lte contains
value_in value_not_in`` (set values separated by ``;``). Fields may carry flyteadmin's entity prefix
(``execution.phase``). Times are RFC 3339; phases are names (``SUCCEEDED``) or numbers. An unknown function
or field, or a value of the wrong form, is INVALID_ARGUMENT naming it, as in flyteadmin.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flyteidl.core import execution_pb2

from aioflyte.server.errors import InvalidArgument

_OPS = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
#: The most values a list's filters may hold (a set's values and every other clause's, together).
MAX_VALUES = 1000
_SETS = {"value_in": "IN", "value_not_in": "NOT IN"}
_EXPR = re.compile(r"^([a-z_]+)\(([^,()]+),(.*)\)$", re.DOTALL)


def _time(value: str) -> int:
    """RFC 3339 (``2026-01-02T03:04:05.123456Z``) as nanoseconds since the epoch."""
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgument(f"invalid filter time {value!r}: expected RFC 3339, e.g. 2026-01-02T03:04:05Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    delta = parsed - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _phase(value: str) -> int:
    text = value.strip().upper()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return execution_pb2.WorkflowExecution.Phase.Value(text)
    except ValueError:
        names = ", ".join(execution_pb2.WorkflowExecution.Phase.keys())
        raise InvalidArgument(f"invalid execution phase {value!r} in filter: expected one of {names}") from None


def _text(value: str) -> str:
    return value


@dataclass(frozen=True)
class Field:
    column: str
    convert: Callable[[str], Any]


#: The fields ``ListExecutions`` filters on (flyteadmin's names, with and without the ``execution_`` prefix).
EXECUTION_FIELDS = {
    "phase": Field("phase", _phase),
    "name": Field("name", _text),
    "execution_name": Field("name", _text),
    "created_at": Field("created_at", _time),
    "execution_created_at": Field("created_at", _time),
    "updated_at": Field("updated_at", _time),
    "execution_updated_at": Field("updated_at", _time),
}


def _state(value: str) -> int:
    text = value.strip().upper()
    if text.lstrip("-").isdigit():
        return int(text)
    states = {"INACTIVE": 0, "ACTIVE": 1}  # LaunchPlanState
    if text not in states:
        raise InvalidArgument(f"invalid launch plan state {value!r} in filter: expected ACTIVE or INACTIVE")
    return states[text]


#: The fields task, workflow and launch plan lists filter on (``state`` for launch plans).
ENTITY_FIELDS = {
    "name": Field("name", _text),
    "version": Field("version", _text),
    "created_at": Field("created_at", _time),
    "updated_at": Field("updated_at", _time),
    "state": Field("state", _state),
}


def to_sql(filters: str, fields: dict[str, Field], entity: str = "execution") -> tuple[str, list[Any]]:
    """``(" AND ...", params)`` for ``filters`` (empty when there are none), over ``fields``' columns."""
    clauses: list[str] = []
    params: list[Any] = []
    for raw in filter(None, (part.strip() for part in filters.split("+"))):
        match = _EXPR.match(raw)
        if match is None:
            raise InvalidArgument(f"invalid filter expression {raw!r}: expected fn(field,value)")
        fn, name, value = match.group(1), match.group(2).strip(), match.group(3).strip()
        field = fields.get(name.removeprefix(f"{entity}."))
        if field is None:
            raise InvalidArgument(
                f"invalid filter field {name!r} for {entity} lists: expected one of {', '.join(sorted(fields))}"
            )
        if fn in _OPS:
            clauses.append(f"{field.column} {_OPS[fn]} ?")
            params.append(field.convert(value))
        elif fn in _SETS:
            values = [field.convert(v) for v in value.split(";") if v != ""]
            if not values:
                raise InvalidArgument(f"filter {raw!r}: {fn} needs at least one value")
            if len(values) > MAX_VALUES:
                raise InvalidArgument(f"filter {fn}({name},...): {len(values)} values, at most {MAX_VALUES} allowed")
            clauses.append(f"{field.column} {_SETS[fn]} ({', '.join('?' for _ in values)})")
            params.extend(values)
        elif fn == "contains":
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(f"CAST({field.column} AS TEXT) LIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
        else:
            known = ", ".join([*_OPS, *_SETS, "contains"])
            raise InvalidArgument(f"invalid filter function {fn!r} in {raw!r}: expected one of {known}")
        if len(params) > MAX_VALUES:
            raise InvalidArgument(f"filters {filters[:80]!r}...: more than {MAX_VALUES} values in all")
    return "".join(f" AND {c}" for c in clauses), params
