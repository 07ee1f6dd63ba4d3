"""FlyteDirectory through tasks, on local disk and on a real S3-compatible server (moto on loopback)."""

from __future__ import annotations

import os
import pickle
from typing import Annotated

import pytest

from aioflyte import BatchSize, FlyteDirectory, FlyteFile, task, workflow
from aioflyte.exceptions import FlyteDataNotFoundError, FlytePathTraversalError
from aioflyte.io import default_provider

TREE = {"top.txt": "top", "a/one.txt": "one", "a/b/two.txt": "two", "c/three.txt": "three"}
SEEN: dict[str, object] = {}


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch) -> str:
    """The raw output prefix runs write to: a local directory, or ``s3://<fresh bucket>/raw``."""
    if request.param == "local":
        prefix = str(tmp_path / "raw")
        monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", prefix)
        return prefix
    return request.getfixturevalue("s3_raw_prefix")


def _fill(root: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def _read_tree(root: str) -> dict[str, str]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path) as f:
                out[os.path.relpath(path, root).replace(os.sep, "/")] = f.read()
    return out


# ------------------------------------------------------------------------------------------------ tasks


@task
def make_tree() -> FlyteDirectory:
    d = FlyteDirectory.new("tree")
    _fill(d.path, TREE)
    return d


@task
def explore(d: FlyteDirectory) -> dict[str, str]:
    """Lists and reads one entry without downloading the directory, then downloads it."""
    SEEN["crawl"] = [rel for _, rel in d.crawl()]
    SEEN["bases"] = {base for base, _ in d.crawl()}
    SEEN["bottom_up"] = [rel for _, rel in d.crawl(topdown=False)]
    SEEN["depth1"] = [rel for _, rel in d.crawl(maxdepth=1)]
    SEEN["depth2"] = [rel for _, rel in d.crawl(maxdepth=2)]
    SEEN["detail"] = [(base, {k: v["size"] for k, v in files.items()}) for base, files in d.crawl(detail=True)]
    entries = FlyteDirectory.listdir(d)
    SEEN["entries"] = [(type(e).__name__, os.path.basename(e.remote_source or e.path)) for e in entries]
    with open(entries[-1]) as f:  # top.txt: one lazy file downloaded on its own
        SEEN["entry_text"] = f.read()
    SEEN["downloaded_before"] = d.downloaded
    return _read_tree(d.download())


@task
def make_many(n: int) -> Annotated[FlyteDirectory, BatchSize(8)]:
    d = FlyteDirectory.new("many")
    _fill(d.path, {f"s{i % 10}/f{i}.txt": str(i) for i in range(n)})
    return d


@task
def count_files(d: Annotated[FlyteDirectory, BatchSize(8)]) -> int:
    return len(_read_tree(d.download()))


@task
def make_unbounded(n: int) -> FlyteDirectory:
    d = FlyteDirectory.new("unbounded")
    _fill(d.path, {f"f{i}.txt": str(i) for i in range(n)})
    return d


@task
def fill_remote() -> FlyteDirectory:
    d = FlyteDirectory.new_remote("out")
    for i in range(3):
        with d.new_file(f"f{i}.txt").open("w") as w:
            w.write(str(i))
    with d.new_dir("sub").new_file("x.txt").open("wb") as w:
        w.write(b"x")
    return d


@task
def tree_of(d: FlyteDirectory) -> dict[str, str]:
    return _read_tree(d.download())


@workflow
def batch_wf(n: int) -> int:
    return count_files(d=make_many(n=n))


# ------------------------------------------------------------------------------------------------ tests


async def test_directory_output_then_lazy_listing_and_download(store: str) -> None:
    d = await make_tree()
    assert d.remote_source.startswith(store + "/") and not d.downloaded
    assert sorted(await default_provider().list_files(d.remote_source)) == sorted(TREE)
    SEEN.clear()
    assert await explore(d=d) == TREE
    assert SEEN["crawl"] == ["top.txt", "a/one.txt", "a/b/two.txt", "c/three.txt"]
    assert SEEN["bottom_up"] == ["a/b/two.txt", "a/one.txt", "c/three.txt", "top.txt"]
    assert SEEN["depth1"] == ["top.txt"]
    assert SEEN["depth2"] == ["top.txt", "a/one.txt", "c/three.txt"]
    base = d.remote_source
    assert SEEN["bases"] == {base}
    assert SEEN["detail"] == [
        (base, {"top.txt": 3}),
        (base, {"a/one.txt": 3}),
        (base, {"a/b/two.txt": 3}),
        (base, {"c/three.txt": 5}),
    ]
    assert SEEN["entries"] == [("FlyteDirectory", "a"), ("FlyteDirectory", "c"), ("FlyteFile", "top.txt")]
    assert SEEN["entry_text"] == "top" and SEEN["downloaded_before"] is False


async def test_async_listing_and_download(store: str) -> None:
    d = await make_tree()
    assert [rel async for _, rel in d.acrawl()] == ["top.txt", "a/one.txt", "a/b/two.txt", "c/three.txt"]
    entries = await FlyteDirectory.alistdir(d)
    assert [e.remote_source for e in entries] == [f"{d.remote_source}/{n}" for n in ("a", "c", "top.txt")]
    assert not d.downloaded and not os.path.exists(d.path)
    local = await d.adownload()
    assert local == d.path == os.fspath(d) and _read_tree(local) == TREE
    assert [rel for _, rel in d.crawl()] == ["top.txt", "a/one.txt", "a/b/two.txt", "c/three.txt"]
    assert {base for base, _ in d.crawl()} == {d.path}
    assert [type(e).__name__ for e in FlyteDirectory.listdir(d)] == ["FlyteDirectory", "FlyteDirectory", "FlyteFile"]


