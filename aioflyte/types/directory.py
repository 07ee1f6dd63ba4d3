"""FlyteDirectory: a directory that moves between tasks through the object store, and ``BatchSize``.

As an output a local directory is uploaded under the raw output prefix (a directory already in a store passes
through); as an input it is a lazy handle, downloaded on first local use. Many files move concurrently with a
bound: ``Annotated[FlyteDirectory, BatchSize(n)]`` keeps at most ``n`` in flight, else the data config's
``max_concurrency``. Downloads land in a temporary directory renamed into place when complete, and names that
would escape the target (``..``, absolute paths) are refused before anything is written.
"""

from __future__ import annotations

import json
import os
import shutil
import typing
import uuid
from typing import Any, AsyncIterator, Callable, ClassVar, Iterator

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import FlyteDataNotFoundError
from aioflyte.io.provider import default_provider, is_remote, split_protocol
from aioflyte.types import _blob_sync
from aioflyte.types.engine import TypeTransformer, value_repr
from aioflyte.types.file import (
    MULTIPART,
    FlyteFile,
    _Lazy,
    blob_literal,
    blob_of,
    coerce,
    parametrize,
    path_schema,
    pending_source,
    remote_location,
    working_directory,
)


class BatchSize:
    """``Annotated[FlyteDirectory, BatchSize(n)]``: move the directory's files at most ``n`` at a time.

    flytekit's name and meaning: inputs are downloaded and outputs uploaded in batches of ``n`` files.
    """

    def __init__(self, val: int) -> None:
        if not isinstance(val, int) or isinstance(val, bool) or val < 1:
            raise ValueError(f"BatchSize needs a positive int, got {val!r}")
        self.val = val

    def __repr__(self) -> str:
        return f"BatchSize({self.val})"


def batch_size_of(t: Any) -> int | None:
    """The ``BatchSize`` of an ``Annotated`` type, if it has one."""
    if typing.get_origin(t) is typing.Annotated:
        for a in typing.get_args(t)[1:]:
            if isinstance(a, BatchSize):
                return a.val
    return None


def _strip(t: Any) -> Any:
    return typing.get_args(t)[0] if typing.get_origin(t) is typing.Annotated else t


_FILE_INFO = ("name", "type", "size")


