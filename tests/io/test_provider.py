"""FileAccessProvider against local disk and a real S3-compatible server (moto on loopback)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading

import pytest

from aioflyte.exceptions import FlyteDataNotFoundError, FlytePathTraversalError
from aioflyte.io import FileAccessProvider
from aioflyte.io.provider import run_blocking
from aioflyte.runscope import RunState, run_scope


@pytest.fixture(params=["local", "s3"])
def root(request, tmp_path):
    if request.param == "local":
        return str(tmp_path / "store")
    bucket = request.getfixturevalue("s3_bucket")
    return f"s3://{bucket}/store"


async def test_bytes_round_trip_and_exists(root):
    p = FileAccessProvider()
    uri = f"{root}/a/b.bin"
    assert not await p.exists(uri)
    await p.put_bytes(uri, b"hello")
    assert await p.exists(uri) and await p.get_bytes(uri) == b"hello"
    assert await p.size(uri) == 5


async def test_missing_object_is_a_clear_error(root):
    with pytest.raises(FlyteDataNotFoundError, match="does not exist"):
        await FileAccessProvider().get_bytes(f"{root}/nope.bin")


async def test_files_and_streams(root, tmp_path):
    p = FileAccessProvider()
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(3 * 2**20 + 7))
    uri = await p.put_file(str(src), f"{root}/f/src.bin")
    dst = tmp_path / "out" / "dst.bin"
    await p.get_file(uri, str(dst))
    assert dst.read_bytes() == src.read_bytes()
    async with p.open(uri, "rb") as r:
        chunks = [c async for c in r]
    assert b"".join(chunks) == src.read_bytes()
    async with p.open(f"{root}/f/written.bin", "wb") as w:
        for _ in range(3):
            await w.write(b"x" * 1000)
    assert await p.get_bytes(f"{root}/f/written.bin") == b"x" * 3000


async def test_failed_write_publishes_nothing(root):
    p = FileAccessProvider()
    with pytest.raises(RuntimeError):
        async with p.open(f"{root}/partial.bin", "wb") as w:
            await w.write(b"half")
            raise RuntimeError("crash mid-write")
    assert not await p.exists(f"{root}/partial.bin")


@pytest.mark.slow
async def test_directories_bounded(root, tmp_path):
    p = FileAccessProvider()
    src = tmp_path / "dir"
    for i in range(60):
        (src / f"sub{i % 3}").mkdir(parents=True, exist_ok=True)
        (src / f"sub{i % 3}" / f"f{i}.txt").write_text(str(i))
    p.reset_stats()
    await p.put_directory(str(src), f"{root}/d", concurrency=5)
    remote = root.startswith("s3://")
    assert p.max_in_flight == (5 if remote else 1)  # disk to disk is one worker thread
    assert len(await p.list_files(f"{root}/d")) == 60
    p.reset_stats()
    out = tmp_path / "back"
    await p.get_directory(f"{root}/d", str(out), concurrency=4)
    assert p.max_in_flight == (4 if remote else 1)
    assert (out / "sub1" / "f1.txt").read_text() == "1"
    assert not [f for f in os.listdir(out / "sub1") if f.endswith(".part")]


async def test_hostile_names_are_refused(tmp_path):
    p = FileAccessProvider()
    store = tmp_path / "store"
    (store / "ok").mkdir(parents=True)
    (store / "ok" / "a.txt").write_text("a")
    original = p.list_files

    async def hostile(uri: str) -> list[str]:
        return [*await original(uri), "../escape.txt"]

    p.list_files = hostile  # type: ignore[method-assign]
    target = tmp_path / "target"
    with pytest.raises(FlytePathTraversalError, match="escape"):
        await p.get_directory(str(store), str(target))
    assert not (tmp_path / "escape.txt").exists()
    assert not target.exists() or not any(target.rglob("*.txt"))


@pytest.mark.slow
async def test_store_going_away_fails_cleanly_after_retries(tmp_path, monkeypatch):
    """A download from a store that stopped: a clear error with the attempts, and no partial file left."""
    import boto3
    from moto.server import ThreadedMotoServer

    from aioflyte.exceptions import FlyteDataTransferError
    from aioflyte.server.testing import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("FLYTE_AWS_ENDPOINT", endpoint)
    monkeypatch.setenv("FLYTE_AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("FLYTE_AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("FLYTE_AWS_RETRIES", "2")
    monkeypatch.setenv("FLYTE_AWS_BACKOFF_SECONDS", "0.01")
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1"
    ).create_bucket(Bucket="going-away")
    p = FileAccessProvider()
    await p.put_bytes("s3://going-away/data.bin", os.urandom(2**20))
    server.stop()
    target = tmp_path / "out" / "data.bin"
    with pytest.raises(FlyteDataTransferError, match=r"download of s3://going-away/data.bin failed after 3 attempts"):
        await p.get_file("s3://going-away/data.bin", str(target))
    assert not target.exists()
    assert not list((tmp_path / "out").glob("*"))  # no temporary leftovers either


def test_inside_a_run_the_sandbox_is_the_runs_scratch_space(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    p = FileAccessProvider()
    with run_scope(RunState()) as run:
        inside = p.local_sandbox_dir
        assert inside == run.tmp_dir
        assert p.random_local_path("x.bin").startswith(inside + os.sep)
    assert not os.path.exists(inside)  # removed with the run
    outside = p.local_sandbox_dir  # outside runs: one folder per provider (removed at exit)
    assert os.path.basename(outside).startswith("aioflyte-data-") and os.path.isdir(outside)
    assert p.local_sandbox_dir == outside and os.listdir(tmp_path) == [os.path.basename(outside)]
    mine = str(tmp_path / "mine")
    with run_scope(RunState()):
        assert FileAccessProvider(local_sandbox_dir=mine).local_sandbox_dir == mine  # a given sandbox wins


@pytest.mark.slow
def test_the_sandbox_outside_runs_is_removed_at_exit(tmp_path):
    script = "from aioflyte.io import FileAccessProvider; print(FileAccessProvider().random_local_directory())"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    made = out.stdout.strip()
    assert made.startswith(str(tmp_path)) and os.listdir(tmp_path) == []


async def test_a_cancelled_local_write_ends_before_the_caller_moves_on(tmp_path):
    """Python cannot stop a thread: a cancelled caller of local I/O waits for it, then raises CancelledError, so a
    cancelled run never has a write land after it has ended."""
    started, release = threading.Event(), threading.Event()
    target = tmp_path / "written.txt"

    def write() -> None:
        started.set()
        release.wait(60)
        target.write_text("whole")

    job = asyncio.ensure_future(run_blocking(write))
    await asyncio.to_thread(started.wait, 60)
    job.cancel()
    for _ in range(5):
        await asyncio.sleep(0)
    job.cancel()  # cancelled again while it waits: it still waits
    for _ in range(5):
        await asyncio.sleep(0)
    assert not job.done()  # the write is still running: the caller has not moved on
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert target.read_text() == "whole"
