"""Built-in pyarrow handlers: ``pyarrow.Table`` as parquet, on any fsspec protocol."""

from __future__ import annotations

from typing import Any, AsyncIterator

import pyarrow as pa
import pyarrow.parquet as pq
from flyteidl.core import literals_pb2 as _lit

from aioflyte.types.structured import parquet
from aioflyte.types.structured.engine import StructuredDatasetTransformerEngine
from aioflyte.types.structured.handlers import StructuredDatasetDecoder, StructuredDatasetEncoder
from aioflyte.types.structured.renderers import ArrowRenderer
from aioflyte.types.structured.schema import PARQUET, StructuredDatasetMetadata, StructuredDatasetType


def _write(table: pa.Table, path: str) -> None:
    pq.write_table(table, path)


class ArrowToParquetEncodingHandler(StructuredDatasetEncoder[pa.Table]):
    def __init__(self) -> None:
        super().__init__(pa.Table, None, PARQUET)

    async def encode(self, ctx: Any, structured_dataset: Any, structured_dataset_type: StructuredDatasetType) -> Any:
        return await parquet.write_parquet(structured_dataset, structured_dataset_type, _write)


class ParquetToArrowDecodingHandler(StructuredDatasetDecoder[pa.Table]):
    def __init__(self) -> None:
        super().__init__(pa.Table, None, PARQUET)

    async def decode(
        self, ctx: Any, flyte_value: _lit.StructuredDataset, current_task_metadata: StructuredDatasetMetadata
    ) -> pa.Table:
        return await parquet.read(flyte_value, current_task_metadata, parquet.read_table)

    async def iter_decode(
        self, ctx: Any, flyte_value: _lit.StructuredDataset, current_task_metadata: StructuredDatasetMetadata
    ) -> AsyncIterator[pa.Table]:
        async for t in parquet.iter_batches(flyte_value, current_task_metadata, _batch_to_table):
            yield t


def _batch_to_table(batch: pa.RecordBatch) -> pa.Table:
    return pa.Table.from_batches([batch])


def _register() -> None:
    E = StructuredDatasetTransformerEngine
    E.register(ArrowToParquetEncodingHandler(), default_format_for_type=True)
    E.register(ParquetToArrowDecodingHandler(), default_format_for_type=True)
    if pa.Table not in E.Renderers:
        E.register_renderer(pa.Table, ArrowRenderer())


_register()
