"""FlyteFile: a file that moves between tasks through the object store (flytekit's API, async underneath).

As a task output a local file is uploaded under the run's raw output prefix, and a file that already lives in a
store passes through untouched. As a task input it is a lazy handle: nothing is fetched until the body asks for
the bytes (``download()`` / ``await adownload()``, ``os.fspath``, ``open``), and ``open("rb")`` streams from the
store without downloading the whole file. Literals are flytekit's: a ``SINGLE`` blob with the file's format.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import json
import os
import typing
import uuid
import weakref
from typing import Any, Callable, ClassVar

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte import runscope
from aioflyte.exceptions import FlyteDataNotFoundError, TypeTransformerFailedError
from aioflyte.io.provider import default_provider, is_remote, split_protocol
from aioflyte.types import _blob_sync
from aioflyte.types.engine import TypeTransformer, mismatch, strip_annotated, type_name, value_repr

PICKLE_FORMAT = "PythonPickle"  # blobs of this format are pickles (aioflyte.types.pickle), never files
SINGLE = _types.BlobType.SINGLE
MULTIPART = _types.BlobType.MULTIPART

_FORMAT_CLASSES: dict[tuple[type, str], type] = {}


# ------------------------------------------------------------------------------------------------ shared helpers


class FileExt:
    """A file format for ``FlyteFile[...]`` that is not a valid TypeVar name: ``Annotated[str, FileExt("tar.gz")]``."""

    def __init__(self, ext: str) -> None:
        self._ext = ext

    def __str__(self) -> str:
        return self._ext

    def __repr__(self) -> str:
        return self._ext

    @staticmethod
    def check_and_convert_to_str(item: Any) -> str:
        """The format ``item`` names: ``str(item)``, or the ``FileExt`` of an ``Annotated[str, FileExt(...)]``."""
        if typing.get_origin(item) is not typing.Annotated:
            return str(item)
        args = typing.get_args(item)
        if args[0] is not str:
            raise ValueError("Underlying type of File Extension must be of type <str>")
        return str(args[1])


def format_of(item: Any) -> str:
    """The format named by ``FlyteFile[item]``: a string (``"csv"``), a TypeVar (``TypeVar("csv")``) or an
    ``Annotated[str, FileExt("tar.gz")]``."""
    if item is None:
        return ""
    if isinstance(item, str):
        return item.strip()
    if typing.get_origin(item) is typing.Annotated:
        return FileExt.check_and_convert_to_str(item).strip()
    if isinstance(item, typing.TypeVar):
        return item.__name__
    return str(item).strip().lstrip("~").lstrip(".")


def parametrize(cls: type, item: Any) -> type:
    """``cls[fmt]``: one subclass per (family, format), so ``FlyteFile["csv"] is FlyteFile["csv"]``."""
    base = family(cls)
    fmt = format_of(item)
    if not fmt:
        return base
    sub = _FORMAT_CLASSES.get((base, fmt))
    if sub is None:
        sub = type(
            base.__name__,
            (base,),
            {"_format": fmt, "__module__": base.__module__, "__qualname__": f"{base.__qualname__}[{fmt}]"},
        )
        _FORMAT_CLASSES[(base, fmt)] = sub
    return sub


def family(cls: type) -> type:
    """The unparametrized class of a (possibly ``[format]``) blob class."""
    for c in cls.__mro__:
        if c.__dict__.get("_format") == "":
            return c
    return cls


def local_name(uri: str, default: str = "file") -> str:
    """The last path segment of a URI, safe to use as one local file name."""
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    if name in ("", ".", "..") or "\\" in name or (os.sep != "/" and os.sep in name):
        return default
    return name


def sandbox_path(uri: str, default: str = "file") -> str:
    """A fresh local path (not yet created) for a download of ``uri``: ``<sandbox>/<hex>/<name>``."""
    return os.path.join(default_provider().local_sandbox_dir, uuid.uuid4().hex, local_name(uri, default))


def remote_location(name: str | None = None, alt: str | None = None) -> str:
    """A fresh location under the raw output prefix (``<prefix>/<hex>[/<name>]``); ``alt`` swaps the bucket."""
    uri = default_provider().random_remote_path(name)
    if alt:
        protocol, rest = split_protocol(uri)
        if protocol != "file":
            uri = f"{protocol}://{alt}/{rest.partition('/')[2]}"
    return uri


def working_directory() -> str:
    """The current task's working directory (the run's, or a per-process scratch directory, outside tasks)."""
    return runscope.working_directory()


def blob_of(lv: _lit.Literal, dimensionality: int, what: Any) -> _lit.Blob:
    """The blob of a literal, checked to be a single file or a directory as ``what`` expects."""
    if lv.WhichOneof("value") != "scalar" or lv.scalar.WhichOneof("value") != "blob":
        kind = lv.scalar.WhichOneof("value") if lv.WhichOneof("value") == "scalar" else lv.WhichOneof("value")
        raise TypeTransformerFailedError(f"expected a blob literal for {type_name(what)}, got {kind}")
    blob = lv.scalar.blob
    if blob.metadata.type.dimensionality != dimensionality:
        got = "a directory (MULTIPART)" if dimensionality == SINGLE else "a single file (SINGLE)"
        raise TypeTransformerFailedError(f"expected {type_name(what)}, got a blob literal of {got}: {blob.uri}")
    return blob


def blob_literal(
    uri: str, fmt: str, dimensionality: _types.BlobType.BlobDimensionality, metadata: dict[str, str] | None = None
) -> _lit.Literal:
    blob = _lit.Blob(metadata=_lit.BlobMetadata(type=_types.BlobType(format=fmt, dimensionality=dimensionality)))
    blob.uri = uri
    lit = _lit.Literal(scalar=_lit.Scalar(blob=blob))
    if metadata:
        lit.metadata.update(metadata)
    return lit


def path_schema() -> dict[str, Any]:
    """The record schema of a ``path`` field, as mashumaro writes it for flytekit's blob classes."""
    return {"anyOf": [{"type": "string"}, {"type": "string", "format": "path"}], "default": None}


