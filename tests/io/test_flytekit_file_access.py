"""flytekit 1.16's FileAccessProvider surface (aioflyte.core.data_persistence), on local disk and on S3 (moto).

Its sync methods are called from plain test functions (a script: a private loop per call), from a sync task (the
run's loop), and refused on a thread that runs an event loop; the ``async_`` forms are awaited.
"""

from __future__ import annotations

import io
import os

import pytest

import aioflyte
from aioflyte.core import data_persistence
from aioflyte.core.data_persistence import FileAccessProvider
from aioflyte.exceptions import FlyteBlockingCallError
from aioflyte.exceptions.system import FlyteDownloadDataException, FlyteUploadDataException
from aioflyte.exceptions.user import FlyteAssertion, FlyteDataNotFoundException


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.slow)])
def prefix(request, tmp_path):
    """A raw output prefix on local disk or in a fresh S3 bucket (a new S3 client per sync call: slow)."""
    if request.param == "local":
        return str(tmp_path / "raw")
    return f"s3://{request.getfixturevalue('s3_bucket')}/raw"


@pytest.fixture
def fap(tmp_path, prefix):
    return FileAccessProvider(local_sandbox_dir=str(tmp_path / "sandbox"), raw_output_prefix=prefix)


def test_locations_have_flytekits_shape(fap, tmp_path, prefix):
    assert fap.raw_output_prefix == prefix + "/"
    assert fap.local_sandbox_dir == str(tmp_path / "sandbox" / "local_flytekit")
    assert os.path.isdir(fap.local_sandbox_dir)

    local = fap.get_random_local_path("some/dir/b.csv")
    assert local.startswith(fap.local_sandbox_dir + os.sep) and local.endswith(os.sep + "b.csv")
    assert not os.path.exists(os.path.dirname(local))  # a name only, as in flytekit
    assert os.path.isdir(fap.get_random_local_directory())

    remote = fap.get_random_remote_path("x/y.parquet")
    assert remote.startswith(prefix + "/") and remote.endswith("/y.parquet")
    assert remote.count("/") == prefix.count("/") + 2
    assert fap.get_random_remote_directory().startswith(prefix + "/")
    assert fap.get_random_remote_path() != fap.get_random_remote_path()


def test_pure_helpers_answer_as_flytekit_does(tmp_path):
    # expected values taken from flytekit 1.16.31 with the same arguments
    fap = FileAccessProvider(local_sandbox_dir=str(tmp_path), raw_output_prefix="s3://bucket/data/run")
    assert fap.raw_output_prefix == "s3://bucket/data/run/"
    assert fap.join("s3://b/p/", "x", "y") == "s3://b/p/x/y"
    assert fap.join(fap.raw_output_prefix, "", "n.txt") == "s3://bucket/data/run//n.txt"
    assert fap.generate_new_custom_path(alt="other", stem="st") == "s3://other/data/run/st"
    assert fap.join("/tmp/a", "b", unstrip=True) == "file:///tmp/a/b"
    assert FileAccessProvider.is_remote("s3://x") and not FileAccessProvider.is_remote("/x")
    assert not FileAccessProvider.is_remote("file:///x")
    assert FileAccessProvider.recursive_paths("s3://a/b", "/tmp/c") == ("s3://a/b/", "/tmp/c/")
    assert FileAccessProvider.strip_file_header("file:///a/b") == "/a/b"
    assert FileAccessProvider.get_file_tail("/a/b/c.txt") == "c.txt"
    with pytest.raises(ValueError):
        fap.join()


def test_put_data_and_get_data_move_files_and_directories(fap, tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(70_000))
    remote = fap.get_random_remote_path("src.bin")
    assert not fap.exists(remote)
    assert fap.put_data(str(src), remote) == remote
    assert fap.exists(remote)
    out = tmp_path / "got" / "deep" / "copy.bin"
    fap.get_data(remote, str(out))
    assert out.read_bytes() == src.read_bytes()

    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("a")
    (tree / "sub" / "b.txt").write_text("b")
    remote_dir = fap.get_random_remote_directory()
    fap.upload_directory(str(tree), remote_dir)
    back = tmp_path / "back"
    fap.download_directory(remote_dir, str(back))
    assert (back / "a.txt").read_text() == "a" and (back / "sub" / "b.txt").read_text() == "b"


