"""conditional(): flytekit's if/elif/else sections; only the chosen case's nodes run."""

from __future__ import annotations

import asyncio
import typing

import pytest
from concurrency import Meeting

from aioflyte import task, workflow
from aioflyte.core.conditional import (
    Branch,
    ConditionalCompileError,
    ConditionalFailure,
    NoBranchTakenError,
    conditional,
)
from aioflyte.core.promise import FlyteCompileError, Promise, PromiseTuple, VoidPromise
from aioflyte.core.workflow import ImperativeWorkflow

# ruff: noqa: UP045

calls: list[str] = []


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()
    yield
    calls.clear()


@task
def double(n: float) -> float:
    calls.append("double")
    return n * 2


@task
def square(n: float) -> float:
    calls.append("square")
    return n * n


@workflow
def fractions_wf(my_input: float) -> float:
    return (
        conditional("fractions")
        .if_((my_input > 0.1) & (my_input < 1.0))
        .then(
            conditional("inner_fractions")
            .if_(my_input < 0.5)
            .then(double(n=my_input))
            .elif_((my_input > 0.5) & (my_input < 0.7))
            .then(square(n=my_input))
            .else_()
            .fail("Only <0.7 allowed")
        )
        .elif_((my_input > 1.0) & (my_input < 10.0))
        .then(square(n=my_input))
        .else_()
        .then(double(n=my_input))
    )


# --- the flytekit reference example ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "my_input, expected, ran",
    [
        (0.3, 0.6, ["double"]),  # inner if_
        (0.6, 0.36, ["square"]),  # inner elif_
        (5.0, 25.0, ["square"]),  # outer elif_
        (20.0, 40.0, ["double"]),  # outer else_
        (0.1, 0.2, ["double"]),  # boundary: not > 0.1, so the outer else_
        (-1.0, -2.0, ["double"]),
    ],
)
async def test_reference_example(my_input, expected, ran):
    assert await fractions_wf(my_input=my_input) == pytest.approx(expected)
    assert calls == ran


async def test_reference_example_fail_path():
    with pytest.raises(ConditionalFailure) as ei:
        await fractions_wf(my_input=0.8)
    assert str(ei.value) == "Only <0.7 allowed"
    assert isinstance(ei.value, ValueError)  # what flytekit raises locally
    assert ei.value.conditional == "inner_fractions"
    notes = "\n".join(ei.value.__notes__)
    assert "(inner_fractions)" in notes and "(fractions)" in notes
    assert calls == []


def test_reference_example_graph_shape():
    # One branch node in the workflow graph; the case nodes live inside it, the inner conditional in a case.
    (node,) = fractions_wf.nodes
    branch = node.entity
    assert isinstance(branch, Branch) and node.kind == "branch" and branch.name == "fractions"
    assert [c.kind for c in branch.cases] == ["if_", "elif_"]
    assert branch.else_case is not None and branch.else_case.condition is None
    assert branch.else_fail_message is None
    assert list(node.bindings) == ["start-node.my_input"]
    (inner_node,) = branch.cases[0].nodes
    inner = inner_node.entity
    assert isinstance(inner, Branch) and inner.name == "inner_fractions"
    assert inner.else_fail_message == "Only <0.7 allowed"
    assert inner.else_case is not None and inner.else_case.nodes == []
    assert branch.cases[0].output_node is inner_node
    assert branch.cases[1].nodes[0].entity is square
    assert set(branch.python_interface.outputs) == {"o0"}


def test_node_ids_are_deterministic():
    def ids(graph):
        out = []
        for n in graph.nodes:
            out.append(n.id)
            if isinstance(n.entity, Branch):
                for c in n.entity.all_cases:
                    out.extend(ids(c.graph("x", n.entity.python_interface)))
        return out

    first = ids(fractions_wf.compile())
    assert first == ids(fractions_wf.compile()) == ids(fractions_wf.graph)
    assert len(set(first)) == len(first)


# --- conditions ------------------------------------------------------------------------------------------------


@task
def inc(x: int) -> int:
    calls.append(f"inc({x})")
    return x + 1