# Lazy handles by the local path they will be downloaded to. A task may return an input's ``path`` (a string), or
# ``FlyteFile(f.path)``, without reading it: nothing is at that path then, and the output is the stored data
# itself. Handles still referenced are found by weak reference, the most recent ones also after they are gone.
_PENDING: weakref.WeakValueDictionary[str, _Lazy] = weakref.WeakValueDictionary()
_RECENT: collections.OrderedDict[str, str] = collections.OrderedDict()
_RECENT_MAX = 4096


def _note_pending(obj: _Lazy) -> None:
    assert obj._remote_source is not None
    _PENDING[obj._path] = obj
    _RECENT[obj._path] = obj._remote_source
    while len(_RECENT) > _RECENT_MAX:
        _RECENT.popitem(last=False)


def pending_source(path: str) -> str | None:
    """The store URI of the data a lazy input handle would download to ``path`` (None: no handle made that path)."""
    obj = _PENDING.get(path)
    if obj is not None and obj._remote_source is not None:
        return obj._remote_source
    return _RECENT.get(path)


class _Lazy:
    """State shared by FlyteFile and FlyteDirectory: where the data lives, and whether it is local yet."""

    _format: ClassVar[str] = ""
    _path: str
    _remote_source: str | None
    _local_path: str | None
    _downloaded: bool
    _downloader: Callable[..., Any] | None
    _lock: tuple[Any, asyncio.Lock] | None

    def _init_location(self, path: Any, downloader: Callable[..., Any] | None) -> None:
        if isinstance(path, _Lazy):
            path = path._remote_source or path._path
        self._path = os.fspath(path)
        if self._path.startswith(("file://", "local://")):  # a local file given as a URI: its plain path
            self._path = split_protocol(self._path)[1]
        self._downloader = downloader
        self._remote_source = self._path if is_remote(self._path) else None
        self._local_path = None if self._remote_source else self._path
        self._downloaded = False
        self._lock = None

    def _from_store_location(self, uri: str, default_name: str) -> None:
        """Make this a lazy handle on ``uri``: ``path`` is where it will be downloaded, on first use."""
        self._path = sandbox_path(uri, default_name)
        self._remote_source = uri
        self._local_path = self._path
        _note_pending(self)

    def _sandbox_gone(self) -> bool:
        """Whether this handle's download location was chosen in a sandbox that no longer exists.

        A handle made inside a run (a task's input, a run's returned value) is to be downloaded into that run's
        scratch space, which is removed when the run ends; used after that, it downloads into the current
        sandbox instead of re-creating the removed one.
        """
        if self._downloaded or self._remote_source is None or self._local_path != self._path:
            return False
        sandbox = os.path.dirname(os.path.dirname(self._path))  # <sandbox>/<hex>/<name>
        return not os.path.isdir(sandbox)

    @classmethod
    def extension(cls) -> str:
        return cls._format

    @property
    def path(self) -> str:
        if self._sandbox_gone():
            assert self._remote_source is not None
            self._path = self._local_path = sandbox_path(self._remote_source, self._sandbox_default)
            _note_pending(self)  # its new download location passes the stored data on too (see _PENDING)
        return self._path

    @property
    def remote_source(self) -> str | None:
        """Where the data comes from when it was not made locally (the store URI of a task input)."""
        return self._remote_source

    @property
    def downloaded(self) -> bool:
        return self._downloaded

    def _needs_download(self) -> bool:
        return not self._downloaded and (self._downloader is not None or self._remote_source is not None)

    def _local(self) -> str:
        return self._local_path if self._downloaded and self._local_path else self._path

    def _lock_for_loop(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]

    async def _run_downloader(self) -> None:
        if inspect.iscoroutinefunction(self._downloader):
            await self._downloader()
            return
        import anyio.to_thread

        result = await anyio.to_thread.run_sync(self._downloader)  # type: ignore[arg-type]
        if inspect.isawaitable(result):
            await result

    _sandbox_default: ClassVar[str] = "file"  # the local name when the store URI gives none
    _await_hint: ClassVar[str] = "'await x.adownload()'"

    async def _fetch(self, remote: str, local: str) -> None:
        """Copy the data at ``remote`` to ``local`` (a file or a whole directory)."""
        raise NotImplementedError

    def download(self) -> str:
        """Fetch the data (once) and return its local path. For sync code; async code awaits ``adownload()``."""
        if not self._needs_download():
            return self._local()
        return _blob_sync.call(self.adownload, f"download of {self!r}", self._await_hint)

    async def adownload(self) -> str:
        """Fetch the data (once; concurrent callers share the download) and return its local path."""
        if not self._needs_download():
            return self._local()
        async with self._lock_for_loop():
            if not self._downloaded:
                if self._downloader is not None:
                    await self._run_downloader()
                    if self._local_path is None:
                        self._local_path = self._path
                else:
                    assert self._remote_source is not None
                    if self._local_path is None:
                        self._local_path = sandbox_path(self._remote_source, self._sandbox_default)
                    elif self._sandbox_gone():
                        self._path = self._local_path = sandbox_path(self._remote_source, self._sandbox_default)
                    await self._fetch(self._remote_source, self._local_path)
                self._downloaded = True
        return self._local()

    def __str__(self) -> str:
        return self._path

    def __repr__(self) -> str:
        extra = (
            f", remote_source={self._remote_source!r}"
            if self._remote_source and self._remote_source != self._path
            else ""
        )
        return f"{type(self).__qualname__}({self._path!r}{extra})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Lazy) or family(type(self)) is not family(type(other)):
            return NotImplemented
        return (
            self._path == other._path
            and self._remote_source == other._remote_source
            and self._format == other._format  # FlyteFile["csv"] and FlyteFile["json"] of one path differ
        )

    def __hash__(self) -> int:
        return hash((family(type(self)), self._path))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_lock"] = None
        return state

    def __reduce__(self) -> Any:
        return (_rebuild, (family(type(self)), self._format, self.__getstate__()))

    # --- pydantic (a field of a model) -----------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from aioflyte.types._pydantic_records import core_schema

        return core_schema(cls, paths=True)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        from aioflyte.types._pydantic_records import json_schema

        return json_schema(cls)


