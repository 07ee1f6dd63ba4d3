"""Dataclasses written for mashumaro and dataclasses_json: their mixins, and mashumaro's serialization strategies.

flytekit 1.16 encodes every dataclass with mashumaro (checked with 1.16.31, mashumaro 3.23, dataclasses-json
0.5.9): mixins (``DataClassJSONMixin``, ``DataClassDictMixin``, ``DataClassJsonMixin``, ``@dataclass_json``) change
nothing; ``class Config: serialization_strategy = {type: strategy}`` applies to the class's fields of that type
(inside their lists and Optionals too, not inside nested dataclasses), a field's ``metadata`` (``serialize`` /
``deserialize``, ``field_options(serialization_strategy=...)``) to that field; the JSON schema then gives the type
``serialize`` returns (nothing for a lambda), and a default is written with the class's strategy. A
``SerializableType`` field is stored as ``_serialize()`` returns it, and the dataclass then has no JSON schema. The
hex strings are flytekit's literal type and literal of each value (serialized deterministically).
"""

from __future__ import annotations

import dataclasses
import datetime
import typing

import pytest

pytest.importorskip("mashumaro")
pytest.importorskip("dataclasses_json")

from dataclasses_json import DataClassJsonMixin, dataclass_json
from mashumaro import DataClassDictMixin
from mashumaro.config import BaseConfig
from mashumaro.helper import field_options
from mashumaro.mixins.json import DataClassJSONMixin
from mashumaro.types import SerializableType, SerializationStrategy

from aioflyte import task, workflow
from aioflyte.types import TypeEngine

UTC = datetime.timezone.utc


class DayStrategy(SerializationStrategy):
    def serialize(self, value: datetime.datetime) -> str:
        return value.strftime("%Y/%m/%d")

    def deserialize(self, value: str) -> datetime.datetime:
        return datetime.datetime.strptime(value, "%Y/%m/%d")


@dataclasses.dataclass
class JsonMixin(DataClassJSONMixin):
    a: int
    b: str = "x"


@dataclass_json
@dataclasses.dataclass
class Decorated:
    a: int
    when: datetime.datetime


@dataclasses.dataclass
class JsonMixinToo(DataClassJsonMixin):
    a: typing.List[int]


@dataclasses.dataclass
class ByClass(DataClassDictMixin):
    when: datetime.datetime
    other: datetime.datetime = dataclasses.field(
        default=datetime.datetime(2020, 1, 2),
        metadata={
            "serialize": lambda v: v.isoformat() + "!",
            "deserialize": lambda s: datetime.datetime.fromisoformat(s[:-1]),
        },
    )

    class Config(BaseConfig):
        serialization_strategy = {datetime.datetime: DayStrategy()}  # noqa: RUF012  # mashumaro's documented form


@dataclasses.dataclass
class PlainWithConfig:
    when: datetime.datetime

    class Config(BaseConfig):
        serialization_strategy = {  # noqa: RUF012  # mashumaro's documented form
            datetime.datetime: {
                "serialize": lambda v: v.timestamp(),
                "deserialize": lambda t: datetime.datetime.fromtimestamp(t, UTC),
            }
        }


@dataclasses.dataclass
class ByField:
    when: datetime.datetime = dataclasses.field(metadata=field_options(serialization_strategy=DayStrategy()))


@dataclasses.dataclass
class Inner:
    when: datetime.datetime


@dataclasses.dataclass
class Containers:
    inner: Inner
    whens: typing.List[datetime.datetime]
    maybe: datetime.datetime | None = None

    class Config(BaseConfig):
        serialization_strategy = {datetime.datetime: DayStrategy()}  # noqa: RUF012  # mashumaro's documented form


@dataclasses.dataclass
class Nest:
    c: ByClass
    j: JsonMixin


class Cents(SerializableType):
    def __init__(self, cents: int):
        self.cents = cents

    def _serialize(self) -> str:
        return f"{self.cents / 100:.2f}"

    @classmethod
    def _deserialize(cls, v: str) -> Cents:
        return cls(round(float(v) * 100))

    def __eq__(self, o):
        return isinstance(o, Cents) and o.cents == self.cents


@dataclasses.dataclass
class Priced:
    price: Cents
    history: typing.List[Cents]


dt = datetime.datetime(2024, 3, 5, 6, 7, 8)
CASES = {
    "JsonMixin": (JsonMixin, JsonMixin(1)),
    "Decorated": (Decorated, Decorated(2, dt)),
    "JsonMixinToo": (JsonMixinToo, JsonMixinToo([1, 2])),
    "ByClass": (ByClass, ByClass(dt)),
    "PlainWithConfig": (PlainWithConfig, PlainWithConfig(datetime.datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC))),
    "ByField": (ByField, ByField(dt)),
    "Containers": (Containers, Containers(Inner(dt), [dt], dt)),
    "Nest": (Nest, Nest(ByClass(dt), JsonMixin(3))),
    "Priced": (Priced, Priced(Cents(150), [Cents(1)])),
}


