"""Dataclasses, pydantic models and generic dicts: defaults, nesting, recursion, look-alikes, old forms."""

# ruff: noqa: UP045  (typing.Optional on purpose: it is what flytekit code is written with)

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
from typing import Any, Optional, Union

import pydantic
import pytest
from flyteidl.core import literals_pb2, types_pb2
from google.protobuf import json_format, struct_pb2
from typecases import PM, RICH, Color, Inner, Outer, PInner, Rich

from aioflyte.types import TypeEngine, TypeTransformerFailedError
from aioflyte.types.generic import msgpack_literal, unpack


async def _trip(v: Any, t: Any) -> Any:
    return await TypeEngine.to_python_value(None, await TypeEngine.to_literal(None, v, t), t)


async def _data(v: Any, t: Any) -> Any:
    return unpack((await TypeEngine.to_literal(None, v, t)).scalar.binary.value)


async def test_missing_fields_take_their_defaults() -> None:
    a = await TypeEngine.to_python_value(None, msgpack_literal({"inner": {"a": 1}}), Outer)
    b = await TypeEngine.to_python_value(None, msgpack_literal({"inner": {"a": 1}}), Outer)
    assert a == Outer(inner=Inner(a=1, b="x"), xs=[1, 2], f=1.5, o=None)
    assert a.xs is not b.xs  # default factories run per value


async def test_unknown_keys_are_ignored_and_ints_widen_to_float_fields() -> None:
    lit = msgpack_literal({"inner": {"a": 1, "extra": True}, "f": 2, "later_field": [1]})
    got = await TypeEngine.to_python_value(None, lit, Outer)
    assert got == Outer(inner=Inner(a=1), f=2.0) and type(got.f) is float


async def test_field_order_and_value_forms() -> None:
    data = await _data(RICH, Rich)
    assert list(data) == [f.name for f in dataclasses.fields(Rich)]
    assert data["when"] == "2024-01-02T03:04:05.000006+02:00" and data["later"] == "2020-01-01T00:00:00"
    assert data["day"] == "2024-01-02" and data["wait"] == 3.000005 and data["color"] == "red"
    assert data["by_id"] == {1: "one", 2: "two"} and data["blob"] == b"\x00\x01" and data["tags"] == ["t"]
    back = await _trip(RICH, Rich)
    assert back.when.utcoffset() == datetime.timedelta(hours=2) and back.later.tzinfo is None


async def test_ints_in_float_fields_are_written_as_floats() -> None:
    data = await _data(Outer(inner=Inner(1), f=2), Outer)
    assert data["f"] == 2.0 and type(data["f"]) is float


@dataclasses.dataclass
class Tree:
    value: int
    children: list[Tree] = dataclasses.field(default_factory=list)


