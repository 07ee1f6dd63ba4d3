"""Parquet datasets through pyarrow, shared by the pandas, pyarrow and polars handlers.

A dataset is a directory with one file named ``00000`` (flytekit's layout, so either side reads the other's
data) or, when a user points at one, a single parquet file. Blocking calls run in worker threads.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable

from flyteidl.core import literals_pb2 as _lit

from aioflyte.types.structured.schema import StructuredDatasetMetadata, check_columns, requested_columns
from aioflyte.types.structured.storage import FIRST_PART, in_thread, local_copy, output_uri, write_file

BATCH_ROWS = 64 * 1024  # rows per batch when a dataset is read with .iter()


async def write_parquet(sd: Any, sdt: Any, write: Callable[[Any, str], None]) -> _lit.StructuredDataset:
    """Write ``sd.dataframe`` with ``write(df, local_path)`` to ``<uri>/00000``; the literal for it."""
    uri = output_uri(sd.uri)
    df = sd.dataframe
    await write_file(uri.rstrip("/") + "/" + FIRST_PART, lambda path: write(df, path))
    return _lit.StructuredDataset(uri=uri, metadata=StructuredDatasetMetadata(structured_dataset_type=sdt))


def _dataset(local: str) -> Any:
    import pyarrow.dataset as ds

    return ds.dataset(local, format="parquet")


def columns_of(local: str) -> list[str]:
    return list(_dataset(local).schema.names)


def read_table(local: str, uri: str, columns: list[str] | None) -> Any:
    """The parquet data at ``local`` as one ``pyarrow.Table`` with only ``columns`` (all if None)."""
    data = _dataset(local)
    check_columns(uri, list(data.schema.names), columns)
    return data.to_table(columns=columns)


async def read(
    flyte_value: _lit.StructuredDataset,
    metadata: StructuredDatasetMetadata,
    reader: Callable[[str, str, list[str] | None], Any],
) -> Any:
    """``reader(local_path, uri, columns)`` run in a worker thread on a local copy of the data."""
    columns = requested_columns(metadata)
    async with local_copy(flyte_value.uri) as local:
        return await in_thread(reader, local, flyte_value.uri, columns)


def _index_columns(schema: Any) -> list[str]:
    meta = schema.pandas_metadata or {}
    return [c for c in meta.get("index_columns", []) if isinstance(c, str)]


def _open_batches(local: str, uri: str, columns: list[str] | None, keep_index: bool) -> Any:
    data = _dataset(local)
    names = list(data.schema.names)
    check_columns(uri, names, columns)
    if columns is not None and keep_index:
        columns = columns + [c for c in _index_columns(data.schema) if c in names and c not in columns]
    return data.scanner(columns=columns, batch_size=BATCH_ROWS).to_reader()


def _next(reader: Any, convert: Callable[[Any], Any]) -> Any:
    try:
        batch = reader.read_next_batch()
    except StopIteration:
        return None
    return (convert(batch),)


async def iter_batches(
    flyte_value: _lit.StructuredDataset,
    metadata: StructuredDatasetMetadata,
    convert: Callable[[Any], Any],
    keep_index: bool = False,
) -> AsyncIterator[Any]:
    """The data in batches of ``BATCH_ROWS`` rows, each ``convert(record_batch)``, read in worker threads."""
    columns = requested_columns(metadata)
    async with local_copy(flyte_value.uri) as local:
        reader = await in_thread(_open_batches, local, flyte_value.uri, columns, keep_index)
        try:
            while True:
                item = await in_thread(_next, reader, convert)
                if item is None:
                    return
                yield item[0]
        finally:
            reader.close()
