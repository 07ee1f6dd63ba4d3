"""StructuredDataset between tasks, on local disk and on a real S3-compatible server (moto on loopback)."""

from __future__ import annotations

import asyncio
import os
import queue
import tempfile
import threading
from typing import Annotated

import pandas as pd
import pyarrow as pa
import pytest

import aioflyte
from aioflyte import StructuredDataset, kwtypes, task, workflow
from aioflyte.exceptions import FlyteTypeException
from aioflyte.io import default_provider

DF = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": [0.5, 1.5, 2.5]})
ABC = kwtypes(a=int, b=str, c=float)


@pytest.fixture(params=["local", "s3"])
def prefix(request, tmp_path, monkeypatch):
    """The raw output prefix runs write under: a local directory, or s3://<bucket>/raw."""
    if request.param == "s3":
        return request.getfixturevalue("s3_raw_prefix")
    p = str(tmp_path / "raw")
    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", p)
    return p


@task
def make() -> pd.DataFrame:
    return DF


@task
def make_typed() -> Annotated[pd.DataFrame, ABC]:
    return DF


@task
def make_sd() -> Annotated[StructuredDataset, ABC]:
    return StructuredDataset(dataframe=DF)


@task
def as_pandas(df: pd.DataFrame) -> list[str]:
    assert isinstance(df, pd.DataFrame)
    return [*df.columns, str(len(df))]


@task
def as_arrow(t: pa.Table) -> list[str]:
    assert isinstance(t, pa.Table)
    return [*t.column_names, str(t.num_rows)]


@task
def sd_sync(sd: StructuredDataset) -> list[str]:
    df = sd.open(pd.DataFrame).all()  # sync form, inside a sync task body
    rows = sum(len(b) for b in sd.open(pa.Table).iter())
    return [*df.columns, str(rows)]


@task
async def sd_async(sd: StructuredDataset) -> list[str]:
    t = await sd.open(pa.Table).all()
    rows = 0
    async for b in sd.open(pd.DataFrame).iter():
        rows += len(b)
    return [*t.column_names, str(rows)]


async def _exists(uri: str) -> bool:
    return await default_provider().exists(uri)


async def test_dataframe_output_is_parquet_under_raw_prefix(prefix):
    @task
    def out_sd() -> StructuredDataset:
        return StructuredDataset(dataframe=DF)

    sd = await out_sd()
    assert isinstance(sd, StructuredDataset)
    assert sd.uri.startswith(prefix.rstrip("/") + "/")
    assert sd.literal.metadata.structured_dataset_type.format == "parquet"
    assert await _exists(sd.uri.rstrip("/") + "/00000")
    pd.testing.assert_frame_equal(await sd.open(pd.DataFrame).all(), DF)


async def test_bare_dataframe_output_writes_parquet(prefix):
    out = await make()  # the caller sees the value after a literal round trip: a parquet file was written
    pd.testing.assert_frame_equal(out, DF)
    if prefix.startswith("s3://"):
        import s3fs

        fs = s3fs.S3FileSystem(**default_provider().data_config.storage_options("s3"))
        keys = fs.find(prefix)
    else:
        keys = [os.path.join(d, f) for d, _, fs_ in os.walk(prefix) for f in fs_]
    assert [k for k in keys if k.endswith("/00000")], keys


@pytest.mark.parametrize("producer", [make, make_typed, make_sd])
async def test_next_task_receives_any_form(prefix, producer):
    @workflow
    def wf() -> tuple[list[str], list[str], list[str], list[str]]:
        d = producer()
        return as_pandas(df=d), as_arrow(t=d), sd_sync(sd=d), sd_async(sd=d)

    full = ["a", "b", "c", "3"]
    assert await wf() == (full, full, full, full)


