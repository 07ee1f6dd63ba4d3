"""Retries with Flyte's meaning, timeouts that fire on sync and async tasks, environment."""

from __future__ import annotations

import asyncio
import datetime
import os
import threading

import pytest

import aioflyte
from aioflyte import task
from aioflyte.exceptions import FlyteRecoverableException, FlyteSystemException


async def test_recoverable_error_retried_exactly_retries_times_then_raised():
    calls = []

    @task(retries=3)
    def flaky(x: int) -> int:
        calls.append(aioflyte.current_context().attempt_number)
        raise FlyteRecoverableException(f"transient {len(calls)}")

    with pytest.raises(FlyteRecoverableException, match="transient 4") as ei:
        await flaky(x=1)
    assert calls == [0, 1, 2, 3]  # 1 attempt + 3 retries
    assert any("attempt 4 of 4" in n for n in getattr(ei.value, "__notes__", []))


async def test_recoverable_error_then_success():
    calls = 0

    @task(retries=2)
    async def eventually(x: int) -> int:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise FlyteRecoverableException("not yet")
        return x * 10

    assert await eventually(x=2) == 20
    assert calls == 3


async def test_plain_user_error_is_not_retried():
    calls = 0

    @task(retries=5)
    def broken(x: int) -> int:
        nonlocal calls
        calls += 1
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        await broken(x=1)
    assert calls == 1


async def test_system_error_is_retried():
    calls = 0

    @task(retries=1)
    async def infra(x: int) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise FlyteSystemException("disk hiccup")
        return x

    assert await infra(x=5) == 5 and calls == 2


async def test_each_attempt_gets_fresh_inputs():
    seen = []

    @task(retries=1)
    def mutates(xs: list[int]) -> int:
        seen.append(list(xs))
        xs.append(0)
        if len(seen) == 1:
            raise FlyteRecoverableException("again")
        return len(xs)

    assert await mutates(xs=[1]) == 2
    assert seen == [[1], [1]]


async def test_timeout_fires_on_async_task():
    cancelled = []

    @task(timeout=datetime.timedelta(milliseconds=100))
    async def slow(x: int) -> int:
        try:
            await asyncio.Event().wait()  # never set: only the timeout ends this body
        except asyncio.CancelledError:
            cancelled.append(x)
            raise
        return x

    with pytest.raises(TimeoutError, match=r"slow timed out after 0\.1s") as ei:
        await slow(x=1)
    assert isinstance(ei.value, aioflyte.FlyteTimeout)
    assert cancelled == [1]  # the timeout cancelled the body


async def test_timeout_fires_on_sync_task():
    release, finished = threading.Event(), threading.Event()

    @task(timeout=0.1)
    def slow_sync(x: int) -> int:
        release.wait(60)  # held until the test has seen the timeout
        finished.set()
        return x

    try:
        with pytest.raises(TimeoutError, match="slow_sync timed out"):
            await slow_sync(x=1)
        assert not finished.is_set()  # the await returned while the thread was still running
    finally:
        release.set()


async def test_timeout_is_retried_like_on_a_cluster():
    attempts = 0

    @task(timeout=0.05, retries=2)
    async def sometimes_slow(x: int) -> int:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            await asyncio.sleep(1)
        return x

    assert await sometimes_slow(x=7) == 7 and attempts == 3


async def test_users_own_timeout_error_is_not_mistaken_for_the_task_timeout():
    @task(timeout=10)
    async def raises_timeout(x: int) -> int:
        raise TimeoutError("upstream API timed out")

    with pytest.raises(TimeoutError, match="upstream API") as ei:
        await raises_timeout(x=1)
    assert not isinstance(ei.value, aioflyte.FlyteTimeout)


def test_bad_timeout_and_retries_are_rejected_at_decoration():
    with pytest.raises(ValueError, match="timeout"):

        @task(timeout="10s")  # type: ignore[arg-type]
        def a(x: int) -> int:
            return x

    with pytest.raises(ValueError, match="retries"):

        @task(retries=-1)
        def b(x: int) -> int:
            return x


async def test_environment_applied_while_the_task_runs():
    os.environ.pop("AIOFLYTE_TEST_VAR", None)

    @task(environment={"AIOFLYTE_TEST_VAR": "inside"})
    def read_env() -> str:
        return os.environ["AIOFLYTE_TEST_VAR"]

    assert await read_env() == "inside"
    assert "AIOFLYTE_TEST_VAR" not in os.environ


def test_deprecated_task_warns():
    with pytest.warns(FutureWarning, match="old_task is deprecated: use new_task"):

        @task(deprecated="use new_task")
        def old_task(x: int) -> int:
            return x