FLYTEKIT = {
    "JsonMixin": (
        "080932b2010a1a0a146164646974696f6e616c50726f70657274696573120220000a570a0a70726f7065727469657312492a470a1a0a016112152a130a110a047479706512091a07696e74656765720a290a016212242a220a0e0a0764656661756c7412031a01780a100a047479706512081a06737472696e670a130a087265717569726564120732050a031a01610a140a057469746c65120b1a094a736f6e4d6978696e0a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5a1212070a01611202080112070a016212020803",
        "0a151a130a0882a16101a162a17812076d73677061636b",
    ),
    "Decorated": (
        "080932c4010a1a0a146164646974696f6e616c50726f70657274696573120220000a610a0a70726f7065727469657312532a510a1a0a016112152a130a110a047479706512091a07696e74656765720a330a047768656e122b2a290a150a06666f726d6174120b1a09646174652d74696d650a100a047479706512081a06737472696e670a1b0a087265717569726564120f320d0a031a01610a061a047768656e0a140a057469746c65120b1a094465636f72617465640a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5a1512070a016112020801120a0a047768656e12020805",
        "0a2a1a280a1d82a16102a47768656eb3323032342d30332d30355430363a30373a303812076d73677061636b",
    ),
    "JsonMixinToo": (
        "080932a8010a1a0a146164646974696f6e616c50726f70657274696573120220000a4a0a0a70726f70657274696573123c2a3a0a380a016112332a310a1e0a056974656d7312152a130a110a047479706512091a07696e74656765720a0f0a047479706512071a0561727261790a130a087265717569726564120732050a031a01610a170a057469746c65120e1a0c4a736f6e4d6978696e546f6f0a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5a0b12090a016112041a020801",
        "0a131a110a0681a16192010212076d73677061636b",
    ),
    "ByClass": (
        "080932b0010a1a0a146164646974696f6e616c50726f70657274696573120220000a540a0a70726f7065727469657312462a440a240a056f74686572121b2a190a170a0764656661756c74120c1a0a323032302f30312f30320a1c0a047768656e12142a120a100a047479706512081a06737472696e670a160a087265717569726564120a32080a061a047768656e0a120a057469746c6512091a074279436c6173730a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5a19120b0a056f7468657212020805120a0a047768656e12020805",
        "0a391a370a2c82a47768656eaa323032342f30332f3035a56f74686572b4323032302d30312d30325430303a30303a30302112076d73677061636b",
    ),
    "PlainWithConfig": (
        "08093280010a1a0a146164646974696f6e616c50726f70657274696573120220000a1c0a0a70726f70657274696573120e2a0c0a0a0a047768656e12022a000a160a087265717569726564120a32080a061a047768656e0a1a0a057469746c6512111a0f506c61696e57697468436f6e6669670a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5a0c120a0a047768656e12020805",
        "0a1c1a1a0a0f81a47768656ecb41d979ada300000012076d73677061636b",
    ),
    "ByField": (
        "0809328a010a1a0a146164646974696f6e616c50726f70657274696573120220000a2e0a0a70726f7065727469657312202a1e0a1c0a047768656e12142a120a100a047479706512081a06737472696e670a160a087265717569726564120a32080a061a047768656e0a120a057469746c6512091a0742794669656c640a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5a0c120a0a047768656e12020805",
        "0a1e1a1c0a1181a47768656eaa323032342f30332f303512076d73677061636b",
    ),
    "Containers": (
        "080932bb030a1a0a146164646974696f6e616c50726f70657274696573120220000ad1020a0a70726f7065727469657312c2022abf020aac010a05696e6e657212a2012a9f010a1a0a146164646974696f6e616c50726f70657274696573120220000a450a0a70726f7065727469657312372a350a330a047768656e122b2a290a150a06666f726d6174120b1a09646174652d74696d650a100a047479706512081a06737472696e670a160a087265717569726564120a32080a061a047768656e0a100a057469746c6512071a05496e6e65720a100a047479706512081a066f626a6563740a510a056d6179626512482a460a350a05616e794f66122c322a0a142a120a100a047479706512081a06737472696e670a122a100a0e0a047479706512061a046e756c6c0a0d0a0764656661756c74120208000a3b0a057768656e7312322a300a1d0a056974656d7312142a120a100a047479706512081a06737472696e670a0f0a047479706512071a0561727261790a200a087265717569726564121432120a071a05696e6e65720a071a057768656e730a150a057469746c65120c1a0a436f6e7461696e6572730a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5ab80212fd010a05696e6e657212f3010809329f010a1a0a146164646974696f6e616c50726f70657274696573120220000a450a0a70726f7065727469657312372a350a330a047768656e122b2a290a150a06666f726d6174120b1a09646174652d74696d650a100a047479706512081a06737472696e670a160a087265717569726564120a32080a061a047768656e0a100a057469746c6512071a05496e6e65720a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5a0c120a0a047768656e1202080512270a056d61796265121e521c0a0e08055a0a0a086461746574696d650a0a08005a060a046e6f6e65120d0a057768656e7312041a020805",
        "0a511a4f0a4483a5696e6e657281a47768656eb3323032342d30332d30355430363a30373a3038a57768656e7391aa323032342f30332f3035a56d61796265aa323032342f30332f303512076d73677061636b",
    ),
    "Nest": (
        "080932e8030a1a0a146164646974696f6e616c50726f70657274696573120220000a8c030a0a70726f7065727469657312fd022afa020ab9010a016312b3012ab0010a1a0a146164646974696f6e616c50726f70657274696573120220000a540a0a70726f7065727469657312462a440a240a056f74686572121b2a190a170a0764656661756c74120c1a0a323032302f30312f30320a1c0a047768656e12142a120a100a047479706512081a06737472696e670a160a087265717569726564120a32080a061a047768656e0a120a057469746c6512091a074279436c6173730a100a047479706512081a066f626a6563740abb010a016a12b5012ab2010a1a0a146164646974696f6e616c50726f70657274696573120220000a570a0a70726f7065727469657312492a470a1a0a016112152a130a110a047479706512091a07696e74656765720a290a016212242a220a0e0a0764656661756c7412031a01780a100a047479706512081a06737472696e670a130a087265717569726564120732050a031a01610a140a057469746c65120b1a094a736f6e4d6978696e0a100a047479706512081a066f626a6563740a180a087265717569726564120c320a0a031a01630a031a016a0a0f0a057469746c6512061a044e6573740a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5aaf041297020a0163129102080932b0010a1a0a146164646974696f6e616c50726f70657274696573120220000a540a0a70726f7065727469657312462a440a240a056f74686572121b2a190a170a0764656661756c74120c1a0a323032302f30312f30320a1c0a047768656e12142a120a100a047479706512081a06737472696e670a160a087265717569726564120a32080a061a047768656e0a120a057469746c6512091a074279436c6173730a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5a19120b0a056f7468657212020805120a0a047768656e120208051292020a016a128c02080932b2010a1a0a146164646974696f6e616c50726f70657274696573120220000a570a0a70726f7065727469657312492a470a1a0a016112152a130a110a047479706512091a07696e74656765720a290a016212242a220a0e0a0764656661756c7412031a01780a100a047479706512081a06737472696e670a130a087265717569726564120732050a031a01610a140a057469746c65120b1a094a736f6e4d6978696e0a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5a1212070a01611202080112070a016212020803",
        "0a461a440a3982a16382a47768656eaa323032342f30332f3035a56f74686572b4323032302d30312d30325430303a30303a303021a16a82a16103a162a17812076d73677061636b",
    ),
    "Priced": (
        "08094a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b",
        "0a271a250a1a82a57072696365a4312e3530a7686973746f727991a4302e303112076d73677061636b",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_literal_type_and_literal_are_flytekits(name: str) -> None:
    t, value = CASES[name]
    lt_hex, lit_hex = FLYTEKIT[name]
    lt = TypeEngine.to_literal_type(t)
    lit = await TypeEngine.async_to_literal(None, value, t)
    if name == "Priced":
        lt.ClearField("structure")  # holds the pickle type of Cents, named by its module
    assert lt.SerializeToString(deterministic=True).hex() == lt_hex
    assert lit.SerializeToString(deterministic=True).hex() == lit_hex
    assert await TypeEngine.async_to_python_value(None, lit, t) == _read_back(name, value)


def _read_back(name: str, value: typing.Any) -> typing.Any:
    """What reading the value back gives: a strategy that keeps only the day keeps only the day."""
    day = datetime.datetime(2024, 3, 5)
    if name == "ByClass":
        return ByClass(day)
    if name == "ByField":
        return ByField(day)
    if name == "Containers":
        return Containers(value.inner, [day], day)
    if name == "Nest":
        return Nest(ByClass(day), value.j)
    return value


@task
def price(cents: int) -> Priced:
    return Priced(Cents(cents), [Cents(cents), Cents(1)])


@task
def total(p: Priced) -> int:
    return p.price.cents + sum(c.cents for c in p.history)


@task
def stamp(day: int) -> Containers:
    when = datetime.datetime(2024, 1, day, 13, 14)
    return Containers(Inner(when), [when], None)


@workflow
def priced(cents: int) -> int:
    return total(p=price(cents=cents))


async def test_strategies_apply_between_tasks() -> None:
    assert await priced(cents=250) == 501
    got = await stamp(day=3)
    assert got.whens == [datetime.datetime(2024, 1, 3)]  # stored by the day strategy
    assert got.inner.when == datetime.datetime(2024, 1, 3, 13, 14)  # the nested dataclass: its own (none)


def test_a_strategy_that_returns_something_unstorable_is_named() -> None:
    @dataclasses.dataclass
    class Bad:
        when: datetime.datetime = dataclasses.field(metadata={"serialize": lambda v: object()})

    with pytest.raises(TypeError, match=r"Bad\.when: a object .* cannot be stored untyped"):
        TypeEngine.to_literal(None, Bad(datetime.datetime(2024, 1, 1)), Bad, None)
