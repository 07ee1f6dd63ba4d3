"""``FlyteSchema``: flytekit's older (deprecated, still used) dataframe type, with its columns, readers and writers.

``FlyteSchema[kwtypes(a=int, b=str)]`` is a typed schema. A task may return a dataframe for it (converted by the
handler registered for the dataframe's type, pandas built in) or a ``FlyteSchema`` it wrote itself
(``s.open().write(df)``); a task receiving one reads it with ``s.open().all()`` (or ``.iter()``). The data is a
directory of parquet files ``00000``, ``00001``, ... under the raw output prefix, the layout StructuredDataset uses
for its parquet datasets; the literal is Flyte's ``Schema`` (so flytekit reads aioflyte's and the other way round).

A received schema is downloaded when first opened. ``open()`` is sync: in async code ``await s.adownload()``
first (a sync download on the event loop's thread is refused, as for ``FlyteFile``).
"""

from __future__ import annotations

import datetime
import enum
import os
import uuid
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.io.bridge import call
from aioflyte.io.provider import default_provider
from aioflyte.types.engine import TypeEngine, TypeTransformer, type_name

T = TypeVar("T")
_Column = _types.SchemaType.SchemaColumn


class SchemaFormat(enum.Enum):
    """How a schema's data is stored: parquet (the only format, as in flytekit)."""

    PARQUET = "parquet"


class SchemaOpenMode(enum.Enum):
    READ = "r"
    WRITE = "w"


def generate_ordered_files(directory: str | os.PathLike[str], n: int) -> Generator[str, None, None]:
    """The names of the parts of a schema: ``<directory>/00000``, ``00001``, ..."""
    for i in range(n):
        yield os.path.join(directory, f"{i:05}")


class SchemaReader(Generic[T]):
    """Reads a schema's data as dataframes of type ``T``: ``all()`` at once, or ``iter()`` part by part."""

    def __init__(self, from_path: str, cols: dict[str, type] | None, fmt: SchemaFormat) -> None:
        self._from_path = from_path
        self._fmt = fmt
        self._columns = cols

    @property
    def from_path(self) -> str:
        return self._from_path

    @property
    def column_names(self) -> list[str] | None:
        return list(self._columns.keys()) if self._columns else None

    @abstractmethod
    def iter(self, **kwargs: Any) -> Generator[T, None, None]: ...

    @abstractmethod
    def all(self, **kwargs: Any) -> T: ...


class SchemaWriter(Generic[T]):
    """Writes dataframes of type ``T`` as the parts of a schema, in order."""

    def __init__(self, to_path: str, cols: dict[str, type] | None, fmt: SchemaFormat) -> None:
        self._to_path = to_path
        self._fmt = fmt
        self._columns = cols
        self._file_name_gen = generate_ordered_files(to_path, 1024)  # at most 1024 parts, as in flytekit

    @property
    def to_path(self) -> str:
        return self._to_path

    @property
    def column_names(self) -> list[str] | None:
        return list(self._columns.keys()) if self._columns else None

    @abstractmethod
    def write(self, *dfs: T, **kwargs: Any) -> None: ...


def _parts(directory: str) -> list[str]:
    """The data files of a schema directory, in name order (hidden files and subdirectories left out)."""
    with os.scandir(directory) as it:
        names = sorted(e.name for e in it if not e.name.startswith(".") and e.is_file())
    return [os.path.join(directory, n) for n in names]


class LocalIOSchemaReader(SchemaReader[T]):
    """A reader of the local copy of a schema: subclasses read files (``_read(*paths)``)."""

    @abstractmethod
    def _read(self, *path: str, **kwargs: Any) -> T: ...

    def iter(self, **kwargs: Any) -> Generator[T, None, None]:
        for part in _parts(self._from_path):
            yield self._read(part, **kwargs)

    def all(self, **kwargs: Any) -> T:
        return self._read(*_parts(self._from_path), **kwargs)


class LocalIOSchemaWriter(SchemaWriter[T]):
    """A writer into a local directory (uploaded when the schema is returned): subclasses write one file."""

    @abstractmethod
    def _write(self, df: T, path: str, **kwargs: Any) -> None: ...

    def write(self, *dfs: T, **kwargs: Any) -> None:
        os.makedirs(self._to_path, exist_ok=True)
        for df in dfs:
            self._write(df, next(self._file_name_gen), **kwargs)


