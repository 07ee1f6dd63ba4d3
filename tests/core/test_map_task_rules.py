"""flytekit's rules for map tasks: ``metadata=`` honoured per item, workflows refused, and a map whose items may
fail (``list[Optional[T]]``) refused where a ``list[T]`` is expected — each checked against flytekit 1.16."""

from __future__ import annotations

import typing

import pytest

from aioflyte import TaskMetadata, map_task, task, workflow
from aioflyte.exceptions import FlyteCompileError, FlyteRecoverableException, FlyteValidationException

attempts: dict[int, int] = {}


@task
def flaky(x: int) -> int:
    attempts[x] = attempts.get(x, 0) + 1
    if attempts[x] < 2:
        raise FlyteRecoverableException(f"item {x} fails its first attempt")
    return x * 2


async def test_metadata_retries_apply_to_each_item() -> None:
    attempts.clear()
    mt = map_task(flaky, metadata=TaskMetadata(retries=2))
    assert mt.metadata.retries == 2 and flaky.metadata.retries == 0  # the mapped task itself is unchanged
    assert await mt(x=[1, 2, 3]) == [2, 4, 6]
    assert attempts == {1: 2, 2: 2, 3: 2}
    attempts.clear()
    with pytest.raises(FlyteRecoverableException):
        await map_task(flaky)(x=[1])  # without the metadata: no retries


async def test_metadata_cache_applies_to_each_item() -> None:
    runs: list[int] = []

    @task
    def square(x: int) -> int:
        runs.append(x)
        return x * x

    mt = map_task(square, metadata=TaskMetadata(cache=True, cache_version="1"))
    assert mt.metadata.cache and mt.metadata.cache_version == "1"
    assert await mt(x=[1, 2]) == [1, 4]
    assert await mt(x=[2, 3]) == [4, 9]
    assert sorted(runs) == [1, 2, 3]  # 2 came from the cache


def test_metadata_must_be_task_metadata() -> None:
    with pytest.raises(FlyteValidationException, match="TaskMetadata"):
        map_task(flaky, metadata={"retries": 2})


@task
def ident(x: int) -> int:
    return x


@workflow
def sub(x: int) -> int:
    return ident(x=x)


def test_a_workflow_cannot_be_mapped() -> None:
    with pytest.raises(FlyteValidationException, match="a workflow cannot be mapped"):
        map_task(sub)


@task
def total(xs: typing.List[int]) -> int:
    return sum(xs)


@task
def total_known(xs: typing.List[int | None]) -> int:
    return sum(x for x in xs if x is not None)


def test_a_map_whose_items_may_fail_cannot_feed_a_list_of_non_optional_items() -> None:
    with pytest.raises(FlyteCompileError, match=r"List\[int\] does not match upstream type .*Optional\[int\]"):

        @workflow
        def wf(xs: typing.List[int]) -> int:
            return total(xs=map_task(ident, min_success_ratio=0.5)(x=xs))


async def test_it_can_feed_a_list_of_optional_items_and_a_full_map_feeds_either() -> None:
    @workflow
    def ok(xs: typing.List[int]) -> int:
        return total_known(xs=map_task(ident, min_success_ratio=0.5)(x=xs))

    @workflow
    def full(xs: typing.List[int]) -> int:
        return total(xs=map_task(ident)(x=xs))

    assert await ok(xs=[1, 2]) == 3
    assert await full(xs=[1, 2]) == 3


def test_cache_in_metadata_without_a_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        map_task(ident, metadata=TaskMetadata(cache=True))