def _rebuild(base: type, fmt: str, state: dict[str, Any]) -> Any:
    cls = parametrize(base, fmt) if fmt else base
    obj: Any = object.__new__(cls)  # as pickle does: no __init__
    obj.__dict__.update(state)
    return obj


# ------------------------------------------------------------------------------------------------ FlyteFile


class FlyteFile(_Lazy, os.PathLike):
    """A file passed between tasks: local or in a store, uploaded as an output, lazily fetched as an input."""

    _format: ClassVar[str] = ""
    _dimensionality: ClassVar[int] = SINGLE

    def __init__(
        self,
        path: str | os.PathLike[str],
        downloader: Callable[..., Any] | None = None,
        remote_path: str | os.PathLike[str] | bool | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        """``path``: a local path or a store URI. ``remote_path``: where to upload it as an output (``False``:
        keep the local path as is). ``downloader``: a callable run once before first local use."""
        self._init_location(path, downloader)
        if remote_path is not None and not isinstance(remote_path, bool):
            remote_path = os.fspath(remote_path)
        self._remote_path: str | bool | None = remote_path
        self.metadata = metadata

    def __class_getitem__(cls, item: Any) -> type[FlyteFile]:
        return parametrize(cls, item)

    # --- constructors ------------------------------------------------------------------------------
    @classmethod
    def _from_store(cls, uri: str, metadata: dict[str, str] | None = None) -> FlyteFile:
        ff = cls.__new__(cls)
        ff._init_location(uri, None)
        ff._from_store_location(uri, "file")
        ff._remote_path = None
        ff.metadata = metadata
        return ff

    @classmethod
    def from_source(cls, source: str | os.PathLike[str]) -> FlyteFile:
        """A lazy handle on an existing file (a store URI or a local path), downloaded on first local use."""
        return cls._from_store(os.fspath(source))

    @classmethod
    def new(cls, filename: str | os.PathLike[str]) -> FlyteFile:
        """A file named ``filename`` in the current task's working directory (not created)."""
        return cls(os.path.join(working_directory(), os.fspath(filename)))

    @classmethod
    def new_remote_file(cls, name: str | None = None, alt: str | None = None) -> FlyteFile:
        """A file at a fresh location under the raw output prefix, to write with ``open("wb")``.

        The location is ``<prefix>/<random>/<name>``, so files of concurrent tasks never collide;
        ``alt`` names another bucket of the same store.
        """
        return cls(remote_location(name, alt))

    # --- properties --------------------------------------------------------------------------------
    @property
    def remote_path(self) -> str | bool | None:
        """Where this file is uploaded as an output, when the author chose the location."""
        return self._remote_path

    # --- local access --------------------------------------------------------------------------------
    _sandbox_default = "file"
    _await_hint = "'await ff.adownload()'"

    async def _fetch(self, remote: str, local: str) -> None:
        await default_provider().get_file(remote, local)

    def __fspath__(self) -> str:
        if not self._needs_download():
            return self._local()
        return _blob_sync.call(
            self.adownload,
            f"os.fspath({self!r}) (a lazy download)",
            "'path = await ff.adownload()' first, or stream it with 'async with ff.open(\"rb\")'",
        )

    def open(
        self, mode: str = "rb", cache_type: str | None = None, cache_options: dict[str, Any] | None = None
    ) -> _blob_sync.FileHandle:
        """A streaming handle: ``async with ff.open("rb") as f`` anywhere, ``with ff.open("rb") as f`` in sync code.

        Reads stream from the store when the file is not local yet (nothing is downloaded); writes go to the
        file's path (local or remote) and are published whole when the block ends without error. ``cache_type``
        is accepted for flytekit compatibility; ``cache_options={"block_size": n}`` sets the read-ahead size.
        """
        return _blob_sync.FileHandle(self, mode, cache_type, cache_options)

    def _read_location(self) -> str:
        if self._remote_source is not None and not self._downloaded:
            return self._remote_source
        return self._local()

    def _write_location(self) -> str:
        return self._path

    def _written(self) -> None:
        """After a write to ``path``: a local path now holds new content of its own, to upload as an output."""
        if not is_remote(self._path):
            self._remote_source = None
            self._local_path = self._path
            self._downloaded = False
            self._downloader = None

    # --- dict / JSON forms -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """flytekit's dict form ``{"path": ..., "metadata": ...}`` (the store URI for a lazy input)."""
        return {"path": self._remote_source or self._path, "metadata": self.metadata}

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, dialect: Any = None) -> FlyteFile:
        if not isinstance(d, dict) or not isinstance(d.get("path"), str):
            raise ValueError(f"a FlyteFile dict needs a 'path' string, got {value_repr(d)}")
        return cls(d["path"], metadata=d.get("metadata"))

    def to_json(self, encoder: Callable[[Any], str] = json.dumps, **to_dict_kwargs: Any) -> str:
        return encoder(self.to_dict(**to_dict_kwargs))

    @classmethod
    def from_json(
        cls, data: str | bytes | bytearray, decoder: Callable[[Any], Any] = json.loads, **from_dict_kwargs: Any
    ) -> FlyteFile:
        return cls.from_dict(decoder(data), **from_dict_kwargs)

    # --- output --------------------------------------------------------------------------------------
    async def _publish(self) -> str:
        """The URI this file is stored at as an output: uploaded if it is local, passed through if not."""
        if self._remote_source is not None:
            return self._remote_source
        if self._downloader is not None and not self._downloaded:  # its content is made by the downloader
            await self.adownload()
        if self._remote_path is False:
            return self._path
        local = self._local()
        provider = default_provider()
        if not os.path.isfile(local):  # noqa: ASYNC240  # one stat of a local path: microseconds, less than a thread hop
            source = pending_source(local)
            if source is None:
                raise FlyteDataNotFoundError(f"FlyteFile {local!r} cannot be uploaded: there is no such file")
            if not isinstance(self._remote_path, str):
                return source  # an input's path, never read: its stored data is the output, as it is
            await provider.get_file(source, local)  # a copy is asked for at remote_path: fetch it to upload it
        dest = (
            self._remote_path if isinstance(self._remote_path, str) else provider.random_remote_path(local_name(local))
        )
        await provider.put_file(local, dest)
        return dest

    # --- records (a FlyteFile field of a dataclass) ----------------------------------------------------
    @classmethod
    def _record_schema(cls) -> dict[str, Any]:
        metadata = {
            "anyOf": [
                {"type": "object", "propertyNames": {"type": "string"}, "additionalProperties": {"type": "string"}},
                {"type": "null"},
            ],
            "default": None,
        }
        return {
            "type": "object",
            "title": "FlyteFile",
            "additionalProperties": False,
            "properties": {"path": path_schema(), "metadata": metadata},
        }

    @classmethod
    def _record_encode(cls, v: Any, published: str | None) -> dict[str, Any] | None:
        if v is None:  # ``f: FlyteFile = None`` fields: flytekit stores None, so None round-trips
            return None
        if not isinstance(v, FlyteFile):
            raise TypeError(f"expected {type_name(cls)}, got {type(v).__name__} ({value_repr(v)})")
        out: dict[str, Any] = {"path": published or v._remote_source or v._path}
        if v.metadata:
            out["metadata"] = dict(v.metadata)
        return out

    @classmethod
    def _record_decode(cls, data: Any) -> FlyteFile | None:
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("path"), str):
            raise TypeError(f"expected a FlyteFile record {{'path': ...}}, got {value_repr(data)}")
        return cls._from_store(data["path"], data.get("metadata"))

    async def _record_publish(self) -> str:
        return await self._publish()