async def test_column_subsetting(prefix):
    @task
    def only_c(df: Annotated[pd.DataFrame, kwtypes(c=float)]) -> list[str]:
        return list(df.columns)

    @task
    def only_b_arrow(t: Annotated[pa.Table, kwtypes(b=str)]) -> list[str]:
        return t.column_names

    @task
    async def sd_ab(sd: Annotated[StructuredDataset, kwtypes(a=int, b=str)]) -> list[str]:
        assert sd.column_names() == ["a", "b"] and sd.columns() == {"a": int, "b": str}
        return list((await sd.open(pd.DataFrame).all()).columns)

    @task
    def sd_plain(sd: StructuredDataset) -> list[str]:
        return sd.column_names()  # no declared columns: the incoming literal's

    @workflow
    def wf() -> tuple[list[str], list[str], list[str], list[str]]:
        d = make_sd()
        return only_c(df=d), only_b_arrow(t=d), sd_ab(sd=d), sd_plain(sd=d)

    assert await wf() == (["c"], ["b"], ["a", "b"], ["a", "b", "c"])


async def test_missing_column_is_a_clear_error(prefix):
    @task
    def wants_z(df: Annotated[pd.DataFrame, kwtypes(a=int, z=int)]) -> int:
        return len(df)

    @workflow
    def wf() -> int:
        return wants_z(df=make())

    with pytest.raises(FlyteTypeException) as e:
        await wf()
    msg = str(e.value)
    assert "wants_z" in msg and "'z'" in msg and "['a', 'z']" in msg and "['a', 'b', 'c']" in msg


@pytest.mark.parametrize("bad", [{"a": [1]}, None, [1, 2]])
async def test_bad_values_are_clear_errors(bad):
    @task
    def wants_df(df: pd.DataFrame) -> int:
        return len(df)

    @task
    def returns_bad() -> StructuredDataset:
        return bad  # type: ignore[return-value]

    with pytest.raises(FlyteTypeException, match=r"input 'df' expected DataFrame.*expected pandas\.DataFrame, got"):
        await wants_df(df=bad)
    with pytest.raises(FlyteTypeException, match=r"output 'o0' .*expected StructuredDataset or a dataframe"):
        await returns_bad()


async def test_workflow_on_s3_two_tasks(s3_raw_prefix):
    @task
    async def produce(n: int) -> Annotated[StructuredDataset, kwtypes(i=int, sq=int)]:
        return StructuredDataset(dataframe=pd.DataFrame({"i": range(n), "sq": [i * i for i in range(n)]}))

    @task
    def consume(sd: Annotated[StructuredDataset, kwtypes(sq=int)]) -> int:
        assert sd.uri.startswith(s3_raw_prefix)
        df = sd.open(pd.DataFrame).all()
        assert list(df.columns) == ["sq"]
        return int(df["sq"].sum())

    @workflow
    def wf(n: int) -> int:
        return consume(sd=produce(n=n))

    assert await wf(n=10) == 285


async def test_user_uri_local_and_remote(prefix, tmp_path):
    src = tmp_path / "user.parquet"
    DF.to_parquet(src)
    uri = str(src)
    if prefix.startswith("s3://"):
        uri = prefix.rsplit("/", 1)[0] + "/user/data.parquet"
        await default_provider().put_file(str(src), uri)

    @task
    def read(sd: Annotated[StructuredDataset, kwtypes(b=str)]) -> list[str]:
        return list(sd.open(pd.DataFrame).all()["b"])

    assert await read(sd=StructuredDataset(uri=uri, file_format="parquet")) == ["x", "y", "z"]
    assert (await StructuredDataset(uri=uri).open(pa.Table).all()).num_rows == 3


async def test_explicit_output_uri(prefix):
    target = prefix.rstrip("/") + "/chosen/place"

    @task
    def write() -> StructuredDataset:
        return StructuredDataset(dataframe=DF, uri=target)

    sd = await write()
    assert sd.uri == target and await _exists(target + "/00000")


async def test_in_memory_dataset_converts():
    sd = StructuredDataset(dataframe=DF)
    assert (await sd.open(pd.DataFrame).all()) is DF
    t = await sd.open(pa.Table).all()
    assert t.column_names == ["a", "b", "c"]


