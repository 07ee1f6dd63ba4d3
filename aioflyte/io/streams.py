"""Streaming files: async readers that never hold a whole object, writers that publish only when complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import TYPE_CHECKING, Any, AsyncIterator

if TYPE_CHECKING:
    from aioflyte.io.provider import FileAccessProvider

DEFAULT_BLOCK = 8 * 2**20  # bytes per read-ahead block for remote streams


class AsyncReader:
    """``await read(n)`` / ``async for chunk in reader`` over any store, in bounded memory."""

    def __init__(self, raw: Any, kind: str, chunk: int = 2**20) -> None:
        self._raw = raw
        self._kind = kind  # "async" (s3fs stream), "anyio" (local), "thread" (sync fsspec file)
        self._chunk = chunk

    async def read(self, n: int = -1) -> bytes:
        if self._kind == "thread":
            import anyio.to_thread

            return await anyio.to_thread.run_sync(self._raw.read, n)
        return await self._raw.read(n)

    async def seek(self, offset: int, whence: int = 0) -> int:
        if self._kind == "thread":
            import anyio.to_thread

            return await anyio.to_thread.run_sync(self._raw.seek, offset, whence)
        if self._kind == "anyio":
            return await self._raw.seek(offset, whence)
        return self._raw.seek(offset, whence)

    async def close(self) -> None:
        if self._kind == "thread":
            import anyio.to_thread

            await anyio.to_thread.run_sync(self._raw.close)
        elif self._kind == "anyio":
            await self._raw.aclose()
        else:
            await self._raw.close()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        while True:
            data = await self.read(self._chunk)
            if not data:
                return
            yield data

    async def __aenter__(self) -> AsyncReader:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


async def open_reader(provider: FileAccessProvider, uri: str, block_size: int | None = None) -> AsyncReader:
    from aioflyte.io.provider import split_protocol

    protocol, path = split_protocol(uri)
    if protocol == "file":
        import anyio

        return AsyncReader(await anyio.open_file(path, "rb"), "anyio")
    fs = provider.filesystem(protocol)
    if fs.async_impl and hasattr(fs, "open_async"):
        try:
            raw = await fs.open_async(uri, "rb", block_size=block_size or DEFAULT_BLOCK)
            return AsyncReader(raw, "async")
        except NotImplementedError:
            pass
    import anyio.to_thread

    raw = await anyio.to_thread.run_sync(lambda: fs.open(uri, "rb", block_size=block_size or DEFAULT_BLOCK))
    return AsyncReader(raw, "thread")


class AsyncWriter:
    """Writes go to a local temp file; ``close`` publishes it to the URI (atomically), ``abort`` drops it."""

    def __init__(self, provider: FileAccessProvider, uri: str) -> None:
        self._provider = provider
        self._uri = uri
        fd, self._tmp = tempfile.mkstemp(prefix="aioflyte-write-", dir=provider.local_sandbox_dir)
        os.close(fd)
        self._file: Any = None
        self._closed = False

    @property
    def uri(self) -> str:
        return self._uri

    async def write(self, data: bytes) -> int:
        if self._file is None:
            import anyio

            self._file = await anyio.open_file(self._tmp, "wb")
        return await self._file.write(data)

    async def close(self) -> None:
        """Flush and publish the whole file to the URI."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._file is not None:
                await self._file.aclose()
            await self._provider.put_file(self._tmp, self._uri)
        finally:
            _remove(self._tmp)

    async def abort(self) -> None:
        """Discard what was written: nothing appears at the URI."""
        if self._closed:
            return
        self._closed = True
        if self._file is not None:
            with contextlib.suppress(Exception):
                await self._file.aclose()
        _remove(self._tmp)

    async def __aenter__(self) -> AsyncWriter:
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            await self.close()
        else:
            await self.abort()


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


@contextlib.asynccontextmanager
async def open_async(
    provider: FileAccessProvider, uri: str, mode: str = "rb", block_size: int | None = None
) -> AsyncIterator[Any]:
    """``async with open_async(p, uri, "rb"|"wb") as f``: streaming read, or write published on success."""
    if mode in ("rb", "r"):
        reader = await provider.open_read(uri, block_size)
        try:
            yield reader
        finally:
            await reader.close()
    elif mode in ("wb", "w"):
        writer = provider.open_write(uri)
        try:
            yield writer
        except BaseException:
            await writer.abort()
            raise
        else:
            await writer.close()
    else:
        raise ValueError(f"open mode {mode!r} is not supported; use 'rb' or 'wb'")
