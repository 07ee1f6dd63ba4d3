"""Dataclasses as msgpack binary literals, typed by a STRUCT literal type with a JSON schema and field types."""

from __future__ import annotations

import contextvars
import dataclasses
import typing
from typing import Any

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types import _codec, _jsonschema
from aioflyte.types.engine import LocalConverter, TypeEngine, TypeTransformer, mismatch, strip_annotated
from aioflyte.types.generic import (
    integral_floats_to_ints,
    msgpack_literal,
    pack,
    read_data,
    struct_literal_type,
    unpack,
)

# Dataclasses whose literal type is being built in this context (threads each have their own).
_IN_PROGRESS: contextvars.ContextVar[frozenset[type]] = contextvars.ContextVar("aioflyte_dc_lt", default=frozenset())


def _field_literal_types(t: type) -> dict[str, _types.LiteralType]:
    """Each field's own literal type (``structure.dataclass_type``: lets a backend resolve ``dc.field``)."""
    out = {}
    for f, ft in _codec.field_types(t):
        bare = _codec.strip(ft)
        if bare is tuple or typing.get_origin(bare) is tuple:
            continue  # flytekit has no literal type for tuples, so such fields are left out of the structure
        try:
            out[f.name] = TypeEngine.to_literal_type(ft)
        except Exception:  # a field with no literal type of its own is still encoded inside the record
            continue
    return out


class DataclassTransformer(TypeTransformer[Any]):
    """Every dataclass: fields encoded in declaration order, nested dataclasses as maps, defaults on decode."""

    def __init__(self) -> None:
        super().__init__("Object-Dataclass-Transformer", object)

    def _codecs(self, t: type) -> tuple[_codec.Codec, _codec.Codec]:
        if not dataclasses.is_dataclass(t):
            raise TypeTransformerFailedError(f"{t!r} is not a dataclass")
        return _codec.encoder(t), _codec.decoder(t)

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        self._codecs(t)  # every field type must have a msgpack form: fail at declaration, not at run time
        building = _IN_PROGRESS.get()
        if t in building:  # a recursive dataclass: the field that refers back is left out of the structure
            raise TypeTransformerFailedError(f"{t.__qualname__} refers to itself")
        token = _IN_PROGRESS.set(building | {t})
        try:
            return struct_literal_type(_jsonschema.schema_of(t), _field_literal_types(t))
        finally:
            _IN_PROGRESS.reset(token)

    def assert_type(self, t: Any, v: Any) -> None:
        self._encode(strip_annotated(t), v)

    def _encode(self, t: type, v: Any) -> Any:
        enc, _ = self._codecs(t)
        if not dataclasses.is_dataclass(v) or isinstance(v, type):
            raise mismatch(t, v)
        try:
            return enc(v)
        except _codec.CodecError as e:
            raise e.under(t.__qualname__) from None

    def _decode(self, t: type, data: Any) -> Any:
        _, dec = self._codecs(t)
        try:
            return dec(data)
        except _codec.CodecError as e:
            raise e.under(t.__qualname__) from None

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        if _codec.needs_io(python_type):
            async with _codec.published(python_val):  # local files/directories in fields are uploaded first
                return msgpack_literal(self._encode(python_type, python_val))
        return msgpack_literal(self._encode(python_type, python_val))

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> Any:
        return self._decode(expected_python_type, read_data(lv, expected_python_type.__qualname__))

    def local_converter(self, t: Any) -> LocalConverter | None:
        self._codecs(t)
        if _codec.needs_io(t):  # fields holding files go through the store, as they would on a cluster
            return None

        def convert(v: Any) -> Any:
            return self._decode(t, unpack(pack(self._encode(t, v))))

        return convert

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if literal_type.WhichOneof("type") == "simple" and literal_type.simple == _types.STRUCT:
            if {"title", "$ref"} & set(literal_type.metadata.fields):
                from google.protobuf import json_format

                schema = integral_floats_to_ints(json_format.MessageToDict(literal_type.metadata))
                try:
                    return _jsonschema.dataclass_from_schema(schema)
                except ValueError:  # a record whose fields cannot be a dataclass: read it as a plain dict
                    return dict
        raise ValueError(f"{literal_type} does not describe a dataclass")


DATACLASS = DataclassTransformer()
