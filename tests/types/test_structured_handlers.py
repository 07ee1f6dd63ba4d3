"""Custom encoders/decoders for a toy dataframe type, registration rules, renderers, polars (if installed)."""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any

import pandas as pd
import pyarrow as pa
import pytest
from flyteidl.core import literals_pb2

from aioflyte import (
    StructuredDataset,
    StructuredDatasetDecoder,
    StructuredDatasetEncoder,
    StructuredDatasetTransformerEngine,
    TypeEngine,
    kwtypes,
    task,
    workflow,
)
from aioflyte.io import default_provider
from aioflyte.types.structured import DuplicateHandlerError, StructuredDatasetMetadata

E = StructuredDatasetTransformerEngine


@pytest.fixture(params=["local", "s3"])
def prefix(request, tmp_path, monkeypatch):
    if request.param == "s3":
        return request.getfixturevalue("s3_raw_prefix")
    p = str(tmp_path / "raw")
    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", p)
    return p


class Rows:
    """A toy dataframe: a list of dicts."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows


class RowsEncoder(StructuredDatasetEncoder[Rows]):
    def __init__(self) -> None:
        super().__init__(Rows, None, "jsonl")

    async def encode(self, ctx, structured_dataset, structured_dataset_type):
        p = default_provider()
        uri = structured_dataset.uri or p.random_remote_path()
        data = "\n".join(json.dumps(r) for r in structured_dataset.dataframe.rows).encode()
        await p.put_bytes(uri + "/rows.jsonl", data)
        md = StructuredDatasetMetadata(structured_dataset_type=structured_dataset_type)
        return literals_pb2.StructuredDataset(uri=uri, metadata=md)


class RowsDecoder(StructuredDatasetDecoder[Rows]):
    def __init__(self) -> None:
        super().__init__(Rows, None, "jsonl")

    async def decode(self, ctx, flyte_value, current_task_metadata):
        data = await default_provider().get_bytes(flyte_value.uri + "/rows.jsonl")
        rows = [json.loads(line) for line in data.decode().splitlines()]
        columns = [c.name for c in current_task_metadata.structured_dataset_type.columns]
        return Rows([{k: r[k] for k in columns} for r in rows] if columns else rows)


E.register(RowsEncoder(), default_format_for_type=True)
E.register(RowsDecoder(), default_format_for_type=True)


class Chunks:
    """A toy type with flytekit-style sync handlers; its decoder streams."""

    def __init__(self, items: list[int]) -> None:
        self.items = items


THREADS: list[str] = []


class ChunksEncoder(StructuredDatasetEncoder[Chunks]):
    def __init__(self) -> None:
        super().__init__(Chunks, "file", "ints")

    def encode(self, ctx, structured_dataset, structured_dataset_type):  # sync, as in flytekit
        import os

        THREADS.append(threading.current_thread().name)
        uri = structured_dataset.uri or default_provider().random_remote_path()
        os.makedirs(uri, exist_ok=True)
        with open(os.path.join(uri, "ints.txt"), "w") as f:
            f.write(" ".join(map(str, structured_dataset.dataframe.items)))
        return literals_pb2.StructuredDataset(
            uri=uri, metadata=StructuredDatasetMetadata(structured_dataset_type=structured_dataset_type)
        )


class ChunksDecoder(StructuredDatasetDecoder[Chunks]):
    def __init__(self) -> None:
        super().__init__(Chunks, "file", "ints")

    def decode(self, ctx, flyte_value, current_task_metadata):  # a sync generator: only .iter() works
        THREADS.append(threading.current_thread().name)
        with open(flyte_value.uri + "/ints.txt") as f:
            items = [int(x) for x in f.read().split()]
        for i in range(0, len(items), 2):
            yield Chunks(items[i : i + 2])


E.register(ChunksEncoder(), default_for_type=True)
E.register(ChunksDecoder(), default_for_type=True)


async def test_custom_type_between_tasks(prefix):
    @task
    def make() -> Annotated[Rows, kwtypes(a=int, b=str)]:
        return Rows([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])

    @task
    def only_b(r: Annotated[Rows, kwtypes(b=str)]) -> list[str]:
        return [row["b"] for row in r.rows]

    @task
    async def via_sd(sd: StructuredDataset) -> int:
        assert sd.file_format == "jsonl" and sd.uri.startswith(prefix)
        r = await sd.open(Rows).all()
        return sum(row["a"] for row in r.rows)

    @workflow
    def wf() -> tuple[list[str], int]:
        d = make()
        return only_b(r=d), via_sd(sd=d)

    assert await wf() == (["x", "y"], 3)
    lit = await TypeEngine.to_literal(None, Rows([{"a": 1}]), Rows)
    assert lit.scalar.structured_dataset.metadata.structured_dataset_type.format == "jsonl"


async def test_sync_handlers_run_off_the_loop_and_stream(tmp_path, monkeypatch):
    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", str(tmp_path / "raw"))
    THREADS.clear()
    lit = await TypeEngine.to_literal(None, Chunks([1, 2, 3, 4, 5]), Chunks)
    sd = await TypeEngine.to_python_value(None, lit, StructuredDataset)
    got = [c.items async for c in sd.open(Chunks).iter()]
    assert got == [[1, 2], [3, 4], [5]]
    assert THREADS and threading.main_thread().name not in THREADS
    with pytest.raises(ValueError, match="returned an iterator"):
        await sd.open(Chunks).all()

    @task
    def sync_iter(sd: StructuredDataset) -> list[int]:
        return [sum(c.items) for c in sd.open(Chunks).iter()]

    assert await sync_iter(sd=sd) == [3, 7, 5]


def test_registration_rules():
    with pytest.raises(DuplicateHandlerError, match=r"already registered.*override=True"):
        E.register_for_protocol(RowsDecoder(), "fsspec", False, False, False, False)
    E.register(RowsDecoder(), override=True)  # replacing is allowed
    E.register(RowsDecoder())  # a duplicate for every protocol is skipped (as in flytekit)
    with pytest.raises(ValueError, match="cannot be default_for_type"):
        E.register(RowsEncoder(), default_for_type=True, override=True)
    with pytest.raises(TypeError, match="StructuredDatasetEncoder or StructuredDatasetDecoder"):
        E.register(object())  # type: ignore[arg-type]
    assert isinstance(E.get_encoder(Rows, "s3", ""), RowsEncoder)  # the type's default format
    assert isinstance(E.get_decoder(Rows, "gs", "jsonl"), RowsDecoder)
    assert E.DEFAULT_PROTOCOLS[Chunks] == "file" and E.DEFAULT_FORMATS[Chunks] == "ints"
    with pytest.raises(ValueError, match=r"no encoder for .*Rows with protocol 's3' and format 'avro'"):
        E.get_encoder(Rows, "s3", "avro")


def test_user_handler_replaces_builtin_pandas_one():
    """A user's handler registered with override=True wins over the lazily loaded built-in one."""
    from aioflyte.types.structured.pandas_handlers import ParquetToPandasDecodingHandler

    class Mine(ParquetToPandasDecodingHandler):
        pass

    mine = Mine()
    E.register(mine, override=True)
    try:
        assert E.get_decoder(pd.DataFrame, "s3", "parquet") is mine
    finally:
        E.register(ParquetToPandasDecodingHandler(), override=True)


