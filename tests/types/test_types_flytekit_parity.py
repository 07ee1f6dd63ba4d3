"""Small behaviours of flytekit's type engine that aioflyte matches (issue 12 §3), through the public API.

Each test's docstring says what flytekit 1.16 does (checked with flytekit 1.16.31).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import typing
from typing import Annotated

import pandas as pd
import pydantic
import pytest
from google.protobuf import struct_pb2

from aioflyte import task, workflow
from aioflyte.types import TypeEngine, TypeTransformerFailedError
from aioflyte.types.directory import FlyteDirectory
from aioflyte.types.file import FlyteFile
from aioflyte.types.structured import StructuredDataset


@dataclasses.dataclass
class Cat:
    name: str


@dataclasses.dataclass
class Dog:
    name: str


@dataclasses.dataclass
class Bird:
    name: str
    wings: int = 2


PetOrDog = typing.Union[Cat, Dog]


@task
def adopt(name: str) -> PetOrDog:
    return Cat(name)


@task
def adopt_bird(name: str) -> typing.Union[Cat, Bird]:
    return Bird(name)


@workflow
def adoption(name: str) -> PetOrDog:
    return adopt(name=name)


async def test_union_of_structurally_identical_dataclasses_is_ambiguous() -> None:
    """flytekit: ``Union[Cat, Dog]`` with ``Cat("x")`` (or ``Dog("x")``) raises ``TypeError("Ambiguous choice of
    variant for union type. Potential types: [Cat, Dog] ...")``: both variants accept the value, and the literal
    (tagged with the transformer's name only) could be read back as either."""
    for value in (Cat("tom"), Dog("rex")):
        with pytest.raises(TypeTransformerFailedError, match="Ambiguous choice of variant for union type") as e:
            await TypeEngine.async_to_literal(None, value, PetOrDog)
        assert isinstance(e.value, TypeError) and "Cat, Dog" in str(e.value)
    with pytest.raises(TypeError, match="Ambiguous choice of variant for union type"):
        await adopt(name="tom")  # a local task's output: the local conversion says the same
    with pytest.raises(TypeError, match="Ambiguous choice of variant for union type"):
        await adoption(name="tom")
    conv = TypeEngine.local_converter(PetOrDog | None)
    assert conv is not None
    with pytest.raises(TypeError, match="Ambiguous choice of variant for union type"):
        conv(Dog("rex"))


async def test_union_of_records_that_differ_is_not_ambiguous() -> None:
    """flytekit writes ``Union[Cat, Bird]`` with ``Bird("x")`` and ``Optional[Cat]`` without complaint."""
    assert await adopt_bird(name="tweety") == Bird("tweety")
    lit = await TypeEngine.async_to_literal(None, Cat("tom"), Cat | None)
    assert await TypeEngine.async_to_python_value(None, lit, Cat | None) == Cat("tom")


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass
class Point:
    x: int


class Model(pydantic.BaseModel):
    x: int


class Opaque:
    pass


ANNOTATED_CASES = [
    (int, 1, "x"),
    (float, 1.5, "x"),
    (str, "s", 1),
    (bool, True, 1),
    (datetime.datetime, datetime.datetime(2024, 1, 1), 1),
    (list[int], [1], 1),
    (dict[str, int], {"a": 1}, 1),
    (dict, {"a": 1}, 1),
    (int | None, None, "x"),
    (Point, Point(1), 1),
    (Color, Color.RED, 1),
    (Model, Model(x=1), 1),
    (FlyteFile, FlyteFile("/tmp/f"), 1),
    (FlyteDirectory, FlyteDirectory("/tmp/d"), 1),
    (StructuredDataset, StructuredDataset(uri="s3://b/sd"), 1),
    (pd.DataFrame, pd.DataFrame({"a": [1]}), 1),
    (Opaque, Opaque(), 1),
    (bytes, b"x", 1),
    (struct_pb2.Struct, struct_pb2.Struct(), 1),
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # Opaque is pickled
@pytest.mark.parametrize(("t", "good", "bad"), ANNOTATED_CASES, ids=lambda x: getattr(x, "__name__", None))
def test_assert_type_accepts_annotated_types(t: typing.Any, good: typing.Any, bad: typing.Any) -> None:
    """flytekit: ``get_transformer(Annotated[T, ...]).assert_type(Annotated[T, ...], v)`` accepts a ``T`` (its
    transformers look through the annotation; the base class skips types it cannot check). aioflyte also refuses
    a wrong value, naming ``T``, rather than failing on the annotation itself."""
    annotated = Annotated[t, "some annotation"]
    tr = TypeEngine.get_transformer(annotated)
    tr.assert_type(annotated, good)
    with pytest.raises(TypeTransformerFailedError, match=r"^expected "):
        tr.assert_type(annotated, bad)


def test_enum_types_guessed_twice_accept_each_others_values() -> None:
    """flytekit: two enum classes guessed from one enum literal type (``guess_python_type`` makes a new class
    each time) are distinct classes, and a member of either converts as the other."""
    lt = TypeEngine.to_literal_type(Color)
    first, second = TypeEngine.guess_python_type(lt), TypeEngine.guess_python_type(lt)
    assert first is not second
    tr = TypeEngine.get_transformer(first)
    tr.assert_type(second, first("red"))
    assert TypeEngine.to_literal(None, first("green"), second, lt).scalar.primitive.string_value == "green"
    conv = TypeEngine.local_converter(second)
    assert conv is not None
    assert conv(first("red")) is second("red")
    assert conv(Color.RED) is second("red")  # the user's enum and the one guessed from its literal type


def test_an_enum_with_other_values_is_still_refused() -> None:
    other = enum.Enum("Other", {"RED": "red", "BLUE": "blue"})
    with pytest.raises(TypeTransformerFailedError, match="expected Color"):
        TypeEngine.get_transformer(Color).assert_type(Color, other.RED)


def test_flytefiles_of_different_formats_compare_unequal() -> None:
    """flytekit: ``FlyteFile["csv"](p) == FlyteFile["json"](p)`` and ``== FlyteFile(p)`` are False, and
    ``FlyteFile["csv"](p) == FlyteFile["csv"](p)`` is True (its ``__eq__`` compares the extension too)."""
    p = "/tmp/data"
    assert FlyteFile["csv"](p) == FlyteFile["csv"](p)
    assert FlyteFile["csv"](p) != FlyteFile["json"](p)
    assert FlyteFile["csv"](p) != FlyteFile(p)
    assert FlyteDirectory["csv"](p) != FlyteDirectory(p)
