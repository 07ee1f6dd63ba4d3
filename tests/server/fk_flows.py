"""flytekit 1.16 entities the flytekit interop tests register on the server (imported by flytekit's Python only:
``tests/server/test_flytekit_interop.py`` runs them through ``fk_driver.py``)."""

from __future__ import annotations

import os
import time
import typing
from datetime import timedelta

import pandas as pd
from flytekit import LaunchPlan, approve, conditional, dynamic, map_task, task, wait_for_input, workflow
from flytekit.types.directory import FlyteDirectory
from flytekit.types.file import FlyteFile


@task
def add(a: int, b: int) -> int:
    return a + b


@workflow
def add_wf(a: int, b: int = 3) -> int:
    return add(a=a, b=b)


#: a launch plan whose defaults and fixed inputs the server merges into the execution's inputs
add_lp = LaunchPlan.get_or_create(add_wf, name="fk_flows.add_lp", default_inputs={"a": 10}, fixed_inputs={"b": 5})


@task
def square(x: int) -> int:
    return x * x


@task
def total(xs: typing.List[int]) -> int:
    return sum(xs)


@task
def double(x: int) -> int:
    return 2 * x


@dynamic
def squares_of(n: int) -> typing.List[int]:
    return [square(x=i) for i in range(n)]


@workflow
def mixed_wf(n: int) -> int:
    """A map task, a conditional and a dynamic in one workflow."""
    squared = map_task(square)(x=squares_of(n=n))
    s = total(xs=squared)
    return conditional("big").if_(s > 10).then(double(x=s)).else_().then(square(x=s))


@task
def announce(x: int) -> int:
    return x


@workflow
def gated_wf(x: int) -> int:
    approved = approve(announce(x=x), "review", timeout=timedelta(minutes=5))
    extra = wait_for_input("extra", timeout=timedelta(minutes=5), expected_type=int)
    return add(a=approved, b=extra)


@task
def sleeper(seconds: int) -> int:
    time.sleep(seconds)
    return seconds


@task
def count_lines(f: FlyteFile) -> int:
    with open(f.download()) as fh:
        return len(fh.read().splitlines())


@task
def count_files(d: FlyteDirectory) -> int:
    local = d.download()
    return sum(len(files) for _, _, files in os.walk(local))


@task
def count_rows(df: pd.DataFrame) -> int:
    return len(df)


@workflow
def inputs_wf(f: FlyteFile, d: FlyteDirectory, df: pd.DataFrame) -> typing.Tuple[int, int, int]:
    return count_lines(f=f), count_files(d=d), count_rows(df=df)