@task
def neg(x: int) -> int:
    calls.append(f"neg({x})")
    return -x


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def is_even(x: int) -> bool:
    return x % 2 == 0


@task
def maybe(x: int) -> typing.Optional[int]:
    return None if x < 0 else x


async def test_condition_on_node_output_waits_for_it():
    @task
    async def slow_inc(x: int) -> int:
        await asyncio.sleep(0.05)
        return x + 1

    @workflow
    def wf(x: int) -> int:
        y = slow_inc(x=x)
        return conditional("big").if_(y > 3).then(inc(x=y)).else_().then(neg(x=y))

    assert await wf(x=5) == 7
    assert calls == ["inc(6)"]
    calls.clear()
    assert await wf(x=1) == -2
    assert calls == ["neg(2)"]


async def test_condition_comparing_two_promises_and_inputs():
    @workflow
    def wf(a: int, b: int) -> int:
        c = inc(x=a)
        return (
            conditional("cmp")
            .if_(c == b)
            .then(inc(x=b))
            .elif_(c != a)  # always true here
            .then(neg(x=b))
            .else_()
            .then(neg(x=a))
        )

    assert await wf(a=1, b=2) == 3
    assert await wf(a=1, b=5) == -5


@pytest.mark.parametrize(
    "x, expected",
    [(-5, "lt"), (0, "le"), (1, "eq"), (3, "ge"), (4, "gt")],
)
async def test_all_comparison_operators(x, expected):
    @task
    def tag(s: str) -> str:
        return s

    @workflow
    def wf(x: int) -> str:
        return (
            conditional("ops")
            .if_(x < 0)
            .then(tag(s="lt"))
            .elif_(x <= 0)
            .then(tag(s="le"))
            .elif_(x == 1)
            .then(tag(s="eq"))
            .elif_(x >= 3)
            .then(
                conditional("ge_gt").if_(x > 3).then(tag(s="gt")).else_().then(tag(s="ge")),
            )
            .elif_(x != 2)
            .then(tag(s="never"))
            .else_()
            .then(tag(s="two"))
        )

    assert await wf(x=x) == expected
    assert await wf(x=2) == "two"


async def test_is_true_is_false_on_node_outputs():
    @workflow
    def wf(x: int) -> int:
        even = is_even(x=x)
        return conditional("parity").if_(even.is_true()).then(inc(x=x)).else_().then(neg(x=x))

    @workflow
    def wf_false(x: int) -> int:
        even = is_even(x=x)
        return conditional("parity").if_(even.is_false()).then(inc(x=x)).else_().then(neg(x=x))

    assert await wf(x=4) == 5
    assert await wf(x=3) == -3
    assert await wf_false(x=4) == -4
    assert await wf_false(x=3) == 4


async def test_is_true_on_a_bool_input():
    @workflow
    def wf(flag: bool, x: int) -> int:
        return conditional("flag").if_(flag.is_true()).then(inc(x=x)).else_().then(neg(x=x))

    assert await wf(flag=True, x=1) == 2
    assert await wf(flag=False, x=1) == -1


async def test_is_none():
    @workflow
    def wf(x: int) -> int:
        m = maybe(x=x)
        return conditional("none").if_(m.is_none()).then(neg(x=x)).else_().then(inc(x=m))

    assert await wf(x=-3) == 3
    assert await wf(x=3) == 4
    assert calls == ["neg(-3)", "inc(3)"]


@pytest.mark.parametrize(
    "x, expected",
    [(-20, -1), (-5, 0), (5, 1), (50, 0), (100, 1)],
)
async def test_and_or(x, expected):
    @task
    def const(v: int) -> int:
        return v

    @workflow
    def wf(x: int) -> int:
        return (
            conditional("ranges")
            .if_((x < -10) | (x > 200))
            .then(const(v=-1))
            .elif_(((x > 0) & (x < 10)) | (x == 100))
            .then(const(v=1))
            .else_()
            .then(const(v=0))
        )

    assert await wf(x=x) == expected