class RowsRenderer:
    def to_html(self, value: Rows) -> str:
        return f"<p>{len(value.rows)} rows</p>"


def test_renderers():
    E.register_renderer(Rows, RowsRenderer())
    engine = E()
    assert engine.to_html(None, Rows([{}, {}]), Rows) == "<p>2 rows</p>"
    html = engine.to_html(None, pd.DataFrame({"a": range(50)}), pd.DataFrame)
    assert "<table" in html and "..." in html  # only the top rows
    assert "<table" in engine.to_html(None, pa.table({"a": [1]}), pa.Table)
    assert engine.to_html(None, StructuredDataset(dataframe=Rows([{}])), StructuredDataset) == "<p>1 rows</p>"
    md = StructuredDatasetMetadata()
    md.structured_dataset_type.columns.add(name="a").literal_type.simple = 1
    assert "<td>a</td><td>int</td>" in engine.to_html(None, StructuredDataset(uri="x", metadata=md), StructuredDataset)
    with pytest.raises(NotImplementedError, match="no renderer for Chunks"):
        engine.to_html(None, Chunks([]), Chunks)


async def test_polars_when_installed(prefix):
    pl = pytest.importorskip("polars")

    @task
    def make() -> pl.DataFrame:
        return pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})

    @task
    def sub(df: Annotated[pl.DataFrame, kwtypes(b=str)]) -> list[str]:
        return df["b"].to_list()

    @task
    def to_pandas(df: pd.DataFrame) -> int:
        return int(df["a"].sum())

    @workflow
    def wf() -> tuple[list[str], int]:
        d = make()
        return sub(df=d), to_pandas(df=d)

    assert await wf() == (["x", "y", "z"], 6)
    sd = StructuredDataset(dataframe=pl.DataFrame({"v": list(range(5))}))
    stored = await _stored(sd)
    assert [len(b) async for b in stored.open(pl.DataFrame).iter()] == [5]
    assert "<table" in E().to_html(None, sd.dataframe, pl.DataFrame)


async def _stored(sd: StructuredDataset) -> StructuredDataset:
    lit = await TypeEngine.to_literal(None, sd, StructuredDataset)
    return await TypeEngine.to_python_value(None, lit, StructuredDataset)
