"""LaunchPlan (defaults, fixed inputs, parallelism, overwrite_cache) and gates (sleep, approve, input)."""

from __future__ import annotations

import asyncio
import datetime
import time

import pytest

import aioflyte
from aioflyte import Cache, LaunchPlan, approve, task, wait_for_input, workflow
from aioflyte.core.gate import GateRejected
from aioflyte.engine.signals import FlyteGateTimeout


@task
def combine(a: int, b: int, c: str) -> str:
    return f"{a}-{b}-{c}"


@workflow
def wf(a: int, b: int = 2, c: str = "x") -> str:
    return combine(a=a, b=b, c=c)


async def test_default_and_fixed_inputs():
    lp = LaunchPlan.get_or_create(wf, name="lp.fixed", default_inputs={"a": 10}, fixed_inputs={"c": "fixed"})
    assert await lp() == "10-2-fixed"
    assert await lp(a=1, b=5) == "1-5-fixed"
    with pytest.raises(ValueError, match=r"inputs \['c'\] are fixed"):
        await lp(c="other")
    params = (await lp.async_parameters()).parameters
    assert sorted(params) == ["a", "b"]
    assert params["a"].default.scalar.primitive.integer == 10 and not params["a"].required


def test_get_or_create_rules():
    default = LaunchPlan.get_or_create(wf)
    assert default.name == wf.name and LaunchPlan.get_or_create(wf) is default
    a = LaunchPlan.get_or_create(wf, name="lp.same", default_inputs={"a": 1})
    assert LaunchPlan.get_or_create(wf, name="lp.same", default_inputs={"a": 1}) is a
    with pytest.raises(ValueError, match="already exists with different settings"):
        LaunchPlan.get_or_create(wf, name="lp.same", default_inputs={"a": 2})
    with pytest.raises(ValueError, match=r"\['zzz'\] are not inputs"):
        LaunchPlan.get_or_create(wf, name="lp.bad", default_inputs={"zzz": 1})
    with pytest.raises(ValueError, match=r"default_inputs\['a'\].*expected int"):
        LaunchPlan.get_or_create(wf, name="lp.badtype", default_inputs={"a": "one"})
    clone = a.clone_with("lp.clone", fixed_inputs={"b": 9})
    assert clone.fixed_inputs == {"b": 9} and clone.default_inputs == {"a": 1}


def test_schedule_and_settings_are_kept():
    lp = LaunchPlan.get_or_create(
        wf,
        name="lp.scheduled",
        default_inputs={"a": 1},
        schedule=aioflyte.CronSchedule(schedule="*/5 * * * *"),
        max_parallelism=3,
        labels=aioflyte.Labels({"team": "x"}),
        overwrite_cache=True,
        auto_activate=True,
    )
    assert lp.max_parallelism == 3 and lp.auto_activate and lp.labels.values == {"team": "x"}


running = 0
high = 0


@task
async def tracked(i: int) -> int:
    global running, high
    running += 1
    high = max(high, running)
    await asyncio.sleep(0.02)
    running -= 1
    return i


@workflow
def fan(n: int) -> list[int]:
    return [tracked(i=i) for i in range(12)]  # type: ignore[return-value]


async def test_launch_plan_max_parallelism():
    global high
    high = 0
    lp = LaunchPlan.get_or_create(fan, name="lp.par4", max_parallelism=4)
    assert await lp(n=0) == list(range(12))
    assert high == 4


calls: list[int] = []


@task(cache=Cache(version="1"))
def cached(x: int) -> int:
    calls.append(x)
    return x


@workflow
def cached_wf(x: int) -> int:
    return cached(x=x)


async def test_overwrite_cache_reruns_cached_tasks():
    calls.clear()
    await cached_wf(x=1)
    await cached_wf(x=1)
    lp = LaunchPlan.get_or_create(cached_wf, name="lp.overwrite", overwrite_cache=True)
    await lp(x=1)
    assert calls == [1, 1]


@workflow
def calls_lp(x: int) -> str:
    lp = LaunchPlan.get_or_create(wf, name="lp.in_wf", fixed_inputs={"c": "inner"})
    return lp(a=x)


async def test_launch_plan_as_a_node():
    assert await calls_lp(x=4) == "4-2-inner"


@task
def produce(x: int) -> int:
    return x * 10


@task
def report(value: int, note: str) -> str:
    return f"{value}:{note}"


@workflow
def gated(x: int) -> str:
    v = produce(x=x)
    approved = approve(v, "review", timeout=datetime.timedelta(seconds=5))
    note = wait_for_input("note", timeout=datetime.timedelta(seconds=5), expected_type=str)
    return report(value=approved, note=note)


async def test_gates_resolve_from_signals_set_by_another_coroutine():
    h = aioflyte.start(gated, x=4)

    async def reviewer() -> None:
        from aioflyte.engine.signals import provider_for

        while set(provider_for(h._run).waiting()) != {"review", "note"}:  # noqa: ASYNC110  (the engine's state)
            await asyncio.sleep(0.01)
        h.set_signal("note", "looks good")
        h.set_signal("review", True)

    await reviewer()
    assert await h == "40:looks good"


def test_gates_from_signals_given_to_run():
    assert aioflyte.run(gated, x=1, signals={"review": True, "note": "ok"}) == "10:ok"


async def test_rejected_approval_fails_the_run():
    h = aioflyte.start(gated, x=1, signals={"review": False, "note": "n"})
    with pytest.raises(GateRejected, match="review"):
        await h


@workflow
def waits_short() -> int:
    return wait_for_input("never", timeout=datetime.timedelta(milliseconds=100), expected_type=int)


async def test_gate_timeout_fails_with_a_clear_error():
    with pytest.raises(FlyteGateTimeout, match=r"'never' timed out after 0\.1s"):
        await waits_short()


async def test_wrong_signal_type():
    h = aioflyte.start(waits_short, signals={"never": "not a number"})
    with pytest.raises(aioflyte.FlyteTypeException, match="expected int, got str"):
        await h


@workflow
def naps() -> None:
    aioflyte.sleep(datetime.timedelta(milliseconds=200))


async def test_sleep_gate_really_sleeps():
    start = time.perf_counter()
    await naps()
    assert time.perf_counter() - start >= 0.19