async def test_condition_on_attribute_of_output():
    import dataclasses

    @dataclasses.dataclass
    class Stats:
        count: int
        label: str

    @task
    def stats(x: int) -> Stats:
        return Stats(count=x, label="s")

    @workflow
    def wf(x: int) -> int:
        s = stats(x=x)
        return conditional("attr").if_(s.count > 2).then(inc(x=s.count)).else_().then(neg(x=s.count))

    assert await wf(x=5) == 6
    assert await wf(x=1) == -1


# --- no match, fail, errors at run time ----------------------------------------------------------------------


@task
def record(x: int):
    calls.append(f"record({x})")


async def test_no_match_without_else_fails_the_run():
    @workflow
    def wf(x: int):
        conditional("sign").if_(x > 0).then(record(x=x)).elif_(x < -5).then(record(x=neg(x=x)))

    await wf(x=3)
    await wf(x=-7)
    assert calls == ["record(3)", "neg(-7)", "record(7)"]
    with pytest.raises(NoBranchTakenError, match=r"conditional 'sign': no case matched .*x=-1 > 0.*no else_") as ei:
        await wf(x=-1)
    assert ei.value.conditional == "sign"
    assert calls == ["record(3)", "neg(-7)", "record(7)"]


async def test_no_match_fails_before_downstream_nodes():
    @task
    def after() -> int:
        calls.append("after")
        return 1

    @workflow
    def wf(x: int) -> int:
        c = conditional("only_positive").if_(x > 0).then(record(x=x))
        return c >> after()

    assert await wf(x=1) == 1
    assert calls == ["record(1)", "after"]
    calls.clear()
    with pytest.raises(NoBranchTakenError):
        await wf(x=0)
    assert calls == []


def test_result_of_conditional_without_else_has_no_outputs():
    with pytest.raises(FlyteCompileError, match=r"unbound"):

        @workflow
        def wf(x: int) -> int:
            return conditional("half").if_(x > 0).then(inc(x=x))

    with pytest.raises(FlyteCompileError, match=r"conditional 'half' \(no else_\(\)"):

        @workflow
        def wf2(x: int) -> int:
            r = conditional("half").if_(x > 0).then(inc(x=x))
            return inc(x=r)


async def test_error_in_chosen_case_propagates():
    @task
    def boom(x: int) -> int:
        raise RuntimeError(f"boom {x}")

    @workflow
    def wf(x: int) -> int:
        return conditional("c").if_(x > 0).then(boom(x=x)).else_().then(neg(x=x))

    assert await wf(x=-1) == 1
    with pytest.raises(RuntimeError, match="boom 2") as ei:
        await wf(x=2)
    assert any("(c)" in n for n in ei.value.__notes__)


async def test_fail_in_else_without_other_outputs():
    @workflow
    def wf(x: int) -> int:
        return conditional("guard").if_(x >= 0).then(inc(x=x)).else_().fail("negative input")

    assert await wf(x=1) == 2
    with pytest.raises(ConditionalFailure, match="negative input"):
        await wf(x=-1)


# --- outputs ---------------------------------------------------------------------------------------------------


def test_cases_with_different_output_types_are_a_compile_error():
    @task
    def as_str(x: int) -> str:
        return str(x)

    with pytest.raises(
        ConditionalCompileError, match=r"conditional 'mixed' case 2 \(else_\).*\{o0: str\}.*\{o0: int\}"
    ):

        @workflow
        def wf(x: int) -> int:
            return conditional("mixed").if_(x > 0).then(inc(x=x)).else_().then(as_str(x=x))


def test_cases_with_different_output_names_are_a_compile_error():
    class Named(typing.NamedTuple):
        value: int

    @task
    def named(x: int) -> Named:
        return Named(x)

    with pytest.raises(ConditionalCompileError, match=r"conditional 'names' case 2 \(elif_\).*same outputs"):

        @workflow
        def wf(x: int) -> int:
            return conditional("names").if_(x > 0).then(inc(x=x)).elif_(x < 0).then(named(x=x)).else_().then(inc(x=x))


