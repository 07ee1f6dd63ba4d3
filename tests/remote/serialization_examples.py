"""Entities covering every node kind, written once for both aioflyte and flytekit (the golden generator aliases
``aioflyte`` to ``flytekit`` to produce the expected protobufs). Regenerate the goldens after editing this file:

    /tmp/fk/bin/python tests/remote/make_golden.py   # a Python with flytekit 1.16
"""

# ruff: noqa: UP045  (typing.Optional spelled as flytekit users write it)

from __future__ import annotations

import datetime
import functools
import typing
from dataclasses import dataclass

from aioflyte import (
    Annotations,
    AuthRole,
    Cache,
    CronSchedule,
    Description,
    Documentation,
    Email,
    FixedRate,
    Labels,
    LaunchPlan,
    PagerDuty,
    Resources,
    Secret,
    SecurityContext,
    Slack,
    Workflow,
    WorkflowFailurePolicy,
    approve,
    conditional,
    dynamic,
    eager,
    map_task,
    sleep,
    task,
    wait_for_input,
    workflow,
)

try:  # aioflyte exports Identity; flytekit keeps it in its models
    from aioflyte import Identity
except ImportError:  # pragma: no cover - only under flytekit
    from flytekit.models.security import Identity

try:
    from aioflyte import RawOutputDataConfig
except ImportError:  # pragma: no cover - only under flytekit
    from flytekit.models.common import RawOutputDataConfig

try:
    from aioflyte import WorkflowExecutionPhase
except ImportError:
    from aioflyte.core.notification import WorkflowExecutionPhase


@dataclass
class Point:
    x: int
    y: float


class Stats(typing.NamedTuple):
    total: int
    label: str


@task
def add(a: int, b: int = 3) -> int:
    """Add two numbers.

    Adds them the usual way.

    :param a: the first number
    :param b: the second number
    :return: the sum
    """
    return a + b


@task
def square(x: int) -> int:
    return x * x


@task(
    cache=Cache(version="1", serialize=True, ignored_inputs=("y",)),
    retries=3,
    timeout=datetime.timedelta(minutes=5),
    interruptible=True,
    deprecated="use add",
    environment={"A": "1", "B": "two"},
    requests=Resources(cpu="1", mem="1Gi", ephemeral_storage="1Gi"),
    limits=Resources(cpu="2", mem="2Gi", gpu="1"),
    secret_requests=[Secret(group="db", key="password"), Secret(group="api", key="token", group_version="v2")],
    enable_deck=True,
    pod_template_name="my-template",
    container_image="ghcr.io/org/image:1.2",
)
def fancy(x: typing.List[int], y: typing.Dict[str, float]) -> typing.Optional[str]:
    return None


@task(cache=True, cache_version="2", timeout=30)
def stats(values: typing.List[int]) -> Stats:
    return Stats(sum(values), "n")


@task
def make_point(x: int) -> Point:
    return Point(x, 1.0)


@task
def use_point(p: Point, x: int, y: float) -> str:
    return f"{p} {x} {y}"


@task
def pair(a: int) -> typing.Tuple[int, str]:
    return a, str(a)


@task
def noop() -> None:
    return None


@task
def opt(x: typing.Optional[int] = None, s: str = "hi", f: float = 1.5, flag: bool = True) -> int:
    return x or 0


@task
def cleanup(a: int) -> None:
    return None


@workflow
def basic_wf(a: int, b: int = 2) -> int:
    """A basic workflow.

    :param a: input a
    :param b: input b
    """
    c = add(a=a, b=b)
    d = add(a=c, b=4).with_overrides(name="second", retries=2, timeout=datetime.timedelta(seconds=40))
    fancy(x=[a, c, 5], y={"p": 1.0, "q": 2.5})
    return d


@workflow
def bindings_wf(a: int) -> Stats:
    p = make_point(x=a)
    s = use_point(p=p, x=p.x, y=p.y)
    st = stats(values=[a, 1, 2])
    n = noop()
    o = opt(s=s)
    n >> o
    pr = pair(a=o)
    add(a=pr[0], b=st.total)
    return st


@workflow
def sub_wf(x: int) -> int:
    return square(x=x)


