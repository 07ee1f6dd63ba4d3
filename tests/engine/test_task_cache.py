"""Local caching: hits, versions, ignored inputs, serialization, and persistence across processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import typing

import pytest

from aioflyte import Cache, CacheFunctionBody, HashMethod, task
from aioflyte.engine.cache import clear_cache

calls: list[int] = []


@task(cache=Cache(version="1"))
def cached_square(x: int) -> int:
    calls.append(x)
    return x * x


async def test_second_call_with_same_inputs_is_a_hit():
    calls.clear()
    assert await cached_square(x=3) == 9
    assert await cached_square(x=3) == 9
    assert await cached_square(x=4) == 16
    assert calls == [3, 4]


async def test_version_change_misses():
    n = []

    def make(version: str):
        @task(cache=Cache(version=version), name="tests.versioned")
        def versioned(x: int) -> int:
            n.append(version)
            return x

        return versioned

    await make("1")(x=1)
    await make("1")(x=1)
    await make("2")(x=1)
    assert n == ["1", "2"]


async def test_ignored_inputs_do_not_change_the_key():
    n = []

    @task(cache=Cache(version="1", ignored_inputs=("note",)))
    def f(x: int, note: str) -> int:
        n.append(note)
        return x

    assert await f(x=1, note="a") == 1
    assert await f(x=1, note="b") == 1
    assert n == ["a"]


async def test_flytekit_legacy_cache_parameters():
    n = []

    @task(cache=True, cache_version="7", cache_ignore_input_vars=("y",))
    def g(x: int, y: int) -> int:
        n.append(y)
        return x + y

    assert await g(x=1, y=1) == 2
    assert await g(x=1, y=5) == 2  # y ignored: served from the cache
    assert n == [1]
    assert g.metadata.cache and g.metadata.cache_version == "7"


def test_cache_true_without_version_is_a_clear_error():
    with pytest.raises(ValueError, match="cache=True needs a version"):

        @task(cache=True)
        def h(x: int) -> int:
            return x


def test_cache_function_body_policy_derives_the_version():
    @task(cache=Cache(policies=CacheFunctionBody()))
    def body(x: int) -> int:
        return x

    assert len(body.metadata.cache_version) == 64


async def test_cache_clear():
    calls.clear()
    await cached_square(x=11)
    assert await clear_cache(cached_square.name) >= 1
    await cached_square(x=11)
    assert calls == [11, 11]


async def test_cache_serialize_runs_the_body_once_for_20_concurrent_calls():
    n = 0

    @task(cache=Cache(version="1", serialize=True))
    async def expensive(x: int) -> int:
        nonlocal n
        n += 1
        await asyncio.sleep(0.2)
        return x * 2

    out = await asyncio.gather(*[expensive(x=21) for _ in range(20)])
    assert out == [42] * 20
    assert n == 1


async def test_cache_serialize_failure_lets_a_waiter_take_over():
    n = 0

    @task(cache=Cache(version="1", serialize=True))
    async def first_fails(x: int) -> int:
        nonlocal n
        n += 1
        await asyncio.sleep(0.05)
        if n == 1:
            raise ValueError("first run fails")
        return x

    results = await asyncio.gather(*[first_fails(x=1) for _ in range(5)], return_exceptions=True)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and str(errors[0]) == "first run fails"
    assert results.count(1) == 4 and n == 2


SCRIPT = textwrap.dedent(
    """
    import sys
    import aioflyte
    from aioflyte import Cache, task

    @task(cache=Cache(version="1"), name="xproc.counted")
    def counted(x: int) -> int:
        with open(sys.argv[1], "a") as f:
            f.write("ran\\n")
        return x + 1

    print(aioflyte.run(counted, x=1))
    """
)


@pytest.mark.slow
def test_cache_persists_across_processes(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    marker = tmp_path / "marker.txt"
    for _ in range(2):
        out = subprocess.run([sys.executable, str(script), str(marker)], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "2"
    assert marker.read_text().count("ran") == 1


async def test_cached_values_come_back_as_after_a_round_trip():
    @task(cache=Cache(version="1"))
    def lists(n: int) -> dict[str, list[float]]:
        return {"a": [float(i) for i in range(n)]}

    first = await lists(n=3)
    second = await lists(n=3)
    assert first == second == {"a": [0.0, 1.0, 2.0]}
    assert first is not second


async def test_hash_method_inputs_define_the_cache_key():
    n = []

    def by_length(xs: list[int]) -> str:
        return str(len(xs))

    @task(cache=Cache(version="1"))
    def count(xs: typing.Annotated[list[int], HashMethod(by_length)]) -> int:
        n.append(xs)
        return len(xs)

    assert await count(xs=[1, 2]) == 2
    assert await count(xs=[7, 8]) == 2  # same hash: served from the cache
    assert await count(xs=[1, 2, 3]) == 3
    assert n == [[1, 2], [1, 2, 3]]
