"""flytekit 1.16 tasks for ``test_single_task_nodes_flytekit.py`` (imported by flytekit's Python only, through
``fk_nodes_driver.py`` and the server's flytekit task processes)."""

from __future__ import annotations

import typing

import flytekit
from flytekit import map_task, task, workflow


@task(enable_deck=True)
def fk_greet(name: str) -> str:
    flytekit.Deck("greeting", f"<p>flytekit greets {name}</p>")
    return f"hello {name}"


@task
def fk_fail(n: int) -> int:
    if n > 0:
        raise ValueError(f"flytekit task failed on {n}")
    return n


@task(enable_deck=True)
def fk_item(x: int) -> int:
    flytekit.Deck("item", f"<p>flytekit item {x}</p>")
    return x + 100


@workflow
def fk_mapped(xs: typing.List[int]) -> typing.List[int]:
    return map_task(fk_item)(x=xs)