def test_put_raw_data_takes_paths_bytes_and_buffers(fap, tmp_path, prefix):
    f = tmp_path / "report.txt"
    f.write_text("from a file")
    where = fap.put_raw_data(str(f))
    assert where.startswith(prefix + "/") and where.endswith("/report.txt")
    assert fap.put_raw_data(f, upload_prefix="", file_name="n.txt") == f"{prefix}/n.txt"

    located = {
        fap.put_raw_data(b"raw bytes", file_name="b.bin"): b"raw bytes",
        fap.put_raw_data(io.BytesIO(b"x" * 5000), read_chunk_size_bytes=7): b"x" * 5000,
        fap.put_raw_data(io.StringIO("héllo"), encoding="utf-8"): "héllo".encode(),
    }
    for uri, expected in located.items():
        local = fap.get_random_local_path()
        fap.get_data(uri, local)
        with open(local, "rb") as fh:
            assert fh.read() == expected

    d = tmp_path / "d"
    d.mkdir()
    (d / "one.txt").write_text("1")
    dir_uri = fap.put_raw_data(d, upload_prefix="dirs")
    assert dir_uri == f"{prefix}/dirs/d"
    assert fap.exists(f"{dir_uri}/one.txt")

    with pytest.raises(FlyteAssertion, match="does not exist"):
        fap.put_raw_data(tmp_path / "missing.txt")
    with pytest.raises(FlyteAssertion, match="Unsupported lpath type"):
        fap.put_raw_data(12345)  # type: ignore[arg-type]


def test_failures_are_flytekits_exceptions(fap, tmp_path):
    with pytest.raises(FlyteDataNotFoundException):
        fap.get_data(fap.get_random_remote_path("nope.bin"), str(tmp_path / "x"))
    with pytest.raises(FlyteUploadDataException, match="Failed to put data"):
        fap.put_data(str(tmp_path / "no-such-file"), fap.get_random_remote_path())
    a_file = tmp_path / "f.txt"
    a_file.write_text("f")
    with pytest.raises(FlyteUploadDataException, match="is not a directory"):
        fap.put_data(str(a_file), fap.get_random_remote_path(), is_multipart=True)
    with pytest.raises(FlyteUploadDataException, match="not a file"):
        fap.put_data(str(tmp_path), fap.get_random_remote_path())  # a directory needs is_multipart


def test_filesystems_are_for_sync_calls(fap, prefix):
    uri = fap.put_raw_data(b"via fsspec", file_name="f.txt")
    fs = fap.get_filesystem_for_path(uri)
    assert fs.cat_file(uri) == b"via fsspec"
    assert fap.raw_output_fs.exists(uri)
    assert fap.get_filesystem().exists(uri)  # the raw output prefix's filesystem
    assert fap.local_access.protocol in ("file", ("file", "local"))


async def test_sync_forms_refuse_a_running_loop_and_async_forms_work(fap, tmp_path):
    src = tmp_path / "a.txt"
    src.write_text("async")
    remote = fap.get_random_remote_path("a.txt")
    with pytest.raises(FlyteBlockingCallError, match="async_put_data"):
        fap.put_data(str(src), remote)
    with pytest.raises(FlyteBlockingCallError, match="async_exists"):
        fap.exists(remote)
    assert await fap.async_put_data(src, remote) == remote
    assert await fap.async_exists(remote)
    out = tmp_path / "b.txt"
    assert await fap.async_get_data(remote, str(out)) == str(out)
    assert out.read_text() == "async"
    uri = await fap.async_put_raw_data(b"raw", file_name="r.bin")
    assert await fap.get_bytes(uri) == b"raw"  # every aioflyte method works on it too
    fs = await fap.get_async_filesystem_for_path(uri)
    assert fs is fap.filesystem(fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0])


def test_sync_forms_work_inside_a_sync_task(fap, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("from a task")

    @aioflyte.task
    def upload(path: str) -> str:
        remote = fap.get_random_remote_path("in.txt")
        fap.put_data(path, remote)  # a worker thread: the run's own loop does the work
        assert fap.exists(remote)
        return remote

    remote = aioflyte.run(upload, path=str(src))
    local = str(tmp_path / "out.txt")
    fap.get_data(remote, local)
    assert open(local).read() == "from a task"


def test_default_provider_follows_the_run(tmp_path, monkeypatch):
    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", str(tmp_path / "process-raw"))
    default = data_persistence.default_local_file_access_provider
    assert default is data_persistence.default_local_file_access_provider
    assert os.path.isdir(data_persistence.flyte_tmp_dir)
    assert default.local_sandbox_dir.startswith(data_persistence.flyte_tmp_dir)
    assert default.raw_output_prefix.startswith(str(tmp_path / "process-raw"))


def test_a_store_that_stopped_answering_is_a_download_error(tmp_path):
    from aioflyte.configuration import DataConfig, S3Config
    from aioflyte.server.testing import free_port

    cfg = DataConfig(s3=S3Config(endpoint=f"http://127.0.0.1:{free_port()}", retries=0, access_key_id="k"))
    fap = FileAccessProvider(str(tmp_path), "s3://nowhere/raw", data_config=cfg)
    with pytest.raises(FlyteDownloadDataException):
        fap.get_data("s3://nowhere/raw/x.bin", str(tmp_path / "x.bin"))