def test_void_and_value_cases_are_a_compile_error():
    with pytest.raises(ConditionalCompileError, match=r"conditional 'v' case 2 \(else_\) produces no outputs"):

        @workflow
        def wf(x: int) -> int:
            return conditional("v").if_(x > 0).then(inc(x=x)).else_().then(record(x=x))


async def test_several_outputs():
    class Pair(typing.NamedTuple):
        low: int
        high: int

    @task
    def pair(x: int) -> Pair:
        return Pair(x - 1, x + 1)

    @task
    def flipped(x: int) -> Pair:
        return Pair(x + 1, x - 1)

    @workflow
    def wf(x: int) -> int:
        r = conditional("pair").if_(x > 0).then(pair(x=x)).else_().then(flipped(x=x))
        assert isinstance(r, PromiseTuple)
        return inc(x=r.high)

    assert await wf(x=5) == 7
    assert await wf(x=-5) == -5

    @workflow
    def wf_out(x: int) -> Pair:
        return conditional("pair").if_(x > 0).then(pair(x=x)).else_().then(flipped(x=x))

    assert await wf_out(x=5) == Pair(4, 6)


async def test_then_with_an_outside_promise_and_a_chain_of_calls():
    @workflow
    def wf(x: int) -> int:
        y = inc(x=x)
        return conditional("chain").if_(x > 0).then(inc(x=inc(x=y))).else_().then(y)  # else: no nodes

    assert await wf(x=1) == 4
    assert calls == ["inc(1)", "inc(2)", "inc(3)"]
    calls.clear()
    assert await wf(x=-1) == 0
    assert calls == ["inc(-1)"]


# --- void cases and ordering -----------------------------------------------------------------------------------


async def test_void_cases_followed_by_rshift():
    @task
    async def slow_record(x: int):
        await asyncio.sleep(0.05)
        calls.append(f"slow_record({x})")

    @task
    def after() -> int:
        calls.append("after")
        return 0

    @workflow
    def wf(x: int) -> int:
        done = conditional("void").if_(x > 0).then(slow_record(x=x)).else_().then(record(x=x))
        assert type(done) is VoidPromise
        a = after()
        done >> a
        return a

    assert await wf(x=1) == 0
    assert calls == ["slow_record(1)", "after"]
    calls.clear()
    assert await wf(x=-1) == 0
    assert calls == ["record(-1)", "after"]


async def test_branch_waits_for_explicit_upstream_of_case_nodes():
    @task
    async def first():
        await asyncio.sleep(0.05)
        calls.append("first")

    @workflow
    def wf(x: int):
        f = first()
        conditional("ordered").if_(x > 0).then(f >> record(x=x)).else_().then(record(x=x))

    await wf(x=1)
    assert calls == ["first", "record(1)"]
    (branch_node,) = [n for n in wf.nodes if n.kind == "branch"]
    assert branch_node.upstream == [wf.nodes[0].id]


async def test_independent_nodes_run_alongside_the_branch():
    meeting = Meeting(2)  # each slow returns only once the other is running too

    @task
    async def slow(x: int) -> int:
        await meeting.ameet()
        return x

    @workflow
    def wf(x: int) -> int:
        a = slow(x=x)
        b = conditional("c").if_(x > 0).then(slow(x=x)).else_().then(slow(x=0))
        return add(a=a, b=b)

    assert await wf(x=2) == 4
    assert meeting.peak == 2  # the first slow and the branch's slow were in flight at once


# --- nesting through subworkflows and run handles -------------------------------------------------------------


async def test_conditional_in_a_subworkflow_tracks_case_nodes_under_its_prefix():
    @workflow
    def sub(x: int) -> int:
        return conditional("sub_c").if_(x > 0).then(inc(x=x)).else_().then(neg(x=x))

    @workflow
    def outer(x: int) -> int:
        return sub(x=sub(x=x))

    handle = outer.start(x=1)
    assert await handle == 3
    sub_node_ids = [n.id for n in outer.nodes]
    branch_id = sub.nodes[0].id
    inc_id = sub.nodes[0].entity.cases[0].nodes[0].id
    neg_id = sub.nodes[0].entity.else_case.nodes[0].id
    for s in sub_node_ids:
        assert handle.nodes[f"{s}-{branch_id}"].status == "succeeded"
        assert handle.nodes[f"{s}-{inc_id}"].status == "succeeded"
        assert f"{s}-{neg_id}" not in handle.nodes


