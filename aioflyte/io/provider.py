"""FileAccessProvider: async reads, writes, streams and bulk transfers over fsspec filesystems.

Local disk runs in worker threads (anyio), S3 (s3fs on aiobotocore) natively on the loop; any fsspec
protocol works. Transient failures are retried (tenacity) and a final failure names the URI and the number
of attempts (a ``FlyteUploadDataException`` or ``FlyteDownloadDataException``, both ``FlyteDataTransferError``).
Downloads and local writes land under a temporary name and are renamed when complete, so a
failed transfer never leaves a file that looks whole. Directory transfers keep at most ``concurrency`` files
in flight.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Awaitable, Callable, TypeVar

from aioflyte import runscope
from aioflyte.exceptions import (
    FlyteDataNotFoundError,
    FlyteDataTransferError,
    FlyteDownloadDataException,
    FlytePathTraversalError,
    FlyteUploadDataException,
)
from aioflyte.io.config import DataConfig
from aioflyte.io.streams import AsyncReader, AsyncWriter, open_reader

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

R = TypeVar("R")

_LOCAL = ("file", "local")
#: The error a transfer that failed after its retries raises, by the first word of what it was doing.
_ERRORS: dict[str, type[FlyteDataTransferError]] = {
    "upload": FlyteUploadDataException,
    "delete": FlyteDataTransferError,
}
_PERMANENT = (
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
    ValueError,
    TypeError,
    FlytePathTraversalError,
)


def split_protocol(uri: str) -> tuple[str, str]:
    """``("s3", "bucket/key")`` for ``s3://bucket/key``; ``("file", path)`` for local paths and ``file://`` URIs."""
    if "://" in uri:
        protocol, rest = uri.split("://", 1)
        protocol = protocol.lower()
        if protocol in _LOCAL:
            return "file", rest
        return protocol, rest
    return "file", uri


def is_remote(uri: str) -> bool:
    return split_protocol(uri)[0] != "file"


def current_raw_output_prefix() -> str:
    """The raw output prefix of the run in this context, or the process default outside any run."""
    return runscope.raw_output_prefix()


