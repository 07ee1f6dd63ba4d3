"""String-valued ``enum.Enum`` types: an enum literal type, a string literal."""

from __future__ import annotations

import enum
from typing import Any

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types.engine import LocalConverter, TypeTransformer, mismatch, strip_annotated


def _same_values(a: Any, b: Any) -> bool:
    """Whether two enum classes have the same member values, in order (so the same enum literal type)."""
    return [m.value for m in a] == [m.value for m in b]


class EnumTransformer(TypeTransformer[enum.Enum]):
    def __init__(self) -> None:
        super().__init__("DefaultEnumTransformer", enum.Enum)

    @staticmethod
    def _values(t: Any) -> list[str]:
        values = [m.value for m in t]
        bad = [v for v in values if not isinstance(v, str)]
        if bad:
            raise TypeTransformerFailedError(
                f"enum {t.__qualname__} has non-string values ({bad[0]!r}); Flyte enums must have string values"
            )
        return values

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        return _types.LiteralType(enum_type=_types.EnumType(values=self._values(t)))

    def _coerce(self, t: Any, v: Any) -> enum.Enum:
        t = strip_annotated(t)
        if isinstance(v, t):
            return v
        if isinstance(v, enum.Enum) and _same_values(type(v), t):
            # The same enum type under another class: e.g. two classes guessed from one literal type (a fetched
            # entity's interface, guessed once per fetch), or a user's enum and the one guessed from its type.
            return t(v.value)
        if isinstance(v, str) and not isinstance(v, enum.Enum):
            try:
                return t(v)
            except ValueError:
                raise TypeTransformerFailedError(
                    f"{v!r} is not a value of enum {t.__qualname__} (values: {self._values(t)})"
                ) from None
        raise mismatch(t, v)

    def assert_type(self, t: Any, v: Any) -> None:
        self._coerce(t, v)

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        self._values(python_type)
        v = self._coerce(python_type, python_val)
        return _lit.Literal(scalar=_lit.Scalar(primitive=_lit.Primitive(string_value=v.value)))

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> enum.Enum:
        return self._coerce(expected_python_type, lv.scalar.primitive.string_value)

    def local_converter(self, t: Any) -> LocalConverter | None:
        self._values(t)
        return lambda v: self._coerce(t, v)

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if literal_type.HasField("enum_type"):
            values = list(literal_type.enum_type.values)
            return enum.Enum("DynamicEnum", {v: v for v in values})
        raise ValueError("not an enum type")


ENUM = EnumTransformer()
