"""Protobuf messages (``google.protobuf.Struct`` and any generated message) as STRUCT literals, flytekit's form.

The literal type is ``simple: STRUCT`` with the message class recorded as ``metadata.pb_type`` (module and class
name); the literal is ``scalar.generic``, the message's JSON form as a protobuf ``Struct``. A ``ListValue`` is a
literal collection of its items. Messages whose JSON form is not an object (``Timestamp``, ``Duration``, wrappers)
cannot be stored this way: ``datetime`` and ``timedelta`` are the types for those.
"""

from __future__ import annotations

import importlib
from typing import Any

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types
from google.protobuf import json_format, struct_pb2
from google.protobuf.message import Message

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types.engine import LocalConverter, TypeTransformer, mismatch, strip_annotated, type_name

PB_FIELD_KEY = "pb_type"


def tag(t: type) -> str:
    """The name a literal type records for a message class (flytekit's: module and class name)."""
    return f"{t.__module__}.{t.__name__}"


def load_tag(name: str) -> type:
    """The message class a recorded name stands for (its module is imported)."""
    module_name, _, attr = name.rpartition(".")
    while module_name:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            module_name, _, outer = module_name.rpartition(".")  # a nested class: Outer.Inner
            attr = f"{outer}.{attr}"
            continue
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part, None)
        if isinstance(obj, type) and issubclass(obj, Message):
            return obj
        break
    raise ValueError(f"no protobuf message class {name!r} can be imported")


def _item_literal(v: Any) -> _lit.Literal:
    """One item of a ``ListValue`` (a JSON value) as the literal of its Python type."""
    if v is None:
        return _lit.Literal(scalar=_lit.Scalar(none_type=_lit.Void()))
    if isinstance(v, bool):
        return _lit.Literal(scalar=_lit.Scalar(primitive=_lit.Primitive(boolean=v)))
    if isinstance(v, float):
        return _lit.Literal(scalar=_lit.Scalar(primitive=_lit.Primitive(float_value=v)))
    if isinstance(v, str):
        return _lit.Literal(scalar=_lit.Scalar(primitive=_lit.Primitive(string_value=v)))
    return to_literal(v, type(v))


def _item_value(lit: _lit.Literal) -> Any:
    kind = lit.WhichOneof("value")
    if kind == "collection":
        out = struct_pb2.ListValue()
        out.extend([_item_value(x) for x in lit.collection.literals])
        return out
    scalar = lit.scalar.WhichOneof("value")
    if scalar == "generic":
        return json_format.MessageToDict(lit.scalar.generic)
    if scalar == "none_type":
        return None
    if scalar == "primitive":
        p = lit.scalar.primitive
        which = p.WhichOneof("value")
        return getattr(p, which) if which in ("float_value", "string_value", "boolean", "integer") else None
    raise TypeTransformerFailedError(f"a ListValue item cannot be read from a {scalar or kind} literal")


def to_literal(v: Any, t: Any) -> _lit.Literal:
    if not isinstance(v, Message) or (isinstance(t, type) and not isinstance(v, t)):
        raise mismatch(t, v)
    if isinstance(v, struct_pb2.ListValue):
        return _lit.Literal(collection=_lit.LiteralCollection(literals=[_item_literal(x) for x in v]))
    data = json_format.MessageToDict(v)
    if not isinstance(data, dict):
        raise TypeTransformerFailedError(
            f"a {type_name(type(v))} cannot be a STRUCT literal: its JSON form is a {type(data).__name__}, not an "
            "object (use datetime or timedelta for timestamps and durations)"
        )
    struct = struct_pb2.Struct()
    struct.update(data)
    return _lit.Literal(scalar=_lit.Scalar(generic=struct))


def to_python_value(lv: _lit.Literal, t: Any) -> Any:
    if t is struct_pb2.ListValue and lv.WhichOneof("value") == "collection":
        return _item_value(lv)
    if lv.WhichOneof("value") != "scalar" or lv.scalar.WhichOneof("value") != "generic":
        raise TypeTransformerFailedError(f"expected a generic (Struct) literal for {type_name(t)}, got {lv}")
    try:
        return json_format.ParseDict(json_format.MessageToDict(lv.scalar.generic), t())
    except json_format.ParseError as e:
        raise TypeTransformerFailedError(f"cannot read a {type_name(t)}: {e}") from e


class ProtobufTransformer(TypeTransformer[Message]):
    """Every generated protobuf message class (found through the class's bases)."""

    def __init__(self) -> None:
        super().__init__("Protobuf-Transformer", Message)

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        lt = _types.LiteralType(simple=_types.STRUCT)
        lt.metadata.update({PB_FIELD_KEY: tag(t)})
        return lt

    def assert_type(self, t: Any, v: Any) -> None:
        t = strip_annotated(t)
        if not isinstance(v, t):
            raise mismatch(t, v)

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        return to_literal(python_val, python_type)

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> Any:
        return to_python_value(lv, expected_python_type)

    def local_converter(self, t: Any) -> LocalConverter | None:
        return lambda v: to_python_value(to_literal(v, t), t)  # no I/O: the round trip itself, in memory

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if literal_type.WhichOneof("type") == "simple" and literal_type.simple == _types.STRUCT:
            name = literal_type.metadata.fields.get(PB_FIELD_KEY)
            if name is not None and name.string_value:
                return load_tag(name.string_value)
        raise ValueError(f"{literal_type} does not name a protobuf message class")


PROTOBUF = ProtobufTransformer()
