"""Sync access to async blob I/O, and the stream handle ``FlyteFile.open`` returns (``with`` / ``async with``).

Sync code reaches the store through ``aioflyte.io.bridge`` (re-exported here: ``call``, ``Bridge``,
``check_not_on_loop``, ``CALLER_LOOP``): on the run's loop from a sync task's worker thread, on a private loop in a
plain script, and never from a thread that is running an event loop.
"""

from __future__ import annotations

import io
import os
import tempfile
from typing import Any, Callable, TypeVar

from aioflyte.exceptions import FlyteBlockingCallError as FlyteBlockingCallError
from aioflyte.exceptions import FlyteDataNotFoundError
from aioflyte.io.bridge import CALLER_LOOP as CALLER_LOOP
from aioflyte.io.bridge import Bridge as Bridge
from aioflyte.io.bridge import _on_loop_thread
from aioflyte.io.bridge import call as call
from aioflyte.io.bridge import check_not_on_loop as check_not_on_loop
from aioflyte.io.provider import default_provider, split_protocol

T = TypeVar("T")


class SyncRawReader(io.RawIOBase):
    """A sync, buffered-IO-compatible view of an async stream (``AsyncReader``), driven through a ``Bridge``."""

    def __init__(self, bridge: Bridge, reader: Any, name: str) -> None:
        super().__init__()
        self._bridge = bridge
        self._reader = reader
        self.name = name

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        data = self._bridge.run(lambda: self._reader.read(len(view)))
        n = len(data)
        view[:n] = data
        return n

    def close(self) -> None:
        if self.closed:
            return
        try:
            # On a loop thread (the garbage collector finalizing a stream left open) waiting would deadlock:
            # the stream is dropped instead, and its connection is released when the session closes.
            if not _on_loop_thread():
                self._bridge.run(self._reader.close)
        finally:
            self._bridge.close()
            super().close()


class SyncPublishingWriter(io.FileIO):
    """A local temporary file that is published to its destination when it is closed.

    ``publish`` renames it into place (local destinations) or uploads it (remote ones, through a ``Bridge``).
    After ``discard`` (on an exception) closing drops what was written instead, so a failed write never leaves
    a destination that looks whole.
    """

    def __init__(self, tmp_path: str, publish: Callable[[str], None]) -> None:
        super().__init__(tmp_path, "wb")
        self._tmp = tmp_path
        self._publish = publish
        self._discard = False

    def discard(self) -> None:
        self._discard = True

    def __del__(self) -> None:
        self._discard = True  # never publish from the garbage collector: only an explicit close publishes
        super().__del__()

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        try:
            if not self._discard:
                self._publish(self._tmp)
        finally:
            _unlink(self._tmp)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# ------------------------------------------------------------------------------------------------ open()


class FileHandle:
    """What ``FlyteFile.open`` returns: an async context manager, a sync one, or (sync) a plain file object."""

    _READ = ("rb", "r")
    _WRITE = ("wb", "w")

    def __init__(self, ff: Any, mode: str, cache_type: str | None, cache_options: dict[str, Any] | None) -> None:
        if mode not in self._READ + self._WRITE:
            raise ValueError(f"FlyteFile.open mode {mode!r} is not supported; use 'rb', 'r', 'wb' or 'w'")
        self._ff = ff
        self._mode = mode
        self._cache_type = cache_type
        self._block_size = (cache_options or {}).get("block_size")
        self._acm: Any = None
        self._file: Any = None
        self._raw_writer: SyncPublishingWriter | None = None

    @property
    def _writing(self) -> bool:
        return self._mode in self._WRITE

    # --- async ---------------------------------------------------------------------------------------
    async def __aenter__(self) -> Any:
        if self._mode not in ("rb", "wb"):
            raise ValueError(
                f"async open reads and writes bytes: use 'rb' or 'wb' (got {self._mode!r}); decode the bytes, "
                "or use the sync 'with ff.open(...)' in a sync task"
            )
        provider = default_provider()
        if self._writing:
            self._acm = provider.open(self._ff._write_location(), "wb")
        else:
            self._acm = provider.open(self._ff._read_location(), "rb", self._block_size)
        return await self._acm.__aenter__()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        result = await self._acm.__aexit__(exc_type, exc, tb)
        if self._writing and exc_type is None:
            self._ff._written()
        return result

    # --- sync ----------------------------------------------------------------------------------------
    def __enter__(self) -> Any:
        return self._sync_file()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self._raw_writer is not None:
            self._raw_writer.discard()
        self.close()

    def close(self) -> None:
        f, self._file = self._file, None
        if f is None:
            return
        failed = self._raw_writer is not None and self._raw_writer._discard
        f.close()
        if self._writing and not failed:
            self._ff._written()

    def __getattr__(self, name: str) -> Any:
        # ``f = ff.open("rb"); f.read()``: used without ``with``, the handle is a sync file object.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._sync_file(), name)

    def __iter__(self) -> Any:
        return iter(self._sync_file())

    def _sync_file(self) -> Any:
        if self._file is None:
            self._file = self._open_sync_write() if self._writing else self._open_sync_read()
        return self._file

    def _open_sync_read(self) -> Any:
        ff = self._ff
        location = ff._read_location()
        from_store = ff._remote_source is not None and not ff._downloaded
        if from_store:
            check_not_on_loop(f"open({ff!r}) for reading", "'async with ff.open(\"rb\")'")
        protocol, path = split_protocol(location)
        if protocol == "file":
            try:
                return open(path, self._mode)  # closed by the caller's with-block / close()
            except FileNotFoundError as e:
                raise FlyteDataNotFoundError(f"read of {location} failed: it does not exist") from e
        bridge = Bridge(f"open({ff!r}) for reading", "'async with ff.open(\"rb\")'")
        try:
            reader = bridge.run(lambda: default_provider().open_read(location, self._block_size))
        except BaseException:
            bridge.close()
            raise
        buffered = io.BufferedReader(SyncRawReader(bridge, reader, location), buffer_size=2**20)
        return buffered if self._mode == "rb" else io.TextIOWrapper(buffered)

    def _open_sync_write(self) -> Any:
        ff = self._ff
        dest = ff._write_location()
        protocol, path = split_protocol(dest)
        if protocol == "file":
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)

            def publish(tmp: str) -> None:
                os.replace(tmp, path)

        else:
            check_not_on_loop(f"open({ff!r}) for writing", "'async with ff.open(\"wb\")'")
            parent = default_provider().local_sandbox_dir

            def publish(tmp: str) -> None:
                call(
                    lambda: default_provider().put_file(tmp, dest),
                    f"upload of {dest}",
                    "'async with ff.open(\"wb\")'",
                )

        name = dest.rstrip("/").rsplit("/", 1)[-1]
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=parent)
        os.close(fd)
        os.chmod(tmp, 0o644)  # what open(path, "w") gives under the usual umask (mkstemp makes it 0600)
        self._raw_writer = SyncPublishingWriter(tmp, publish)
        buffered = io.BufferedWriter(self._raw_writer, buffer_size=2**20)
        return buffered if self._mode == "wb" else io.TextIOWrapper(buffered)
