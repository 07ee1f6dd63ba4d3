"""FlyteFile through tasks and workflows, on local disk and on a real S3-compatible server (moto on loopback)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
import weakref

import pytest

import aioflyte
from aioflyte import FlyteFile, task, workflow
from aioflyte.exceptions import FlyteDataNotFoundError, FlyteDataTransferError
from aioflyte.io import default_provider
from aioflyte.server.testing import free_port
from aioflyte.types._blob_sync import FlyteBlockingCallError

MB = 2**20


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch) -> str:
    """The raw output prefix runs write to: a local directory, or ``s3://<fresh bucket>/raw``."""
    if request.param == "local":
        prefix = str(tmp_path / "raw")
        monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", prefix)
        return prefix
    return request.getfixturevalue("s3_raw_prefix")


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """moto's S3 server in its own process, so its memory is not counted by tracemalloc here."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc, url
        except Exception:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("moto server did not start")


def _use_s3(monkeypatch, endpoint: str) -> str:
    import boto3

    for k, v in {
        "FLYTE_AWS_ENDPOINT": endpoint,
        "FLYTE_AWS_ACCESS_KEY_ID": "testing",
        "FLYTE_AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "FLYTE_AWS_BACKOFF_SECONDS": "0.01",
    }.items():
        monkeypatch.setenv(k, v)
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket="big")
    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", "s3://big/raw")
    return "s3://big/raw"


@pytest.fixture(params=["local", "s3"])
def big_store(request, tmp_path, monkeypatch):
    """Like ``store``, but S3 is a moto server in a separate process (memory measurements stay honest)."""
    if request.param == "local":
        prefix = str(tmp_path / "raw")
        monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", prefix)
        yield prefix
        return
    proc, endpoint = _start_moto()
    try:
        yield _use_s3(monkeypatch, endpoint)
    finally:
        proc.kill()
        proc.wait()


def _write_big(path: str, mb: int) -> str:
    """A file of ``mb`` MiB written in 1 MiB chunks; returns its sha256."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range(mb):
            block = i.to_bytes(4, "little") * (MB // 4)
            h.update(block)
            f.write(block)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------ tasks

SEEN: dict[str, object] = {}


@task
def make(text: str) -> FlyteFile:
    f = FlyteFile.new("greeting.txt")
    with open(f, "w") as fh:
        fh.write(text)
    return f


@task
def read(f: FlyteFile) -> str:
    SEEN["downloaded_before"] = f.downloaded
    with open(f) as fh:  # os.fspath downloads on first use
        text = fh.read()
    SEEN["downloaded_after"] = f.downloaded
    return text


@task
def ident(f: FlyteFile) -> FlyteFile:
    return f


@task
def sync_stream(f: FlyteFile) -> str:
    h = hashlib.sha256()
    with f.open("rb") as r:
        while chunk := r.read(MB):
            h.update(chunk)
    SEEN["sync_stream_downloaded"] = f.downloaded
    return h.hexdigest()


@task
async def async_stream(f: FlyteFile) -> str:
    h = hashlib.sha256()
    async with f.open("rb") as r:
        async for chunk in r:
            h.update(chunk)
    SEEN["async_stream_downloaded"] = f.downloaded
    return h.hexdigest()


@task
def lines(f: FlyteFile) -> list[str]:
    with f.open("r") as r:
        return [line.rstrip("\n") for line in r]


@task
def write_remote_sync(text: str) -> FlyteFile:
    out = FlyteFile.new_remote_file("sync.txt")
    with out.open("wb") as w:
        w.write(text.encode())
    return out


@task
async def write_remote_async(text: str) -> FlyteFile:
    out = FlyteFile.new_remote_file("async.txt")
    async with out.open("wb") as w:
        await w.write(text.encode())
    return out


@task
def write_local_text(text: str) -> FlyteFile:
    out = FlyteFile.new("local.txt")
    with out.open("w") as w:
        w.write(text)
    return out


@task
async def fspath_in_async(f: FlyteFile) -> str:
    with open(f) as fh:  # refused: a blocking download on the loop
        return fh.read()


@task
async def adownload_in_async(f: FlyteFile) -> str:
    path = await f.adownload()
    with open(path) as fh:
        return fh.read()


@task
def many(n: int) -> list[FlyteFile]:
    out = []
    for i in range(n):
        f = FlyteFile.new(f"f{i}.txt")
        with open(f, "w") as fh:
            fh.write(str(i))
        out.append(f)
    return out


@task
def total(files: list[FlyteFile]) -> int:
    out = 0
    for f in files:
        with open(f) as fh:
            out += int(fh.read())
    return out


@workflow
def pipeline(text: str) -> str:
    return read(f=ident(f=make(text=text)))


# ------------------------------------------------------------------------------------------------ tests


async def test_output_is_uploaded_and_input_is_read_lazily(store: str) -> None:
    ff = await make(text="hello")
    assert ff.remote_source.startswith(store + "/") and ff.remote_source.endswith("/greeting.txt")
    assert await default_provider().exists(ff.remote_source)
    assert not ff.downloaded and not os.path.exists(ff.path)
    SEEN.clear()
    assert await read(f=ff) == "hello"
    assert SEEN == {"downloaded_before": False, "downloaded_after": True}
    assert await pipeline(text="through a workflow") == "through a workflow"


async def test_a_file_a_run_returns_is_read_after_the_run(store: str, tmp_path, monkeypatch) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    ff = await make(text="kept")  # a run of its own: its scratch space (and downloads there) went with it
    assert os.listdir(tmp) == []
    assert ff.remote_source.startswith(store + "/") and not ff.downloaded
    async with ff.open("rb") as r:  # streamed from the store
        assert await r.read() == b"kept"
    path = await ff.adownload()  # downloaded into the sandbox of code outside runs, not the ended run's
    assert ff.path == path and path.startswith(default_provider().local_sandbox_dir + os.sep)
    with open(path) as fh:
        assert fh.read() == "kept"
    assert not [n for n in os.listdir(tmp) if not n.startswith("aioflyte-data-")]
    assert await read(f=ff) == "kept"  # and it is an input of a later run as usual


async def test_stored_file_passes_through_without_copy(store: str) -> None:
    provider = default_provider()
    uri = f"{store}/given/data.txt"
    await provider.put_bytes(uri, b"data")
    before = await provider.list_files(store)
    out = await ident(f=FlyteFile.from_source(uri))
    assert out.remote_source == uri
    if store.startswith("s3://"):  # a remote path given as is is passed through too
        assert (await ident(f=FlyteFile(uri))).remote_source == uri
    assert await provider.list_files(store) == before


@pytest.mark.slow
async def test_stream_200mb_in_bounded_memory(big_store: str, tmp_path) -> None:
    src = str(tmp_path / "big.bin")
    digest = _write_big(src, 200)
    provider = default_provider()
    uri = await provider.put_file(src, f"{big_store}/big/big.bin")
    os.unlink(src)
    ff = FlyteFile.from_source(uri)
    SEEN.clear()
    for stream in (async_stream, sync_stream):
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            assert await stream(f=ff) == digest
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        assert peak < 64 * MB, f"{stream.name}: peak memory growth {peak / MB:.1f} MiB"
    assert SEEN == {"async_stream_downloaded": False, "sync_stream_downloaded": False}
    assert not os.path.exists(ff.path)  # streamed, never downloaded


async def test_sync_text_open_in_sync_task(store: str) -> None:
    uri = await default_provider().put_bytes(f"{store}/t/lines.txt", b"a\nb\nc\n")
    assert await lines(f=FlyteFile.from_source(uri)) == ["a", "b", "c"]


async def test_writes(store: str) -> None:
    for writer, name in ((write_remote_sync, "sync.txt"), (write_remote_async, "async.txt")):
        out = await writer(text=f"written by {name}")
        assert out.remote_source.startswith(store + "/") and out.remote_source.endswith("/" + name)
        assert await read(f=out) == f"written by {name}"
    out = await write_local_text(text="local text")
    assert out.remote_source.startswith(store + "/")
    assert await read(f=out) == "local text"


async def test_failed_write_publishes_nothing(store: str) -> None:
    ff = FlyteFile(f"{store}/w/partial.bin")
    with pytest.raises(RuntimeError, match="crash"):
        async with ff.open("wb") as w:
            await w.write(b"half")
            raise RuntimeError("crash mid-write")
    assert not await default_provider().exists(ff.path)

    def sync_write() -> None:
        with ff.open("wb") as w:
            w.write(b"half")
            raise RuntimeError("crash mid-write (sync)")

    with pytest.raises(RuntimeError, match="crash"):
        await asyncio.to_thread(sync_write)
    assert not await default_provider().exists(ff.path)


async def test_missing_key_is_a_clear_error_and_leaves_nothing(store: str) -> None:
    ff = FlyteFile.from_source(f"{store}/nope/missing.txt")
    with pytest.raises(FlyteDataNotFoundError, match=r"missing\.txt.*does not exist"):
        await read(f=ff)
    with pytest.raises(FlyteDataNotFoundError, match="does not exist"):
        await ff.adownload()
    assert not ff.downloaded and not os.path.exists(ff.path)
    parent = os.path.dirname(ff.path)
    assert not os.path.isdir(parent) or not os.listdir(parent)


@pytest.mark.slow
async def test_server_stopped_mid_download_leaves_no_partial_file(tmp_path, monkeypatch) -> None:
    proc, endpoint = _start_moto()
    try:
        prefix = _use_s3(monkeypatch, endpoint)
        monkeypatch.setenv("FLYTE_AWS_RETRIES", "1")
        src = str(tmp_path / "big.bin")
        _write_big(src, 256)
        uri = await default_provider().put_file(src, f"{prefix}/big.bin")
        ff = FlyteFile.from_source(uri)
        parent = os.path.dirname(ff.path)
        download = asyncio.ensure_future(ff.adownload())
        while not (os.path.isdir(parent) and any(os.path.getsize(os.path.join(parent, n)) for n in os.listdir(parent))):
            assert not download.done(), "the download finished before the server could be stopped"
            await asyncio.sleep(0.002)
        proc.kill()
        with pytest.raises((FlyteDataTransferError, FlyteDataNotFoundError)) as err:
            await download
        assert uri in str(err.value)
    finally:
        proc.kill()
        proc.wait()
    assert not os.path.exists(ff.path) and not ff.downloaded
    assert not os.listdir(parent)  # the temporary .part file is gone too


async def test_blocking_download_on_the_loop_is_refused_with_advice(store: str) -> None:
    ff = await make(text="async")
    with pytest.raises(FlyteBlockingCallError, match="adownload"):
        await fspath_in_async(f=ff)
    assert await adownload_in_async(f=ff) == "async"


async def test_list_of_files_uploads_concurrently_with_a_bound(store: str, monkeypatch) -> None:
    monkeypatch.setenv("AIOFLYTE_IO_CONCURRENCY", "4")
    provider = default_provider()
    provider.reset_stats()
    files = await many(n=40)
    assert 2 <= provider.max_in_flight <= 4
    assert all(f.remote_source.startswith(store + "/") for f in files)
    assert await total(files=files) == sum(range(40))


def test_script_use_without_a_loop(store: str) -> None:
    ff = aioflyte.run(make, text="from a script")
    assert not ff.downloaded
    with ff.open("rb") as r:  # streams on a private loop in this thread
        assert r.read() == b"from a script"
    assert not ff.downloaded
    with open(ff) as fh:
        assert fh.read() == "from a script" and ff.downloaded
    assert ff.download() == os.fspath(ff) == ff.path


def test_constructors_and_properties(store: str) -> None:
    ff = FlyteFile("s3://bucket/a/b.txt")
    assert ff.path == ff.remote_source == "s3://bucket/a/b.txt" and ff.remote_path is None and not ff.downloaded
    local = FlyteFile("/tmp/x.txt", remote_path="s3://q/r", metadata={"a": "b"})
    assert local.remote_source is None and local.remote_path == "s3://q/r" and local.metadata == {"a": "b"}
    src = FlyteFile.from_source("s3://bucket/x/y.csv")
    assert src.remote_source == "s3://bucket/x/y.csv" and src.path.endswith("/y.csv") and not src.downloaded
    remote = FlyteFile.new_remote_file("out.bin")
    assert remote.path.startswith(store + "/") and remote.path.endswith("/out.bin")
    assert FlyteFile.new_remote_file().path != FlyteFile.new_remote_file().path
    assert os.path.basename(FlyteFile.new("n.txt").path) == "n.txt"
    if store.startswith("s3://"):
        assert FlyteFile.new_remote_file("o", alt="other").path.startswith("s3://other/raw/")
    assert FlyteFile["csv"] is FlyteFile["csv"] and issubclass(FlyteFile["csv"], FlyteFile)
    assert FlyteFile["csv"].extension() == "csv" and FlyteFile.extension() == ""
    assert isinstance(ff, os.PathLike) and str(ff) == ff.path


def test_dict_json_and_pickle_forms() -> None:
    ff = FlyteFile["csv"]("s3://bucket/k.csv", metadata={"k": "v"})
    assert ff.to_dict() == {"path": "s3://bucket/k.csv", "metadata": {"k": "v"}}
    assert FlyteFile.from_json(ff.to_json()) == FlyteFile("s3://bucket/k.csv")
    assert FlyteFile.from_dict({"path": "s3://bucket/k.csv"}).remote_source == "s3://bucket/k.csv"
    lazy = FlyteFile.from_source("s3://bucket/lazy.txt")
    assert lazy.to_dict()["path"] == "s3://bucket/lazy.txt"  # the store URI, not the local download path
    back = pickle.loads(pickle.dumps(ff))
    assert type(back) is FlyteFile["csv"] and back == ff and back.metadata == {"k": "v"}
    with pytest.raises(ValueError, match="path"):
        FlyteFile.from_dict({"nope": 1})


@task
def leave_stream_open(f: FlyteFile) -> int:
    r = f.open("rb")
    SEEN["open_stream"] = r  # never closed: dropped later, on the loop thread
    return len(r.read(3))


async def test_stream_left_open_is_finalized_without_blocking(store: str) -> None:
    import gc

    uri = await default_provider().put_bytes(f"{store}/g/data.bin", b"abcdef")
    assert await leave_stream_open(f=FlyteFile.from_source(uri)) == 3
    stream = weakref.ref(SEEN["open_stream"])
    SEEN.clear()  # the stream is finalized here, on the loop thread: it must not wait on its own loop (a deadlock)
    gc.collect()
    assert stream() is None  # finalized, and this line was reached: finalizing did not wait on the loop
    assert await default_provider().get_bytes(uri) == b"abcdef"  # and the loop still runs


async def test_user_downloader_runs_once_before_first_use(tmp_path) -> None:
    from aioflyte import TypeEngine

    target = tmp_path / "made.txt"
    calls = []

    def downloader() -> None:
        calls.append(1)
        target.write_text("made")

    ff = FlyteFile(str(target), downloader=downloader)
    assert await ff.adownload() == str(target) and ff.download() == str(target) and calls == [1]
    lazy_out = FlyteFile(str(tmp_path / "later.txt"), downloader=lambda: (tmp_path / "later.txt").write_text("x"))
    lit = await TypeEngine.to_literal(None, lazy_out, FlyteFile)  # an output runs its downloader first
    assert open(lit.scalar.blob.uri).read() == "x"