@workflow(interruptible=True, failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
def parent_wf(a: int) -> typing.Tuple[int, int]:
    s = sub_wf(x=a)
    t = sub_wf(x=s)
    return s, t


sub_lp = LaunchPlan.get_or_create(sub_wf, name="sub_lp", fixed_inputs={"x": 3})
add_lp = LaunchPlan.get_or_create(basic_wf, name="add_lp", default_inputs={"a": 1})


@workflow
def lp_wf(a: int) -> int:
    r = add_lp(a=a, b=5)
    return add(a=r, b=sub_lp())


@workflow
def branch_wf(x: int, y: float) -> int:
    return (
        conditional("test")
        .if_((x > 1) & (x < 10))
        .then(square(x=x))
        .elif_(y == 2.5)
        .then(add(a=x, b=2))
        .else_()
        .then(add(a=x))
    )


@workflow
def branch_fail_wf(x: int) -> int:
    s = square(x=x)
    return conditional("must").if_(s >= 4).then(add(a=s)).else_().fail("too small")


@workflow
def branch_nested_wf(x: int, flag: bool) -> int:
    return (
        conditional("outer")
        .if_(flag.is_true())
        .then(conditional("inner").if_(x == 1).then(square(x=x)).else_().then(sub_wf(x=x)))
        .else_()
        .then(add(a=x))
    )


@workflow
def map_wf(xs: typing.List[int]) -> typing.List[int]:
    ys = map_task(square, concurrency=4)(x=xs)
    map_task(functools.partial(add, b=10), min_success_ratio=0.5)(a=ys)
    return map_task(square)(x=xs)


@workflow
def gate_wf(a: int) -> int:
    s = square(x=a)
    sleeper = sleep(datetime.timedelta(minutes=2))
    v = wait_for_input("val", timeout=datetime.timedelta(hours=1), expected_type=int)
    ok = approve(s, "approve-square", timeout=datetime.timedelta(hours=2))
    s >> sleeper
    return add(a=ok, b=v)


@workflow(on_failure=cleanup)
def failing_wf(a: int) -> int:
    return square(x=a)


@dynamic
def dyn(n: int) -> typing.List[int]:
    return [square(x=i) for i in range(n)]


@workflow
def dyn_wf(n: int) -> typing.List[int]:
    return dyn(n=n)


@eager
async def eager_wf(x: int) -> int:
    y = await square(x=x)
    return await add(a=y)


imperative = Workflow(name="serialization_examples.imperative")
_in = imperative.add_workflow_input("x", int)
_n0 = imperative.add_entity(square, x=_in)
_n1 = imperative.add_entity(add, a=_n0.outputs["o0"], b=_in)
imperative.add_workflow_output("out", _n1.outputs["o0"])


@task(docs=Documentation(short_description="short", long_description=Description(value="long text")))
def documented(a: int) -> int:
    return a


@workflow
def scheduled_wf(kickoff: datetime.datetime, n: int = 1) -> int:
    return documented(a=n)


scheduled_lp = LaunchPlan.get_or_create(
    basic_wf,
    name="scheduled_lp",
    default_inputs={"b": 7},
    fixed_inputs={"a": 2},
    schedule=CronSchedule(schedule="0 * * * *"),
    notifications=[
        Email(phases=[WorkflowExecutionPhase.FAILED], recipients_email=["a@b.c"]),
        Slack(phases=[WorkflowExecutionPhase.SUCCEEDED, WorkflowExecutionPhase.ABORTED], recipients_email=["s@b.c"]),
        PagerDuty(phases=[WorkflowExecutionPhase.TIMED_OUT], recipients_email=["p@b.c"]),
    ],
    labels=Labels({"team": "ml"}),
    annotations=Annotations({"note": "x"}),
    raw_output_data_config=RawOutputDataConfig("s3://bucket/raw"),
    max_parallelism=7,
    security_context=SecurityContext(run_as=Identity(k8s_service_account="sa"), secrets=[Secret(group="g", key="k")]),
    overwrite_cache=True,
    auto_activate=True,
)

rate_lp = LaunchPlan.get_or_create(
    dyn_wf,
    name="rate_lp",
    schedule=FixedRate(duration=datetime.timedelta(hours=2)),
    default_inputs={"n": 3},
    auth_role=AuthRole(assumable_iam_role="arn:aws:iam::1:role/r"),
)

kickoff_lp = LaunchPlan.get_or_create(
    scheduled_wf,
    name="kickoff_lp",
    schedule=CronSchedule(schedule="@daily", kickoff_time_input_arg="kickoff"),
    default_inputs={"n": 5},
)


# --- overrides, resources, docstring styles, optional defaults, map over a launch plan ---------------------------


@task(
    requests=Resources(cpu="2", mem="500Mi"),
    limits=Resources(cpu="4"),
    interruptible=False,
    retries=1,
    timeout=120,
    secret_requests=[Secret(group="g", key="k", mount_requirement=Secret.MountType.ENV_VAR, env_var="MY_ENV")],
    shared_memory=True,
)
def heavy(x: int) -> int:
    """Google style.

    Args:
        x: the x value

    Returns:
        int: the result
    """
    return x


@workflow
def overrides_wf(x: int) -> int:
    a = heavy(x=x).with_overrides(
        requests=Resources(cpu="3", mem="1Gi"),
        limits=Resources(cpu="4", mem="2Gi"),
        container_image="ghcr.io/o/other:2",
        interruptible=True,
        timeout=60,
        retries=5,
        node_name="my-Node_1",
    )
    b = square(x=a).with_overrides(cache=Cache(version="7", serialize=True))
    c = map_task(heavy, concurrency=2)(x=[a, b]).with_overrides(retries=3, requests=Resources(mem="2Gi"))
    d = sub_wf(x=b).with_overrides(name="renamed-sub")
    stats(values=c)
    noop() >> d
    return add(a=a, b=d)


@workflow
def optional_wf(x: typing.Optional[int] = None, s: str = "a", p: Point = Point(x=1, y=2.0)) -> int:
    u = use_point(p=p, x=3, y=1.5)
    return (
        conditional("opt")
        .if_(x.is_none())
        .then(opt(s=u))
        .elif_(s == "b")
        .then(opt(x=x))
        .else_()
        .then(opt(x=x, s=s, f=2.0, flag=False))
    )


sq_lp = LaunchPlan.get_or_create(sub_wf, name="sq_lp")


@workflow
def lp_map_wf(xs: typing.List[int]) -> typing.List[int]:
    return map_task(sq_lp, concurrency=3)(x=xs)


@dynamic
def dyn_nested(n: int) -> int:
    s = sub_wf(x=n)
    return add_lp(a=s, b=n)


opt_lp = LaunchPlan.get_or_create(optional_wf, name="opt_lp", default_inputs={"p": Point(x=5, y=6.0)})
