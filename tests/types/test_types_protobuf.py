"""Protobuf messages are STRUCT literals with the message class recorded, byte for byte as flytekit writes them.

flytekit 1.16 (checked with 1.16.31; the hex strings below are its output, serialized deterministically): the
literal type of a message class is ``simple: STRUCT`` with ``metadata {pb_type: "<module>.<class>"}``; a message
is ``scalar.generic``, its JSON form (``MessageToDict``) as a ``Struct``; a ``ListValue`` is a literal collection
of its items (numbers as floats); ``guess_python_type`` imports the recorded class. A ``Timestamp`` fails
("Failed to convert to generic protobuf struct": its JSON form is a string). flytekit cannot read a ``ListValue``
back ("Can only convert a generic literal to a Protobuf"); aioflyte can.
"""

from __future__ import annotations

import pytest
from flyteidl.core import literals_pb2, types_pb2
from google.protobuf import struct_pb2, timestamp_pb2

from aioflyte import task, workflow
from aioflyte.types import TypeEngine, TypeTransformerFailedError


def _struct() -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update({"a": 1, "b": [1, "x"], "c": {"d": None}})
    return s


def _list() -> struct_pb2.ListValue:
    v = struct_pb2.ListValue()
    v.extend([1, "a", True, None])
    return v


FLYTEKIT = {  # class -> (value, literal type, literal), as flytekit 1.16.31 serializes them
    struct_pb2.Struct: (
        _struct(),
        "080932300a2e0a0770625f7479706512231a21676f6f676c652e70726f746f6275662e7374727563745f7062322e537472756374",
        "0a3d3a3b0a0e0a0161120911000000000000f03f0a170a0162121232100a0911000000000000f03f0a031a01780a100a0163120b2a09"
        "0a070a016412020800",
    ),
    literals_pb2.Primitive: (
        literals_pb2.Primitive(integer=3),
        "080932330a310a0770625f7479706512261a24666c79746569646c2e636f72652e6c69746572616c735f7062322e5072696d6974697665",
        "0a123a100a0e0a07696e746567657212031a0133",
    ),
    struct_pb2.ListValue: (
        _list(),
        "080932330a310a0770625f7479706512261a24676f6f676c652e70726f746f6275662e7374727563745f7062322e4c69737456616c7565",
        "12260a0d0a0b0a0911000000000000f03f0a070a050a031a01610a060a040a0220010a040a022a00",
    ),
    literals_pb2.Blob: (
        literals_pb2.Blob(uri="s3://x/y"),
        "0809322e0a2c0a0770625f7479706512211a1f666c79746569646c2e636f72652e6c69746572616c735f7062322e426c6f62",
        "0a153a130a110a03757269120a1a0873333a2f2f782f79",
    ),
}


@pytest.mark.parametrize("cls", list(FLYTEKIT), ids=lambda c: c.__name__)
async def test_literal_type_and_literal_are_flytekits(cls: type) -> None:
    value, lt_hex, lit_hex = FLYTEKIT[cls]
    lt = TypeEngine.to_literal_type(cls)
    assert lt.SerializeToString(deterministic=True).hex() == lt_hex
    lit = await TypeEngine.async_to_literal(None, value, cls, lt)
    assert lit.SerializeToString(deterministic=True).hex() == lit_hex
    assert await TypeEngine.async_to_python_value(None, lit, cls) == value
    assert TypeEngine.guess_python_type(lt) is cls
    assert TypeEngine.get_transformer(cls).name == "Protobuf-Transformer"


@task
def make_struct(n: int) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update({"n": n, "tags": ["x"]})
    return s


@task
async def read_struct(s: struct_pb2.Struct) -> int:
    return int(s["n"]) + len(s["tags"])


@workflow
def struct_flow(n: int) -> int:
    return read_struct(s=make_struct(n=n))


async def test_messages_pass_between_tasks_as_themselves() -> None:
    assert await struct_flow(n=4) == 5
    made = await make_struct(n=2)
    assert isinstance(made, struct_pb2.Struct) and made["n"] == 2.0


async def test_a_message_is_copied_between_local_tasks() -> None:
    original = _struct()
    conv = TypeEngine.local_converter(struct_pb2.Struct)
    assert conv is not None
    copy = conv(original)
    assert copy == original and copy is not original


async def test_a_message_whose_json_form_is_not_an_object_is_refused() -> None:
    with pytest.raises(TypeTransformerFailedError, match="Timestamp cannot be a STRUCT literal"):
        await TypeEngine.async_to_literal(None, timestamp_pb2.Timestamp(seconds=5), timestamp_pb2.Timestamp)


async def test_a_value_of_another_message_class_is_refused() -> None:
    with pytest.raises(TypeTransformerFailedError, match="expected Struct, got Primitive"):
        await TypeEngine.async_to_literal(None, literals_pb2.Primitive(integer=1), struct_pb2.Struct)


def test_the_struct_literal_type_of_a_message_is_not_a_dataclass_or_a_dict() -> None:
    lt = types_pb2.LiteralType(simple=types_pb2.STRUCT)
    lt.metadata.update({"pb_type": "no_such_module.Thing"})
    with pytest.raises(ValueError, match="No Python type is known"):
        TypeEngine.guess_python_type(lt)
