"""Tasks the entrypoint tests run in a subprocess (``task-module tasks_for_entrypoint task-name <name>``)."""

from __future__ import annotations

import functools
import typing

from aioflyte import current_context, dynamic, eager, map_task, task
from aioflyte.exceptions import FlyteRecoverableException, FlyteSystemException, FlyteTimeout
from aioflyte.types.file import FlyteFile


@task
def add(a: int, b: int) -> int:
    return a + b


class Stats(typing.NamedTuple):
    total: int
    label: str


@task
async def summarize(xs: list[int], name: str = "xs") -> Stats:
    return Stats(total=sum(xs), label=f"{name}:{len(xs)}")


@task
def nothing(a: int) -> None:
    assert a == 1


@task
def fails_user(a: int) -> int:
    raise ValueError(f"bad a={a}")


@task
def ignores_outputs(a: int) -> int:
    from aioflyte.core.base_task import IgnoreOutputs

    raise IgnoreOutputs(f"worker {a} is not the chief")


@task
def fails_recoverable(a: int) -> int:
    raise FlyteRecoverableException(f"try again, a={a}")


@task
def fails_timeout(a: int) -> int:
    raise FlyteTimeout("took too long")


@task
def fails_system(a: int) -> int:
    raise FlyteSystemException("the store went away")


class QuotaExceeded(Exception):
    error_code = "USER:QuotaExceeded"


@task
def fails_coded(a: int) -> int:
    raise QuotaExceeded("over quota")


@task
def wrong_output(a: int) -> int:
    return "not an int"  # type: ignore[return-value]


@task
def square_plus(x: int, y: int) -> int:
    return x * x + y


squares = map_task(square_plus)
squares_y10 = map_task(functools.partial(square_plus, y=10))


@task
def context_report(a: int) -> dict[str, str]:
    ctx = current_context()
    cp = ctx.checkpoint
    prev = cp.read()
    cp.write(b"saved by attempt")
    return {
        "execution_id": str(ctx.execution_id),
        "task_id": f"{ctx.task_id.project}/{ctx.task_id.domain}/{ctx.task_id.name}/{ctx.task_id.version}",
        "raw_output_prefix": ctx.raw_output_prefix,
        "checkpoint_dest": cp.checkpoint_dest,
        "checkpoint_src": str(cp.checkpoint_src),
        "prev": (prev or b"").decode(),
        "attempt": str(ctx.attempt_number),
    }


@task
def read_file(f: FlyteFile) -> str:
    with open(f.download()) as fh:
        return fh.read().upper()


@task
async def read_file_async(f: FlyteFile) -> str:
    path = await f.adownload()
    with open(path) as fh:
        return fh.read()


@task
def write_file(text: str) -> FlyteFile:
    path = current_context().working_directory + "/out.txt"
    with open(path, "w") as fh:
        fh.write(text)
    return FlyteFile(path)


@task
def big_text(n: int) -> str:
    return "x" * n


@dynamic
def dyn(n: int) -> list[int]:
    return [add(a=i, b=i) for i in range(n)]


@eager
async def eager_sum(n: int) -> int:
    total = 0
    for i in range(n):
        total = await add(a=total, b=i)
    return total


not_a_task = 42
