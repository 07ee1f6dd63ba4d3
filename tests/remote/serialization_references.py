"""Workflows that use reference entities: serialized by aioflyte in test_references_golden.py and by flytekit in
make_golden_references.py (which imports this module with ``sys.modules["aioflyte"] = flytekit``)."""

import typing

from aioflyte import (
    LaunchPlan,
    kwtypes,
    reference_launch_plan,
    reference_task,
    reference_workflow,
    task,
    workflow,
)
from aioflyte.core.reference import get_reference_entity
from aioflyte.models.core.identifier import ResourceType


@reference_task(project="flytesnacks", domain="development", name="recipes.aaa.t1", version="v9")
def ref_t1(a: str) -> str:
    return "hello"


@reference_task(project="other", domain="staging", name="recipes.two_out", version="abc")
def ref_two(x: int, y: float) -> typing.Tuple[int, str]:
    return 1, "a"


@reference_workflow(project="flytesnacks", domain="development", name="recipes.wf", version="v2")
def ref_wf(a: int, b: str) -> typing.Tuple[int, str]:
    return a, b


@reference_launch_plan(project="flytesnacks", domain="development", name="recipes.lp", version="v3")
def ref_lp(x: int) -> int:
    return x


ref_none = get_reference_entity(
    ResourceType.TASK, "flytesnacks", "development", "recipes.sink", "v1", inputs=kwtypes(s=str), outputs={}
)

ref_wf_entity = get_reference_entity(
    ResourceType.WORKFLOW,
    "flytesnacks",
    "development",
    "recipes.other_wf",
    "v7",
    inputs=kwtypes(a=str, b=int),
    outputs=kwtypes(o0=int),
)


@task
def local_t(s: str, n: int) -> int:
    return len(s) + n


@workflow
def wf_refs(a: int, s: str) -> typing.Tuple[int, str]:
    greeting = ref_t1(a=s)
    n, label = ref_two(x=a, y=1.5)
    count = local_t(s=label, n=n)
    ref_none(s=greeting)
    return ref_lp(x=count), greeting


@workflow
def wf_lp_only(x: int) -> int:
    return ref_lp(x=ref_lp(x=x))


lp_refs = LaunchPlan.get_or_create(wf_refs, name="lp_refs", default_inputs={"a": 3})
