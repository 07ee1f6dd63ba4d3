"""FlyteFile, FlyteDirectory and StructuredDataset as fields of pydantic models (imported by pydantic only).

A field holds the object; validation also takes its record form (``{"path": ...}``, ``{"uri": ...,
"file_format": ...}``, what the stored JSON holds) and, for files and directories, a path. In JSON mode (how the
pydantic transformer stores a model) it is written as its record, with the URI it was published at (its data is
uploaded first, as for dataclasses). The JSON schema is a definition of its own, in the shape pydantic gives
flytekit's classes (titled properties).
"""

from __future__ import annotations

import os
from typing import Any

from aioflyte.types import _codec


def core_schema(cls: Any, paths: bool) -> Any:
    """The pydantic-core schema of a stored-object class (``paths``: a str or ``os.PathLike`` makes one too)."""
    from pydantic_core import core_schema as cs

    def validate(v: Any) -> Any:
        if isinstance(v, cls):
            return v
        if paths and isinstance(v, (str, os.PathLike)):
            return cls(os.fspath(v))
        if isinstance(v, dict):
            try:
                return cls._record_decode(v)
            except TypeError as e:
                raise ValueError(str(e)) from None
        raise ValueError(f"expected a {cls.__name__}, got {type(v).__name__}")

    def serialize(v: Any) -> Any:
        published = _codec._PUBLISHED.get()
        return cls._record_encode(v, published.get(id(v)) if published else None)

    return cs.no_info_plain_validator_function(
        validate,
        ref=f"{cls.__module__}.{cls.__qualname__}:{id(cls)}",  # a definition of its own in model schemas
        serialization=cs.plain_serializer_function_ser_schema(serialize, when_used="json"),
    )


def json_schema(cls: Any) -> dict[str, Any]:
    """The record schema with pydantic's conventions: properties titled, no ``additionalProperties: false``."""
    record = cls._record_schema()
    properties = {
        name: {**_loose(spec), "title": name.replace("_", " ").title()} for name, spec in record["properties"].items()
    }
    return {"properties": properties, "title": record["title"], "type": "object"}


def _loose(schema: Any) -> Any:
    """A schema without ``propertyNames`` (pydantic says nothing about the keys of a ``dict[str, str]``)."""
    if isinstance(schema, dict):
        return {k: _loose(v) for k, v in schema.items() if k != "propertyNames"}
    if isinstance(schema, list):
        return [_loose(x) for x in schema]
    return schema
