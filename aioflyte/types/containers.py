"""Typed containers: ``list[T]`` (literal collections) and ``dict[str, T]`` (literal maps)."""

from __future__ import annotations

import asyncio
import typing
from typing import Any

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types.engine import LocalConverter, TypeEngine, TypeTransformer, mismatch, strip_annotated

# Above this many elements, element conversions run concurrently (they may do blob I/O), at most
# ``DataConfig.max_concurrency`` at a time.
_GATHER_THRESHOLD = 8
T = typing.TypeVar("T")
R = typing.TypeVar("R")


def _elem_type(t: Any, default: Any = Any) -> Any:
    args = typing.get_args(t)
    return args[0] if args else default


def transfer_limit() -> int:
    """How many element conversions (each may move a file) run at once: the data config's max_concurrency."""
    from aioflyte.io import default_provider

    return max(1, default_provider().data_config.max_concurrency)


async def bounded_map(
    fn: typing.Callable[[T], typing.Awaitable[R]], items: typing.Sequence[T], limit: int | None = None
) -> list[R]:
    """``[await fn(x) for x in items]`` with up to ``limit`` calls in flight; results in order.

    Workers pull the next item, so only ``limit`` coroutines exist at a time; on failure the others are
    cancelled and the first error is raised.
    """
    n = len(items)
    if n < _GATHER_THRESHOLD:
        return [await fn(x) for x in items]
    results: list[Any] = [None] * n
    it = iter(range(n))

    async def worker() -> None:
        for i in it:
            results[i] = await fn(items[i])

    workers = [asyncio.ensure_future(worker()) for _ in range(min(limit or transfer_limit(), n))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    return results


class ListTransformer(TypeTransformer[list]):
    def __init__(self) -> None:
        super().__init__("Typed List", list)

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        args = typing.get_args(t)
        if not args:
            raise TypeTransformerFailedError("a list needs an element type: use list[T], e.g. list[int]")
        return _types.LiteralType(collection_type=TypeEngine.to_literal_type(args[0]))

    def assert_type(self, t: Any, v: Any) -> None:
        if not isinstance(v, list):
            raise mismatch(strip_annotated(t), v)

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        if not isinstance(python_val, list):
            raise mismatch(python_type, python_val)
        et = _elem_type(python_type)
        sub = expected.collection_type if expected is not None and expected.HasField("collection_type") else None
        lits = await bounded_map(lambda x: TypeEngine.async_to_literal(ctx, x, et, sub), python_val)
        return _lit.Literal(collection=_lit.LiteralCollection(literals=lits))

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> list:
        if lv.WhichOneof("value") != "collection":
            raise TypeTransformerFailedError(f"expected a collection literal, got {lv.WhichOneof('value')}")
        et = _elem_type(expected_python_type)
        return await bounded_map(lambda x: TypeEngine.async_to_python_value(ctx, x, et), lv.collection.literals)

    def local_converter(self, t: Any) -> LocalConverter | None:
        conv = TypeEngine.local_converter(_elem_type(t))
        if conv is None:
            return None

        def convert(v: Any) -> list:
            if not isinstance(v, list):
                raise mismatch(t, v)
            return [conv(x) for x in v]

        return convert

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if literal_type.HasField("collection_type"):
            return list[TypeEngine.guess_python_type(literal_type.collection_type)]  # type: ignore[misc]
        raise ValueError("not a collection type")


class DictTransformer(TypeTransformer[dict]):
    """``dict[str, T]`` as a literal map; a bare ``dict`` (or non-str keys) is handled as generic JSON."""

    def __init__(self) -> None:
        super().__init__("Typed Dict", dict)

    @staticmethod
    def _typed(t: Any) -> tuple[Any, Any] | None:
        args = typing.get_args(t)
        if len(args) == 2 and args[0] is str:
            return args[0], args[1]
        return None

    def _generic(self) -> TypeTransformer[Any]:
        from aioflyte.types.generic import GENERIC_DICT

        return GENERIC_DICT

    def get_literal_type(self, t: Any) -> _types.LiteralType:
        kv = self._typed(t)
        if kv is None:
            return self._generic().get_literal_type(t)
        return _types.LiteralType(map_value_type=TypeEngine.to_literal_type(kv[1]))

    def assert_type(self, t: Any, v: Any) -> None:
        if not isinstance(v, dict):
            raise mismatch(strip_annotated(t), v)

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> _lit.Literal:
        kv = self._typed(python_type)
        if kv is None or (expected is not None and expected.WhichOneof("type") == "simple"):
            return await self._generic().async_to_literal(ctx, python_val, python_type, expected)
        if not isinstance(python_val, dict):
            raise mismatch(python_type, python_val)
        for k in python_val:
            if not isinstance(k, str):
                raise TypeTransformerFailedError(
                    f"expected {python_type} with str keys, got a key of type {type(k).__name__} ({k!r})"
                )
        sub = expected.map_value_type if expected is not None and expected.HasField("map_value_type") else None
        keys = list(python_val)
        lits = await bounded_map(lambda k: TypeEngine.async_to_literal(ctx, python_val[k], kv[1], sub), keys)
        out = _lit.Literal(map=_lit.LiteralMap())
        for k, lit in zip(keys, lits):
            out.map.literals[k].CopyFrom(lit)
        return out

    async def to_python_value(self, ctx: Any, lv: _lit.Literal, expected_python_type: Any) -> dict:
        kv = self._typed(expected_python_type)
        if kv is None or lv.WhichOneof("value") == "scalar":
            return await self._generic().async_to_python_value(ctx, lv, expected_python_type)
        if lv.WhichOneof("value") != "map":
            raise TypeTransformerFailedError(f"expected a map literal, got {lv.WhichOneof('value')}")
        keys = list(lv.map.literals)
        vals = await bounded_map(lambda k: TypeEngine.async_to_python_value(ctx, lv.map.literals[k], kv[1]), keys)
        return dict(zip(keys, vals))

    def local_converter(self, t: Any) -> LocalConverter | None:
        kv = self._typed(t)
        if kv is None:
            return self._generic().local_converter(t)
        conv = TypeEngine.local_converter(kv[1])
        if conv is None:
            return None

        def convert(v: Any) -> dict:
            if not isinstance(v, dict):
                raise mismatch(t, v)
            out = {}
            for k, x in v.items():
                if not isinstance(k, str):
                    raise TypeTransformerFailedError(
                        f"expected {t} with str keys, got a key of type {type(k).__name__} ({k!r})"
                    )
                out[k] = conv(x)
            return out

        return convert

    def guess_python_type(self, literal_type: _types.LiteralType) -> Any:
        if literal_type.HasField("map_value_type"):
            return dict[str, TypeEngine.guess_python_type(literal_type.map_value_type)]  # type: ignore[misc]
        raise ValueError("not a map type")


LIST = ListTransformer()
DICT = DictTransformer()
