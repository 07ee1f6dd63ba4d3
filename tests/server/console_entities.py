"""What the console's browser tests run on the server (imported by the task processes too: no tests here)."""

from __future__ import annotations

from datetime import timedelta

from aioflyte import WorkflowFailurePolicy, approve, map_task, task, workflow


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
