"""StructuredDataset: dataframes (pandas, pyarrow, polars, or any type with registered handlers) as task
inputs and outputs, stored as parquet under the raw output prefix. See docs/structured_dataset.md.
"""

from aioflyte.exceptions import DuplicateHandlerError
from aioflyte.types.structured.dataset import StructuredDataset
from aioflyte.types.structured.engine import StructuredDatasetTransformerEngine, flyte_dataset_transformer
from aioflyte.types.structured.handlers import Renderable, StructuredDatasetDecoder, StructuredDatasetEncoder
from aioflyte.types.structured.schema import (
    CSV,
    GENERIC_FORMAT,
    GENERIC_PROTOCOL,
    PARQUET,
    StructuredDatasetFormat,
    StructuredDatasetMetadata,
    StructuredDatasetType,
    extract_cols_and_format,
)

__all__ = [
    "CSV",
    "GENERIC_FORMAT",
    "GENERIC_PROTOCOL",
    "PARQUET",
    "DuplicateHandlerError",
    "Renderable",
    "StructuredDataset",
    "StructuredDatasetDecoder",
    "StructuredDatasetEncoder",
    "StructuredDatasetFormat",
    "StructuredDatasetMetadata",
    "StructuredDatasetTransformerEngine",
    "StructuredDatasetType",
    "extract_cols_and_format",
    "flyte_dataset_transformer",
]
