"""``StructuredDataset``: a dataframe, or a pointer to stored tabular data, that tasks pass to each other.

Reading is lazy: ``sd.open(pd.DataFrame)`` picks the dataframe type, ``.all()`` reads it whole and ``.iter()``
streams it. Both are awaitable in async code; in a sync task body (a worker thread) ``.all()`` returns the
dataframe directly and ``.iter()`` is a plain iterator, as in flytekit.
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import Any, AsyncIterator, Callable, Generic, Iterator, TypeVar

from flyteidl.core import literals_pb2 as _lit

from aioflyte.runscope import run_loop
from aioflyte.types.structured.schema import GENERIC_FORMAT, StructuredDatasetMetadata, StructuredDatasetType

DF = TypeVar("DF")
T = TypeVar("T")


def _in_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _work_loop() -> asyncio.AbstractEventLoop | None:
    """The loop sync code on this thread hands its I/O to: its caller's (a sync transformer's), or the run's."""
    from aioflyte.io.bridge import CALLER_LOOP

    return CALLER_LOOP.get() or run_loop()


def bridge(coro: Any) -> Any:
    """The coroutine itself on a loop's thread (await it); else its result, computed on the run's loop from a
    sync task body, or on a fresh loop when there is no run at all."""
    if _in_loop_thread():
        return coro
    loop = _work_loop()
    if loop is not None:
        return asyncio.run_coroutine_threadsafe(coro, loop).result()
    return asyncio.run(coro)


class DatasetStream(Generic[DF]):
    """``async for df in sd.open(T).iter()``; in sync code (a sync task body) ``for df in ...`` works too."""

    def __init__(self, factory: Callable[[], AsyncIterator[DF]]) -> None:
        self._factory = factory

    def __aiter__(self) -> AsyncIterator[DF]:
        return self._factory()

    def __iter__(self) -> Iterator[DF]:
        if _in_loop_thread():
            raise RuntimeError("this is the event loop's thread: use 'async for df in sd.open(T).iter()'")
        agen = self._factory()
        loop = _work_loop()
        if loop is not None:

            def step(coro: Any) -> Any:
                return asyncio.run_coroutine_threadsafe(coro, loop).result()

            yield from _drive(agen, step)
            return
        own = asyncio.new_event_loop()  # no run: a private loop on this thread, closed when iteration ends
        try:
            yield from _drive(agen, own.run_until_complete)
        finally:
            own.run_until_complete(own.shutdown_asyncgens())
            own.close()


def _drive(agen: Any, step: Callable[[Any], Any]) -> Iterator[Any]:
    try:
        while True:
            try:
                item = step(agen.__anext__())
            except StopAsyncIteration:
                return
            yield item
    finally:
        step(agen.aclose())


