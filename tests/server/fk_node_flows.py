"""flytekit 1.16 tasks for ``test_single_task_nodes_flytekit.py`` (imported by flytekit's Python only, through
``fk_nodes_driver.py`` and the server's flytekit task processes)."""

from __future__ import annotations

import flytekit
from flytekit import task


@task(enable_deck=True)
def fk_greet(name: str) -> str:
    flytekit.Deck("greeting", f"<p>flytekit greets {name}</p>")
    return f"hello {name}"


@task
def fk_fail(n: int) -> int:
    if n > 0:
        raise ValueError(f"flytekit task failed on {n}")
    return n