# ------------------------------------------------------------------------------------------------ transformer


def _format_for(t: Any) -> str:
    return t._format if isinstance(t, type) and issubclass(t, _Lazy) else ""


def coerce(t: Any, v: Any, cls: type) -> Any:
    """A FlyteFile/FlyteDirectory from the value a task returned (an instance, a path string or os.PathLike)."""
    if isinstance(v, cls):
        return v
    if isinstance(v, _Lazy):  # a directory where a file is expected, or the other way round
        raise mismatch(t, v)
    if isinstance(v, (str, os.PathLike)):
        return cls(os.fspath(v))
    raise mismatch(t, v)


class FlyteFilePathTransformer(TypeTransformer[FlyteFile]):
    """``FlyteFile`` / ``FlyteFile[fmt]`` as a ``SINGLE`` blob literal (flytekit's form and tag)."""

    def __init__(self) -> None:
        super().__init__("FlyteFilePath", FlyteFile)

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        return _types.LiteralType(blob=_types.BlobType(format=_format_for(t), dimensionality=SINGLE))

    def assert_type(self, t: Any, v: Any) -> None:
        coerce(strip_annotated(t), v, FlyteFile)

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        ff = coerce(python_type, python_val, FlyteFile)
        uri = await ff._publish()
        return blob_literal(uri, _format_for(python_type), SINGLE, ff.metadata)

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> FlyteFile:
        blob = blob_of(lv, SINGLE, expected_python_type)
        t = expected_python_type
        cls = t if isinstance(t, type) and issubclass(t, FlyteFile) else FlyteFile
        return cls._from_store(blob.uri, dict(lv.metadata) or None)

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if literal_type.WhichOneof("type") == "blob":
            blob = literal_type.blob
            if blob.dimensionality == SINGLE and blob.format != PICKLE_FORMAT:
                return parametrize(FlyteFile, blob.format)  # FlyteFile[format], or FlyteFile when none
        raise ValueError(f"{literal_type} is not a single-file blob type")