@dataclass
class SchemaHandler:
    """The reader and writer of one dataframe type (``handles_remote_io``: they read and write remote paths)."""

    name: str
    object_type: type
    reader: type[SchemaReader[Any]]
    writer: type[SchemaWriter[Any]]
    handles_remote_io: bool = False


class SchemaEngine:
    """The registry of schema handlers by dataframe type; pandas' is registered on first use."""

    _SCHEMA_HANDLERS: ClassVar[dict[type, SchemaHandler]] = {}

    @classmethod
    def register_handler(cls, h: SchemaHandler) -> None:
        if h.object_type in cls._SCHEMA_HANDLERS:
            raise ValueError(
                f"SchemaHandler {cls._SCHEMA_HANDLERS[h.object_type].name} already registered for "
                f"{h.object_type}, cannot replace with {h.name}"
            )
        cls._SCHEMA_HANDLERS[h.object_type] = h

    @classmethod
    def get_handler(cls, t: type) -> SchemaHandler:
        if t not in cls._SCHEMA_HANDLERS and (getattr(t, "__module__", None) or "").partition(".")[0] == "pandas":
            from aioflyte.types.schema import types_pandas  # noqa: F401  (registers the pandas handler)
        if t not in cls._SCHEMA_HANDLERS:
            raise ValueError(f"DataFrames of type {t} are not supported currently")
        return cls._SCHEMA_HANDLERS[t]


def _default_dataframe_type() -> type:
    import pandas as pd

    return pd.DataFrame


def _sandbox_path() -> str:
    """A fresh local path for a schema's data, in the sandbox (inside a run: its scratch folder)."""
    return os.path.join(default_provider().local_sandbox_dir, "schema-" + uuid.uuid4().hex)


