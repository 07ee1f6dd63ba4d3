"""Tasks the CLI's backend tests (test_cli_backend.py) register and run on the server subprocess."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import pathlib
import time

from aioflyte import CronSchedule, LaunchPlan, task, workflow


@task
def say(text: str) -> str:
    print(f"saying {text}", flush=True)
    return text.upper()


@task
def boom(x: int) -> int:
    print("about to fail", flush=True)
    raise ValueError(f"boom {x}")


@task
def sleepy(marker: str, seconds: float) -> float:
    print("sleepy started", flush=True)
    pathlib.Path(marker).write_text("started")
    time.sleep(seconds)
    return seconds


@workflow
def say_wf(text: str = "hello") -> str:
    return say(text=text)


@workflow
def boom_wf(x: int = 1) -> int:
    return boom(x=x)


@workflow
def sleepy_wf(marker: str, seconds: float = 300.0) -> float:
    return sleepy(marker=marker, seconds=seconds)


yearly = LaunchPlan.get_or_create(say_wf, name="say_yearly", schedule=CronSchedule(schedule="0 0 1 1 *"))


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


@task
def kinds(
    ps: list[Point], when: datetime.datetime, day: datetime.date, gap: datetime.timedelta, c: Color, m: dict[str, int]
) -> str:
    assert all(isinstance(p, Point) for p in ps) and isinstance(c, Color)
    return f"{sum(p.x + p.y for p in ps)} {when.isoformat()} {day.isoformat()} {gap.total_seconds():g} {c.name} {m}"
