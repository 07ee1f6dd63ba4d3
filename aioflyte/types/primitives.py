"""Scalars: int, float, str, bool, datetime, date, timedelta, None (flytekit's primitive literal forms)."""

from __future__ import annotations

import datetime
from typing import Any, Callable

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types.engine import LocalConverter, TypeTransformer, mismatch

_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)


def _primitive_literal(**kw: Any) -> _lit.Literal:
    return _lit.Literal(scalar=_lit.Scalar(primitive=_lit.Primitive(**kw)))


def _check_int(v: Any) -> int:
    if type(v) is int:
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    raise mismatch(int, v)


def _check_float(v: Any) -> float:
    if type(v) is float:
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):  # ints widen losslessly to float
        return float(v)
    raise mismatch(float, v)


def _check_str(v: Any) -> str:
    if type(v) is str:
        return v
    if isinstance(v, str):
        return str(v)
    raise mismatch(str, v)


def _check_bool(v: Any) -> bool:
    if v is True or v is False:
        return v
    raise mismatch(bool, v)


# Each of these returns a value of exactly its type unchanged: the engine may skip the call for such values.
_check_int.exact_type = int  # type: ignore[attr-defined]
_check_float.exact_type = float  # type: ignore[attr-defined]
_check_str.exact_type = str  # type: ignore[attr-defined]
_check_bool.exact_type = bool  # type: ignore[attr-defined]


def _check_none(v: Any) -> None:
    if v is not None:
        raise mismatch(type(None), v)
    return None


def _to_utc(v: Any) -> datetime.datetime:
    if not isinstance(v, datetime.datetime):
        raise mismatch(datetime.datetime, v)
    # A naive datetime is taken as UTC, as flytekit does; the literal always comes back tz-aware (UTC).
    return v.replace(tzinfo=_UTC) if v.tzinfo is None else v.astimezone(_UTC)


def _check_date(v: Any) -> datetime.date:
    if isinstance(v, datetime.datetime) or not isinstance(v, datetime.date):
        raise mismatch(datetime.date, v)
    return v


def _check_timedelta(v: Any) -> datetime.timedelta:
    if not isinstance(v, datetime.timedelta):
        raise mismatch(datetime.timedelta, v)
    return v


def _timestamp(dt: datetime.datetime) -> Any:
    from google.protobuf import timestamp_pb2

    delta = dt - _EPOCH
    secs = delta.days * 86400 + delta.seconds
    return timestamp_pb2.Timestamp(seconds=secs, nanos=delta.microseconds * 1000)


def _from_timestamp(ts: Any) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(seconds=ts.seconds, microseconds=ts.nanos // 1000)


def _duration(td: datetime.timedelta) -> Any:
    from google.protobuf import duration_pb2

    d = duration_pb2.Duration()
    d.FromTimedelta(td)
    return d


class SimpleTransformer(TypeTransformer[Any]):
    """A scalar type with a fixed literal type, a checker, and two conversion functions."""

    def __init__(
        self,
        name: str,
        t: type,
        simple: _types.SimpleType,
        check: Callable[[Any], Any],
        to_lit: Callable[[Any], _lit.Literal],
        from_lit: Callable[[_lit.Literal], Any],
    ) -> None:
        super().__init__(name, t)
        self._lt = _types.LiteralType(simple=simple)
        self._check = check
        self._to_lit = to_lit
        self._from_lit = from_lit

    def assert_type(self, t: Any, v: Any) -> None:
        self._check(v)

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        lt = _types.LiteralType()
        lt.CopyFrom(self._lt)
        return lt

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        return self._to_lit(self._check(python_val))

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> Any:
        try:
            return self._from_lit(lv)
        except TypeTransformerFailedError:
            raise
        except Exception as e:
            raise TypeTransformerFailedError(
                f"cannot read a {self.name} from literal {str(lv).strip()[:80]!r}: {e}"
            ) from e

    def local_converter(self, t: Any) -> LocalConverter | None:
        return self._check

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if literal_type.WhichOneof("type") == "simple" and literal_type.simple == self._lt.simple:
            return self.python_type
        raise ValueError(f"{literal_type} is not a {self.name}")


def _prim(lv: _lit.Literal, field: str) -> Any:
    p = lv.scalar.primitive
    which = p.WhichOneof("value")
    if which == field:
        return getattr(p, field)
    if which is None and lv.scalar.WhichOneof("value") is None and field != "string_value":
        raise TypeTransformerFailedError(f"expected a {field} literal, got an empty literal")
    if which is None:
        return getattr(p, field)
    raise TypeTransformerFailedError(f"expected a {field} literal, got {which}")


def _int_from(lv: _lit.Literal) -> int:
    return _prim(lv, "integer")


def _float_from(lv: _lit.Literal) -> float:
    p = lv.scalar.primitive
    if p.WhichOneof("value") == "integer":
        return float(p.integer)
    return _prim(lv, "float_value")


def _none_from(lv: _lit.Literal) -> None:
    return None


INT = SimpleTransformer("int", int, _types.INTEGER, _check_int, lambda v: _primitive_literal(integer=v), _int_from)
FLOAT = SimpleTransformer(
    "float", float, _types.FLOAT, _check_float, lambda v: _primitive_literal(float_value=v), _float_from
)
STR = SimpleTransformer(
    "str",
    str,
    _types.STRING,
    _check_str,
    lambda v: _primitive_literal(string_value=v),
    lambda lv: _prim(lv, "string_value"),
)
BOOL = SimpleTransformer(
    "bool",
    bool,
    _types.BOOLEAN,
    _check_bool,
    lambda v: _primitive_literal(boolean=v),
    lambda lv: _prim(lv, "boolean"),
)
DATETIME = SimpleTransformer(
    "datetime",
    datetime.datetime,
    _types.DATETIME,
    _to_utc,
    lambda v: _primitive_literal(datetime=_timestamp(v)),
    lambda lv: _from_timestamp(_prim(lv, "datetime")),
)
DATE = SimpleTransformer(
    "date",
    datetime.date,
    _types.DATETIME,
    _check_date,
    lambda v: _primitive_literal(datetime=_timestamp(datetime.datetime(v.year, v.month, v.day, tzinfo=_UTC))),
    lambda lv: _from_timestamp(_prim(lv, "datetime")).date(),
)
TIMEDELTA = SimpleTransformer(
    "timedelta",
    datetime.timedelta,
    _types.DURATION,
    _check_timedelta,
    lambda v: _primitive_literal(duration=_duration(v)),
    lambda lv: _prim(lv, "duration").ToTimedelta(),
)
NONE = SimpleTransformer(
    "none",
    type(None),
    _types.NONE,
    _check_none,
    lambda v: _lit.Literal(scalar=_lit.Scalar(none_type=_lit.Void())),
    _none_from,
)

ALL = [INT, FLOAT, STR, BOOL, DATETIME, DATE, TIMEDELTA, NONE]
