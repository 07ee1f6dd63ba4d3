"""What a dataset annotation declares: columns (``kwtypes``), storage format and arrow schema.

``Annotated[StructuredDataset, kwtypes(a=int, b=str), "parquet"]`` becomes the literal type
``structured_dataset_type {columns, format}`` flytekit 1.16 produces for it.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import typing
from typing import Any

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types.engine import type_name

StructuredDatasetType = _types.StructuredDatasetType
StructuredDatasetMetadata = _lit.StructuredDatasetMetadata
DatasetColumn = _types.StructuredDatasetType.DatasetColumn


class StructuredDatasetFormat(str):
    """A storage format name. A plain ``str`` as in flytekit; the known ones are class attributes."""

    PARQUET: typing.ClassVar[str] = "parquet"
    CSV: typing.ClassVar[str] = "csv"
    GENERIC: typing.ClassVar[str] = ""


PARQUET = StructuredDatasetFormat.PARQUET
CSV = StructuredDatasetFormat.CSV
GENERIC_FORMAT = StructuredDatasetFormat.GENERIC
GENERIC_PROTOCOL = "generic protocol"
FSSPEC = "fsspec"  # the protocol under which handlers for every storage protocol are registered

_SIMPLE: dict[Any, _types.SimpleType] = {
    int: _types.INTEGER,
    float: _types.FLOAT,
    bool: _types.BOOLEAN,
    str: _types.STRING,
    datetime.datetime: _types.DATETIME,
    datetime.timedelta: _types.DURATION,
}
# numpy scalar types by name (numpy is never imported here)
_NUMPY: dict[str, _types.SimpleType] = {
    "int8": _types.INTEGER,
    "int16": _types.INTEGER,
    "int32": _types.INTEGER,
    "int64": _types.INTEGER,
    "uint8": _types.INTEGER,
    "uint16": _types.INTEGER,
    "uint32": _types.INTEGER,
    "uint64": _types.INTEGER,
    "float16": _types.FLOAT,
    "float32": _types.FLOAT,
    "float64": _types.FLOAT,
    "bool": _types.BOOLEAN,
    "bool_": _types.BOOLEAN,
    "datetime64": _types.DATETIME,
    "timedelta64": _types.DURATION,
    "bytes_": _types.STRING,
    "str_": _types.STRING,
    "object_": _types.STRING,
}


def column_literal_type(t: Any, column: str = "?") -> _types.LiteralType:
    """The literal type of one declared column (flytekit's supported set, plus lists and dicts of them)."""
    simple = _SIMPLE.get(t)
    if simple is None and isinstance(t, type) and t.__module__ == "numpy":
        simple = _NUMPY.get(t.__name__)
    if simple is not None:
        return _types.LiteralType(simple=simple)
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is list and args:
        return _types.LiteralType(collection_type=column_literal_type(args[0], column))
    if origin is dict and len(args) == 2:
        return _types.LiteralType(map_value_type=column_literal_type(args[1], column))
    raise TypeTransformerFailedError(
        f"column {column!r}: type {type_name(t)} is not supported in a StructuredDataset; use int, float, bool, "
        "str, datetime, timedelta (or numpy scalars), list[...] or dict[str, ...] of them"
    )


def flatten_columns(columns: dict[str, Any], parent: str = "") -> dict[str, Any]:
    """Nested column groups (dicts, dataclasses) as dotted names: ``{"a": {"b": int}}`` -> ``{"a.b": int}``."""
    out: dict[str, Any] = {}
    for name, t in columns.items():
        key = f"{parent}.{name}" if parent else name
        if isinstance(t, dict):
            out.update(flatten_columns(t, key))
        elif dataclasses.is_dataclass(t):
            out.update(flatten_columns(typing.get_type_hints(t), key))
        else:
            out[key] = t
    return out


def dataset_columns(columns: dict[str, Any] | None) -> list[DatasetColumn]:
    if not columns:
        return []
    return [DatasetColumn(name=k, literal_type=column_literal_type(v, k)) for k, v in flatten_columns(columns).items()]


def _is_arrow_schema(x: Any) -> bool:
    cls = type(x)
    return cls.__name__ == "Schema" and cls.__module__.partition(".")[0] == "pyarrow"


def extract_cols_and_format(t: Any) -> tuple[Any, dict[str, Any] | None, str, Any]:
    """``(base type, columns or None, format, arrow schema or None)`` of a possibly ``Annotated`` type.

    Columns come from a dict (``kwtypes``) or a class with annotations; a ``str`` is the format. Other
    annotations (``HashMethod``, ...) are ignored. Declaring two of one kind is an error.
    """
    if typing.get_origin(t) is not typing.Annotated:
        return t, None, GENERIC_FORMAT, None
    base, *extras = typing.get_args(t)
    columns: dict[str, Any] | None = None
    fmt = GENERIC_FORMAT
    schema = None
    for a in extras:
        if isinstance(a, str):
            if fmt:
                raise ValueError(f"{type_name(t)}: a format was already given ({fmt!r}), cannot also use {a!r}")
            fmt = a
        elif isinstance(a, dict) or (isinstance(a, type) and getattr(a, "__annotations__", None)):
            if columns is not None:
                raise ValueError(f"{type_name(t)}: columns were already given ({dict(columns)}), cannot also use {a}")
            cols = a if isinstance(a, dict) else typing.get_type_hints(a)
            columns = collections.OrderedDict(cols)
        elif _is_arrow_schema(a):
            if schema is not None:
                raise ValueError(f"{type_name(t)}: an arrow schema was already given, cannot also use {a}")
            schema = a
    return base, columns, fmt, schema


def dataset_type(t: Any) -> StructuredDatasetType:
    """The ``StructuredDatasetType`` a (possibly annotated) dataset type declares."""
    _, columns, fmt, schema = extract_cols_and_format(t)
    sdt = StructuredDatasetType(columns=dataset_columns(columns), format=fmt)
    if schema is not None:
        sdt.external_schema_type = "arrow"
        sdt.external_schema_bytes = schema.to_string().encode()
    return sdt


def requested_columns(metadata: StructuredDatasetMetadata | None) -> list[str] | None:
    """The column names a decoder should return (None: all of them)."""
    if metadata is None or not metadata.HasField("structured_dataset_type"):
        return None
    names = [c.name for c in metadata.structured_dataset_type.columns]
    return names or None


def check_columns(uri: str, available: list[str], requested: list[str] | None) -> None:
    """A clear error when the data lacks a column the reading task declares."""
    if not requested:
        return
    missing = [c for c in requested if c not in available]
    if missing:
        shown = [c for c in available if not c.startswith("__")]
        raise TypeTransformerFailedError(
            f"the dataset at {uri} has no column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}: "
            f"the declared columns are {requested}, the data has {shown}"
        )
