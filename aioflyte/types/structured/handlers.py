"""Encoders and decoders: how one dataframe type is written to (and read from) one protocol in one format.

Subclasses implement ``async def encode`` / ``async def decode``. Handlers written for flytekit, with sync
``encode``/``decode``, work too: the engine runs them in a worker thread so they never block the loop.
"""

from __future__ import annotations

import abc
import collections.abc
import inspect
from typing import Any, AsyncIterator, Callable, Generic, Protocol, TypeVar, Union

from flyteidl.core import literals_pb2 as _lit

from aioflyte.exceptions import DuplicateHandlerError as DuplicateHandlerError
from aioflyte.types.structured.schema import GENERIC_FORMAT, StructuredDatasetMetadata, StructuredDatasetType

DF = TypeVar("DF")
_END = object()


class Renderable(Protocol):
    """Renders a value as HTML (for decks): ``register_renderer(pd.DataFrame, TopFrameRenderer())``."""

    def to_html(self, python_value: Any) -> str: ...


def _norm_protocol(protocol: str | None) -> str | None:
    return protocol.replace("://", "") if protocol else protocol


class StructuredDatasetEncoder(abc.ABC, Generic[DF]):
    """Writes a ``python_type`` dataframe to ``protocol`` (None: any fsspec protocol) as ``supported_format``."""

    def __init__(self, python_type: type[DF], protocol: str | None = None, supported_format: str | None = None) -> None:
        self._python_type = python_type
        self._protocol = _norm_protocol(protocol)
        self._supported_format = supported_format or GENERIC_FORMAT

    @property
    def python_type(self) -> type[DF]:
        return self._python_type

    @property
    def protocol(self) -> str | None:
        return self._protocol

    @property
    def supported_format(self) -> str:
        return self._supported_format

    @abc.abstractmethod
    async def encode(
        self, ctx: Any, structured_dataset: Any, structured_dataset_type: StructuredDatasetType
    ) -> _lit.StructuredDataset:
        """Store ``structured_dataset.dataframe`` (at ``structured_dataset.uri`` if set, else a fresh location under
        the raw output prefix) and return the literal pointing at it, with ``structured_dataset_type`` as metadata."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({getattr(self._python_type, '__qualname__', self._python_type)}, "
            f"protocol={self._protocol!r}, format={self._supported_format!r})"
        )


class StructuredDatasetDecoder(abc.ABC, Generic[DF]):
    """Reads data in ``supported_format`` from ``protocol`` (None: any fsspec protocol) as a ``python_type``."""

    def __init__(
        self,
        python_type: type[DF],
        protocol: str | None = None,
        supported_format: str | None = None,
        additional_protocols: list[str] | None = None,
    ) -> None:
        self._python_type = python_type
        self._protocol = _norm_protocol(protocol)
        self._supported_format = supported_format or GENERIC_FORMAT
        self._additional_protocols = [p.replace("://", "") for p in additional_protocols or []]

    @property
    def python_type(self) -> type[DF]:
        return self._python_type

    @property
    def protocol(self) -> str | None:
        return self._protocol

    @property
    def supported_format(self) -> str:
        return self._supported_format

    @property
    def additional_protocols(self) -> list[str]:
        return list(self._additional_protocols)

    @abc.abstractmethod
    async def decode(
        self, ctx: Any, flyte_value: _lit.StructuredDataset, current_task_metadata: StructuredDatasetMetadata
    ) -> Union[DF, AsyncIterator[DF]]:
        """The data at ``flyte_value.uri`` as one dataframe (or an iterator of them), holding only the columns
        ``current_task_metadata`` lists when it lists any (see the column-subsetting rules)."""

    async def iter_decode(
        self, ctx: Any, flyte_value: _lit.StructuredDataset, current_task_metadata: StructuredDatasetMetadata
    ) -> AsyncIterator[DF]:
        """The data as a stream of dataframes. By default, what ``decode`` returns, which must be an iterator."""
        result = await call_handler(self.decode, ctx, flyte_value, current_task_metadata)
        async for item in as_async_iterator(result, self):
            yield item

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({getattr(self._python_type, '__qualname__', self._python_type)}, "
            f"protocol={self._protocol!r}, format={self._supported_format!r})"
        )


Handlers = Union[StructuredDatasetEncoder, StructuredDatasetDecoder]


async def call_handler(fn: Callable[..., Any], *args: Any) -> Any:
    """Await an async handler method; run a sync one (flytekit style) in a worker thread."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    from aioflyte.types import _compat

    result = await _compat.in_worker(fn, *args)  # its own sync I/O runs on this loop meanwhile
    if inspect.isawaitable(result):
        return await result
    return result


def is_stream(x: Any) -> bool:
    return isinstance(x, (collections.abc.Iterator, collections.abc.AsyncIterator))


async def as_async_iterator(result: Any, handler: Any) -> AsyncIterator[Any]:
    """Items of an async or sync iterator (a sync one is advanced in a worker thread)."""
    if isinstance(result, collections.abc.AsyncIterator):
        async for item in result:
            yield item
        return
    if isinstance(result, collections.abc.Iterator):
        import anyio.to_thread

        try:
            while True:
                item = await anyio.to_thread.run_sync(next, result, _END)
                if item is _END:
                    return
                yield item
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return
    raise ValueError(
        f"decoder {handler} returned one whole {type(result).__name__}, not an iterator: use .all() instead of .iter()"
    )