class _ColumnsAccessor:
    """``columns()`` / ``column_names()``: the declared columns of a dataset (``{}`` on the class, as flytekit)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self._fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __get__(self, obj: Any, cls: Any = None) -> Callable[[], Any]:
        return functools.partial(self._fn, obj)


class StructuredDataset:
    """A dataframe to store (``StructuredDataset(dataframe=df)``) or stored tabular data (``uri=``) to read.

    ``file_format`` picks the storage format (default: the dataframe type's default, parquet for the built-in
    types); ``uri`` also names where a given dataframe is written (else a fresh place under the raw prefix).
    """

    def __init__(
        self,
        dataframe: Any | None = None,
        uri: str | os.PathLike[str] | None = None,
        metadata: StructuredDatasetMetadata | None = None,
        file_format: str = GENERIC_FORMAT,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise TypeError(f"StructuredDataset() got unexpected keyword arguments {sorted(kwargs)}")
        if isinstance(uri, os.PathLike):
            uri = os.fspath(uri)  # a local path given as a pathlib.Path
        if uri is not None and not isinstance(uri, str):
            raise TypeError(f"StructuredDataset(uri=...) expected a str or a path, got {type(uri).__name__}")
        self._dataframe = dataframe
        self.uri: str | None = uri
        self.file_format = file_format or GENERIC_FORMAT
        self._metadata = metadata
        self._literal_sd: _lit.StructuredDataset | None = None
        self._already_uploaded = False
        self._dataframe_type: type | None = None

    # --- properties -------------------------------------------------------------------------------
    @property
    def dataframe(self) -> Any | None:
        return self._dataframe

    @property
    def metadata(self) -> StructuredDatasetMetadata | None:
        return self._metadata

    @property
    def literal(self) -> _lit.StructuredDataset | None:
        """The stored form (uri + metadata), once written or when received as an input."""
        return self._literal_sd

    def _declared(self) -> StructuredDatasetType | None:
        if self._metadata is not None and self._metadata.HasField("structured_dataset_type"):
            return self._metadata.structured_dataset_type
        return None

    @_ColumnsAccessor
    def columns(self: StructuredDataset | None) -> dict[str, Any]:
        """Declared columns, name -> Python type (from the reading task's annotation, else the data's)."""
        sdt = self._declared() if isinstance(self, StructuredDataset) else None
        if sdt is None:
            return {}
        from aioflyte.types.engine import TypeEngine

        return {c.name: TypeEngine.guess_python_type(c.literal_type) for c in sdt.columns}

    @_ColumnsAccessor
    def column_names(self: StructuredDataset | None) -> list[str]:
        sdt = self._declared() if isinstance(self, StructuredDataset) else None
        return [c.name for c in sdt.columns] if sdt is not None else []

    # --- reading ----------------------------------------------------------------------------------
    def open(self, dataframe_type: type[DF]) -> StructuredDataset:
        """Choose the dataframe type ``all()`` and ``iter()`` return (``pd.DataFrame``, ``pa.Table``, ...)."""
        self._dataframe_type = dataframe_type
        return self

    def _need_type(self) -> type:
        if self._dataframe_type is None:
            raise ValueError("no dataframe type chosen: call sd.open(pd.DataFrame) (or another type) first")
        return self._dataframe_type

    async def _stored(self) -> tuple[_lit.StructuredDataset, StructuredDatasetMetadata]:
        """The stored form to read from, writing the in-memory dataframe first if there is no stored form yet."""
        from aioflyte.types.structured.engine import flyte_dataset_transformer as engine

        if self._literal_sd is None:
            if self._dataframe is not None:
                await engine.async_to_literal(None, self, type(self), None)
            elif self.uri:
                sdt = StructuredDatasetType()
                if self._declared() is not None:
                    sdt.CopyFrom(self._declared())
                sdt.format = sdt.format or self.file_format
                self._literal_sd = _lit.StructuredDataset(
                    uri=self.uri, metadata=StructuredDatasetMetadata(structured_dataset_type=sdt)
                )
            else:
                raise ValueError("this StructuredDataset has neither a dataframe nor a uri: there is nothing to read")
        assert self._literal_sd is not None
        return self._literal_sd, self._metadata or self._literal_sd.metadata

    async def _all(self, df_type: type) -> Any:
        if self._dataframe is not None and isinstance(self._dataframe, df_type) and self._declared() is None:
            return self._dataframe
        from aioflyte.types.structured.engine import flyte_dataset_transformer as engine

        stored, metadata = await self._stored()
        return await engine.open_as(None, stored, df_type, metadata)

    def all(self) -> Any:
        """The whole dataset as the chosen dataframe type (``await`` it in async code)."""
        return bridge(self._all(self._need_type()))

    async def _iter(self, df_type: type) -> AsyncIterator[Any]:
        from aioflyte.types.structured.engine import flyte_dataset_transformer as engine

        stored, metadata = await self._stored()
        async for df in engine.iter_as(None, stored, df_type, metadata):
            yield df

    def iter(self) -> DatasetStream[Any]:
        """The dataset in batches of the chosen type: ``async for`` (or ``for`` in a sync task body)."""
        df_type = self._need_type()
        return DatasetStream(lambda: self._iter(df_type))

    async def set_literal(self, ctx: Any, expected: Any) -> None:
        """Write the dataframe now (if not yet written), as a literal of type ``expected``."""
        from aioflyte.types.structured.engine import flyte_dataset_transformer as engine

        await engine.async_to_literal(ctx, self, type(self), expected)

    # --- records (a StructuredDataset field of a dataclass or a pydantic model) ----------------------------
    # flytekit's record form: {"uri": ..., "file_format": ...}; a dataframe is written first (``_record_publish``).
    @classmethod
    def _record_schema(cls) -> dict[str, Any]:
        def nullable_str(default: Any) -> dict[str, Any]:
            return {"anyOf": [{"type": "string"}, {"type": "null"}], "default": default}

        return {
            "type": "object",
            "title": "StructuredDataset",
            "additionalProperties": False,
            "properties": {"uri": nullable_str(None), "file_format": nullable_str(GENERIC_FORMAT)},
        }

    @classmethod
    def _record_encode(cls, v: Any, published: str | None) -> dict[str, Any] | None:
        if v is None:
            return None
        if not isinstance(v, StructuredDataset):
            raise TypeError(f"expected StructuredDataset, got {type(v).__name__}")
        stored = v._literal_sd
        uri = published or (stored.uri if stored is not None else None) or v.uri
        fmt = stored.metadata.structured_dataset_type.format if stored is not None else ""
        return {"uri": uri, "file_format": fmt or v.file_format}

    @classmethod
    def _record_decode(cls, data: Any) -> StructuredDataset | None:
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("uri"), (str, type(None))):
            raise TypeError(f"expected a StructuredDataset record {{'uri': ..., 'file_format': ...}}, got {data!r}")
        fmt = data.get("file_format") or GENERIC_FORMAT
        sd = cls(uri=data.get("uri"), file_format=fmt)
        if sd.uri:  # stored data: passed on as it is, never copied again
            sdt = StructuredDatasetType(format=fmt)
            sd._literal_sd = _lit.StructuredDataset(
                uri=sd.uri, metadata=StructuredDatasetMetadata(structured_dataset_type=sdt)
            )
        return sd

    async def _record_publish(self) -> str:
        """Store the dataframe (or copy local data) as a task output does; the URI it is stored at."""
        from aioflyte.types.structured.engine import flyte_dataset_transformer as engine

        lit = await engine.async_to_literal(None, self, type(self), None)
        if self._literal_sd is None:  # data the user stored: the output points at it (copied when it was local)
            self._literal_sd = lit.scalar.structured_dataset
        return lit.scalar.structured_dataset.uri

    # --- pydantic (a field of a model) -----------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from aioflyte.types._pydantic_records import core_schema

        return core_schema(cls, paths=False)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        from aioflyte.types._pydantic_records import json_schema

        return json_schema(cls)

    def __repr__(self) -> str:
        df = "" if self._dataframe is None else f", dataframe=<{type(self._dataframe).__name__}>"
        return f"{type(self).__name__}(uri={self.uri!r}, file_format={self.file_format!r}{df})"