class FlyteSchema:
    """A dataframe stored as a schema; ``FlyteSchema[kwtypes(a=int)]`` declares its columns.

    ``FlyteSchema()`` is an empty schema to write (``local_path`` a fresh local directory, ``remote_path`` a fresh
    location under the raw output prefix); a task input is a schema to read.
    """

    _TYPED: ClassVar[dict[Any, type[FlyteSchema]]] = {}

    @classmethod
    def columns(cls) -> dict[str, type]:
        return {}

    @classmethod
    def column_names(cls) -> list[str]:
        return list(cls.columns().keys())

    @classmethod
    def format(cls) -> SchemaFormat:
        return SchemaFormat.PARQUET

    def __class_getitem__(
        cls, columns: dict[str, type] | None, fmt: SchemaFormat = SchemaFormat.PARQUET
    ) -> type[FlyteSchema]:
        if columns is None:
            return FlyteSchema
        if not isinstance(columns, dict):
            raise AssertionError(
                f"Columns should be specified as an ordered dict of column names and their types, "
                f"received {type(columns)}"
            )
        if not columns and fmt == SchemaFormat.PARQUET:
            return FlyteSchema
        cols = OrderedDict(columns)
        try:
            key: Any = (tuple(cols.items()), fmt)
            typed = cls._TYPED.get(key)
        except TypeError:  # an unhashable column type: a class of its own
            key, typed = None, None
        if typed is None:
            typed = type(
                "FlyteSchema",
                (FlyteSchema,),
                {
                    "columns": classmethod(lambda _: OrderedDict(cols)),
                    "format": classmethod(lambda _: fmt),
                    "__module__": FlyteSchema.__module__,
                    "__qualname__": f"FlyteSchema[{', '.join(f'{k}: {type_name(v)}' for k, v in cols.items())}]",
                },
            )
            if key is not None:
                cls._TYPED[key] = typed
        return typed

    def __init__(
        self,
        local_path: str | None = None,
        remote_path: str | None = None,
        supported_mode: SchemaOpenMode = SchemaOpenMode.WRITE,
        downloader: Callable[[str, str], Any] | None = None,
    ) -> None:
        if supported_mode == SchemaOpenMode.READ and remote_path is None:
            raise ValueError("To create a FlyteSchema in read mode, remote_path is required")
        provider = default_provider()
        self._sandboxed = not local_path  # its local path is in the sandbox (a run's scratch folder, in a run)
        self._local_path = local_path or _sandbox_path()
        self.remote_path = remote_path or provider.random_remote_path()
        self._supported_mode = supported_mode
        self._downloaded = False  # read mode: the data is in local_path
        self._downloader = downloader

    @property
    def local_path(self) -> str:
        if self._sandboxed and not self._downloaded and not os.path.isdir(os.path.dirname(self._local_path)):
            # made in a run whose scratch folder has gone with it: the data goes to the current sandbox instead
            self._local_path = _sandbox_path()
        return self._local_path

    @property
    def supported_mode(self) -> SchemaOpenMode:
        return self._supported_mode

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(remote_path={self.remote_path!r}, mode={self._supported_mode.name})"

    async def adownload(self) -> str:
        """Download a received schema's data into ``local_path`` (once); returns ``local_path``."""
        if self._supported_mode == SchemaOpenMode.READ and not self._downloaded:
            local = self.local_path
            if self._downloader is not None:
                self._downloader(self.remote_path, local)
            else:
                await default_provider().get_directory(self.remote_path, local)
            self._downloaded = True
        return self._local_path

    def open(
        self, dataframe_fmt: type | None = None, override_mode: SchemaOpenMode | None = None
    ) -> SchemaReader[Any] | SchemaWriter[Any]:
        """A reader (a received schema) or a writer (a new one) of dataframes of type ``dataframe_fmt`` (pandas by
        default). A schema that was written may be reopened for reading; a received one cannot be written."""
        if override_mode == SchemaOpenMode.WRITE and self._supported_mode == SchemaOpenMode.READ:
            raise AssertionError("Readonly schema cannot be opened in write mode!")
        mode = override_mode or self._supported_mode
        h = SchemaEngine.get_handler(dataframe_fmt or _default_dataframe_type())
        if h.handles_remote_io:
            path = self.remote_path
        else:
            if self._supported_mode == SchemaOpenMode.READ and not self._downloaded:
                call(self.adownload, f"open({self!r})", "'await schema.adownload()' before open()")
            path = self._local_path
        if mode == SchemaOpenMode.WRITE:
            return h.writer(path, self.columns(), self.format())
        return h.reader(path, self.columns(), self.format())

    def as_readonly(self) -> FlyteSchema:
        """This schema, to read (what was written so far is read from ``local_path``)."""
        if self._supported_mode == SchemaOpenMode.READ:
            return self
        s = FlyteSchema.__class_getitem__(self.columns(), self.format())(
            local_path=self._local_path, remote_path=self.remote_path or "", supported_mode=SchemaOpenMode.READ
        )
        s._downloaded = True
        return s


_SCHEMA_COLUMN_TYPES: dict[Any, int] = {
    int: _Column.INTEGER,
    float: _Column.FLOAT,
    bool: _Column.BOOLEAN,
    str: _Column.STRING,
    datetime.datetime: _Column.DATETIME,
    datetime.timedelta: _Column.DURATION,
}
_NUMPY_COLUMN_TYPES = {
    "int32": _Column.INTEGER,
    "int64": _Column.INTEGER,
    "uint32": _Column.INTEGER,
    "uint64": _Column.INTEGER,
    "float32": _Column.FLOAT,
    "float64": _Column.FLOAT,
    "bool_": _Column.BOOLEAN,
    "datetime64": _Column.DATETIME,
    "timedelta64": _Column.DURATION,
    "bytes_": _Column.STRING,
    "str_": _Column.STRING,
    "object_": _Column.STRING,
}
_PYTHON_COLUMN_TYPES = {
    _Column.INTEGER: int,
    _Column.FLOAT: float,
    _Column.STRING: str,
    _Column.DATETIME: datetime.datetime,
    _Column.DURATION: datetime.timedelta,
    _Column.BOOLEAN: bool,
}


def _column_type(t: Any) -> int:
    found = _SCHEMA_COLUMN_TYPES.get(t)
    if found is None and isinstance(t, type) and t.__module__ == "numpy":
        found = _NUMPY_COLUMN_TYPES.get(t.__name__)
    if found is None:
        raise TypeTransformerFailedError(f"type {t} is currently not supported by FlyteSchema")
    return found


