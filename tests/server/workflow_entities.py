"""Workflows the workflow-execution tests run on the server (imported by the task processes too: no tests here)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

from aioflyte import (
    Cache,
    FlyteError,
    FlyteRecoverableException,
    LaunchPlan,
    WorkflowFailurePolicy,
    approve,
    conditional,
    dynamic,
    map_task,
    task,
    wait_for_input,
    workflow,
)


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def double(x: int) -> int:
    return 2 * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def explode(x: int) -> int:
    raise ValueError(f"bad x={x}")


@workflow
def chain(a: int, b: int = 5) -> int:
    return double(x=add(a=a, b=b))


@workflow
def branchy(n: int) -> int:
    doubled = map_task(double, concurrency=2)(x=[1, 2, 3])
    s = total(xs=doubled)
    return conditional("big").if_(n > 10).then(double(x=s)).else_().then(add(a=s, b=n))


@workflow
def failing(x: int) -> int:
    y = double(x=x)
    return explode(x=y)


@workflow
def with_fixed(a: int, b: int, c: int = 1) -> int:
    return add(a=add(a=a, b=b), b=c)


fixed_lp = LaunchPlan.get_or_create(with_fixed, name="with_fixed_lp", default_inputs={"a": 10}, fixed_inputs={"b": 100})


@workflow
def inner(x: int) -> int:
    return add(a=x, b=1)


inner_lp = LaunchPlan.get_or_create(inner, name="inner_lp", default_inputs={"x": 0})


@workflow
def outer(x: int) -> tuple[int, int]:
    a = inner(x=x)
    b = inner_lp(x=a)
    return a, b


@dynamic
def fan(n: int) -> list[int]:
    return [double(x=i) for i in range(n)]


@workflow
def dyn_wf(n: int) -> list[int]:
    return fan(n=n)


@task(cache=Cache(version="1"))
def cached_square(x: int, marker: str) -> int:
    with open(marker, "a") as f:
        f.write("ran\n")
    return x * x


@workflow
def cached_wf(x: int, marker: str) -> int:
    return cached_square(x=x, marker=marker)


@task
def sleepy(marker: str, seconds: float) -> str:
    """Starts a grandchild process, writes both pids to ``marker``, then sleeps."""
    child = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds})"])
    with open(marker + ".tmp", "w") as f:
        f.write(f"{os.getpid()} {child.pid}")
    os.replace(marker + ".tmp", marker)
    time.sleep(seconds)
    return "woke"


@workflow
def sleepy_wf(marker: str, seconds: float) -> str:
    return sleepy(marker=marker, seconds=seconds)


@workflow
def gated(x: int) -> int:
    y = double(x=x)
    ok = approve(y, "review", timeout=timedelta(minutes=5))
    extra = wait_for_input("extra", timeout=timedelta(minutes=5), expected_type=int)
    return add(a=ok, b=extra)


@task(retries=1)
def flaky_once(x: int, marker: str) -> int:
    """Fails recoverably on its first attempt (the marker file does not exist yet), then succeeds."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        raise FlyteRecoverableException("first attempt fails")
    return x + 1


@workflow
def retried(x: int, marker: str) -> int:
    return flaky_once(x=x, marker=marker)


@task
def record_failure(marker: str, err: FlyteError | None = None) -> None:
    with open(marker, "w") as f:
        f.write(f"{err.failed_node_id}|{err.message}" if err is not None else "no error")


@task
def touch_later(marker: str) -> str:
    """Still running when its sibling fails; finishes under FAIL_AFTER_EXECUTABLE_NODES_COMPLETE."""
    time.sleep(1.0)
    open(marker + ".sibling", "w").close()
    return "done"


@workflow(on_failure=record_failure, failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
def fail_after(marker: str) -> str:
    explode(x=1)
    return touch_later(marker=marker)


@task
def odd_only(x: int) -> int:
    if x % 2 == 0:
        raise ValueError(f"{x} is even")
    return x


@workflow
def partial_map(xs: list[int]) -> list[int | None]:
    return map_task(odd_only, min_success_ratio=0.5)(x=xs)


sleepy_lp = LaunchPlan.get_or_create(sleepy_wf, name="sleepy_lp")


@workflow
def sleepy_parent(marker: str, seconds: float) -> str:
    return sleepy_lp(marker=marker, seconds=seconds)


@task
def stamp(folder: str, i: int) -> int:
    """Records when its body ran (start and end, wall clock)."""
    start = time.time()
    time.sleep(0.2)
    with open(os.path.join(folder, str(i)), "w") as f:
        f.write(f"{start} {time.time()}")
    return i


@workflow
def three(folder: str) -> tuple[int, int, int]:
    return stamp(folder=folder, i=0), stamp(folder=folder, i=1), stamp(folder=folder, i=2)


one_at_a_time = LaunchPlan.get_or_create(three, name="three_one_at_a_time", max_parallelism=1)
