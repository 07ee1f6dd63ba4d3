"""StructuredDataset: dataframes (pandas, pyarrow, polars, or any type with registered handlers) as task
inputs and outputs, stored as parquet under the raw output prefix. See docs/structured_dataset.md.
"""

from aioflyte.exceptions import DuplicateHandlerError
from aioflyte.types.structured.dataset import StructuredDataset
from aioflyte.types.structured.engine import StructuredDatasetTransformerEngine, flyte_dataset_transformer, load_family
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


def register_pandas_handlers() -> None:
    """Register the pandas handlers (parquet, the default, and CSV); aioflyte also does so on first use of pandas."""
    load_family("pandas")


def register_csv_handlers() -> None:
    """Register the CSV handlers (pandas'; they come with the pandas family)."""
    load_family("pandas")


def register_arrow_handlers() -> None:
    """Register the pyarrow handlers; aioflyte also does so on first use of a pyarrow type."""
    load_family("pyarrow")


def lazy_import_structured_dataset_handler() -> None:
    """Register the handlers of every installed dataframe library (pandas, pyarrow, polars)."""
    for family in ("pandas", "pyarrow", "polars"):
        load_family(family)


def __getattr__(name: str) -> object:
    """The renderers, imported on first use."""
    if name in ("ArrowRenderer", "TopFrameRenderer"):
        from aioflyte.types.structured import renderers

        return getattr(renderers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CSV",
    "GENERIC_FORMAT",
    "GENERIC_PROTOCOL",
    "PARQUET",
    "ArrowRenderer",
    "DuplicateHandlerError",
    "Renderable",
    "StructuredDataset",
    "StructuredDatasetDecoder",
    "StructuredDatasetEncoder",
    "StructuredDatasetFormat",
    "StructuredDatasetMetadata",
    "StructuredDatasetTransformerEngine",
    "StructuredDatasetType",
    "TopFrameRenderer",
    "extract_cols_and_format",
    "flyte_dataset_transformer",
    "lazy_import_structured_dataset_handler",
    "register_arrow_handlers",
    "register_csv_handlers",
    "register_pandas_handlers",
]
