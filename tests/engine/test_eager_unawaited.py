"""flytekit's eager style without ``await``: inside an ``@eager`` body a call's result may be passed, unawaited, as
an input to other calls (it is awaited when needed, once), and a returned call is awaited (flytekit 1.16 runs the
seed's example ``out = add_one(x=x); return double(x=out)``)."""

from __future__ import annotations

import pytest

from aioflyte import eager, task, workflow

runs: list[str] = []


@task
def add_one(x: int) -> int:
    runs.append(f"add_one({x})")
    return x + 1


@task
async def double(x: int) -> int:
    runs.append(f"double({x})")
    return 2 * x


@task
def fails(x: int) -> int:
    raise ValueError(f"no good: {x}")


@workflow
def doubled(x: int) -> int:
    return double(x=x)


@pytest.fixture(autouse=True)
def _clear() -> None:
    runs.clear()


async def test_the_seed_example_runs_without_await() -> None:
    @eager
    async def seed(x: int) -> int:
        out = add_one(x=x)
        return double(x=out)

    assert await seed(x=1) == 4
    assert runs == ["add_one(1)", "double(2)"]


async def test_one_unawaited_result_feeds_several_calls_and_runs_once() -> None:
    @eager
    async def fan(x: int) -> tuple[int, int, int]:
        out = add_one(x=x)
        return double(x=out), doubled(x=out), double(x=out)

    assert await fan(x=2) == (6, 6, 6)
    assert runs.count("add_one(2)") == 1


async def test_awaited_and_unawaited_styles_mix() -> None:
    @eager
    async def mixed(x: int) -> int:
        a = await add_one(x=x)
        b = add_one(x=a)
        return await double(x=b)

    assert await mixed(x=0) == 4


async def test_a_failing_unawaited_call_fails_the_call_that_uses_it() -> None:
    @eager
    async def uses_failure(x: int) -> int:
        return double(x=fails(x=x))

    with pytest.raises(ValueError, match="no good: 3"):
        await uses_failure(x=3)
    assert not any(r.startswith("double") for r in runs)


async def test_a_wrong_input_that_is_not_a_call_is_still_a_type_error() -> None:
    @eager
    async def wrong(x: int) -> int:
        return await double(x="seven")  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="double"):
        await wrong(x=1)
