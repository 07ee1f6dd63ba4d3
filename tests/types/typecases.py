"""Types shared by the type-engine tests; the same definitions produced the flytekit 1.16 wire constants."""

# ruff: noqa: UP045  (typing.Optional on purpose: it is what flytekit code is written with)

import dataclasses
import datetime
import enum
import typing
from typing import Any, Optional, Union

import pydantic


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass
class Inner:
    a: int
    b: str = "x"


@dataclasses.dataclass
class Outer:
    inner: Inner
    xs: list[int] = dataclasses.field(default_factory=lambda: [1, 2])
    f: float = 1.5
    o: Optional[str] = None


@dataclasses.dataclass
class Rich:
    when: datetime.datetime
    day: datetime.date
    wait: datetime.timedelta
    color: Color
    items: list[Inner]
    named: dict[str, Inner]
    maybe: Optional[Inner]
    by_id: dict[int, str]
    either: Union[int, str]
    blob: bytes
    anything: Any
    loose: dict
    pair: tuple[int, str] = (1, "a")
    tags: set[str] = dataclasses.field(default_factory=set)
    flag: bool = True
    score: float = 0.5
    later: datetime.datetime = datetime.datetime(2020, 1, 1)
    shade: Color = Color.GREEN
    nums: list[Optional[int]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Empty:
    pass


class PInner(pydantic.BaseModel):
    x: int
    when: Optional[datetime.datetime] = None


class PM(pydantic.BaseModel):
    a: int
    b: list[str] = []
    inner: Optional[PInner] = None
    color: Color = Color.RED


UTC = datetime.timezone.utc
RICH = Rich(
    when=datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
    day=datetime.date(2024, 1, 2),
    wait=datetime.timedelta(seconds=3, microseconds=5),
    color=Color.RED,
    items=[Inner(1), Inner(2, "y")],
    named={"k": Inner(3)},
    maybe=None,
    by_id={1: "one", 2: "two"},
    either="q",
    blob=b"\x00\x01",
    anything={"z": [1, 2.5, None, "s"]},
    loose={"a": [1, {"b": None}]},
    tags={"t"},
    nums=[1, None],
)

# name -> (python type, value), each with its flytekit 1.16 wire form in test_types_wire.WIRE
CASES: dict[str, tuple[Any, Any]] = {
    "int": (int, 3),
    "float": (float, 2.5),
    "str": (str, "hi"),
    "bool": (bool, True),
    "datetime_aware": (datetime.datetime, datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)),
    "datetime_naive": (datetime.datetime, datetime.datetime(2024, 1, 2, 3, 4, 5, 6)),
    "date": (datetime.date, datetime.date(2024, 1, 2)),
    "timedelta": (datetime.timedelta, datetime.timedelta(seconds=3, microseconds=5)),
    "none": (type(None), None),
    "list_int": (list[int], [1, 2]),
    "dict_str_int": (dict[str, int], {"a": 1, "b": 2}),
    "dict_untyped": (dict, {"a": 1, "b": [1, "x"], "c": {"d": None, "e": 1.5, "f": b"\x01"}}),
    "dict_int_str": (dict[int, str], {1: "a", 2: "b"}),
    "optional_int_value": (Optional[int], 3),
    "optional_int_none": (Optional[int], None),
    "union_int_str": (Union[int, str], "s"),
    "enum": (Color, Color.RED),
    "list_optional_int": (list[Optional[int]], [1, None]),
    "dict_str_list_float": (dict[str, list[float]], {"k": [1.0, 2.5]}),
    "inner": (Inner, Inner(a=1)),
    "outer": (Outer, Outer(inner=Inner(a=2))),
    "rich": (Rich, RICH),
    "empty": (Empty, Empty()),
    "optional_inner": (Optional[Inner], Inner(a=4, b="q")),
    "optional_dict": (Optional[dict], {"a": 1}),
    "list_inner": (list[Inner], [Inner(1), Inner(2)]),
    "pydantic": (PM, PM(a=1, b=["q"], inner=PInner(x=2, when=datetime.datetime(2024, 1, 1, tzinfo=UTC)))),
    "optional_pydantic": (Optional[PM], PM(a=5)),
}


@dataclasses.dataclass(frozen=True)
class Frozen:
    q: int = 1


@dataclasses.dataclass
class Extras:
    a: int = 1
    raw: bytes = b"hi\x00"
    wait: datetime.timedelta = datetime.timedelta(seconds=1.5)
    uniq: set[int] = dataclasses.field(default_factory=set)
    pair: tuple[int, str] = (1, "a")
    many: tuple[int, ...] = (1, 2)
    clock: datetime.time = datetime.time(1, 2)
    frozen: Frozen = Frozen()
    described: int = dataclasses.field(default=3, metadata={"description": "hello"})
    maybe: Optional[int] = None
    day: datetime.date = datetime.date(2020, 1, 2)
    names: frozenset[str] = frozenset()
    legacy_list: typing.List[int] = dataclasses.field(default_factory=list)
    legacy_dict: typing.Dict[str, float] = dataclasses.field(default_factory=dict)
    loose_list: list = dataclasses.field(default_factory=list)
