"""FileAccessProvider: async bytes in and out of any fsspec filesystem, rooted at the run's raw output prefix."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
import weakref
from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

R = TypeVar("R")

_LOCAL = ("file", "local")


def split_protocol(uri: str) -> tuple[str, str]:
    """``("s3", "bucket/key")`` for ``s3://bucket/key``; ``("file", path)`` for local paths and ``file://`` URIs."""
    if "://" in uri:
        protocol, rest = uri.split("://", 1)
        protocol = protocol.lower()
        if protocol in _LOCAL:
            return "file", rest
        return protocol, rest
    return "file", uri


def current_raw_output_prefix() -> str:
    """The raw output prefix of the run in this context, or the process default outside any run."""
    from aioflyte.core import context

    run = context._RUN.get()
    return run.raw_output_prefix if run is not None else context.default_raw_output_prefix()


def _write_local_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either nothing or the whole file (temp file + replace)."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _read_local(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


class FileAccessProvider:
    """Reads and writes whole objects by URI; local disk and sync filesystems run in worker threads."""

    def __init__(self, raw_output_prefix: str | None = None, storage_options: dict[str, Any] | None = None) -> None:
        self._raw_output_prefix = raw_output_prefix
        self._storage_options = storage_options or {}
        # Async filesystems are bound to the loop they were created on: one instance per (loop, protocol).
        self._async_fs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AbstractFileSystem]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def raw_output_prefix(self) -> str:
        """The fixed prefix given at construction, else the current run's (looked up on every call)."""
        return self._raw_output_prefix or current_raw_output_prefix()

    def random_remote_path(self, file_name: str | None = None) -> str:
        """A fresh, unique location under the raw output prefix (``<prefix>/<hex>[/<file_name>]``)."""
        base = self.raw_output_prefix.rstrip("/") + "/" + uuid.uuid4().hex
        return base + "/" + os.path.basename(file_name) if file_name else base

    def filesystem(self, protocol: str) -> AbstractFileSystem:
        """The fsspec filesystem for a protocol (async ones are created for the running loop)."""
        import fsspec

        cls = fsspec.get_filesystem_class(protocol)
        options = self._storage_options.get(protocol, {})
        if not getattr(cls, "async_impl", False):
            return fsspec.filesystem(protocol, **options)
        loop = asyncio.get_running_loop()
        per_loop = self._async_fs.setdefault(loop, {})
        fs = per_loop.get(protocol)
        if fs is None:
            fs = per_loop[protocol] = fsspec.filesystem(
                protocol, asynchronous=True, loop=loop, skip_instance_cache=True, **options
            )
        return fs

    async def _sync(self, fn: Callable[..., R], *args: Any) -> R:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(fn, *args)

    async def put_bytes(self, uri: str, data: bytes) -> str:
        """Store ``data`` at ``uri`` (parents created; local writes are atomic). Returns ``uri``."""
        protocol, path = split_protocol(uri)
        if protocol == "file":
            await self._sync(_write_local_atomic, path, bytes(data))
            return uri
        fs = self.filesystem(protocol)
        if fs.async_impl:
            await fs._pipe_file(uri, bytes(data))
        else:
            await self._sync(fs.pipe_file, uri, bytes(data))
        return uri

    async def get_bytes(self, uri: str) -> bytes:
        """The whole object at ``uri`` (``FileNotFoundError`` if there is none)."""
        protocol, path = split_protocol(uri)
        if protocol == "file":
            return await self._sync(_read_local, path)
        fs = self.filesystem(protocol)
        if fs.async_impl:
            return await fs._cat_file(uri)
        return await self._sync(fs.cat_file, uri)

    async def exists(self, uri: str) -> bool:
        protocol, path = split_protocol(uri)
        if protocol == "file":
            return await self._sync(os.path.exists, path)
        fs = self.filesystem(protocol)
        if fs.async_impl:
            return bool(await fs._exists(uri))
        return bool(await self._sync(fs.exists, uri))


_DEFAULT: FileAccessProvider | None = None


def default_provider() -> FileAccessProvider:
    """The process-wide provider; its prefix follows the current run."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = FileAccessProvider()
    return _DEFAULT