class FlyteDirectory(_Lazy, os.PathLike):
    """A directory passed between tasks: local or in a store, uploaded as an output, lazily fetched as an input."""

    _format: ClassVar[str] = ""
    _dimensionality: ClassVar[int] = MULTIPART

    def __init__(
        self,
        path: str | os.PathLike[str],
        downloader: Callable[..., Any] | None = None,
        remote_directory: str | os.PathLike[str] | bool | None = None,
    ) -> None:
        """``path``: a local directory or a store URI. ``remote_directory``: where to upload it as an output
        (``False``: keep the local path as is). ``downloader``: a callable run once before first local use."""
        self._init_location(path, downloader)
        if remote_directory is not None and not isinstance(remote_directory, bool):
            remote_directory = os.fspath(remote_directory)
        self._remote_directory: str | bool | None = remote_directory
        self._batch_size: int | None = None

    def __class_getitem__(cls, item: Any) -> type[FlyteDirectory]:
        return parametrize(cls, item)

    # --- constructors ------------------------------------------------------------------------------
    @classmethod
    def _from_store(cls, uri: str, batch_size: int | None = None) -> FlyteDirectory:
        d = cls.__new__(cls)
        d._init_location(uri, None)
        d._from_store_location(uri, "dir")
        d._remote_directory = None
        d._batch_size = batch_size
        return d

    @classmethod
    def from_source(cls, source: str | os.PathLike[str]) -> FlyteDirectory:
        """A lazy handle on an existing directory (a store URI or a local path), downloaded on first local use."""
        return cls._from_store(os.fspath(source))

    @classmethod
    def new(cls, dirname: str | os.PathLike[str]) -> FlyteDirectory:
        """A new, empty directory named ``dirname`` in the current task's working directory."""
        path = os.path.join(working_directory(), os.fspath(dirname))
        os.makedirs(path, exist_ok=True)
        return cls(path)

    @classmethod
    def new_remote(cls, stem: str | None = None, alt: str | None = None) -> FlyteDirectory:
        """A directory at a fresh location under the raw output prefix, to fill with ``new_file(...).open("wb")``.

        The location is ``<prefix>/<random>[/<stem>]``; ``alt`` names another bucket of the same store.
        """
        return cls(remote_location(stem, alt))

    def new_dir(self, name: str | None = None) -> FlyteDirectory:
        """A subdirectory (a random name if none is given); created at once when this directory is local."""
        path = self._join(name or uuid.uuid4().hex)
        if not is_remote(path):
            os.makedirs(path, exist_ok=True)
        return FlyteDirectory(path)

    def new_file(self, name: str | None = None) -> FlyteFile:
        """A file in this directory (a random name if none is given), to write with ``open("wb")``."""
        path = self._join(name or uuid.uuid4().hex)
        if not is_remote(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        return FlyteFile(path)

    def _join(self, name: str) -> str:
        return self._path.rstrip("/") + "/" + name if is_remote(self._path) else os.path.join(self._path, name)

    # --- properties --------------------------------------------------------------------------------
    @property
    def remote_directory(self) -> str | bool | None:
        """Where this directory is uploaded as an output, when the author chose the location."""
        return self._remote_directory

    @property
    def sep(self) -> str:
        return "/" if is_remote(self._path) else os.sep

    # --- local access --------------------------------------------------------------------------------
    _sandbox_default = "dir"
    _await_hint = "'await d.adownload()'"

    async def _fetch(self, remote: str, local: str) -> None:
        """Fetch every file, at most ``BatchSize`` at a time."""
        await _download_whole(remote, local, self._batch_size)

    def __fspath__(self) -> str:
        if not self._needs_download():
            return self._local()
        return _blob_sync.call(
            self.adownload, f"os.fspath({self!r}) (a lazy download)", "'path = await d.adownload()' first"
        )

    def _listing_root(self) -> tuple[str, bool]:
        """Where to list: the store (True) while the directory is not local yet, else the local directory."""
        if self._remote_source is not None and not self._downloaded:
            return self._remote_source, True
        return self._local(), False

    # --- listing -------------------------------------------------------------------------------------
    def crawl(self, maxdepth: int | None = None, topdown: bool = True, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        """Every file under the directory as ``(base, relative_path)``, without downloading anything.

        With ``detail=True``, one ``(base, {relative_path: info})`` per directory holding files (fsspec-style
        info dicts). ``maxdepth=1`` lists only the top level. In async code use ``acrawl``.
        """
        root, from_store = self._listing_root()
        detail = bool(kwargs.get("detail", False))
        if from_store:

            async def collect() -> list[tuple[str, Any]]:
                return [x async for x in self.acrawl(maxdepth, topdown, detail=detail)]

            yield from _blob_sync.call(collect, f"crawl of {self!r}", "'async for x in d.acrawl()'")
            return
        for rel_dir, files in _walk_local(root, maxdepth, topdown):
            yield from _crawl_items(root, rel_dir, files, detail)

    async def acrawl(
        self, maxdepth: int | None = None, topdown: bool = True, **kwargs: Any
    ) -> AsyncIterator[tuple[str, Any]]:
        """``crawl`` for async code: lists the store (or the local directory) one directory at a time."""
        root, from_store = self._listing_root()
        detail = bool(kwargs.get("detail", False))
        if not from_store:
            for rel_dir, files in _walk_local(root, maxdepth, topdown):
                for item in _crawl_items(root, rel_dir, files, detail):
                    yield item
            return
        async for rel_dir, files in _walk_store(root, "", 1, maxdepth, topdown):
            for item in _crawl_items(root, rel_dir, files, detail):
                yield item

    @staticmethod
    def listdir(directory: FlyteDirectory) -> list[FlyteFile | FlyteDirectory]:
        """The directory's direct entries as lazy FlyteFile / FlyteDirectory handles (nothing is downloaded)."""
        root, from_store = directory._listing_root()
        if from_store:
            return _blob_sync.call(
                lambda: FlyteDirectory.alistdir(directory),
                f"listdir of {directory!r}",
                "'await FlyteDirectory.alistdir(d)'",
            )
        entries = sorted(os.scandir(root), key=lambda e: e.name)
        return [FlyteDirectory(entry.path) if entry.is_dir() else FlyteFile(entry.path) for entry in entries]

    @staticmethod
    async def alistdir(directory: FlyteDirectory) -> list[FlyteFile | FlyteDirectory]:
        """``listdir`` for async code."""
        root, from_store = directory._listing_root()
        if not from_store:
            return FlyteDirectory.listdir(directory)
        out: list[FlyteFile | FlyteDirectory] = []
        for name, info in await _ls_store(root):
            child = root.rstrip("/") + "/" + name
            is_dir = info.get("type") == "directory"
            out.append(FlyteDirectory.from_source(child) if is_dir else FlyteFile.from_source(child))
        return out

    # --- dict / JSON forms -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """flytekit's dict form ``{"path": ...}`` (the store URI for a lazy input)."""
        return {"path": self._remote_source or self._path}

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, dialect: Any = None) -> FlyteDirectory:
        if not isinstance(d, dict) or not isinstance(d.get("path"), str):
            raise ValueError(f"a FlyteDirectory dict needs a 'path' string, got {value_repr(d)}")
        return cls(d["path"])

    def to_json(self, encoder: Callable[[Any], str] = json.dumps, **to_dict_kwargs: Any) -> str:
        return encoder(self.to_dict(**to_dict_kwargs))

    @classmethod
    def from_json(
        cls, data: str | bytes | bytearray, decoder: Callable[[Any], Any] = json.loads, **from_dict_kwargs: Any
    ) -> FlyteDirectory:
        return cls.from_dict(decoder(data), **from_dict_kwargs)

    # --- output --------------------------------------------------------------------------------------
    async def _publish(self, batch_size: int | None = None) -> str:
        """The URI this directory is stored at as an output: uploaded if local, passed through if not."""
        if self._remote_source is not None:
            return self._remote_source
        if self._downloader is not None and not self._downloaded:  # its content is made by the downloader
            await self.adownload()
        if self._remote_directory is False:
            return self._path
        local = self._local()
        provider = default_provider()
        rd = self._remote_directory
        if not os.path.isdir(local):  # noqa: ASYNC240  # one stat of a local path: microseconds, less than a thread hop
            source = pending_source(local)
            if source is None:
                raise FlyteDataNotFoundError(f"FlyteDirectory {local!r} cannot be uploaded: there is no such directory")
            if not isinstance(rd, str):
                return source  # an input's path, never read: its stored data is the output, as it is
            await self._fetch(source, local)  # a copy is asked for at remote_directory: fetch it to upload it
        dest = rd if isinstance(rd, str) else provider.random_remote_path()
        await provider.put_directory(local, dest, concurrency=batch_size or self._batch_size)
        return dest

    # --- records (a FlyteDirectory field of a dataclass) -----------------------------------------------
    @classmethod
    def _record_schema(cls) -> dict[str, Any]:
        return {
            "type": "object",
            "title": "FlyteDirectory",
            "additionalProperties": False,
            "properties": {"path": path_schema()},
        }

    @classmethod
    def _record_encode(cls, v: Any, published: str | None) -> dict[str, Any] | None:
        if v is None:  # ``f: FlyteDirectory = None`` fields: flytekit stores None, so None round-trips
            return None
        if not isinstance(v, FlyteDirectory):
            raise TypeError(f"expected FlyteDirectory, got {type(v).__name__} ({value_repr(v)})")
        return {"path": published or v._remote_source or v._path}

    @classmethod
    def _record_decode(cls, data: Any) -> FlyteDirectory | None:
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("path"), str):
            raise TypeError(f"expected a FlyteDirectory record {{'path': ...}}, got {value_repr(data)}")
        return cls._from_store(data["path"])

    async def _record_publish(self) -> str:
        return await self._publish()