def test_sync_all_outside_any_loop(tmp_path):
    DF.to_parquet(tmp_path / "x.parquet")
    sd = StructuredDataset(uri=str(tmp_path / "x.parquet"))
    assert list(sd.open(pd.DataFrame).all()["a"]) == [1, 2, 3]
    assert [len(b) for b in sd.open(pd.DataFrame).iter()] == [3]
    with pytest.raises(ValueError, match=r"call sd.open"):
        StructuredDataset(uri="x").all()


async def test_failed_download_leaves_nothing(s3_bucket, tmp_path, monkeypatch):
    """Reading a dataset whose data is missing: a clear error, and no temporary files left behind."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    sd = StructuredDataset(uri=f"s3://{s3_bucket}/nothing/here", file_format="parquet")
    with pytest.raises(Exception, match=r"nothing/here"):
        await sd.open(pd.DataFrame).all()
    assert list(scratch.iterdir()) == []


async def test_remote_iteration_cleans_up(s3_raw_prefix, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    big = pd.DataFrame({"v": range(200_000)})

    @task
    def out() -> StructuredDataset:
        return StructuredDataset(dataframe=big)

    sd = await out()
    sizes = [len(b) async for b in sd.open(pd.DataFrame).iter()]
    assert sum(sizes) == 200_000 and len(sizes) > 1
    assert list(scratch.iterdir()) == []


async def test_encoding_does_not_block_the_loop(tmp_path, monkeypatch):
    """pandas/pyarrow's work (writing and reading parquet) runs in worker threads: while it runs, the loop serves
    other coroutines. Each step below first waits, in its thread, for a coroutine on the loop to answer it."""
    from aioflyte.types.structured import pandas_handlers

    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", str(tmp_path / "raw"))
    n = 1_000_000
    big = pd.DataFrame({"a": range(n), "b": [str(i) for i in range(n)]})
    loop_thread = threading.get_ident()
    requests: queue.Queue[threading.Event] = queue.Queue()
    steps: list[str] = []

    def answered_by_the_loop(name: str, fn):
        def step(*args):
            assert threading.get_ident() != loop_thread, f"{name} ran on the loop thread"
            answer = threading.Event()
            requests.put(answer)
            assert answer.wait(30), f"the loop did not answer while {name} ran"
            steps.append(name)
            return fn(*args)

        return step

    monkeypatch.setattr(pandas_handlers, "_to_parquet", answered_by_the_loop("write", pandas_handlers._to_parquet))
    monkeypatch.setattr(pandas_handlers, "_read_parquet", answered_by_the_loop("read", pandas_handlers._read_parquet))

    async def answer_on_the_loop() -> None:
        while True:
            try:
                requests.get_nowait().set()
            except queue.Empty:
                await asyncio.sleep(0.001)

    answering = asyncio.create_task(answer_on_the_loop())
    try:
        back = await aioflyte.TypeEngine.local_round_trip(None, big, pd.DataFrame)
    finally:
        answering.cancel()
    assert len(back) == n
    assert steps == ["write", "read"]


async def test_lists_and_optionals_of_dataframes(prefix):
    @task
    def many(n: int) -> list[pd.DataFrame]:
        return [pd.DataFrame({"a": [i], "b": [str(i)]}) for i in range(n)]

    @task
    def firsts(dfs: list[Annotated[pd.DataFrame, kwtypes(a=int)]]) -> list[int]:
        assert all(list(d.columns) == ["a"] for d in dfs)
        return [int(d["a"][0]) for d in dfs]

    @task
    def maybe(x: int) -> pd.DataFrame | None:
        return None if x == 0 else DF

    @workflow
    def wf(n: int) -> list[int]:
        return firsts(dfs=many(n=n))

    assert await wf(n=12) == list(range(12))
    assert await maybe(x=0) is None
    pd.testing.assert_frame_equal(await maybe(x=1), DF)
