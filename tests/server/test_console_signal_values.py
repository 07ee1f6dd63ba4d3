"""The values typed into a signal's form on the console, for any type the signal declares: read as the literal
type says and checked by the type engine (``aioflyte.server.console.signals``), with errors naming the signal, the
expected type and what was given."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import msgpack
import pytest
from flyteidl.core import types_pb2

from aioflyte.server.console.signals import parse_duration, parse_signal
from aioflyte.types.engine import TypeEngine

pytestmark = pytest.mark.asyncio


@dataclass
class Window:
    low: int
    high: int
    label: str


def _lt(py_type):
    return TypeEngine.to_literal_type(py_type)


async def test_a_dataclass_from_json_or_yaml_is_msgpack_the_type_engine_reads():
    lt = _lt(Window)
    for text in ('{"low": 1, "high": 5, "label": "w"}', "low: 1\nhigh: 5\nlabel: w"):
        lit = await parse_signal(text, lt, "window")
        assert lit.scalar.binary.tag == "msgpack"
        assert msgpack.unpackb(lit.scalar.binary.value) == {"low": 1, "high": 5, "label": "w"}
        assert await TypeEngine.async_to_python_value(None, lit, Window) == Window(1, 5, "w")


async def test_a_dataclass_with_a_wrong_or_missing_field_is_refused_naming_it():
    lt = _lt(Window)
    with pytest.raises(ValueError, match=r"signal window: expected .*got '\{\"low\": \"a\".*low: expected int"):
        await parse_signal('{"low": "a", "high": 5, "label": "w"}', lt, "window")
    with pytest.raises(ValueError, match=r"signal window: .*missing required field 'label'"):
        await parse_signal('{"low": 1, "high": 5}', lt, "window")
    with pytest.raises(ValueError, match=r"signal window: .*not JSON or YAML"):
        await parse_signal("{low: [", lt, "window")


async def test_lists_dicts_and_their_items():
    lit = await parse_signal("[1, 2, 3]", _lt(list[int]), "xs")
    assert [x.scalar.primitive.integer for x in lit.collection.literals] == [1, 2, 3]
    with pytest.raises(
        ValueError,
        match=r"signal xs: expected list\[integer\], got '\[1, \"two\"\]': value\[1\]: "
        r"expected integer, got 'two'",
    ):
        await parse_signal('[1, "two"]', _lt(list[int]), "xs")
    lit = await parse_signal('{"a": 1.5}', _lt(dict[str, float]), "d")
    assert lit.map.literals["a"].scalar.primitive.float_value == 1.5
    lit = await parse_signal('["2024-05-01T12:00:00Z"]', _lt(list[datetime.datetime]), "when")
    assert lit.collection.literals[0].scalar.primitive.datetime.ToDatetime() == datetime.datetime(2024, 5, 1, 12)


async def test_simple_types_dates_durations_optional_and_files():
    lit = await parse_signal("2024-05-01", _lt(datetime.datetime), "d")
    assert lit.scalar.primitive.datetime.ToDatetime() == datetime.datetime(2024, 5, 1)
    assert parse_duration("PT1H30M") == datetime.timedelta(hours=1, minutes=30)
    assert parse_duration("90") == datetime.timedelta(seconds=90)
    with pytest.raises(ValueError):
        parse_duration("soon")
    optional = await parse_signal("null", _lt(int | None), "maybe")
    assert optional.scalar.union.value.scalar.WhichOneof("value") == "none_type"
    seven = await parse_signal("7", _lt(int | None), "maybe")
    assert seven.scalar.union.value.scalar.primitive.integer == 7
    from aioflyte import FlyteFile

    f = await parse_signal("s3://bucket/report.txt", _lt(FlyteFile), "report")
    assert f.scalar.blob.uri == "s3://bucket/report.txt"
    assert f.scalar.blob.metadata.type.dimensionality == types_pb2.BlobType.SINGLE
