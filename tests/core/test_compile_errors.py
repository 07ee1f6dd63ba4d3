"""Compile errors are clear and point at the user's line."""

from __future__ import annotations

import math

import pytest

from aioflyte import task, workflow
from aioflyte.core.promise import FlyteCompileError


@task
def num(x: int) -> int:
    return x


def test_if_on_a_promise():
    with pytest.raises(FlyteCompileError, match=r"as a bool .*test_compile_errors.py:\d+") as ei:

        @workflow
        def wf(x: int) -> int:
            y = num(x=x)
            if y:
                return y
            return num(x=0)

    assert "conditional()" in str(ei.value)


def test_for_over_a_promise():
    with pytest.raises(FlyteCompileError, match=r"in a for loop.*test_compile_errors.py:\d+"):

        @workflow
        def wf(x: int) -> int:
            for _ in num(x=x):
                pass
            return 1


def test_python_function_on_a_promise():
    with pytest.raises(FlyteCompileError, match=r"as a float"):

        @workflow
        def wf(x: int) -> float:
            return math.sqrt(num(x=x))


def test_arithmetic_on_a_promise():
    with pytest.raises(FlyteCompileError, match=r"in arithmetic"):

        @workflow
        def wf(x: int) -> int:
            return num(x=x) + 1


def test_unbound_output():
    with pytest.raises(FlyteCompileError, match=r"output\(s\) o0 but its body returns nothing.*unbound"):

        @workflow
        def wf(x: int) -> int:
            num(x=x)


def test_wrong_input_name_and_type():
    with pytest.raises(FlyteCompileError, match=r"unexpected input\(s\) 'y'"):

        @workflow
        def wf(x: int) -> int:
            return num(y=x)

    with pytest.raises(FlyteCompileError, match=r"input 'x'.*expected int, got str"):

        @workflow
        def wf2(x: int) -> int:
            return num(x="seven")


def test_async_workflow_body_points_to_eager():
    with pytest.raises(FlyteCompileError, match="use @eager"):

        @workflow
        async def wf(x: int) -> int:
            return x


def test_negating_a_promise():
    with pytest.raises(FlyteCompileError, match=r"in arithmetic"):

        @workflow
        def wf(x: int) -> int:
            return -num(x=x)


def test_unfinished_conditional_case():
    from aioflyte import conditional

    with pytest.raises(FlyteCompileError, match="never finished with then"):

        @workflow
        def wf(x: int) -> int:
            conditional("c").if_(x > 1)
            return num(x=x)
