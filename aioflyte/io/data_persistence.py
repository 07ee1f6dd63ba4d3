"""flytekit 1.16's ``FileAccessProvider``: its constructor and method names over aioflyte's async data plane.

A subclass of ``aioflyte.io.FileAccessProvider`` (so every aioflyte method works on it too) with flytekit's
surface: ``put_data`` / ``get_data`` / ``put_raw_data`` and their ``async_`` coroutines, ``get`` (a coroutine, as
in flytekit), ``exists``, ``join``, the ``get_random_*`` locations, ``get_filesystem`` / ``get_filesystem_for_path``
(fsspec filesystems for sync use) and ``get_async_filesystem_for_path``.

Where flytekit's name means something else than aioflyte's, flytekit's meaning wins on this class: ``exists`` is
sync (the coroutine is ``async_exists``) and ``get_filesystem_for_path`` returns a filesystem for sync calls. The
sync forms run on the current run's loop from a sync task's thread, on a private loop in a plain script, and refuse
(``FlyteBlockingCallError``) on a thread that runs an event loop: use the ``async_`` form there.
"""

from __future__ import annotations

import io
import os
import pathlib
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, Union

from aioflyte.configuration.data import AzureBlobStorageConfig, DataConfig, S3Config
from aioflyte.exceptions import (
    FlyteAssertion,
    FlyteDataNotFoundError,
    FlyteDownloadDataException,
    FlyteUploadDataException,
)
from aioflyte.io import provider as _provider
from aioflyte.io.bridge import call

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

R = TypeVar("R")

#: What ``put_raw_data`` accepts: a local path (file or directory), bytes, or a readable buffer.
Uploadable = Union[str, os.PathLike, pathlib.Path, bytes, io.BufferedReader, io.BytesIO, io.StringIO]

_SEP = "/"  # every fsspec filesystem (the local one too) separates with "/"


