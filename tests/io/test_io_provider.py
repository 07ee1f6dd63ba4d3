"""FileAccessProvider: local (atomic) and fsspec filesystems, sync ones in threads and async ones awaited."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any, ClassVar

import fsspec
import pytest
from fsspec.asyn import AsyncFileSystem

from aioflyte.core.context import default_raw_output_prefix, new_context
from aioflyte.io import FileAccessProvider, default_provider


async def test_local_put_get_exists(tmp_path: Any) -> None:
    p = FileAccessProvider()
    uri = str(tmp_path / "a" / "b" / "c.bin")
    assert not await p.exists(uri)
    assert await p.put_bytes(uri, b"one") == uri
    assert await p.exists(uri) and await p.get_bytes(uri) == b"one"
    await p.put_bytes(uri, b"two")  # replaces
    assert await p.get_bytes(uri) == b"two"
    assert os.listdir(tmp_path / "a" / "b") == ["c.bin"]  # no temp files left behind
    assert await p.get_bytes("file://" + uri) == b"two"


async def test_local_write_is_atomic_when_it_fails(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    p = FileAccessProvider()
    uri = str(tmp_path / "x.bin")
    await p.put_bytes(uri, b"old")

    def fail(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk on fire"):
        await p.put_bytes(uri, b"new")
    monkeypatch.undo()
    assert await p.get_bytes(uri) == b"old" and os.listdir(tmp_path) == ["x.bin"]  # temp file removed


async def test_concurrent_local_writes_never_tear(tmp_path: Any) -> None:
    p = FileAccessProvider()
    uri = str(tmp_path / "same.bin")
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    await asyncio.gather(*(p.put_bytes(uri, d) for d in payloads))
    assert await p.get_bytes(uri) in payloads


async def test_missing_object_raises_file_not_found(tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError):
        await FileAccessProvider().get_bytes(str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError):
        await FileAccessProvider().get_bytes("memory://aioflyte-tests/nope")


async def test_sync_fsspec_filesystem() -> None:
    p = FileAccessProvider()
    uri = "memory://aioflyte-tests/dir/obj"
    await p.put_bytes(uri, b"mem")
    assert await p.exists(uri) and await p.get_bytes(uri) == b"mem"
    assert fsspec.filesystem("memory").cat_file(uri) == b"mem"


class _AsyncMemory(AsyncFileSystem):
    """A tiny async filesystem: records the loop each call ran on."""

    protocol = "aioflytetest"
    store: ClassVar[dict[str, bytes]] = {}  # shared by every instance fsspec makes
    loops: ClassVar[list[asyncio.AbstractEventLoop]] = []

    async def _pipe_file(self, path: str, value: bytes, **kwargs: Any) -> None:
        self.loops.append(asyncio.get_running_loop())
        self.store[self._strip_protocol(path)] = value

    async def _cat_file(self, path: str, start: Any = None, end: Any = None, **kwargs: Any) -> bytes:
        self.loops.append(asyncio.get_running_loop())
        try:
            return self.store[self._strip_protocol(path)]
        except KeyError:
            raise FileNotFoundError(path) from None

    async def _exists(self, path: str, **kwargs: Any) -> bool:
        return self._strip_protocol(path) in self.store


async def test_async_fsspec_filesystem_runs_on_the_callers_loop() -> None:
    fsspec.register_implementation("aioflytetest", _AsyncMemory, clobber=True)
    p = FileAccessProvider()
    uri = "aioflytetest://bucket/key"
    await p.put_bytes(uri, b"async")
    assert await p.get_bytes(uri) == b"async" and await p.exists(uri)
    assert not await p.exists("aioflytetest://bucket/other")
    loop = asyncio.get_running_loop()
    assert _AsyncMemory.loops and all(seen is loop for seen in _AsyncMemory.loops)
    assert p.filesystem("aioflytetest") is p.filesystem("aioflytetest")  # one instance per loop


def test_random_remote_paths() -> None:
    p = FileAccessProvider()
    a, b = p.random_remote_path(), p.random_remote_path("dir/name.txt")
    assert a.startswith(default_raw_output_prefix() + "/") and a != b
    assert b.endswith("/name.txt")
    with new_context() as ctx:
        assert ctx.run is not None
        assert p.random_remote_path().startswith(ctx.run.raw_output_prefix + "/")
    fixed = FileAccessProvider("s3://bucket/raw/")
    assert fixed.random_remote_path().startswith("s3://bucket/raw/")
    assert default_provider() is default_provider()


def test_importing_io_does_not_import_fsspec() -> None:
    code = "import sys, aioflyte.io, aioflyte.types.pickle; print('fsspec' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