def _least(store: str) -> int:
    """S3 transfers run file by file, concurrently; disk-to-disk trees are copied by one worker thread."""
    return 2 if store.startswith("s3://") else 1


@pytest.mark.slow
async def test_thousand_files_never_exceed_the_batch_size(store: str) -> None:
    provider = default_provider()
    provider.reset_stats()
    d = await make_many(n=1000)
    assert _least(store) <= provider.max_in_flight <= 8
    assert len(await provider.list_files(d.remote_source)) == 1000
    provider.reset_stats()
    assert await count_files(d=d) == 1000
    assert _least(store) <= provider.max_in_flight <= 8
    provider.reset_stats()
    assert await batch_wf(n=100) == 100  # the annotations hold through a workflow's bindings too
    assert provider.max_in_flight <= 8


async def test_without_batch_size_the_data_config_bounds_transfers(store: str, monkeypatch) -> None:
    monkeypatch.setenv("AIOFLYTE_IO_CONCURRENCY", "5")
    provider = default_provider()
    provider.reset_stats()
    d = await make_unbounded(n=60)
    assert _least(store) <= provider.max_in_flight <= 5
    provider.reset_stats()
    assert len(await tree_of(d=d)) == 60
    assert _least(store) <= provider.max_in_flight <= 5


async def test_hostile_listing_is_refused_and_nothing_is_written(store: str, monkeypatch) -> None:
    provider = default_provider()
    uri = f"{store}/hostile"
    await provider.put_bytes(f"{uri}/ok/a.txt", b"a")
    original = provider.list_files
    for bad in ("../escape.txt", "ok/../../escape.txt", "/tmp/aioflyte-absolute.txt"):

        async def hostile(u: str, bad: str = bad) -> list[str]:
            return [*await original(u), bad]

        monkeypatch.setattr(provider, "list_files", hostile)
        d = FlyteDirectory.from_source(uri)
        with pytest.raises(FlytePathTraversalError, match="escape"):
            await d.adownload()
        parent = os.path.dirname(d.path)
        assert not d.downloaded and not os.path.exists(d.path)
        assert not os.path.isdir(parent) or not os.listdir(parent)  # no escape.txt, no partial directory
        assert not os.path.exists("/tmp/aioflyte-absolute.txt")


async def test_failed_directory_download_leaves_nothing(store: str, monkeypatch) -> None:
    provider = default_provider()
    uri = f"{store}/broken"
    for i in range(20):
        await provider.put_bytes(f"{uri}/f{i}.txt", b"x")
    original = provider.list_files

    async def with_a_missing_file(u: str) -> list[str]:
        return [*await original(u), "gone.txt"]

    monkeypatch.setattr(provider, "list_files", with_a_missing_file)
    d = FlyteDirectory.from_source(uri)
    with pytest.raises(FlyteDataNotFoundError, match=r"gone\.txt"):
        await d.adownload()
    parent = os.path.dirname(d.path)
    assert not os.path.exists(d.path) and (not os.path.isdir(parent) or not os.listdir(parent))


async def test_directory_filled_file_by_file(store: str) -> None:
    d = await fill_remote()
    assert d.remote_source.startswith(store + "/")
    assert await tree_of(d=d) == {"f0.txt": "0", "f1.txt": "1", "f2.txt": "2", "sub/x.txt": "x"}


async def test_chosen_remote_directory(store: str, tmp_path) -> None:
    from aioflyte import TypeEngine

    _fill(str(tmp_path / "src"), {"k.txt": "k"})
    lit = await TypeEngine.to_literal(
        None, FlyteDirectory(str(tmp_path / "src"), remote_directory=f"{store}/chosen"), FlyteDirectory
    )
    assert lit.scalar.blob.uri == f"{store}/chosen"
    assert await default_provider().get_bytes(f"{store}/chosen/k.txt") == b"k"
    kept = await TypeEngine.to_literal(
        None, FlyteDirectory(str(tmp_path / "src"), remote_directory=False), FlyteDirectory
    )
    assert kept.scalar.blob.uri == str(tmp_path / "src")


def test_constructors_and_forms(store: str) -> None:
    remote = FlyteDirectory("s3://bucket/dir")
    assert remote.path == remote.remote_source == "s3://bucket/dir" and remote.sep == "/"
    assert remote.new_file("x.txt").path == "s3://bucket/dir/x.txt"
    assert remote.new_dir("sub").path == "s3://bucket/dir/sub"
    assert isinstance(remote.new_file(), FlyteFile)
    new = FlyteDirectory.new("made")
    assert os.path.isdir(new.path) and new.remote_source is None and new.sep == os.sep
    assert os.path.isdir(new.new_dir("inner").path)
    assert FlyteDirectory.new_remote("stem").path.startswith(store + "/")
    assert FlyteDirectory.new_remote("stem").path.endswith("/stem")
    src = FlyteDirectory.from_source("s3://bucket/src")
    assert src.remote_source == "s3://bucket/src" and not src.downloaded and not src.path.startswith("s3://")
    assert src.to_dict() == {"path": "s3://bucket/src"}
    assert FlyteDirectory.from_json(remote.to_json()) == remote
    back = pickle.loads(pickle.dumps(FlyteDirectory["parquet"]("s3://bucket/pq")))
    assert type(back) is FlyteDirectory["parquet"] and back.remote_source == "s3://bucket/pq"
    assert BatchSize(3).val == 3
    with pytest.raises(ValueError):
        BatchSize(0)
