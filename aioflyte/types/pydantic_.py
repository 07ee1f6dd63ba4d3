"""Pydantic v2 models as msgpack binary literals of their JSON-mode dump, typed by their JSON schema."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pydantic_core
from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types import _codec
from aioflyte.types.engine import LocalConverter, TypeEngine, TypeTransformer, mismatch, strip_annotated
from aioflyte.types.generic import msgpack_literal, pack, read_data, struct_literal_type, unpack


class PydanticTransformer(TypeTransformer[pydantic.BaseModel]):
    """``BaseModel`` subclasses: dumped in JSON mode, validated back with the model's own validators."""

    def __init__(self) -> None:
        super().__init__("Pydantic Transformer", pydantic.BaseModel)

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        try:
            schema: dict[str, Any] | None = t.model_json_schema()
        except pydantic.PydanticUserError:  # e.g. arbitrary types with no schema: the type stays schemaless
            schema = None
        fields = {}
        for name, info in t.model_fields.items():
            try:
                fields[name] = TypeEngine.to_literal_type(info.annotation)
            except Exception:  # a field with no literal type of its own is still encoded inside the model
                continue
        return struct_literal_type(schema, fields)

    def assert_type(self, t: Any, v: Any) -> None:
        t = strip_annotated(t)
        if not isinstance(v, t):
            raise mismatch(t, v)

    def _encode(self, t: Any, v: Any) -> Any:
        self.assert_type(t, v)
        try:
            return v.model_dump(mode="json")
        except pydantic_core.PydanticSerializationError as e:
            raise TypeTransformerFailedError(f"cannot serialize {t.__qualname__}: {e}") from e

    def _decode(self, t: Any, data: Any) -> Any:
        try:
            try:
                text = json.dumps(data)
            except (TypeError, ValueError):  # not JSON (e.g. raw bytes from another writer): validate the data
                return t.model_validate(data)
            return t.model_validate_json(text)
        except pydantic.ValidationError as e:
            raise TypeTransformerFailedError(f"cannot read a {t.__qualname__}: {e}") from e

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        if _codec.needs_io(python_type):
            self.assert_type(python_type, python_val)
            async with _codec.published(python_val):  # files, directories and datasets in fields are stored first
                return msgpack_literal(self._encode(python_type, python_val))
        return msgpack_literal(self._encode(python_type, python_val))

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> Any:
        t = expected_python_type
        return self._decode(t, read_data(lv, t.__qualname__, typed=False))

    def local_converter(self, t: Any) -> LocalConverter | None:
        if _codec.needs_io(t):  # fields holding files go through the store, as they would on a cluster
            return None

        def convert(v: Any) -> Any:
            return self._decode(t, unpack(pack(self._encode(t, v))))

        return convert


PYDANTIC = PydanticTransformer()
