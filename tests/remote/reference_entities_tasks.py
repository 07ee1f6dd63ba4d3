"""Entities the reference-entity tests register on the server, and references to them (importable by the server's
task processes). The references name project ``flytesnacks``/``development`` and the versions the tests register."""

from __future__ import annotations

import typing

from aioflyte import LaunchPlan, eager, reference_launch_plan, reference_task, reference_workflow, task, workflow
from aioflyte.core.workflow import PythonFunctionWorkflow

P, D = "flytesnacks", "development"


@task
def shout(s: str) -> str:
    return s.upper() + "!"


@task
def add(a: int, b: int = 10) -> int:
    return a + b


@workflow
def shout_twice(s: str) -> str:
    return shout(s=shout(s=s))


loud_lp = LaunchPlan.get_or_create(shout_twice, name="reference_entities_tasks.loud", default_inputs={"s": "hey"})


@reference_task(project=P, domain=D, name="reference_entities_tasks.shout", version="r1")
def ref_shout(s: str) -> str: ...


@reference_task(project=P, domain=D, name="reference_entities_tasks.add", version="r1")
def ref_add(a: int, b: int = 10) -> int: ...


@reference_launch_plan(project=P, domain=D, name="reference_entities_tasks.shout_twice", version="r1")
def ref_shout_twice_lp(s: str) -> str: ...


@reference_workflow(project=P, domain=D, name="reference_entities_tasks.shout_twice", version="r1")
def ref_shout_twice_wf(s: str) -> str:
    return s


@workflow
def uses_refs(s: str, a: int) -> typing.Tuple[str, int]:
    """A workflow registered after the entities it refers to: one local task, two reference tasks, a reference
    launch plan."""
    loud = ref_shout(s=s)
    louder = ref_shout_twice_lp(s=loud)
    return louder, add(a=ref_add(a=a), b=1)


@eager
async def eager_refs(s: str, a: int) -> str:
    """Awaits a reference task, a reference workflow (its default launch plan) and a reference launch plan."""
    n = await ref_add(a=a)
    once = await ref_shout(s=f"{s}{n}")
    twice = await ref_shout_twice_wf(s=once)
    return await ref_shout_twice_lp(s=twice)


#: set by the tests to a fetched ``FlyteTask`` / ``FlyteLaunchPlan`` before running these
FETCHED: dict[str, typing.Any] = {}


@eager
async def eager_fetched(s: str) -> str:
    """Awaits entities fetched with FlyteRemote.fetch_task / fetch_launch_plan."""
    once = await FETCHED["task"](s=s)
    return await FETCHED["launch_plan"](s=once)


def workflow_of_fetched(name: str) -> PythonFunctionWorkflow:
    """A workflow calling the fetched task, workflow and launch plan (compiled now, as they are known now)."""

    def body(s: str) -> str:
        a = FETCHED["task"](s=s)
        b = FETCHED["workflow"](s=a)
        return FETCHED["launch_plan"](s=b)

    body.__module__, body.__qualname__ = __name__, name
    return PythonFunctionWorkflow(body, name=f"{__name__}.{name}")
