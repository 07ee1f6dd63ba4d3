"""Built-in polars handlers (when polars is installed): ``polars.DataFrame`` as parquet, on any protocol."""

from __future__ import annotations

from typing import Any, AsyncIterator, cast

import polars as pl
from flyteidl.core import literals_pb2 as _lit

from aioflyte.types.structured import parquet
from aioflyte.types.structured.engine import StructuredDatasetTransformerEngine
from aioflyte.types.structured.handlers import StructuredDatasetDecoder, StructuredDatasetEncoder
from aioflyte.types.structured.renderers import PolarsRenderer
from aioflyte.types.structured.schema import PARQUET, StructuredDatasetMetadata, StructuredDatasetType


def _write(df: pl.DataFrame, path: str) -> None:
    df.write_parquet(path)


def _read(local: str, uri: str, columns: list[str] | None) -> pl.DataFrame:
    return cast(pl.DataFrame, pl.from_arrow(parquet.read_table(local, uri, columns)))  # a table gives a DataFrame


def _batch_to_polars(batch: Any) -> pl.DataFrame:
    return cast(pl.DataFrame, pl.from_arrow(batch))  # a record batch gives a DataFrame


class PolarsToParquetEncodingHandler(StructuredDatasetEncoder[pl.DataFrame]):
    def __init__(self) -> None:
        super().__init__(pl.DataFrame, None, PARQUET)

    async def encode(self, ctx: Any, structured_dataset: Any, structured_dataset_type: StructuredDatasetType) -> Any:
        return await parquet.write_parquet(structured_dataset, structured_dataset_type, _write)


class ParquetToPolarsDecodingHandler(StructuredDatasetDecoder[pl.DataFrame]):
    def __init__(self) -> None:
        super().__init__(pl.DataFrame, None, PARQUET)

    async def decode(
        self, ctx: Any, flyte_value: _lit.StructuredDataset, current_task_metadata: StructuredDatasetMetadata
    ) -> pl.DataFrame:
        return await parquet.read(flyte_value, current_task_metadata, _read)

    async def iter_decode(
        self, ctx: Any, flyte_value: _lit.StructuredDataset, current_task_metadata: StructuredDatasetMetadata
    ) -> AsyncIterator[pl.DataFrame]:
        async for df in parquet.iter_batches(flyte_value, current_task_metadata, _batch_to_polars):
            yield df


def _register() -> None:
    E = StructuredDatasetTransformerEngine
    E.register(PolarsToParquetEncodingHandler(), default_format_for_type=True)
    E.register(ParquetToPolarsDecodingHandler(), default_format_for_type=True)
    if pl.DataFrame not in E.Renderers:
        E.register_renderer(pl.DataFrame, PolarsRenderer())


_register()
