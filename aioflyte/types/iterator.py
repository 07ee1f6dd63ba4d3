"""``Iterator[T]`` inputs and outputs (flytekit's ``flytekit.types.iterator``): a literal collection of ``T``.

A task may return any iterable (a generator, say) for ``Iterator[T]``: it is consumed in a worker thread (its code
is the user's) and each item converted as a ``T``. A task receiving ``Iterator[T]`` gets a ``FlyteIterator``:
``len()`` and iteration from the start on each ``iter()``. Its items were converted when the task received it;
items of file, directory and dataset types are themselves lazy (nothing is downloaded until used), so converting
them up front moves no data. A ``FlyteIterator`` built directly from a literal converts each item when reached.
"""

from __future__ import annotations

import collections.abc
import typing
from typing import Any, Generic, TypeVar

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.io.bridge import call
from aioflyte.types.containers import bounded_map
from aioflyte.types.engine import TypeEngine, TypeTransformer

T = TypeVar("T")


def _item_type(t: Any) -> Any:
    args = typing.get_args(t)
    return args[0] if args else Any


class FlyteIterator(Generic[T]):
    """The items of a literal collection as ``T`` values: ``len(it)``, and ``for x in it`` (from the start each
    time ``iter()`` is called, as in flytekit)."""

    def __init__(
        self,
        ctx: Any,
        lv: _lit.Literal,
        expected_python_type: Any,
        length: int,
        *,
        values: list[T] | None = None,
    ) -> None:
        self._ctx = ctx
        self._lv = lv
        self._expected_python_type = expected_python_type
        self._length = length
        self._values = values
        self._index = 0

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> FlyteIterator[T]:
        self._index = 0
        return self

    def __next__(self) -> T:
        if self._index >= self._length:
            raise StopIteration
        i = self._index
        self._index += 1
        if self._values is not None:
            return self._values[i]
        item, t = self._lv.collection.literals[i], _item_type(self._expected_python_type)
        value: T = call(
            lambda: TypeEngine.async_to_python_value(self._ctx, item, t),
            f"item {i} of {self!r}",
            "a FlyteIterator a task received (its items are converted already)",
        )
        return value

    def __repr__(self) -> str:
        return f"FlyteIterator[{_item_type(self._expected_python_type)}](length={self._length})"


def _consume(values: Any) -> list[Any]:
    return list(values)


class IteratorTransformer(TypeTransformer[collections.abc.Iterator]):
    """``Iterator[T]`` <-> a literal collection of ``T``."""

    def __init__(self) -> None:
        super().__init__("Typed Iterator", collections.abc.Iterator)

    def assert_type(self, t: Any, v: Any) -> None:
        if isinstance(v, (str, bytes)) or not isinstance(v, collections.abc.Iterable):
            raise TypeTransformerFailedError(f"expected an iterable for {t}, got {type(v).__name__}")

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        try:
            return _types.LiteralType(collection_type=TypeEngine.to_literal_type(_item_type(t)))
        except Exception as e:
            raise TypeTransformerFailedError(f"Iterator of {_item_type(t)} is not supported: {e}") from e

    async def to_literal(
        self, ctx: Any, python_val: Any, python_type: Any, expected: _types.LiteralType
    ) -> _lit.Literal:
        from aioflyte.types.structured.storage import in_thread

        self.assert_type(python_type, python_val)
        items = python_val if isinstance(python_val, (list, tuple)) else await in_thread(_consume, python_val)
        t = _item_type(python_type)
        literals = await bounded_map(lambda x: TypeEngine.async_to_literal(ctx, x, t, expected.collection_type), items)
        return _lit.Literal(collection=_lit.LiteralCollection(literals=literals))

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> FlyteIterator[Any]:
        if lv.WhichOneof("value") != "collection":
            raise TypeTransformerFailedError(f"expected a collection literal for {expected_python_type}")
        t = _item_type(expected_python_type)
        literals = list(lv.collection.literals)
        values = await bounded_map(lambda item: TypeEngine.async_to_python_value(ctx, item, t), literals)
        return FlyteIterator(ctx, lv, expected_python_type, len(literals), values=values)


ITERATOR = IteratorTransformer()

__all__ = ["FlyteIterator", "IteratorTransformer"]
