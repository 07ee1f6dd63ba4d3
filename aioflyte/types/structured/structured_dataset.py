"""flytekit's ``flytekit.types.structured.structured_dataset``: the dataset type, its handlers and engine, and the
module's helpers, under flytekit's names. The code lives in the modules beside this one."""

from __future__ import annotations

import datetime
from typing import Any

from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import DuplicateHandlerError as DuplicateHandlerError
from aioflyte.exceptions import TypeTransformerFailedError as TypeTransformerFailedError
from aioflyte.types.engine import LiteralType as LiteralType
from aioflyte.types.engine import TypeEngine as TypeEngine
from aioflyte.types.structured.dataset import StructuredDataset as StructuredDataset
from aioflyte.types.structured.dataset import T as T
from aioflyte.types.structured.engine import StructuredDatasetTransformerEngine as StructuredDatasetTransformerEngine
from aioflyte.types.structured.engine import flyte_dataset_transformer as flyte_dataset_transformer
from aioflyte.types.structured.handlers import DF as DF
from aioflyte.types.structured.handlers import Renderable as Renderable
from aioflyte.types.structured.handlers import StructuredDatasetDecoder as StructuredDatasetDecoder
from aioflyte.types.structured.handlers import StructuredDatasetEncoder as StructuredDatasetEncoder
from aioflyte.types.structured.schema import CSV as CSV
from aioflyte.types.structured.schema import GENERIC_FORMAT as GENERIC_FORMAT
from aioflyte.types.structured.schema import GENERIC_PROTOCOL as GENERIC_PROTOCOL
from aioflyte.types.structured.schema import PARQUET as PARQUET
from aioflyte.types.structured.schema import StructuredDatasetFormat as StructuredDatasetFormat
from aioflyte.types.structured.schema import StructuredDatasetMetadata as StructuredDatasetMetadata
from aioflyte.types.structured.schema import StructuredDatasetType as StructuredDatasetType
from aioflyte.types.structured.schema import column_literal_type, flatten_columns
from aioflyte.types.structured.schema import extract_cols_and_format as extract_cols_and_format

#: The serialization format name of msgpack-encoded literals.
MESSAGEPACK = "msgpack"

_COLUMN_TYPES = {
    _types.SchemaType.SchemaColumn.INTEGER: _types.INTEGER,
    _types.SchemaType.SchemaColumn.FLOAT: _types.FLOAT,
    _types.SchemaType.SchemaColumn.STRING: _types.STRING,
    _types.SchemaType.SchemaColumn.DATETIME: _types.DATETIME,
    _types.SchemaType.SchemaColumn.DURATION: _types.DURATION,
    _types.SchemaType.SchemaColumn.BOOLEAN: _types.BOOLEAN,
}


def convert_schema_type_to_structured_dataset_type(column_type: int) -> int:
    """The ``SimpleType`` of a ``SchemaType`` column type (a ``FlyteSchema`` column as a dataset column)."""
    try:
        return _COLUMN_TYPES[column_type]  # type: ignore[index]  # a SchemaColumnType value
    except KeyError:
        raise AssertionError(f"Unrecognized SchemaColumnType: {column_type}") from None


def flatten_dict(sub_dict: dict[str, Any], parent_key: str = "") -> dict[str, Any]:
    """Nested column groups (dicts, dataclasses) as dotted column names: ``{"a": {"b": int}}`` -> ``{"a.b": int}``."""
    return flatten_columns(sub_dict, parent_key)


def get_supported_types() -> dict[Any, LiteralType]:
    """The column types a dataset may declare (Python and numpy scalars) and their literal types."""
    import numpy as np

    scalars: list[Any] = [int, float, bool, str, datetime.datetime, datetime.timedelta]
    scalars += [np.int32, np.int64, np.uint32, np.uint64, np.float32, np.float64, np.bool_]
    scalars += [np.datetime64, np.timedelta64, np.bytes_, np.str_, np.object_]
    return {t: column_literal_type(t) for t in scalars}


__all__ = [
    "CSV",
    "DF",
    "GENERIC_FORMAT",
    "GENERIC_PROTOCOL",
    "MESSAGEPACK",
    "PARQUET",
    "DuplicateHandlerError",
    "LiteralType",
    "Renderable",
    "StructuredDataset",
    "StructuredDatasetDecoder",
    "StructuredDatasetEncoder",
    "StructuredDatasetFormat",
    "StructuredDatasetMetadata",
    "StructuredDatasetTransformerEngine",
    "StructuredDatasetType",
    "T",
    "TypeEngine",
    "TypeTransformerFailedError",
    "convert_schema_type_to_structured_dataset_type",
    "extract_cols_and_format",
    "flatten_dict",
    "flyte_dataset_transformer",
    "get_supported_types",
]