async def run_blocking(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)`` in a worker thread (local disk I/O), without blocking the loop.

    Python cannot stop a thread, so if the caller is cancelled while the call runs, this waits for the call to
    finish and raises ``CancelledError`` after it: the I/O a cancelled run started never lands after the run has
    ended (a file appearing in the raw store later, a download re-creating a removed scratch directory). A call
    that has not started yet never starts.
    """
    import anyio.to_thread

    gate = threading.Lock()  # held by the call while it runs; taken for good by a caller that gives up

    def call() -> R:
        if not gate.acquire(blocking=False):
            raise asyncio.CancelledError  # the caller gave up before the call started
        try:
            return fn(*args)
        finally:
            gate.release()

    try:
        return await anyio.to_thread.run_sync(call)
    except asyncio.CancelledError:
        # Take the gate: at once if the call has not started (it never will) or has ended, else once it ends.
        if not gate.acquire(blocking=False):
            taken = asyncio.get_running_loop().run_in_executor(None, gate.acquire)
            while not taken.done():
                try:
                    await asyncio.wait((taken,))
                except asyncio.CancelledError:  # cancelled again: the call is still running, so keep waiting
                    pass
        raise


def _tmp_beside(path: str) -> str:
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    return os.path.join(parent, f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.part")


def _write_local_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either nothing or the whole file (temp file + replace)."""
    tmp = _tmp_beside(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def _copy_local_atomic(src: str, dst: str) -> None:
    tmp = _tmp_beside(dst)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


UPLOAD_PART = 8 * 2**20
DOWNLOAD_BLOCK = 8 * 2**20


async def _stream_to_file(fs: Any, uri: str, path: str) -> None:
    """Stream an object into a local file block by block (disk writes in a worker thread)."""
    import anyio

    src = await fs.open_async(uri, "rb", block_size=DOWNLOAD_BLOCK)
    try:
        async with await anyio.open_file(path, "wb") as out:
            while True:
                block = await src.read(DOWNLOAD_BLOCK)
                if not block:
                    break
                await out.write(block)
    finally:
        await src.close()


def _read_local(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _copy_tree(src: str, dst: str, rels: list[str]) -> None:
    os.makedirs(dst, exist_ok=True)
    for r in rels:
        _copy_local_atomic(os.path.join(src, r), safe_join(dst, r))


def _walk_local(root: str) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
        for dirpath, _, files in os.walk(root)
        for name in files
    )


def safe_join(root: str, relative: str) -> str:
    """``root/relative``, refusing names that would land outside ``root`` (``..``, absolute paths)."""
    rel = relative.replace("\\", "/")
    parts = rel.split("/")
    if rel.startswith("/") or os.path.isabs(relative) or any(p == ".." for p in parts) or ":" in parts[0]:
        raise FlytePathTraversalError(
            f"refusing to write {relative!r}: the name would escape the target directory {root}"
        )
    target = os.path.abspath(os.path.join(root, *[p for p in parts if p not in ("", ".")]))
    base = os.path.abspath(root)
    if os.path.commonpath([base, target]) != base:
        raise FlytePathTraversalError(
            f"refusing to write {relative!r}: the name would escape the target directory {root}"
        )
    return target


class FileAccessProvider:
    """Moves data by URI: whole objects, files, directories and streams, with retries and bounds."""

    def __init__(
        self,
        raw_output_prefix: str | None = None,
        data_config: DataConfig | None = None,
        storage_options: dict[str, dict[str, Any]] | None = None,
        local_sandbox_dir: str | None = None,
    ) -> None:
        self._raw_output_prefix = raw_output_prefix
        self._data_config = data_config
        self._storage_options = storage_options or {}
        self._local_sandbox_dir = local_sandbox_dir
        self._process_sandbox: str | None = None  # the sandbox outside runs, when none was given
        self._config_key: tuple[Any, ...] | None = None
        self._config = DataConfig()
        # Async filesystems are bound to the loop they were created on: one instance per (loop, protocol).
        self._async_fs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AbstractFileSystem]] = (
            weakref.WeakKeyDictionary()
        )
        self.in_flight = 0
        self.max_in_flight = 0  # high-water mark of concurrent file transfers (see reset_stats)

    # --- locations -------------------------------------------------------------------------------
    @property
    def data_config(self) -> DataConfig:
        """The given DataConfig, else one read from the environment (re-read when FLYTE_*/AWS_* change)."""
        if self._data_config is not None:
            return self._data_config
        key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(("FLYTE", "AWS_", "AIOFLYTE_IO"))))
        if key != self._config_key:
            self._config_key = key
            self._config = DataConfig.auto()
            self._async_fs = weakref.WeakKeyDictionary()  # new settings: new filesystem instances
        return self._config

    @property
    def raw_output_prefix(self) -> str:
        """The fixed prefix given at construction, else the current run's (looked up on every call)."""
        return self._raw_output_prefix or current_raw_output_prefix()

    @property
    def local_sandbox_dir(self) -> str:
        """Where downloads and temporary files go: the sandbox given at construction; else, inside a run, the run's
        scratch space (removed when the run ends); else one ``aioflyte-data-*`` directory for this provider, made
        on first use and removed at interpreter exit."""
        if self._local_sandbox_dir is not None:
            return self._local_sandbox_dir
        scratch = runscope.run_scratch()
        if scratch is not None:
            return scratch
        if self._process_sandbox is None:
            import atexit

            path = tempfile.mkdtemp(prefix="aioflyte-data-")
            atexit.register(shutil.rmtree, path, True)
            self._process_sandbox = path
        return self._process_sandbox

    def random_remote_path(self, file_name: str | None = None) -> str:
        """A fresh, unique location under the raw output prefix (``<prefix>/<hex>[/<file_name>]``)."""
        base = self.raw_output_prefix.rstrip("/") + "/" + uuid.uuid4().hex
        return base + "/" + os.path.basename(file_name) if file_name else base

    def random_local_directory(self) -> str:
        path = os.path.join(self.local_sandbox_dir, uuid.uuid4().hex)
        os.makedirs(path, exist_ok=True)
        return path

    def random_local_path(self, file_name: str | None = None) -> str:
        return os.path.join(self.random_local_directory(), os.path.basename(file_name or uuid.uuid4().hex))

    @staticmethod
    def is_remote(uri: str) -> bool:
        return is_remote(uri)

    # --- filesystems -----------------------------------------------------------------------------
    def _options(self, protocol: str) -> dict[str, Any]:
        opts = dict(self.data_config.storage_options(protocol))
        opts.update(self._storage_options.get(protocol, {}))
        return opts

    def filesystem(self, protocol: str) -> AbstractFileSystem:
        """The fsspec filesystem for a protocol (async ones are created for the running loop)."""
        import fsspec

        cls = fsspec.get_filesystem_class(protocol)
        if not getattr(cls, "async_impl", False):
            return fsspec.filesystem(protocol, **self._options(protocol))
        loop = asyncio.get_running_loop()
        per_loop = self._async_fs.setdefault(loop, {})
        fs = per_loop.get(protocol)
        if fs is None:
            if not per_loop:
                _close_at_loop_shutdown(loop, per_loop)
            fs = per_loop[protocol] = fsspec.filesystem(
                protocol, asynchronous=True, loop=loop, skip_instance_cache=True, **self._options(protocol)
            )
        return fs

    async def aclose(self) -> None:
        """Close the network sessions this provider opened on the running loop."""
        per_loop = self._async_fs.pop(asyncio.get_running_loop(), {})
        await _close_filesystems(per_loop)

    def get_filesystem_for_path(self, uri: str) -> AbstractFileSystem:
        """The filesystem for ``uri``'s protocol (async ones bound to the running loop)."""
        return self._fs_for(uri)

    def _fs_for(self, uri: str) -> AbstractFileSystem:
        return self.filesystem(split_protocol(uri)[0])

    async def _sync(self, fn: Callable[..., R], *args: Any) -> R:
        return await run_blocking(fn, *args)

    async def _call(self, uri: str, fs_method: str, *args: Any) -> Any:
        """Call ``fs.<method>`` (the ``_``-prefixed coroutine on async filesystems) for a remote URI."""
        fs = self._fs_for(uri)
        if fs.async_impl:
            return await getattr(fs, "_" + fs_method)(*args)
        return await self._sync(getattr(fs, fs_method), *args)

    # --- retries ---------------------------------------------------------------------------------
    async def _retrying(self, what: str, uri: str, fn: Callable[[], Awaitable[R]]) -> R:
        """Run ``fn`` with retries on transient errors; the final error names ``uri`` and the attempts."""
        from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential, wait_random

        cfg = self.data_config.s3
        attempts = 0

        def transient(e: BaseException) -> bool:
            return not isinstance(e, _PERMANENT)

        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(cfg.retries + 1),
                retry=retry_if_exception(transient),
                wait=wait_exponential(multiplier=cfg.backoff, max=5) + wait_random(0, cfg.backoff),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    return await fn()
        except FileNotFoundError as e:
            raise FlyteDataNotFoundError(f"{what} {uri} failed: it does not exist ({e})") from e
        except _PERMANENT:
            raise
        except Exception as e:
            error = _ERRORS.get(what.partition(" ")[0], FlyteDownloadDataException)
            raise error(
                f"{what} {uri} failed after {attempts} attempt{'s' if attempts != 1 else ''}: {type(e).__name__}: {e}"
            ) from e
        raise AssertionError("unreachable")  # pragma: no cover

    # --- whole objects ---------------------------------------------------------------------------
    async def put_bytes(self, uri: str, data: bytes) -> str:
        """Store ``data`` at ``uri`` (parents created; local writes are atomic). Returns ``uri``."""
        protocol, path = split_protocol(uri)
        data = bytes(data)
        if protocol == "file":
            await self._sync(_write_local_atomic, path, data)
            return uri
        await self._retrying("upload to", uri, lambda: self._call(uri, "pipe_file", uri, data))
        return uri

    async def get_bytes(self, uri: str) -> bytes:
        """The whole object at ``uri`` (``FlyteDataNotFoundError`` if there is none)."""
        protocol, path = split_protocol(uri)
        if protocol == "file":
            try:
                return await self._sync(_read_local, path)
            except FileNotFoundError as e:
                raise FlyteDataNotFoundError(f"read of {uri} failed: it does not exist") from e
        return await self._retrying("download of", uri, lambda: self._call(uri, "cat_file", uri))

    async def exists(self, uri: str) -> bool:
        protocol, path = split_protocol(uri)
        if protocol == "file":
            return await self._sync(os.path.exists, path)
        return bool(await self._retrying("existence check of", uri, lambda: self._call(uri, "exists", uri)))

    async def isdir(self, uri: str) -> bool:
        protocol, path = split_protocol(uri)
        if protocol == "file":
            return await self._sync(os.path.isdir, path)
        return bool(await self._retrying("listing of", uri, lambda: self._call(uri, "isdir", uri)))

    async def size(self, uri: str) -> int:
        protocol, path = split_protocol(uri)
        if protocol == "file":
            return await self._sync(os.path.getsize, path)
        return int(await self._retrying("size of", uri, lambda: self._call(uri, "size", uri)))

    async def rm(self, uri: str, recursive: bool = False) -> None:
        protocol, path = split_protocol(uri)
        if protocol == "file":
            await self._sync(shutil.rmtree if recursive else os.unlink, path)
            return
        await self._retrying("delete of", uri, lambda: self._call(uri, "rm", uri, recursive))

    # --- files -----------------------------------------------------------------------------------
    def _track(self, delta: int) -> None:
        self.in_flight += delta
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight

    def reset_stats(self) -> None:
        self.max_in_flight = self.in_flight

    async def put_file(self, local_path: str, uri: str) -> str:
        """Upload one local file to ``uri`` (streamed, multipart on S3). Returns ``uri``."""
        if not os.path.isfile(local_path):  # noqa: ASYNC240  # one stat of a local path: microseconds, less than a thread hop
            raise FlyteDataNotFoundError(f"upload of {local_path} failed: it is not a file")
        protocol, path = split_protocol(uri)
        self._track(1)
        try:
            if protocol == "file":
                await self._sync(_copy_local_atomic, local_path, path)
            else:
                fs = self._fs_for(uri)
                if fs.async_impl and protocol in ("s3", "s3a"):
                    # Multipart parts of 8 MiB, four in flight: bounded memory (~70 MB) at the store's full speed.
                    up = lambda: fs._put_file(local_path, uri, chunksize=UPLOAD_PART, max_concurrency=4)  # noqa: E731
                else:
                    up = lambda: self._call(uri, "put_file", local_path, uri)  # noqa: E731
                await self._retrying("upload to", uri, up)
        finally:
            self._track(-1)
        return uri

    async def get_file(self, uri: str, local_path: str) -> str:
        """Download ``uri`` to ``local_path`` under a temporary name, renamed when complete."""
        protocol, path = split_protocol(uri)
        self._track(1)
        try:
            if protocol == "file":
                try:
                    await self._sync(_copy_local_atomic, path, local_path)
                except FileNotFoundError as e:
                    raise FlyteDataNotFoundError(f"download of {uri} failed: it does not exist") from e
                return local_path

            async def fetch() -> None:
                tmp = _tmp_beside(local_path)
                try:
                    fs = self._fs_for(uri)
                    if fs.async_impl and hasattr(fs, "open_async"):
                        await _stream_to_file(fs, uri, tmp)  # one streamed GET, bounded memory
                    else:
                        await self._call(uri, "get_file", uri, tmp)
                    os.replace(tmp, local_path)
                except BaseException:
                    _unlink(tmp)
                    raise

            await self._retrying("download of", uri, fetch)
        finally:
            self._track(-1)
        return local_path

    # --- directories -----------------------------------------------------------------------------
    async def list_files(self, uri: str) -> list[str]:
        """Paths of every file under ``uri``, relative to it, recursively, sorted."""
        protocol, path = split_protocol(uri)
        if protocol == "file":
            return await self._sync(_walk_local, path)
        root = uri.rstrip("/")
        found = await self._retrying("listing of", uri, lambda: self._call(uri, "find", root))
        strip = split_protocol(root)[1].rstrip("/") + "/"
        out = []
        for p in found:
            p = split_protocol(p)[1] if "://" in p else p
            out.append(p[len(strip) :] if p.startswith(strip) else p)
        return sorted(out)

    async def ls(self, uri: str, detail: bool = False) -> list[Any]:
        """Direct children of ``uri`` (names, or fsspec info dicts with ``detail``)."""
        protocol, path = split_protocol(uri)
        if protocol == "file":

            def _ls() -> list[Any]:
                names = sorted(os.listdir(path))
                if not detail:
                    return [os.path.join(path, n) for n in names]
                return [
                    {
                        "name": os.path.join(path, n),
                        "type": "directory" if os.path.isdir(os.path.join(path, n)) else "file",
                        "size": os.path.getsize(os.path.join(path, n)),
                    }
                    for n in names
                ]

            return await self._sync(_ls)
        return await self._retrying("listing of", uri, lambda: self._call(uri, "ls", uri, detail))

    async def _bounded(self, jobs: Sequence[Callable[[], Awaitable[Any]]], concurrency: int | None) -> None:
        """Run ``jobs`` with at most ``concurrency`` in flight (workers pull the next job)."""
        limit = max(1, concurrency or self.data_config.max_concurrency)
        it = iter(jobs)

        async def worker() -> None:
            for job in it:
                await job()

        workers = [asyncio.ensure_future(worker()) for _ in range(min(limit, len(jobs)))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise

    async def put_directory(self, local_dir: str, uri: str, concurrency: int | None = None) -> str:
        """Upload every file under ``local_dir`` to ``uri``, at most ``concurrency`` at once."""
        if not os.path.isdir(local_dir):  # noqa: ASYNC240  # one stat of a local path: microseconds, less than a thread hop
            raise FlyteDataNotFoundError(f"upload of directory {local_dir} failed: it is not a directory")
        rels = await self._sync(_walk_local, local_dir)
        base = uri.rstrip("/")
        if split_protocol(uri)[0] == "file":  # disk to disk: one worker thread copies the tree
            dest = split_protocol(uri)[1]
            self._track(1)
            try:
                await self._sync(_copy_tree, local_dir, dest, rels)
            finally:
                self._track(-1)
            return uri
        jobs = [functools.partial(self.put_file, os.path.join(local_dir, r), f"{base}/{r}") for r in rels]
        if not jobs and split_protocol(uri)[0] == "file":
            os.makedirs(split_protocol(uri)[1], exist_ok=True)
        await self._bounded(jobs, concurrency)
        return uri

    async def get_directory(self, uri: str, local_dir: str, concurrency: int | None = None) -> str:
        """Download everything under ``uri`` into ``local_dir``, refusing names that would escape it."""
        rels = await self.list_files(uri)
        targets = [(r, safe_join(local_dir, r)) for r in rels]  # check every name before writing anything
        os.makedirs(local_dir, exist_ok=True)
        if split_protocol(uri)[0] == "file":
            src = split_protocol(uri)[1]
            self._track(1)
            try:
                await self._sync(_copy_tree, src, local_dir, rels)
            finally:
                self._track(-1)
            return local_dir
        base = uri.rstrip("/")
        jobs = [functools.partial(self.get_file, f"{base}/{r}", t) for r, t in targets]
        await self._bounded(jobs, concurrency)
        return local_dir

    # --- streams ---------------------------------------------------------------------------------
    async def open_read(self, uri: str, block_size: int | None = None) -> AsyncReader:
        """A streaming reader of ``uri`` (``await r.read(n)``, ``async for chunk in r``); close it after."""
        return await self._retrying("open of", uri, lambda: open_reader(self, uri, block_size))

    def open_write(self, uri: str) -> AsyncWriter:
        """A streaming writer to ``uri``: data lands in a local temp file, published whole on ``close``."""
        return AsyncWriter(self, uri)

    def open(self, uri: str, mode: str = "rb", block_size: int | None = None) -> Any:
        """``async with provider.open(uri, "rb" | "wb") as f``: a streaming file (bounded memory)."""
        from aioflyte.io.streams import open_async

        return open_async(self, uri, mode, block_size)


async def _close_filesystems(per_loop: dict[str, Any]) -> None:
    for fs in list(per_loop.values()):
        client = getattr(fs, "_s3", None)  # s3fs: an aiobotocore client
        try:
            if client is not None:
                await client.__aexit__(None, None, None)
            elif getattr(fs, "_session", None) is not None:  # http
                await fs._session.close()
        except Exception:  # closing is best effort
            pass
    per_loop.clear()


def _close_at_loop_shutdown(loop: asyncio.AbstractEventLoop, per_loop: dict[str, Any]) -> None:
    """Close a loop's sessions when it shuts down: an async generator that ``shutdown_asyncgens`` finalizes.

    ``asyncio.run``, ``aioflyte.run`` and test runners all call ``loop.shutdown_asyncgens()`` before closing
    the loop, which runs the generator's ``finally`` while the loop can still await.
    """

    async def closer() -> Any:
        try:
            yield
        finally:
            await _close_filesystems(per_loop)

    gen = closer()
    _KEEP[loop] = gen
    loop.create_task(gen.__anext__())


_KEEP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
_DEFAULT: FileAccessProvider | None = None
#: A provider installed for a block (``FlyteContextManager.with_context(ctx.with_file_access(fa))``): per asyncio
#: task and thread, it replaces the process-wide one for the code in the block and the tasks it starts.
P = TypeVar("P")
_views: weakref.WeakKeyDictionary[Any, dict[type, Any]] = weakref.WeakKeyDictionary()


def same_state_as(provider: Any, cls: type[P]) -> P:
    """``provider`` seen as a ``cls``: an object of that class sharing the provider's state (its settings, prefix,
    sandbox and filesystems). aioflyte's data plane uses the async ``FileAccessProvider``; flytekit's flavour
    (``aioflyte.core.data_persistence``) gives some names other meanings (``exists`` is sync there), so each side
    sees a provider installed by the other through a view of its own class."""
    if isinstance(provider, cls) and type(provider).exists is cls.exists:  # type: ignore[attr-defined]
        return provider
    views = _views.setdefault(provider, {})
    view = views.get(cls)
    if view is None:
        view = views[cls] = object.__new__(cls)
        view.__dict__ = provider.__dict__  # the same dict: one state, two sets of methods
    return view


FILE_ACCESS: ContextVar[FileAccessProvider | None] = ContextVar("aioflyte_file_access", default=None)


def default_provider() -> FileAccessProvider:
    """The provider installed for this context, else the process-wide one (its prefix follows the current run,
    its settings the environment)."""
    installed = FILE_ACCESS.get()
    if installed is not None:
        return same_state_as(installed, FileAccessProvider)
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = FileAccessProvider()
    return _DEFAULT
