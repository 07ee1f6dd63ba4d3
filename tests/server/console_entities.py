"""What the console's browser tests run on the server (imported by the task processes too: no tests here)."""

from __future__ import annotations

import html
import os
import time
from datetime import timedelta
from pathlib import Path

from aioflyte import (
    CronSchedule,
    FlyteFile,
    LaunchPlan,
    WorkflowFailurePolicy,
    approve,
    conditional,
    current_context,
    dynamic,
    map_task,
    task,
    wait_for_input,
    workflow,
)


@task
def prepare(n: int) -> list[int]:
    return list(range(n))


@task
def square(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def boom(x: int) -> int:
    print(f"boom was given x={x} and is about to fail", flush=True)
    raise ValueError(f"console test failure for x={x}")


@workflow(failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
def console_wf(n: int) -> int:
    """A failing node beside a map task whose sum waits at a gate: the run ends (FAILED) once the gate is approved."""
    squares = map_task(square)(x=prepare(n=n))
    approved = approve(total(xs=squares), "review", timeout=timedelta(minutes=10))
    boom(x=n)
    return approved


@task
def echo(text: str) -> str:
    print(text, flush=True)
    return text


@task
def add(a: int, b: int) -> int:
    return a + b


@workflow
def inner(x: int) -> int:
    return square(x=x)


@dynamic
def fan(n: int) -> list[int]:
    return [square(x=i) for i in range(n)]


@workflow
def nested_wf(n: int) -> int:
    """A subworkflow, a dynamic node and an input the run waits for."""
    a = inner(x=n)
    s = total(xs=fan(n=2))
    extra = wait_for_input("extra", timeout=timedelta(minutes=10), expected_type=int)
    return add(a=add(a=a, b=s), b=extra)


@task
def with_deck(title: str) -> str:
    """Writes a deck where the server keeps an attempt's deck (the attempt folder, the parent of the working
    directory), as a task with decks enabled does."""
    deck = Path.cwd().parent / "deck.html"
    deck.write_text(f"<html><body><h1>{html.escape(title)}</h1></body></html>")
    return title


@workflow
def deck_wf(title: str) -> str:
    return with_deck(title=title)


@task
def tail_me(marker: str) -> str:
    """Prints a line, waits until the test creates ``marker``, prints another: its log grows while it runs."""
    print("first line of the log", flush=True)
    deadline = time.monotonic() + 300  # only a guard against a test that never creates the marker
    while not os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    print("second line of the log", flush=True)
    return marker


@task
def make_file(text: str) -> FlyteFile:
    path = Path(current_context().working_directory) / "report.txt"
    path.write_text(text)
    return FlyteFile(str(path))


hourly = LaunchPlan.get_or_create(
    console_wf, name="console_hourly", default_inputs={"n": 2}, schedule=CronSchedule(schedule="0 * * * *")
)


@workflow
def branchy(n: int) -> int:
    return conditional("big").if_(n > 10).then(square(x=n)).else_().then(add(a=n, b=1))