async def test_recursive_dataclass() -> None:
    tree = Tree(1, [Tree(2), Tree(3, [Tree(4)])])
    assert await _trip(tree, Tree) == tree
    assert TypeEngine.local_converter(Tree)(tree) == tree  # type: ignore[misc]
    schema = json_format.MessageToDict(TypeEngine.to_literal_type(Tree).metadata)
    assert schema["$ref"] == "#/$defs/Tree" and schema["$defs"]["Tree"]["title"] == "Tree"
    assert schema["$defs"]["Tree"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Tree"}
    guessed = TypeEngine.guess_python_type(TypeEngine.to_literal_type(Tree))
    assert {f.name for f in dataclasses.fields(guessed)} == {"value", "children"}  # a Struct keeps no order


@dataclasses.dataclass(frozen=True)
class Point:
    x: float
    y: float = 0.0
    label: str = dataclasses.field(default="p", compare=False)
    norm: float = dataclasses.field(init=False, default=0.0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "norm", abs(self.x) + abs(self.y))


async def test_frozen_and_init_false_fields() -> None:
    p = Point(3.0, -4.0, "a")
    back = await _trip(p, Point)
    assert back == p and back.norm == 7.0 and back.label == "a"


@dataclasses.dataclass
class Choices:
    either: Union[int, str]
    maybe_inner: Optional[Inner] = None
    shade: Optional[Color] = None
    pairs: dict[int, list[Inner]] = dataclasses.field(default_factory=dict)
    anything: Any = None


@pytest.mark.parametrize(
    "v",
    [
        Choices(either=1),
        Choices(either="1", maybe_inner=Inner(2), shade=Color.GREEN, pairs={3: [Inner(4)]}, anything=[1, {"a": b"b"}]),
    ],
)
async def test_unions_and_containers_in_fields(v: Choices) -> None:
    back = await _trip(v, Choices)
    assert back == v and type(back.either) is type(v.either)
    assert TypeEngine.local_converter(Choices)(v) == back  # type: ignore[misc]


async def test_union_of_two_dataclasses_picks_the_one_that_reads() -> None:
    t = Union[Inner, Outer]
    assert await _trip(Outer(inner=Inner(1)), t) == Outer(inner=Inner(1))
    assert await _trip(Inner(3), t) == Inner(3)


@dataclasses.dataclass
class InnerCopy:  # the same shape as Inner, as a class guessed from a remote interface would be
    a: int
    b: str = "x"


async def test_look_alike_dataclass_is_accepted_by_fields() -> None:
    assert await _trip(InnerCopy(5, "z"), Inner) == Inner(5, "z")
    with pytest.raises(TypeTransformerFailedError, match="expected Inner, got Outer"):
        await TypeEngine.to_literal(None, Outer(inner=Inner(1)), Inner)


async def test_guessed_dataclass_round_trips_and_fills_defaults() -> None:
    guessed = TypeEngine.guess_python_type(TypeEngine.to_literal_type(Outer))
    value = guessed(inner=TypeEngine.guess_python_type(TypeEngine.to_literal_type(Inner))(a=1))
    assert value.xs == [] and value.f == 1.5 and value.o is None  # default factories are unknown: empty
    lit = await TypeEngine.to_literal(None, Outer(inner=Inner(2)), Outer)
    read = await TypeEngine.to_python_value(None, lit, guessed)
    assert (read.inner.a, read.inner.b, read.xs, read.f, read.o) == (2, "x", [1, 2], 1.5, None)
    assert await _trip(read, Outer) == Outer(inner=Inner(2))  # and back into the real class


async def test_old_struct_form_of_a_dataclass() -> None:
    struct = struct_pb2.Struct()
    struct.update({"inner": {"a": 2, "b": "y"}, "xs": [3, 4], "f": 2, "o": None})
    lit = literals_pb2.Literal(scalar=literals_pb2.Scalar(generic=struct))
    got = await TypeEngine.to_python_value(None, lit, Outer)
    assert got == Outer(inner=Inner(2, "y"), xs=[3, 4], f=2.0) and type(got.xs[0]) is int


async def test_generic_dict_forms() -> None:
    v = {"a": 1, "b": [1, "x", None, 2.5, True], "c": {"d": b"\x00", 1: "int key"}}
    assert await _trip(v, dict) == v
    assert await _trip({1: "a", 2: "b"}, dict[int, str]) == {1: "a", 2: "b"}
    assert await _trip({1: datetime.date(2024, 1, 1)}, dict[int, datetime.date]) == {1: datetime.date(2024, 1, 1)}
    assert await _trip({}, dict) == {}
    struct = struct_pb2.Struct()
    struct.update({"k": [1, "x"]})
    old = literals_pb2.Literal(scalar=literals_pb2.Scalar(generic=struct))
    assert await TypeEngine.to_python_value(None, old, dict) == {"k": [1.0, "x"]}


async def test_typed_dict_can_be_sent_as_struct() -> None:
    lt = TypeEngine.to_literal_type(dict)  # a backend may declare dict[str, int] as STRUCT
    lit = await TypeEngine.to_literal(None, {"a": 1}, dict[str, int], lt)
    assert lit.scalar.binary.tag == "msgpack"
    assert await TypeEngine.to_python_value(None, lit, dict[str, int]) == {"a": 1}


class Shape(str, enum.Enum):
    ROUND = "round"


class Model(pydantic.BaseModel):
    name: str
    shape: Shape = Shape.ROUND
    when: datetime.datetime = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    raw: bytes = b"ok"
    inner: Inner = Inner(1)
    ids: dict[int, str] = {}

    @pydantic.field_validator("name")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


async def test_pydantic_round_trip_and_local_converter() -> None:
    m = Model(name="ABC", ids={1: "x"})
    back = await _trip(m, Model)
    assert back == m and back is not m and back.ids == {1: "x"} and back.inner == Inner(1)
    local = TypeEngine.local_converter(Model)(m)  # type: ignore[misc]
    assert local == back and local is not m
    data = await _data(m, Model)
    assert data == json.loads(m.model_dump_json())  # flytekit's form: the JSON dump, as msgpack


async def test_pydantic_literal_type_carries_model_schema() -> None:
    lt = TypeEngine.to_literal_type(PM)
    assert json_format.MessageToDict(lt.metadata) == json.loads(json.dumps(PM.model_json_schema()))
    assert set(lt.structure.dataclass_type) == {"a", "b", "inner", "color"}
    assert lt.annotation.annotations["cache-key-metadata"]["serialization-format"] == "msgpack"
    assert await _trip(PM(a=1, inner=PInner(x=1)), Optional[PM]) == PM(a=1, inner=PInner(x=1))


@dataclasses.dataclass
class Loose:
    name: str
    anything: Any = None


async def test_str_enum_values_are_stored_as_their_value() -> None:
    v = Loose(name=Shape.ROUND, anything={"k": Shape.ROUND, "n": enum.IntEnum("N", "ONE")(1)})  # type: ignore[arg-type]
    data = await _data(v, Loose)
    assert data == {"name": "round", "anything": {"k": "round", "n": 1}}
    assert type(data["name"]) is str
    assert await _trip(v, Loose) == Loose(name="round", anything={"k": "round", "n": 1})
    assert TypeEngine.local_converter(Loose)(v) == Loose(name="round", anything={"k": "round", "n": 1})  # type: ignore[misc]


def test_schema_that_cannot_be_a_dataclass_is_guessed_as_dict() -> None:
    lt = types_pb2.LiteralType()
    lt.CopyFrom(TypeEngine.to_literal_type(Inner))  # a copy: the engine hands out its cached message
    lt.metadata.fields["properties"].struct_value.fields["not an identifier"].struct_value.update({"type": "string"})
    assert TypeEngine.guess_python_type(lt) is dict


class Opaque:
    pass


@dataclasses.dataclass
class BadTree:
    kids: list[BadTree]
    thing: Opaque


def test_failed_recursive_dataclass_leaves_no_broken_codec() -> None:
    for _ in range(2):  # the second attempt must fail the same way, not on a half-built cached codec
        with pytest.raises(TypeTransformerFailedError, match=r"BadTree\.thing: type .*Opaque has no msgpack form"):
            TypeEngine.to_literal_type(BadTree)
