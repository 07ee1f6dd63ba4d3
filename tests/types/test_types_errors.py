"""Wrong values fail with TypeTransformerFailedError naming the expected and the actual type, everywhere."""

# ruff: noqa: UP045  (typing.Optional on purpose: it is what flytekit code is written with)

from __future__ import annotations

import dataclasses
import datetime
import re
from typing import Any, Optional, Union

import pytest
from typecases import PM, RICH, Color, Inner, Outer, Rich

from aioflyte.types import TypeEngine, TypeTransformerFailedError
from aioflyte.types.generic import msgpack_literal


class Foo:
    pass


class Bar:
    pass


WRONG: list[tuple[Any, Any, str]] = [
    (int, "3", "expected int, got str ('3')"),
    (int, True, "expected int, got bool (True)"),
    (float, "x", "expected float, got str ('x')"),
    (str, 1, "expected str, got int (1)"),
    (bool, 1, "expected bool, got int (1)"),
    (bytes, "s", "expected bytes, got str ('s')"),
    (datetime.datetime, datetime.date(2020, 1, 1), "expected datetime, got date"),
    (datetime.date, datetime.datetime(2020, 1, 1), "expected date, got datetime"),
    (datetime.timedelta, 3, "expected timedelta, got int (3)"),
    (list[int], [1, "a"], "expected int, got str ('a')"),
    (list[int], (1, 2), "expected list[int], got tuple"),
    (dict[str, int], {"a": "b"}, "expected int, got str ('b')"),
    (dict[str, int], {1: 2}, "with str keys, got a key of type int"),
    (dict, [1], "expected dict, got list ([1])"),
    (dict, {"d": datetime.datetime(2020, 1, 1)}, "dict['d']: a datetime"),
    (dict, {(1, 2): 3}, "dict key (1, 2) (tuple) cannot be stored"),
    (dict[int, str], {"a": "b"}, "dict[int, str]['a']: expected int, got str ('a')"),
    (Optional[int], "x", "expected Optional[int], got str ('x')"),
    (Union[int, str], 1.5, "expected Union[int, str], got float (1.5)"),
    (Color, "blue", "'blue' is not a value of enum Color"),
    (Color, 3, "expected Color, got int (3)"),
    (Inner, {"a": 1}, "expected Inner, got dict"),
    (Inner, Inner(a="x"), "Inner.a: expected int, got str ('x')"),  # type: ignore[arg-type]
    (Outer, Outer(inner=Inner(a="x")), "Outer.inner.a: expected int, got str ('x')"),  # type: ignore[arg-type]
    (Outer, Outer(inner=Inner(1), xs=[1, "b"]), "Outer.xs[1]: expected int, got str ('b')"),  # type: ignore[list-item]
    (Outer, Outer(inner=Inner(1), f="no"), "Outer.f: expected float, got str ('no')"),  # type: ignore[arg-type]
    (Rich, dataclasses.replace(RICH, named={"k": 1}), "Rich.named['k']: expected Inner, got int (1)"),
    (Rich, dataclasses.replace(RICH, color="blue"), "Rich.color: 'blue' is not a value of enum Color"),
    (Rich, dataclasses.replace(RICH, anything=object()), "Rich.anything: a object"),
    (Optional[Inner], 3, "got int (3)"),
    (PM, {"a": 1}, "expected PM, got dict"),
    (Foo, Bar(), "expected Foo, got Bar"),
    (Foo, None, "expected Foo, got None"),
    (Any, None, "expected Any, got None"),
]


@pytest.mark.filterwarnings("ignore::aioflyte.types.pickle.PickleFallbackWarning")
@pytest.mark.parametrize("t, v, message", WRONG, ids=[f"{i}-{m[:20]}" for i, (_, _, m) in enumerate(WRONG)])
async def test_wrong_value_is_rejected_with_both_types(t: Any, v: Any, message: str) -> None:
    with pytest.raises(TypeTransformerFailedError, match=re.escape(message)) as info:
        await TypeEngine.to_literal(None, v, t)
    conv = TypeEngine.local_converter(t)
    assert conv is not None
    with pytest.raises(TypeTransformerFailedError) as local:  # the local path fails the same way
        conv(v)
    assert str(local.value) == str(info.value)


BAD_DATA: list[tuple[Any, Any, str]] = [
    (Inner, {"b": "y"}, "Inner: missing required field 'a'"),
    (Inner, {"a": "x"}, "Inner.a: expected int, got str ('x')"),
    (Inner, [1], "Inner: expected a map for Inner, got list"),
    (Outer, {"inner": {"b": "x"}}, "Outer.inner: missing required field 'a'"),
    (Outer, {"inner": {"a": 1}, "xs": [1, "q"]}, "Outer.xs[1]: expected int, got str ('q')"),
    (Outer, {"inner": {"a": 1}, "f": True}, "Outer.f: expected float, got bool (True)"),
    (Rich, {}, "Rich: missing required field 'when'"),
    (Outer, {"inner": {"a": 1}, "o": 5}, "Outer.o: expected Optional[str], got int (5)"),
    (dict[int, str], {"1": "a"}, "dict[int, str]['1']: expected int, got str ('1')"),
    (dict, [1, 2], "expected dict, got list"),
    (PM, {"a": "zz"}, "cannot read a PM"),
]


@pytest.mark.parametrize("t, data, message", BAD_DATA, ids=[m[:24] for _, _, m in BAD_DATA])
async def test_bad_literal_data_names_record_and_field(t: Any, data: Any, message: str) -> None:
    with pytest.raises(TypeTransformerFailedError, match=re.escape(message)):
        await TypeEngine.to_python_value(None, msgpack_literal(data), t)


async def test_wrong_literal_kinds_are_rejected() -> None:
    int_literal = await TypeEngine.to_literal(None, 3, int)
    for t in (Inner, dict, PM, bytes):
        with pytest.raises(TypeTransformerFailedError):
            await TypeEngine.to_python_value(None, int_literal, t)
    other = msgpack_literal({"a": 1})
    other.scalar.binary.tag = "json"
    with pytest.raises(TypeTransformerFailedError, match="unsupported binary format 'json'"):
        await TypeEngine.to_python_value(None, other, Inner)


def test_unsupported_field_type_fails_at_declaration() -> None:
    @dataclasses.dataclass
    class HasFoo:
        foo: Foo

    with pytest.raises(TypeTransformerFailedError, match=r"HasFoo\.foo: type .*Foo has no msgpack form"):
        TypeEngine.to_literal_type(HasFoo)
    with pytest.raises(TypeTransformerFailedError, match=r"dict\[int, .*Foo\]"):
        TypeEngine.to_literal_type(dict[int, Foo])
