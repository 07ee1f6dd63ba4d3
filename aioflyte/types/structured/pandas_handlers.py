"""Built-in pandas handlers: ``pandas.DataFrame`` as parquet (the default) or CSV, on any fsspec protocol."""

from __future__ import annotations

import os
from typing import Any, AsyncIterator

import pandas as pd
from flyteidl.core import literals_pb2 as _lit

from aioflyte.types.structured import parquet
from aioflyte.types.structured.engine import StructuredDatasetTransformerEngine
from aioflyte.types.structured.handlers import StructuredDatasetDecoder, StructuredDatasetEncoder
from aioflyte.types.structured.renderers import TopFrameRenderer
from aioflyte.types.structured.schema import (
    CSV,
    PARQUET,
    StructuredDatasetMetadata,
    StructuredDatasetType,
    check_columns,
    requested_columns,
)
from aioflyte.types.structured.storage import in_thread, local_copy, output_uri, write_file

CSV_FILE = ".csv"  # flytekit's name for the one file of a CSV dataset directory


def _to_parquet(df: pd.DataFrame, path: str) -> None:
    df.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=False)


def _read_parquet(local: str, uri: str, columns: list[str] | None) -> pd.DataFrame:
    check_columns(uri, parquet.columns_of(local), columns)
    return pd.read_parquet(local, columns=columns)


class PandasToParquetEncodingHandler(StructuredDatasetEncoder[pd.DataFrame]):
    def __init__(self) -> None:
        super().__init__(pd.DataFrame, None, PARQUET)

    async def encode(self, ctx: Any, structured_dataset: Any, structured_dataset_type: StructuredDatasetType) -> Any:
        return await parquet.write_parquet(structured_dataset, structured_dataset_type, _to_parquet)


class ParquetToPandasDecodingHandler(StructuredDatasetDecoder[pd.DataFrame]):
    def __init__(self) -> None:
        super().__init__(pd.DataFrame, None, PARQUET)

    async def decode(
        self, ctx: Any, flyte_value: _lit.StructuredDataset, current_task_metadata: StructuredDatasetMetadata
    ) -> pd.DataFrame:
        return await parquet.read(flyte_value, current_task_metadata, _read_parquet)

    async def iter_decode(
        self, ctx: Any, flyte_value: _lit.StructuredDataset, current_task_metadata: StructuredDatasetMetadata
    ) -> AsyncIterator[pd.DataFrame]:
        async for df in parquet.iter_batches(flyte_value, current_task_metadata, _batch_to_pandas, keep_index=True):
            yield df


def _batch_to_pandas(batch: Any) -> pd.DataFrame:
    return batch.to_pandas()


class PandasToCSVEncodingHandler(StructuredDatasetEncoder[pd.DataFrame]):
    def __init__(self) -> None:
        super().__init__(pd.DataFrame, None, CSV)

    async def encode(self, ctx: Any, structured_dataset: Any, structured_dataset_type: StructuredDatasetType) -> Any:
        uri = output_uri(structured_dataset.uri)
        df = structured_dataset.dataframe
        await write_file(uri.rstrip("/") + "/" + CSV_FILE, lambda path: df.to_csv(path, index=False))
        return _lit.StructuredDataset(
            uri=uri, metadata=StructuredDatasetMetadata(structured_dataset_type=structured_dataset_type)
        )


def _read_csv(local: str, uri: str, columns: list[str] | None) -> pd.DataFrame:
    path = os.path.join(local, CSV_FILE) if os.path.isdir(local) else local
    if columns:
        check_columns(uri, list(pd.read_csv(path, nrows=0).columns), columns)
    return pd.read_csv(path, usecols=columns)


class CSVToPandasDecodingHandler(StructuredDatasetDecoder[pd.DataFrame]):
    def __init__(self) -> None:
        super().__init__(pd.DataFrame, None, CSV)

    async def decode(
        self, ctx: Any, flyte_value: _lit.StructuredDataset, current_task_metadata: StructuredDatasetMetadata
    ) -> pd.DataFrame:
        columns = requested_columns(current_task_metadata)
        async with local_copy(flyte_value.uri) as local:
            return await in_thread(_read_csv, local, flyte_value.uri, columns)


def _register() -> None:
    E = StructuredDatasetTransformerEngine
    for h, default in (
        (PandasToParquetEncodingHandler(), True),
        (ParquetToPandasDecodingHandler(), True),
        (PandasToCSVEncodingHandler(), False),
        (CSVToPandasDecodingHandler(), False),
    ):
        E.register(h, default_format_for_type=default)
    if pd.DataFrame not in E.Renderers:
        E.register_renderer(pd.DataFrame, TopFrameRenderer())


_register()
