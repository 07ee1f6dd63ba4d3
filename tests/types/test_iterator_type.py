"""``Iterator[T]`` (aioflyte.types.iterator): a generator output becomes a collection, an input a FlyteIterator."""

from __future__ import annotations

import threading
import typing

import pytest

import aioflyte
from aioflyte import task, workflow
from aioflyte.exceptions import FlyteBlockingCallError, TypeTransformerFailedError
from aioflyte.types.engine import TypeEngine
from aioflyte.types.iterator import FlyteIterator

THREADS: list[str] = []


@task
def evens(n: int) -> typing.Iterator[int]:
    for i in range(n):
        THREADS.append(threading.current_thread().name)
        yield i * 2


@task
def total_twice(xs: typing.Iterator[int]) -> int:
    assert isinstance(xs, FlyteIterator) and len(xs) == 4
    return sum(xs) + sum(xs)  # each iter() starts from the first item, as in flytekit


@workflow
def wf(n: int) -> int:
    return total_twice(xs=evens(n=n))


def test_a_generator_feeds_an_iterator_input():
    THREADS.clear()
    assert aioflyte.run(wf, n=4) == 24
    assert THREADS and all(t != threading.main_thread().name for t in THREADS)  # consumed off the loop's thread


async def test_the_literal_is_a_collection_of_the_item_type():
    lt = TypeEngine.to_literal_type(typing.Iterator[int])
    assert lt.collection_type.simple == TypeEngine.to_literal_type(int).simple
    lv = await TypeEngine.to_literal(None, (x for x in [1, 2, 3]), typing.Iterator[int])
    assert [lit.scalar.primitive.integer for lit in lv.collection.literals] == [1, 2, 3]
    it = await TypeEngine.to_python_value(None, lv, typing.Iterator[int])
    assert isinstance(it, FlyteIterator) and list(it) == [1, 2, 3] and len(it) == 3
    with pytest.raises(TypeTransformerFailedError):
        await TypeEngine.to_literal(None, 5, typing.Iterator[int])

    direct = FlyteIterator(None, lv, typing.Iterator[int], 3)  # built from the literal: converts as it goes
    with pytest.raises(FlyteBlockingCallError):  # ...which waits for the store: not on the loop's thread
        next(iter(direct))


def test_a_flyte_iterator_built_from_a_literal_converts_each_item():
    import asyncio

    lv = asyncio.run(TypeEngine.async_to_literal(None, ["a", "b"], typing.Iterator[str]))
    it = FlyteIterator(None, lv, typing.Iterator[str], 2)
    assert list(it) == ["a", "b"] and list(it) == ["a", "b"]