# --- ImperativeWorkflow -------------------------------------------------------------------------------------


async def test_imperative_workflow_conditional():
    wb = ImperativeWorkflow(name="imperative_cond")
    x = wb.add_workflow_input("x", int)
    result = (
        wb.create_conditional("sign")
        .if_(x > 0)
        .then(wb.add_entity(inc, x=x))
        .elif_(x == 0)
        .then(wb.add_entity(square_int, x=x))
        .else_()
        .then(wb.add_entity(neg, x=x))
    )
    assert isinstance(result, Promise)
    wb.add_workflow_output("out", result)
    assert [n.kind for n in wb.nodes] == ["branch"]
    assert await wb(x=3) == 4
    assert await wb(x=-3) == 3
    assert await wb(x=0) == 0
    assert calls == ["inc(3)", "neg(-3)", "square_int(0)"]


@task
def square_int(x: int) -> int:
    calls.append(f"square_int({x})")
    return x * x


async def test_imperative_workflow_conditional_step_by_step():
    wb = ImperativeWorkflow(name="imperative_steps")
    x = wb.add_workflow_input("x", int)
    before = wb.add_entity(inc, x=x)
    cond = wb.create_conditional("steps")
    case = cond.if_(before.o0 > 5)
    node = wb.add_entity(square_int, x=before.o0)
    rest = case.then(node)
    otherwise = rest.else_()
    out = otherwise.then(wb.add_entity(neg, x=before.o0))
    wb.add_workflow_output("out", out, int)
    assert [n.kind for n in wb.nodes] == ["task", "branch"]
    assert await wb(x=5) == 36
    assert await wb(x=1) == -2


# --- misuse ---------------------------------------------------------------------------------------------------


def test_conditional_outside_a_workflow_is_an_error():
    with pytest.raises(ConditionalCompileError, match=r"conditional\('c'\) can only be used inside a workflow"):
        conditional("c")
    with pytest.raises(AssertionError):  # flytekit raises an AssertionError here
        conditional("c")


def test_python_bool_or_bare_promise_as_condition_is_an_error():
    with pytest.raises(ConditionalCompileError, match=r"already evaluated bool"):

        @workflow
        def wf(x: int) -> int:
            return conditional("c").if_(True).then(inc(x=x)).else_().then(neg(x=x))

    with pytest.raises(ConditionalCompileError, match=r"is not a condition.*is_true"):

        @workflow
        def wf2(x: bool) -> int:
            return conditional("c").if_(x).then(inc(x=1)).else_().then(neg(x=1))

    with pytest.raises(FlyteCompileError, match=r"combine them with & and \|"):

        @workflow
        def wf3(x: int) -> int:
            return conditional("c").if_((x > 1) and (x < 3)).then(inc(x=1)).else_().then(neg(x=1))


def test_fail_only_after_else():
    with pytest.raises(ConditionalCompileError, match=r"fail\(\) is only allowed after else_\(\)"):

        @workflow
        def wf(x: int) -> int:
            return conditional("c").if_(x > 1).fail("no").else_().then(neg(x=1))


def test_case_nodes_are_private_to_their_case():
    with pytest.raises(ConditionalCompileError, match=r"case 2 \(else_\) uses n\d+\.o0, an output of a node inside"):

        @workflow
        def wf(x: int) -> int:
            section = conditional("c").if_(x > 1)
            y = inc(x=x)
            return section.then(y).else_().then(neg(x=y))


def test_complete_conditional_takes_no_more_cases():
    @workflow
    def wf(x: int) -> int:
        section = conditional("c")
        r = section.if_(x > 1).then(inc(x=x)).else_().then(neg(x=x))
        with pytest.raises(ConditionalCompileError, match=r"already has an if_"):
            section.if_(x > 2)
        return r
