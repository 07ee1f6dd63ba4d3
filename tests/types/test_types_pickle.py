"""The pickle fallback and ``bytes``: blob files under the raw output prefix, one warning per unknown type."""

# ruff: noqa: UP045  (typing.Optional on purpose: it is what flytekit code is written with)

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from typing import Any, Optional

import cloudpickle
import pytest
from flyteidl.core import literals_pb2
from google.protobuf import struct_pb2

from aioflyte.core.context import default_raw_output_prefix, new_context
from aioflyte.types import TypeEngine, TypeTransformerFailedError
from aioflyte.types.pickle import FlytePickle, PickleFallbackWarning


class Lonely:
    """Only used by the warning test, so that its one warning is still to come."""

    def __init__(self, items: list[int]) -> None:
        self.items = items

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lonely) and other.items == self.items


class Box:
    def __init__(self, items: list[int]) -> None:
        self.items = items

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Box) and other.items == self.items


def _recorded() -> tuple[Any, list[warnings.WarningMessage]]:
    cm = warnings.catch_warnings(record=True)
    log = cm.__enter__()
    warnings.simplefilter("always")
    return cm, log


async def test_unknown_type_warns_once_naming_it() -> None:
    cm, log = _recorded()
    try:
        TypeEngine.to_literal_type(Lonely)
        lit = await TypeEngine.to_literal(None, Lonely([1]), Lonely)
        await TypeEngine.to_literal(None, Lonely([2]), Lonely)
        assert await TypeEngine.to_python_value(None, lit, Lonely) == Lonely([1])
        assert TypeEngine.local_converter(Lonely)(Lonely([3])) == Lonely([3])  # type: ignore[misc]
    finally:
        cm.__exit__(None, None, None)
    ours = [w for w in log if issubclass(w.category, PickleFallbackWarning)]
    assert len(ours) == 1
    text = str(ours[0].message)
    assert text.startswith(f"aioflyte: no transformer for {Lonely}; values of it are pickled (cloudpickle)")


async def test_bytes_are_pickled_without_warning_under_the_raw_output_prefix() -> None:
    cm, log = _recorded()
    try:
        lit = await TypeEngine.to_literal(None, b"\x00payload", bytes)
        back = await TypeEngine.to_python_value(None, lit, bytes)
    finally:
        cm.__exit__(None, None, None)
    assert back == b"\x00payload"
    assert not [w for w in log if issubclass(w.category, PickleFallbackWarning)]
    uri = lit.scalar.blob.uri
    assert uri.startswith(default_raw_output_prefix() + "/")
    with open(uri, "rb") as f:
        data = f.read()
    assert cloudpickle.loads(data) == b"\x00payload"
    assert os.path.basename(uri) == hashlib.md5(data).hexdigest()  # flytekit's file naming


async def test_bytes_local_converter_is_identity_after_a_type_check() -> None:
    conv = TypeEngine.local_converter(bytes)
    assert conv is not None
    v = b"abc"
    assert conv(v) is v
    with pytest.raises(TypeTransformerFailedError, match="expected bytes, got bytearray"):
        conv(bytearray(b"abc"))


@pytest.mark.filterwarnings("ignore::aioflyte.types.pickle.PickleFallbackWarning")
async def test_pickled_local_value_is_a_deep_copy() -> None:
    v = Box([1, 2])
    out = TypeEngine.local_converter(Box)(v)  # type: ignore[misc]
    assert out == v and out is not v and out.items is not v.items
    assert await TypeEngine.local_round_trip(None, v, Box) == v


@pytest.mark.filterwarnings("ignore::aioflyte.types.pickle.PickleFallbackWarning")
@pytest.mark.parametrize("v", [3, "s", {1, 2}, [Box([1])], Box([4])])
async def test_any_round_trips_through_pickle(v: Any) -> None:
    lit = await TypeEngine.to_literal(None, v, Any)
    assert lit.scalar.blob.metadata.type.format == "PythonPickle"
    assert await TypeEngine.to_python_value(None, lit, Any) == v
    assert TypeEngine.local_converter(Any)(v) == v  # type: ignore[misc]


@pytest.mark.filterwarnings("ignore::aioflyte.types.pickle.PickleFallbackWarning")
async def test_optional_pickled_type() -> None:
    for v in (None, Box([1])):
        lit = await TypeEngine.to_literal(None, v, Optional[Box])
        assert await TypeEngine.to_python_value(None, lit, Optional[Box]) == v


@pytest.mark.filterwarnings("ignore::aioflyte.types.pickle.PickleFallbackWarning")
async def test_unpicklable_value_fails_the_same_locally() -> None:
    lock = threading.Lock()
    with pytest.raises(TypeTransformerFailedError, match="cannot pickle a lock for Any") as remote:
        await TypeEngine.to_literal(None, lock, Any)
    with pytest.raises(TypeTransformerFailedError) as local:
        TypeEngine.local_converter(Any)(lock)  # type: ignore[misc]
    assert str(local.value) == str(remote.value)


async def test_blobs_of_a_run_go_under_its_prefix() -> None:
    with new_context() as ctx:
        assert ctx.run is not None
        lit = await TypeEngine.to_literal(None, b"x", bytes)
        assert lit.scalar.blob.uri.startswith(ctx.run.raw_output_prefix + "/")


async def test_reads_the_old_pickled_dict_form(tmp_path: Any) -> None:
    path = tmp_path / "d.pkl"
    path.write_bytes(cloudpickle.dumps({"a": {1, 2}}))
    struct = struct_pb2.Struct()
    struct.update({"pickle_file": str(path)})
    lit = literals_pb2.Literal(scalar=literals_pb2.Scalar(generic=struct))
    lit.metadata["format"] = "pickle"
    assert await TypeEngine.to_python_value(None, lit, dict) == {"a": {1, 2}}


async def test_non_blob_literal_is_rejected_for_a_pickled_type() -> None:
    with pytest.raises(TypeTransformerFailedError, match="expected a pickle blob literal for bytes, got scalar"):
        await TypeEngine.to_python_value(None, await TypeEngine.to_literal(None, 1, int), bytes)


async def test_any_field_of_a_dataclass_is_not_pickled_and_does_not_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import aioflyte.types.pickle as pickle_module

    @dataclasses.dataclass
    class WithAny:
        anything: Any = None

    monkeypatch.setattr(pickle_module, "_WARNED", set())  # as if typing.Any had never warned in this process
    cm, log = _recorded()
    try:
        lt = TypeEngine.to_literal_type(WithAny)
        lit = await TypeEngine.to_literal(None, WithAny([1, "a"]), WithAny)
    finally:
        cm.__exit__(None, None, None)
    assert lt.structure.dataclass_type["anything"].blob.format == "PythonPickle"  # flytekit's field type
    assert lit.scalar.binary.tag == "msgpack"
    assert not [w for w in log if issubclass(w.category, PickleFallbackWarning)]


async def test_guessed_pickle_type_reads_the_value() -> None:
    cm, log = _recorded()
    try:
        lit = await TypeEngine.to_literal(None, b"z", bytes)
        guessed = TypeEngine.guess_python_type(TypeEngine.to_literal_type(Optional[Box]).union_type.variants[0])
        assert guessed is FlytePickle
        assert await TypeEngine.to_python_value(None, lit, guessed) == b"z"
    finally:
        cm.__exit__(None, None, None)
    assert not [w for w in log if issubclass(w.category, PickleFallbackWarning)]