def _schema_class(t: Any) -> type[FlyteSchema]:
    return t if isinstance(t, type) and issubclass(t, FlyteSchema) else FlyteSchema


class FlyteSchemaTransformer(TypeTransformer[FlyteSchema]):
    """``FlyteSchema`` <-> Flyte's ``Schema`` literal (a URI and the typed columns)."""

    def __init__(self) -> None:
        super().__init__("FlyteSchema Transformer", FlyteSchema)

    def _schema_type(self, t: type[FlyteSchema]) -> _types.SchemaType:
        return _types.SchemaType(
            columns=[_Column(name=k, type=_column_type(v)) for k, v in _schema_class(t).columns().items()]  # type: ignore[arg-type]  # a SchemaColumnType value
        )

    def assert_type(self, t: Any, v: Any) -> None:
        if isinstance(v, FlyteSchema):
            return
        try:
            SchemaEngine.get_handler(type(v))
        except ValueError as e:
            raise TypeTransformerFailedError(f"No automatic conversion found from type {type(v)} to FlyteSchema") from e

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        return _types.LiteralType(schema=self._schema_type(t))

    async def to_literal(
        self, ctx: Any, python_val: Any, python_type: Any, expected: _types.LiteralType
    ) -> _lit.Literal:
        from aioflyte.types.structured.storage import in_thread

        t = _schema_class(python_type)
        provider = default_provider()
        if isinstance(python_val, FlyteSchema):
            uri = python_val.remote_path or provider.random_remote_path()
            if python_val.supported_mode == SchemaOpenMode.WRITE or python_val._downloaded:
                if not os.path.isdir(python_val.local_path):  # noqa: ASYNC240  # one stat of a local path
                    raise TypeTransformerFailedError(f"{python_val!r} was never written (open() it and write to it)")
                await provider.put_directory(python_val.local_path, uri)
            # else: a received schema returned as it is, never downloaded: its data is at remote_path already
        else:
            self.assert_type(t, python_val)
            uri = provider.random_remote_path()
            schema = t(remote_path=uri)
            writer = schema.open(type(python_val))
            assert isinstance(writer, SchemaWriter)  # a new schema opens for writing
            await in_thread(writer.write, python_val)
            if not SchemaEngine.get_handler(type(python_val)).handles_remote_io:
                await provider.put_directory(schema.local_path, uri)
        return _lit.Literal(scalar=_lit.Scalar(schema=_lit.Schema(uri=uri, type=self._schema_type(t))))

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> FlyteSchema:
        scalar = lv.scalar if lv.WhichOneof("value") == "scalar" else None
        kind = scalar.WhichOneof("value") if scalar is not None else None
        if kind == "schema":
            uri = scalar.schema.uri  # type: ignore[union-attr]  # kind says it is set
        elif kind == "structured_dataset":
            uri = scalar.structured_dataset.uri  # type: ignore[union-attr]  # kind says it is set
        else:
            raise TypeTransformerFailedError(f"Can only convert a literal schema to a FlyteSchema, got {kind}")
        return _schema_class(expected_python_type)(remote_path=uri, supported_mode=SchemaOpenMode.READ)

    def guess_python_type(self, literal_type: _types.LiteralType) -> type[FlyteSchema]:
        if literal_type.WhichOneof("type") != "schema":
            raise ValueError(f"Cannot reverse {literal_type}")
        columns: dict[str, type] = {}
        for column in literal_type.schema.columns:
            if column.type not in _PYTHON_COLUMN_TYPES:
                raise ValueError(f"Unknown schema column type {column}")
            columns[column.name] = _PYTHON_COLUMN_TYPES[column.type]
        return FlyteSchema.__class_getitem__(columns)


TypeEngine.register(FlyteSchemaTransformer())

__all__ = [
    "FlyteSchema",
    "FlyteSchemaTransformer",
    "LocalIOSchemaReader",
    "LocalIOSchemaWriter",
    "SchemaEngine",
    "SchemaFormat",
    "SchemaHandler",
    "SchemaOpenMode",
    "SchemaReader",
    "SchemaWriter",
    "generate_ordered_files",
]