# ------------------------------------------------------------------------------------------------ helpers


async def _download_whole(uri: str, target: str, batch_size: int | None) -> None:
    """Download a directory into a temporary sibling of ``target``, renamed into place only when complete."""
    # The metadata calls around the download (mkdir, stat, rename) are a few syscalls once per directory.
    parent = os.path.dirname(os.path.abspath(target))  # noqa: ASYNC240
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(target)}.{uuid.uuid4().hex[:8]}.part")
    try:
        try:
            await default_provider().get_directory(uri, tmp, concurrency=batch_size)
        except FileNotFoundError as e:  # an entry vanished between listing and copy
            if isinstance(e, FlyteDataNotFoundError):
                raise
            missing = e.filename or str(e)
            raise FlyteDataNotFoundError(f"download of directory {uri} failed: {missing} does not exist") from e
        os.makedirs(tmp, exist_ok=True)  # an empty directory has no files to create it
        if os.path.isdir(target) and not os.listdir(target):  # noqa: ASYNC240
            os.rmdir(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _crawl_items(root: str, rel_dir: str, files: list[tuple[str, dict[str, Any]]], detail: bool) -> Iterator[Any]:
    if detail:
        if files:
            yield root, {_rel(rel_dir, name): info for name, info in files}
        return
    for name, _ in files:
        yield root, _rel(rel_dir, name)


def _rel(rel_dir: str, name: str) -> str:
    return f"{rel_dir}/{name}" if rel_dir else name


def _walk_local(
    root: str, maxdepth: int | None, topdown: bool, rel_dir: str = "", depth: int = 1
) -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """``(relative_dir, [(file_name, info)])`` per directory, sorted by name, to ``maxdepth`` levels."""
    here = os.path.join(root, rel_dir) if rel_dir else root
    try:
        entries = sorted(os.scandir(here), key=lambda e: e.name)
    except FileNotFoundError as e:
        raise FlyteDataNotFoundError(f"listing of {here} failed: it does not exist") from e
    files = [(e.name, {"name": e.path, "type": "file", "size": e.stat().st_size}) for e in entries if not e.is_dir()]
    subdirs = [e.name for e in entries if e.is_dir()] if maxdepth is None or depth < maxdepth else []
    if topdown:
        yield rel_dir, files
    for name in subdirs:
        yield from _walk_local(root, maxdepth, topdown, _rel(rel_dir, name), depth + 1)
    if not topdown:
        yield rel_dir, files


async def _ls_store(uri: str) -> list[tuple[str, dict[str, Any]]]:
    """The direct children of a store directory as ``(name, info)``, sorted by name."""
    provider = default_provider()
    protocol, _ = split_protocol(uri)
    out = []
    for info in await provider.ls(uri, detail=True):
        name = str(info.get("name", "")).rstrip("/").rsplit("/", 1)[-1]
        if name in ("", ".", ".."):
            continue
        info = dict(info)
        if protocol != "file" and "://" not in str(info.get("name", "")):
            info["name"] = f"{protocol}://{str(info['name']).rstrip('/')}"
        out.append((name, info))
    return sorted(out, key=lambda x: x[0])


async def _walk_store(
    root: str, rel_dir: str, depth: int, maxdepth: int | None, topdown: bool
) -> AsyncIterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    here = root.rstrip("/") + "/" + rel_dir if rel_dir else root
    entries = await _ls_store(here)
    files = [(n, i) for n, i in entries if i.get("type") != "directory"]
    subdirs = [n for n, i in entries if i.get("type") == "directory"] if maxdepth is None or depth < maxdepth else []
    if topdown:
        yield rel_dir, files
    for name in subdirs:
        async for item in _walk_store(root, _rel(rel_dir, name), depth + 1, maxdepth, topdown):
            yield item
    if not topdown:
        yield rel_dir, files


# ------------------------------------------------------------------------------------------------ transformer


def _format_for(t: Any) -> str:
    t = _strip(t)
    return t._format if isinstance(t, type) and issubclass(t, _Lazy) else ""


class FlyteDirToMultipartBlobTransformer(TypeTransformer[FlyteDirectory]):
    """``FlyteDirectory`` / ``FlyteDirectory[fmt]`` as a ``MULTIPART`` blob literal (flytekit's form and tag).

    It reads ``Annotated[..., BatchSize(n)]`` from the declared type (``accepts_annotated``).
    """

    accepts_annotated = True

    def __init__(self) -> None:
        super().__init__("FlyteDirectory", FlyteDirectory)

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        return _types.LiteralType(blob=_types.BlobType(format=_format_for(t), dimensionality=MULTIPART))

    def assert_type(self, t: Any, v: Any) -> None:
        coerce(_strip(t), v, FlyteDirectory)

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        d = coerce(_strip(python_type), python_val, FlyteDirectory)
        uri = await d._publish(batch_size_of(python_type))
        return blob_literal(uri, _format_for(python_type), MULTIPART)

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> FlyteDirectory:
        t = _strip(expected_python_type)
        blob = blob_of(lv, MULTIPART, t)
        cls = t if isinstance(t, type) and issubclass(t, FlyteDirectory) else FlyteDirectory
        return cls._from_store(blob.uri, batch_size_of(expected_python_type))

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if literal_type.WhichOneof("type") == "blob" and literal_type.blob.dimensionality == MULTIPART:
            fmt = literal_type.blob.format
            return parametrize(FlyteDirectory, fmt)  # FlyteDirectory[format], or FlyteDirectory when none
        raise ValueError(f"{literal_type} is not a directory (MULTIPART blob) type")


DIRECTORY = FlyteDirToMultipartBlobTransformer()


# flytekit's named directory formats (``flytekit.types.directory``)
tensorboard = typing.TypeVar("tensorboard")
tfrecords_dir = typing.TypeVar("tfrecords_dir")
TensorboardLogs = parametrize(FlyteDirectory, tensorboard)
TFRecordsDirectory = parametrize(FlyteDirectory, tfrecords_dir)
