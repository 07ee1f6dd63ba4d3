"""Tasks and workflows for the node tests of the server (single-task node records, map item decks, the console's
node inputs/outputs and signal forms); imported by name by the server's task processes too: no tests here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aioflyte import Deck, FlyteFile, map_task, task, wait_for_input, workflow


@dataclass
class Limits:
    low: int
    high: int
    label: str


@task(enable_deck=True)
def greet(name: str, times: int) -> str:
    Deck("greeting", f"<p>greeting {name} x{times}</p>")
    return " ".join([f"hi {name}"] * times)


@task
def explode(n: int) -> int:
    print(f"explode got n={n}", flush=True)
    raise ValueError(f"exploded on {n}")


@task(enable_deck=True)
def shout(x: int) -> int:
    Deck("item", f"<p>item value {x}</p>")
    return x * 10


@task
def span(limits: Limits, xs: list[int], extra: list[int]) -> str:
    kept = [x for x in xs if limits.low <= x <= limits.high]
    return f"{limits.label}:{sum(kept)}+{sum(extra)}"


@workflow
def mapped(xs: list[int]) -> list[int]:
    return map_task(shout)(x=xs)


@workflow
def node_io_wf(name: str, xs: list[int]) -> str:
    """A deck-writing task, a map task whose items write decks, and a gate waiting for a dataclass and a list."""
    greet(name=name, times=2)
    shouted = map_task(shout)(x=xs)
    limits = wait_for_input("limits", timeout=timedelta(minutes=10), expected_type=Limits)
    extra = wait_for_input("extra", timeout=timedelta(minutes=10), expected_type=list[int])
    limits >> extra
    return span(limits=limits, xs=shouted, extra=extra)


@task
def read_report(report: FlyteFile) -> str:
    with open(report.download()) as f:
        return f.read().strip()


@workflow
def file_gate_wf() -> str:
    """Waits for a file (uploaded from the console's form, or given by URI) and reads it."""
    report = wait_for_input("report", timeout=timedelta(minutes=10), expected_type=FlyteFile)
    return read_report(report=report)