def s3_setup_args(s3_cfg: S3Config, anonymous: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``s3fs.S3FileSystem`` from an ``S3Config`` (flytekit's helper)."""
    kwargs = s3_cfg.storage_options()
    if anonymous:
        kwargs["anon"] = True
    return kwargs


def azure_setup_args(azure_cfg: AzureBlobStorageConfig, anonymous: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``adlfs.AzureBlobFileSystem`` from an ``AzureBlobStorageConfig`` (flytekit's helper)."""
    kwargs = azure_cfg.storage_options()
    if anonymous:
        kwargs["anon"] = True
    return kwargs


def get_fsspec_storage_options(
    protocol: str, data_config: DataConfig | None = None, anonymous: bool = False, **kwargs: Any
) -> dict[str, Any]:
    """The fsspec options for ``protocol`` from ``data_config`` (read from the environment if None), plus ``kwargs``."""
    cfg = data_config or DataConfig.auto()
    if protocol in ("s3", "s3a"):
        opts = s3_setup_args(cfg.s3, anonymous)
    elif protocol in ("abfs", "abfss", "az"):
        opts = azure_setup_args(cfg.azure, anonymous)
    elif protocol in ("gs", "gcs"):
        opts = {**cfg.gcs.storage_options(), **({"token": "anon"} if anonymous else {})}
    else:
        opts = {}
    return {**opts, **kwargs}


def _make_parent(path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _local_kind(path: str) -> str:
    p = pathlib.Path(path)
    if p.is_symlink():
        return "symlink"
    if not p.exists():
        return "missing"
    return "dir" if p.is_dir() else "file"


class FileAccessProvider(_provider.FileAccessProvider):
    """flytekit's ``FileAccessProvider``: ``FileAccessProvider(local_sandbox_dir, raw_output_prefix, data_config)``.

    Unlike flytekit, both locations may be left out: the sandbox is then a fresh temporary directory, and the raw
    output prefix follows the current run (the process default outside one).
    """

    def __init__(
        self,
        local_sandbox_dir: str | os.PathLike[str] | None = None,
        raw_output_prefix: str | None = None,
        data_config: DataConfig | None = None,
        execution_metadata: dict[str, Any] | None = None,
    ) -> None:
        sandbox = None
        if local_sandbox_dir:  # flytekit keeps its files in a subdirectory of the given one
            sandbox = os.path.join(os.fspath(local_sandbox_dir), "local_flytekit")
            os.makedirs(sandbox, exist_ok=True)
        if raw_output_prefix and not raw_output_prefix.endswith(_SEP):
            raw_output_prefix += _SEP
        super().__init__(raw_output_prefix=raw_output_prefix, data_config=data_config, local_sandbox_dir=sandbox)
        self._execution_metadata = execution_metadata

    # --- sync forms ------------------------------------------------------------------------------
    @staticmethod
    def _blocking(fn: Callable[[], Awaitable[R]], what: str, instead: str) -> R:
        return call(fn, f"FileAccessProvider.{what}", f"'await file_access.{instead}'")

    # --- names and locations ----------------------------------------------------------------------
    @staticmethod
    def is_remote(path: str | os.PathLike[str]) -> bool:  # flytekit's: also a PathLike
        return _provider.is_remote(os.fspath(path))

    @staticmethod
    def get_random_string() -> str:
        return uuid.uuid4().hex

    @staticmethod
    def get_file_tail(file_path_or_file_name: str) -> str:
        return os.path.split(file_path_or_file_name)[1]

    @staticmethod
    def strip_file_header(path: str, trim_trailing_sep: bool = False) -> str:
        """``path`` without a leading ``file://``."""
        return path[len("file://") :] if path.startswith("file://") else path

    @staticmethod
    def recursive_paths(f: str, t: str) -> tuple[str, str]:
        """``(f, t)`` with a trailing separator, for copying the contents of ``f`` into ``t``."""
        if not _provider.is_remote(f) and not os.path.isdir(FileAccessProvider.strip_file_header(f)):
            return f, os.path.join(t, "")
        return os.path.join(f, ""), os.path.join(t, "")

    def sep(self, file_system: AbstractFileSystem | None) -> str:
        if file_system is None:
            return os.sep
        protocol = file_system.protocol
        if protocol == "file" or (isinstance(protocol, (tuple, list)) and "file" in protocol):
            return os.sep
        return str(file_system.sep)

    def join(self, *args: str, unstrip: bool = False, fs: AbstractFileSystem | None = None) -> str:
        """Join path parts with the filesystem's separator; ``unstrip`` puts the protocol back on (``file://``)."""
        if not args:
            raise ValueError("Must provide at least one argument")
        sep = str(fs.sep) if fs is not None else _SEP
        base = args[0][: -len(sep)] if args[0].endswith(sep) else args[0]
        joined = sep.join([base, *args[1:]])
        if unstrip:
            joined = (fs or self.get_filesystem_for_path(joined)).unstrip_protocol(joined)
        return joined

    def generate_new_custom_path(
        self, fs: AbstractFileSystem | None = None, alt: str | None = None, stem: str | None = None
    ) -> str:
        """A new path under the raw output prefix: ``stem`` (else a random name) in place of its last part, and
        ``alt`` in place of its bucket (``s3://<alt>/...``)."""
        sep = str(fs.sep) if fs is not None else _SEP
        parts = self.raw_output_prefix.split(sep)[:-1]
        if alt:
            parts[2] = alt
        parts.append(stem or self.get_random_string())
        return sep.join(parts)

    def get_random_local_path(self, file_path_or_file_name: str | None = None) -> str:
        """A new path in the sandbox (not created); keeps the leaf name of ``file_path_or_file_name`` if given."""
        tail = self.get_file_tail(file_path_or_file_name) if file_path_or_file_name else ""
        path = os.path.join(self.local_sandbox_dir, self.get_random_string())
        return os.path.join(path, tail) if tail else path

    def get_random_local_directory(self) -> str:
        """A new, empty directory in the sandbox."""
        path = self.get_random_local_path()
        os.makedirs(path, exist_ok=True)
        return path

    def get_random_remote_path(self, file_path_or_file_name: str | None = None) -> str:
        """A new location under the raw output prefix; keeps the leaf name of ``file_path_or_file_name`` if given."""
        if file_path_or_file_name:
            return self.join(
                self.raw_output_prefix, self.get_random_string(), self.get_file_tail(file_path_or_file_name)
            )
        return self.join(self.raw_output_prefix, self.get_random_string())

    def get_random_remote_directory(self) -> str:
        return self.join(self.raw_output_prefix, self.get_random_string())

    # --- filesystems -----------------------------------------------------------------------------
    def _fs_options(self, protocol: str, anonymous: bool, kwargs: dict[str, Any]) -> dict[str, Any]:
        opts = self._options(protocol)
        if anonymous and protocol in ("gs", "gcs"):
            opts["token"] = "anon"
        elif anonymous:
            opts["anon"] = True
        if protocol == "file":
            opts["auto_mkdir"] = True
        return {**opts, **kwargs}

    def get_filesystem(
        self, protocol: str | None = None, anonymous: bool = False, path: str | None = None, **kwargs: Any
    ) -> AbstractFileSystem:
        """An fsspec filesystem for ``protocol`` (the raw output prefix's if None), configured from ``data_config``,
        for sync calls (``fs.open``, ``fs.ls``). ``kwargs`` go to the filesystem's constructor."""
        import fsspec

        protocol = protocol or _provider.split_protocol(self.raw_output_prefix)[0]
        return fsspec.filesystem(protocol, **self._fs_options(protocol, anonymous, kwargs))

    def get_filesystem_for_path(self, path: str = "", anonymous: bool = False, **kwargs: Any) -> AbstractFileSystem:  # type: ignore[override]  # flytekit's meaning: a filesystem for sync calls
        return self.get_filesystem(_provider.split_protocol(path)[0], anonymous=anonymous, path=path, **kwargs)

    async def get_async_filesystem_for_path(
        self, path: str = "", anonymous: bool = False, **kwargs: Any
    ) -> AbstractFileSystem:
        """The filesystem for ``path`` for use on the running loop (the provider's own instance unless options are
        given); filesystems that have no async form are returned as they are."""
        protocol = _provider.split_protocol(path)[0]
        if not anonymous and not kwargs:
            return self.filesystem(protocol)
        import asyncio

        import fsspec

        opts = self._fs_options(protocol, anonymous, kwargs)
        if getattr(fsspec.get_filesystem_class(protocol), "async_impl", False):
            opts.update(asynchronous=True, loop=asyncio.get_running_loop(), skip_instance_cache=True)
        return fsspec.filesystem(protocol, **opts)

    @property
    def raw_output_fs(self) -> AbstractFileSystem:
        """A filesystem (for sync calls) of the raw output prefix."""
        return self.get_filesystem()

    @property
    def local_access(self) -> AbstractFileSystem:
        return self.get_filesystem("file")

    # --- existence -------------------------------------------------------------------------------
    async def async_exists(self, path: str) -> bool:
        return await super().exists(path)

    def exists(self, path: str) -> bool:  # type: ignore[override]  # flytekit's: sync
        return self._blocking(lambda: self.async_exists(path), f"exists({path!r})", f"async_exists({path!r})")

    # --- moving data -----------------------------------------------------------------------------
    async def get(self, from_path: str, to_path: str, recursive: bool = False, **kwargs: Any) -> str:
        """Copy ``from_path`` (a file, or with ``recursive`` everything under it) to the local ``to_path``."""
        if recursive:
            await self.get_directory(from_path, self.strip_file_header(to_path))
        else:
            await self.get_file(from_path, self.strip_file_header(to_path))
        return to_path

    async def async_get_data(self, remote_path: str, local_path: str, is_multipart: bool = False, **kwargs: Any) -> str:
        """Download ``remote_path`` (a directory with ``is_multipart``) to ``local_path``.

        A missing source is a ``FlyteDataNotFoundError``; any other failure a ``FlyteDownloadDataException``.
        """
        try:
            await self._sync(_make_parent, self.strip_file_header(local_path))
            return await self.get(remote_path, local_path, recursive=is_multipart, **kwargs)
        except (FlyteDataNotFoundError, FlyteDownloadDataException):
            raise
        except Exception as e:
            raise FlyteDownloadDataException(
                f"Failed to get data from {remote_path} to {local_path} (recursive={is_multipart}): "
                f"{type(e).__name__}: {e}"
            ) from e

    def get_data(self, remote_path: str, local_path: str, is_multipart: bool = False, **kwargs: Any) -> str:
        return self._blocking(
            lambda: self.async_get_data(remote_path, local_path, is_multipart, **kwargs),
            f"get_data({remote_path!r})",
            "async_get_data(...)",
        )

    async def async_put_data(
        self, local_path: str | os.PathLike[str], remote_path: str, is_multipart: bool = False, **kwargs: Any
    ) -> str:
        """Upload the file ``local_path`` (a directory's contents with ``is_multipart``) to ``remote_path``.

        Returns ``remote_path``; any failure is a ``FlyteUploadDataException`` (as in flytekit).
        """
        source = self.strip_file_header(os.fspath(local_path))
        try:
            if is_multipart:
                if not os.path.isdir(source):  # noqa: ASYNC240  # one stat, as in flytekit
                    raise FlyteAssertion(f"Source path {source} is not a directory")
                await self.put_directory(source, remote_path)
            else:
                await self.put_file(source, remote_path)
            return remote_path
        except FlyteUploadDataException:
            raise
        except Exception as e:
            raise FlyteUploadDataException(
                f"Failed to put data from {source} to {remote_path} (recursive={is_multipart}): {type(e).__name__}: {e}"
            ) from e

    def put_data(
        self, local_path: str | os.PathLike[str], remote_path: str, is_multipart: bool = False, **kwargs: Any
    ) -> str:
        return self._blocking(
            lambda: self.async_put_data(local_path, remote_path, is_multipart, **kwargs),
            f"put_data({remote_path!r})",
            "async_put_data(...)",
        )

    async def async_put_raw_data(
        self,
        lpath: Uploadable,
        upload_prefix: str | None = None,
        file_name: str | None = None,
        read_chunk_size_bytes: int = 1024,
        encoding: str = "utf-8",
        skip_raw_data_prefix: bool = False,
        **kwargs: Any,
    ) -> str:
        """Write ``lpath`` (a local file or directory, bytes, or a readable buffer) to
        ``<raw output prefix>/<upload_prefix>/<file_name>`` and return that location.

        ``upload_prefix`` defaults to a random name (``""`` for none); ``file_name`` to the leaf of a path, else a
        random name. With ``skip_raw_data_prefix`` the location is ``<upload_prefix>/<file_name>``.
        """
        prefix = self.get_random_string() if upload_prefix is None else upload_prefix
        to_path = prefix if skip_raw_data_prefix else self.join(self.raw_output_prefix, prefix)
        is_path = isinstance(lpath, (str, os.PathLike))
        tail = file_name or (self.get_file_tail(os.fspath(lpath)) if is_path else self.get_random_string())  # type: ignore[arg-type]  # a path here
        to_path = self.join(to_path, tail)
        if is_path:
            source = os.fspath(lpath)  # type: ignore[arg-type]  # a path here
            kind = await self._sync(_local_kind, source)
            if kind == "missing":
                raise FlyteAssertion(f"File {source} does not exist")
            if kind == "symlink":
                raise FlyteAssertion(f"File {source} is a symlink, can't upload")
            if kind == "dir":
                await self.put_directory(source, to_path)
            else:
                await self.put_file(source, to_path)
            return to_path
        if isinstance(lpath, bytes):
            await self.put_bytes(to_path, lpath)
            return to_path
        if isinstance(lpath, (io.BufferedReader, io.BytesIO, io.StringIO)):
            if not lpath.readable():
                raise FlyteAssertion("Buffered reader must be readable")
            lpath.seek(0)
            async with self.open(to_path, "wb") as out:
                while chunk := lpath.read(read_chunk_size_bytes):
                    await out.write(chunk.encode(encoding) if isinstance(chunk, str) else chunk)
            return to_path
        raise FlyteAssertion(f"Unsupported lpath type {type(lpath)}")

    def put_raw_data(
        self,
        lpath: Uploadable,
        upload_prefix: str | None = None,
        file_name: str | None = None,
        read_chunk_size_bytes: int = 1024,
        encoding: str = "utf-8",
        skip_raw_data_prefix: bool = False,
        **kwargs: Any,
    ) -> str:
        return self._blocking(
            lambda: self.async_put_raw_data(
                lpath, upload_prefix, file_name, read_chunk_size_bytes, encoding, skip_raw_data_prefix, **kwargs
            ),
            "put_raw_data(...)",
            "async_put_raw_data(...)",
        )

    def download(self, remote_path: str, local_path: str, **kwargs: Any) -> str:
        return self.get_data(remote_path, local_path, **kwargs)

    def download_directory(self, remote_path: str, local_path: str, **kwargs: Any) -> str:
        return self.get_data(remote_path, local_path, is_multipart=True)

    def upload(self, file_path: str, to_path: str, **kwargs: Any) -> str:
        return self.put_data(file_path, to_path, **kwargs)

    def upload_directory(self, local_path: str, remote_path: str, **kwargs: Any) -> str:
        return self.put_data(local_path, remote_path, is_multipart=True, **kwargs)


__all__ = [
    "FileAccessProvider",
    "Uploadable",
    "azure_setup_args",
    "get_fsspec_storage_options",
    "s3_setup_args",
]