FILE = FlyteFilePathTransformer()


# flytekit's named formats (``flytekit.types.file``): the format names, and FlyteFile of each
csv = typing.Annotated[str, FileExt("csv")]
hdf5 = typing.Annotated[str, FileExt("hdf5")]
html = typing.Annotated[str, FileExt("html")]
ipynb = typing.Annotated[str, FileExt("ipynb")]
joblib = typing.Annotated[str, FileExt("joblib")]
jpeg = typing.Annotated[str, FileExt("jpeg")]
jsonl_file = typing.Annotated[str, FileExt("jsonl")]
onnx = typing.Annotated[str, FileExt("onnx")]
pdf = typing.Annotated[str, FileExt("pdf")]
png = typing.Annotated[str, FileExt("png")]
python_pickle = typing.Annotated[str, FileExt("python_pickle")]
svg = typing.Annotated[str, FileExt("svg")]
tfrecords_file = typing.Annotated[str, FileExt("tfrecord")]
CSVFile = parametrize(FlyteFile, csv)
HDF5EncodedFile = parametrize(FlyteFile, hdf5)
HTMLPage = parametrize(FlyteFile, html)
PythonNotebook = parametrize(FlyteFile, ipynb)
JoblibSerializedFile = parametrize(FlyteFile, joblib)
JPEGImageFile = parametrize(FlyteFile, jpeg)
JSONLFile = parametrize(FlyteFile, jsonl_file)
ONNXFile = parametrize(FlyteFile, onnx)
PDFFile = parametrize(FlyteFile, pdf)
PNGImageFile = parametrize(FlyteFile, png)
PythonPickledFile = parametrize(FlyteFile, python_pickle)
SVGImageFile = parametrize(FlyteFile, svg)
TFRecordFile = parametrize(FlyteFile, tfrecords_file)
