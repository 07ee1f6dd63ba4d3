"""``Optional[T]`` and ``Union[A, B, ...]``: union literals whose type carries the variant's tag."""

from __future__ import annotations

import dataclasses
import sys
import typing
from typing import Any

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import FlyteDataNotFoundError, TypeTransformerFailedError
from aioflyte.types.engine import LocalConverter, TypeEngine, TypeTransformer, strip_annotated, type_name, value_repr


def _variant_type(t: Any) -> _types.LiteralType:
    lt = _types.LiteralType()
    lt.CopyFrom(TypeEngine.to_literal_type(t))
    # The variant's structure is only its tag (as flytekit writes it): a dataclass's field types are dropped.
    lt.structure.CopyFrom(_types.TypeStructure(tag=TypeEngine.get_transformer(t).name))
    return lt


def _is_record(t: Any) -> bool:
    """A dataclass or a pydantic model: variants that read each other's data when their fields agree."""
    t = typing.get_args(t)[0] if typing.get_origin(t) is typing.Annotated else t
    if not isinstance(t, type):
        return False
    if dataclasses.is_dataclass(t):
        return True
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and issubclass(t, pydantic.BaseModel)


def _check_unambiguous(union: Any, chosen: Any, v: Any) -> None:
    """Refuse a record that another record variant of the union would take too: read back, the literal (tagged
    only with the transformer's name) could be either, so the union cannot say which it holds."""
    if not _is_record(chosen):
        return
    tag = TypeEngine.get_transformer(chosen).name
    also = []
    for a in typing.get_args(union):
        if a is chosen or not _is_record(a) or TypeEngine.get_transformer(a).name != tag:
            continue
        try:
            TypeEngine.get_transformer(a).assert_type(a, v)
        except (TypeTransformerFailedError, TypeError, AssertionError, ValueError):
            continue
        also.append(a)
    if also:
        names = ", ".join(type_name(a) for a in typing.get_args(union) if a is chosen or a in also)
        raise TypeTransformerFailedError(
            f"Ambiguous choice of variant for union type {type_name(union)}: {value_repr(v)} fits {names}, which "
            "are structurally the same (fields of the same names and types); make the variants differ"
        )


def _ordered(variants: tuple[Any, ...], v: Any) -> list[Any]:
    """Variants to try for ``v``: the one whose type is exactly ``type(v)`` first, then in declared order."""
    exact = [t for t in variants if t is type(v)]
    return exact + [t for t in variants if t is not type(v)]


class UnionTransformer(TypeTransformer[Any]):
    def __init__(self) -> None:
        super().__init__("Typed Union", typing.Union)

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        return _types.LiteralType(union_type=_types.UnionType(variants=[_variant_type(a) for a in typing.get_args(t)]))

    def assert_type(self, t: Any, v: Any) -> None:
        t = strip_annotated(t)
        for a in typing.get_args(t):
            try:
                TypeEngine.get_transformer(a).assert_type(a, v)
                return
            except (TypeTransformerFailedError, TypeError, AssertionError):
                continue
        raise TypeTransformerFailedError(f"expected {type_name(t)}, got {type(v).__name__} ({value_repr(v)})")

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        for a in _ordered(typing.get_args(python_type), python_val):
            try:
                lit = await TypeEngine.async_to_literal(ctx, python_val, a)
            except FlyteDataNotFoundError:
                raise  # the value's data is missing: no other variant would find it either
            except (TypeTransformerFailedError, TypeError, AssertionError, ValueError):
                continue
            _check_unambiguous(python_type, a, python_val)
            return _lit.Literal(
                scalar=_lit.Scalar(union=_lit.Union(value=lit, type=_variant_type(a))),
                hash=lit.hash,
            )
        raise TypeTransformerFailedError(
            f"expected {type_name(python_type)}, got {type(python_val).__name__} ({value_repr(python_val)})"
        )

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> Any:
        args = typing.get_args(expected_python_type)
        if lv.WhichOneof("value") == "scalar" and lv.scalar.WhichOneof("value") == "union":
            tag = lv.scalar.union.type.structure.tag
            inner = lv.scalar.union.value
            tagged = [a for a in args if TypeEngine.get_transformer(a).name == tag]
            for i, a in enumerate(tagged):  # several variants may share a tag (two dataclasses): first that reads
                try:
                    return await TypeEngine.async_to_python_value(ctx, inner, a)
                except TypeTransformerFailedError:
                    if i == len(tagged) - 1:
                        raise
            lv = inner  # untagged or unknown tag: try each variant below
        if type(None) in args and lv.WhichOneof("value") == "scalar" and lv.scalar.WhichOneof("value") == "none_type":
            return None  # a bare none (not union-wrapped) is the None variant, never another type's zero value
        for a in args:
            try:
                return await TypeEngine.async_to_python_value(ctx, lv, a)
            except FlyteDataNotFoundError:
                raise
            except (TypeTransformerFailedError, TypeError, AssertionError, ValueError, AttributeError):
                continue
        raise TypeTransformerFailedError(f"literal does not match any variant of {type_name(expected_python_type)}")

    def local_converter(self, t: Any) -> LocalConverter | None:
        args = typing.get_args(t)
        convs = [(a, TypeEngine.local_converter(a)) for a in args]
        if any(c is None for _, c in convs):
            return None
        by_type = dict(convs)

        def convert(v: Any) -> Any:
            for a in _ordered(args, v):
                try:
                    out = by_type[a](v)
                except (TypeTransformerFailedError, TypeError, AssertionError, ValueError):
                    continue
                _check_unambiguous(t, a, v)
                return out
            raise TypeTransformerFailedError(f"expected {type_name(t)}, got {type(v).__name__} ({value_repr(v)})")

        return convert

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if literal_type.HasField("union_type"):
            variants = tuple(TypeEngine.guess_python_type(v) for v in literal_type.union_type.variants)
            return typing.Union[variants]
        raise ValueError("not a union type")


UNION = UnionTransformer()
