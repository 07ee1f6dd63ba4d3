"""Untyped ``dict`` and dicts with non-str keys as msgpack binary literals; the msgpack literal helpers."""

from __future__ import annotations

import typing
from typing import Any

import msgpack
from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types import _codec
from aioflyte.types.engine import LocalConverter, TypeTransformer, mismatch, strip_annotated, type_name

MSGPACK = "msgpack"
CACHE_KEY_ANNOTATION = {"cache-key-metadata": {"serialization-format": MSGPACK}}


def pack(data: Any) -> bytes:
    try:
        return msgpack.packb(data)
    except (OverflowError, ValueError, TypeError) as e:
        raise TypeTransformerFailedError(f"cannot encode as msgpack: {e}") from e


def unpack(raw: bytes) -> Any:
    return msgpack.unpackb(raw, strict_map_key=False)


def msgpack_literal(data: Any) -> _lit.Literal:
    """``scalar { binary { value: <msgpack>, tag: "msgpack" } }``."""
    return _lit.Literal(scalar=_lit.Scalar(binary=_lit.Binary(value=pack(data), tag=MSGPACK)))


def struct_literal_type(
    schema: dict[str, Any] | None = None, fields: dict[str, _types.LiteralType] | None = None
) -> _types.LiteralType:
    """``simple: STRUCT`` with the msgpack cache-key annotation and, for records, a JSON schema and field types."""
    lt = _types.LiteralType(simple=_types.STRUCT)
    if schema is not None:
        lt.metadata.update(schema)
    lt.annotation.annotations.update(CACHE_KEY_ANNOTATION)
    if fields is not None:
        lt.structure.SetInParent()
        for name, ft in fields.items():
            lt.structure.dataclass_type[name].CopyFrom(ft)
    return lt


def integral_floats_to_ints(v: Any) -> Any:
    """JSON numbers are doubles: integral floats become ints again (typed decoders widen to float as needed)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return [integral_floats_to_ints(x) for x in v]
    if isinstance(v, dict):
        return {k: integral_floats_to_ints(x) for k, x in v.items()}
    return v


def read_data(lv: _lit.Literal, what: str, typed: bool = True) -> Any:
    """The data of a msgpack binary literal, or of the older ``scalar.generic`` (protobuf Struct) form."""
    kind = lv.WhichOneof("value")
    if kind == "scalar":
        kind = lv.scalar.WhichOneof("value")
    if kind == "binary":
        binary = lv.scalar.binary
        if binary.tag != MSGPACK:
            raise TypeTransformerFailedError(f"unsupported binary format {binary.tag!r} for {what}")
        try:
            return unpack(binary.value)
        except Exception as e:
            raise TypeTransformerFailedError(f"cannot decode the msgpack value of {what}: {e}") from e
    if kind == "generic":
        from google.protobuf import json_format

        data = json_format.MessageToDict(lv.scalar.generic)
        return integral_floats_to_ints(data) if typed else data
    raise TypeTransformerFailedError(f"expected a msgpack binary (or struct) literal for {what}, got {kind}")


class GenericDictTransformer(TypeTransformer[dict]):
    """``dict`` (untyped, values must be msgpack-able) and ``dict[K, V]`` with non-str keys, as msgpack maps."""

    def __init__(self) -> None:
        super().__init__("Typed Dict", dict)

    @staticmethod
    def _typed(t: Any) -> bool:
        return bool(typing.get_args(t))

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        try:
            _codec.encoder(t)  # fail at declaration for element types that have no msgpack form
        except _codec.CodecError as e:
            raise e.under(type_name(t)) from None
        return struct_literal_type()

    def assert_type(self, t: Any, v: Any) -> None:
        if not isinstance(v, dict):
            raise mismatch(strip_annotated(t), v)

    def _encode(self, t: Any, v: Any) -> Any:
        if not isinstance(v, dict):
            raise mismatch(t, v)
        try:
            return _codec.encoder(t)(v)
        except _codec.CodecError as e:
            raise e.under(type_name(t)) from None

    def _decode(self, t: Any, data: Any) -> dict:
        try:
            return _codec.decoder(t)(data)
        except _codec.CodecError as e:
            raise e.under(type_name(t)) from None

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        return msgpack_literal(self._encode(python_type, python_val))

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> dict:
        if lv.metadata.get("format") == "pickle" and lv.scalar.HasField("generic"):
            from aioflyte.types.pickle import load_pickle

            return await load_pickle(lv.scalar.generic.fields["pickle_file"].string_value)
        t = expected_python_type
        return self._decode(t, read_data(lv, type_name(t), typed=self._typed(t)))

    def local_converter(self, t: Any) -> LocalConverter | None:
        def convert(v: Any) -> dict:
            return self._decode(t, unpack(pack(self._encode(t, v))))

        return convert

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if (
            literal_type.WhichOneof("type") == "simple"
            and literal_type.simple == _types.STRUCT
            and not literal_type.metadata.fields
        ):
            return dict
        raise ValueError(f"{literal_type} is not an untyped dict")


GENERIC_DICT = GenericDictTransformer()
