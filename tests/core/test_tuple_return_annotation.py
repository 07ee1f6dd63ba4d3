"""A return annotation written as a tuple of types, ``-> (int, str)``, declares one output per element.

flytekit 1.16 (checked with 1.16.31): ``-> (int, str)`` gives the outputs ``o0: int, o1: str`` (as
``-> Tuple[int, str]`` does), and calling the task returns both values; a one-element tuple, ``-> (int,)`` or
``-> Tuple[int]``, is refused ("Please don't use a tuple if you're just returning one thing" / "Tuples should be
used to indicate multiple return values") with a ``FlyteValidationException``. With ``from __future__ import
annotations`` flytekit fails on ``-> (int, str)`` ("Forward references must evaluate to types"); aioflyte reads it.
"""

from __future__ import annotations

import typing

import pytest
from flyteidl.core import types_pb2

from aioflyte import task, workflow
from aioflyte.exceptions import FlyteValidationException
from aioflyte.remote.translator._common import typed_interface


@task
def split(a: int) -> (int, str):  # the form under test
    return a, str(a)


@task
def join(n: int, s: str) -> str:
    return f"{n}/{s}"


@workflow
def pair(a: int) -> (str, int):
    n, s = split(a=a)
    return join(n=n, s=s), n


async def test_a_tuple_of_types_declares_one_output_per_element() -> None:
    assert split.python_interface.outputs == {"o0": int, "o1": str}
    assert await split(a=3) == (3, "3")
    assert pair.python_interface.outputs == {"o0": str, "o1": int}
    assert await pair(a=4) == ("4/4", 4)


def test_the_serialized_interface_has_both_outputs() -> None:
    outputs = typed_interface(split.python_interface).outputs.variables
    assert sorted(outputs) == ["o0", "o1"]
    assert outputs["o0"].type.simple == types_pb2.INTEGER and outputs["o1"].type.simple == types_pb2.STRING


def _with_return(annotation: object) -> typing.Callable[[int], int]:
    def f(a: int) -> int:
        return a

    f.__annotations__ = {"a": int, "return": annotation}
    return f


@pytest.mark.parametrize(
    "annotation", [(int,), typing.Tuple[int], tuple[int]], ids=["(int,)", "Tuple[int]", "tuple[int]"]
)
def test_a_one_element_tuple_is_refused(annotation: object) -> None:
    with pytest.raises(FlyteValidationException, match="write the type alone for one output"):
        task(_with_return(annotation))


def test_an_empty_tuple_declares_no_outputs() -> None:
    assert task(_with_return(())).python_interface.outputs == {}


def test_a_parenthesized_string_annotation_that_is_one_type_stays_one_output() -> None:
    assert task(_with_return("(int)")).python_interface.outputs == {"o0": int}
