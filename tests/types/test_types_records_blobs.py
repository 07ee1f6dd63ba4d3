"""Dataclasses and pydantic models with StructuredDataset, FlyteFile and FlyteDirectory fields (nested too).

flytekit 1.16 (checked with 1.16.31, pydantic 2.13): a dataclass field of these types is stored as its record,
``{"path": uri}`` for files and directories and ``{"uri": ..., "file_format": ...}`` for datasets, after the local
data is uploaded (a dataframe written as parquet); reading gives lazy handles on the stored data. A pydantic model
with such fields can be defined, its JSON schema has them as definitions (``$defs``/``$ref``), and it is stored
the same way. The hex strings below are flytekit's literal types and literals (serialized deterministically).
Deliberately different: flytekit's schema of a ``StructuredDataset`` in a pydantic model carries its class docstring
as ``description``; aioflyte's has none (the test compares without it).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import typing

import msgpack
import pandas as pd
import pydantic
from google.protobuf import json_format

from aioflyte import task, workflow
from aioflyte.types import TypeEngine
from aioflyte.types.directory import FlyteDirectory
from aioflyte.types.file import FlyteFile
from aioflyte.types.structured import StructuredDataset


@dataclasses.dataclass
class Inner:
    f: FlyteFile
    sd: StructuredDataset


@dataclasses.dataclass
class Outer:
    a: int
    inner: Inner
    d: FlyteDirectory
    files: typing.List[FlyteFile]  # as in the flytekit script the goldens come from
    opt: typing.Optional[FlyteFile] = None  # noqa: UP045


def _outer() -> Outer:
    return Outer(
        a=1,
        inner=Inner(
            f=FlyteFile("s3://bucket/a.txt"), sd=StructuredDataset(uri="s3://bucket/sd", file_format="parquet")
        ),
        d=FlyteDirectory("s3://bucket/dir"),
        files=[FlyteFile("s3://bucket/b.txt")],
    )


DATACLASS_LT = (
    "080932d30f0a1a0a146164646974696f6e616c50726f70657274696573120220000ae40e0a0a70726f7065727469657312d50e2a"
    "d20e0a1a0a016112152a130a110a047479706512091a07696e74656765720aca010a016412c4012ac1010a1a0a14616464697469"
    "6f6e616c50726f70657274696573120220000a760a0a70726f7065727469657312682a660a640a0470617468125c2a5a0a490a05"
    "616e794f661240323e0a142a120a100a047479706512081a06737472696e670a262a240a100a06666f726d617412061a04706174"
    "680a100a047479706512081a06737472696e670a0d0a0764656661756c74120208000a190a057469746c6512101a0e466c797465"
    "4469726563746f72790a100a047479706512081a066f626a6563740a9d030a0566696c65731293032a90030afc020a056974656d"
    "7312f2022aef020a1a0a146164646974696f6e616c50726f70657274696573120220000aa8020a0a70726f706572746965731299"
    "022a96020aad010a086d6574616461746112a0012a9d010a8b010a05616e794f66128101327f0a692a670a2c0a14616464697469"
    "6f6e616c50726f7065727469657312142a120a100a047479706512081a06737472696e670a250a0d70726f70657274794e616d65"
    "7312142a120a100a047479706512081a06737472696e670a100a047479706512081a066f626a6563740a122a100a0e0a04747970"
    "6512061a046e756c6c0a0d0a0764656661756c74120208000a640a0470617468125c2a5a0a490a05616e794f661240323e0a142a"
    "120a100a047479706512081a06737472696e670a262a240a100a06666f726d617412061a04706174680a100a047479706512081a"
    "06737472696e670a0d0a0764656661756c74120208000a140a057469746c65120b1a09466c79746546696c650a100a0474797065"
    "12081a066f626a6563740a0f0a047479706512071a0561727261790a90060a05696e6e65721286062a83060a1a0a146164646974"
    "696f6e616c50726f70657274696573120220000aa5050a0a70726f706572746965731296052a93050af8020a016612f2022aef02"
    "0a1a0a146164646974696f6e616c50726f70657274696573120220000aa8020a0a70726f706572746965731299022a96020aad01"
    "0a086d6574616461746112a0012a9d010a8b010a05616e794f66128101327f0a692a670a2c0a146164646974696f6e616c50726f"
    "7065727469657312142a120a100a047479706512081a06737472696e670a250a0d70726f70657274794e616d657312142a120a10"
    "0a047479706512081a06737472696e670a100a047479706512081a066f626a6563740a122a100a0e0a047479706512061a046e75"
    "6c6c0a0d0a0764656661756c74120208000a640a0470617468125c2a5a0a490a05616e794f661240323e0a142a120a100a047479"
    "706512081a06737472696e670a262a240a100a06666f726d617412061a04706174680a100a047479706512081a06737472696e67"
    "0a0d0a0764656661756c74120208000a140a057469746c65120b1a09466c79746546696c650a100a047479706512081a066f626a"
    "6563740a95020a027364128e022a8b020a1a0a146164646974696f6e616c50726f70657274696573120220000abc010a0a70726f"
    "7065727469657312ad012aaa010a570a0b66696c655f666f726d617412482a460a350a05616e794f66122c322a0a142a120a100a"
    "047479706512081a06737472696e670a122a100a0e0a047479706512061a046e756c6c0a0d0a0764656661756c7412021a000a4f"
    "0a0375726912482a460a350a05616e794f66122c322a0a142a120a100a047479706512081a06737472696e670a122a100a0e0a04"
    "7479706512061a046e756c6c0a0d0a0764656661756c74120208000a1c0a057469746c6512131a11537472756374757265644461"
    "74617365740a100a047479706512081a066f626a6563740a190a087265717569726564120d320b0a031a01660a041a0273640a10"
    "0a057469746c6512071a05496e6e65720a100a047479706512081a066f626a6563740ab3030a036f707412ab032aa8030a96030a"
    "05616e794f66128c033289030af2022aef020a1a0a146164646974696f6e616c50726f70657274696573120220000aa8020a0a70"
    "726f706572746965731299022a96020aad010a086d6574616461746112a0012a9d010a8b010a05616e794f66128101327f0a692a"
    "670a2c0a146164646974696f6e616c50726f7065727469657312142a120a100a047479706512081a06737472696e670a250a0d70"
    "726f70657274794e616d657312142a120a100a047479706512081a06737472696e670a100a047479706512081a066f626a656374"
    "0a122a100a0e0a047479706512061a046e756c6c0a0d0a0764656661756c74120208000a640a0470617468125c2a5a0a490a0561"
    "6e794f661240323e0a142a120a100a047479706512081a06737472696e670a262a240a100a06666f726d617412061a0470617468"
    "0a100a047479706512081a06737472696e670a0d0a0764656661756c74120208000a140a057469746c65120b1a09466c79746546"
    "696c650a100a047479706512081a066f626a6563740a122a100a0e0a047479706512061a046e756c6c0a0d0a0764656661756c74"
    "120208000a2a0a087265717569726564121e321c0a031a01610a071a05696e6e65720a031a01640a071a0566696c65730a100a05"
    "7469746c6512071a054f757465720a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b65792d6d65"
    "74616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b5aba0712070a01"
    "611202080112090a016412042a021001120d0a0566696c657312041a022a0012e8060a05696e6e657212de0608093283060a1a0a"
    "146164646974696f6e616c50726f70657274696573120220000aa5050a0a70726f706572746965731296052a93050af8020a0166"
    "12f2022aef020a1a0a146164646974696f6e616c50726f70657274696573120220000aa8020a0a70726f70657274696573129902"
    "2a96020aad010a086d6574616461746112a0012a9d010a8b010a05616e794f66128101327f0a692a670a2c0a146164646974696f"
    "6e616c50726f7065727469657312142a120a100a047479706512081a06737472696e670a250a0d70726f70657274794e616d6573"
    "12142a120a100a047479706512081a06737472696e670a100a047479706512081a066f626a6563740a122a100a0e0a0474797065"
    "12061a046e756c6c0a0d0a0764656661756c74120208000a640a0470617468125c2a5a0a490a05616e794f661240323e0a142a12"
    "0a100a047479706512081a06737472696e670a262a240a100a06666f726d617412061a04706174680a100a047479706512081a06"
    "737472696e670a0d0a0764656661756c74120208000a140a057469746c65120b1a09466c79746546696c650a100a047479706512"
    "081a066f626a6563740a95020a027364128e022a8b020a1a0a146164646974696f6e616c50726f70657274696573120220000abc"
    "010a0a70726f7065727469657312ad012aaa010a570a0b66696c655f666f726d617412482a460a350a05616e794f66122c322a0a"
    "142a120a100a047479706512081a06737472696e670a122a100a0e0a047479706512061a046e756c6c0a0d0a0764656661756c74"
    "12021a000a4f0a0375726912482a460a350a05616e794f66122c322a0a142a120a100a047479706512081a06737472696e670a12"
    "2a100a0e0a047479706512061a046e756c6c0a0d0a0764656661756c74120208000a1c0a057469746c6512131a11537472756374"
    "75726564446174617365740a100a047479706512081a066f626a6563740a190a087265717569726564120d320b0a031a01660a04"
    "1a0273640a100a057469746c6512071a05496e6e65720a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368"
    "652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d7367706163"
    "6b5a1312070a016612022a0012080a02736412024200122a0a036f7074122352210a132a005a0f0a0d466c79746546696c655061"
    "74680a0a08005a060a046e6f6e65"
)
DATACLASS_LIT = (
    "0a9b011a98010a8c0185a16101a5696e6e657282a16681a470617468b173333a2f2f6275636b65742f612e747874a2736482a375"
    "7269ae73333a2f2f6275636b65742f7364ab66696c655f666f726d6174a770617271756574a16481a470617468af73333a2f2f62"
    "75636b65742f646972a566696c65739181a470617468b173333a2f2f6275636b65742f622e747874a36f7074c012076d73677061"
    "636b"
)


class P:
    """A namespace: the pydantic models are named as in the flytekit script (``Inner``, as the dataclass above)."""

    class Inner(pydantic.BaseModel):
        f: FlyteFile
        d: FlyteDirectory
        sd: StructuredDataset


class Report(pydantic.BaseModel):
    n: int
    inner: P.Inner
    files: typing.List[FlyteFile] = []
    maybe: typing.Optional[FlyteFile] = None  # noqa: UP045


def _report() -> Report:
    inner = P.Inner(
        f=FlyteFile("s3://b/a.txt"),
        d=FlyteDirectory("s3://b/d"),
        sd=StructuredDataset(uri="s3://b/sd", file_format="parquet"),
    )
    return Report(n=1, inner=inner, files=[FlyteFile("s3://b/c.txt")])


PYDANTIC_SCHEMA = {
    "$defs": {
        "FlyteDirectory": {
            "properties": {
                "path": {
                    "anyOf": [{"type": "string"}, {"format": "path", "type": "string"}],
                    "default": None,
                    "title": "Path",
                }
            },
            "title": "FlyteDirectory",
            "type": "object",
        },
        "FlyteFile": {
            "properties": {
                "metadata": {
                    "anyOf": [{"additionalProperties": {"type": "string"}, "type": "object"}, {"type": "null"}],
                    "default": None,
                    "title": "Metadata",
                },
                "path": {
                    "anyOf": [{"type": "string"}, {"format": "path", "type": "string"}],
                    "default": None,
                    "title": "Path",
                },
            },
            "title": "FlyteFile",
            "type": "object",
        },
        "Inner": {
            "properties": {
                "d": {"$ref": "#/$defs/FlyteDirectory"},
                "f": {"$ref": "#/$defs/FlyteFile"},
                "sd": {"$ref": "#/$defs/StructuredDataset"},
            },
            "required": ["f", "d", "sd"],
            "title": "Inner",
            "type": "object",
        },
        "StructuredDataset": {
            "properties": {
                "file_format": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": "", "title": "File Format"},
                "uri": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Uri"},
            },
            "title": "StructuredDataset",
            "type": "object",
        },
    },
    "properties": {
        "files": {"default": [], "items": {"$ref": "#/$defs/FlyteFile"}, "title": "Files", "type": "array"},
        "inner": {"$ref": "#/$defs/Inner"},
        "maybe": {"anyOf": [{"$ref": "#/$defs/FlyteFile"}, {"type": "null"}], "default": None},
        "n": {"title": "N", "type": "integer"},
    },
    "required": ["n", "inner"],
    "title": "Report",
    "type": "object",
}
PYDANTIC_LT_REST = (
    "08094a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d"
    "666f726d617412091a076d73677061636b"
)  # the literal type without its metadata (the schema) and structure
PYDANTIC_LIT = (
    "0a86011a83010a7884a16e01a5696e6e657283a16681a470617468ac73333a2f2f622f612e747874a16481a470617468a873333a"
    "2f2f622f64a2736482a3757269a973333a2f2f622f7364ab66696c655f666f726d6174a770617271756574a566696c65739181a4"
    "70617468ac73333a2f2f622f632e747874a56d61796265c012076d73677061636b"
)
PYDANTIC_FIELDS = {  # structure.dataclass_type, each without its metadata
    "files": "1a022a00",
    "inner": (
        "08094a3f0a3d0a3b0a1263616368652d6b65792d6d6574616461746112252a230a210a1473657269616c697a6174696f"
        "6e2d666f726d617412091a076d73677061636b5a1e12090a016412042a02100112070a016612022a0012080a02736412"
        "024200"
    ),
    "maybe": "52210a132a005a0f0a0d466c79746546696c65506174680a0a08005a060a046e6f6e65",
    "n": "0801",
}


async def test_dataclass_with_blob_fields_is_flytekits() -> None:
    lt = TypeEngine.to_literal_type(Outer)
    assert lt.SerializeToString(deterministic=True).hex() == DATACLASS_LT
    lit = await TypeEngine.async_to_literal(None, _outer(), Outer)
    assert lit.SerializeToString(deterministic=True).hex() == DATACLASS_LIT
    back = await TypeEngine.async_to_python_value(None, lit, Outer)
    assert back.inner.f.remote_source == "s3://bucket/a.txt" and back.d.remote_source == "s3://bucket/dir"
    assert (back.inner.sd.uri, back.inner.sd.file_format) == ("s3://bucket/sd", "parquet")
    assert [f.remote_source for f in back.files] == ["s3://bucket/b.txt"] and back.opt is None


async def test_pydantic_model_with_blob_fields_is_flytekits() -> None:
    assert Report.model_json_schema() == PYDANTIC_SCHEMA  # defining it (and its schema) works
    lt = TypeEngine.to_literal_type(Report)
    assert json_format.MessageToDict(lt.metadata) == PYDANTIC_SCHEMA
    for name, hexed in PYDANTIC_FIELDS.items():
        field = lt.structure.dataclass_type[name]
        field.ClearField("metadata")
        assert field.SerializeToString(deterministic=True).hex() == hexed, name
    lt.ClearField("metadata")
    lt.ClearField("structure")
    assert lt.SerializeToString(deterministic=True).hex() == PYDANTIC_LT_REST
    lit = await TypeEngine.async_to_literal(None, _report(), Report)
    assert lit.SerializeToString(deterministic=True).hex() == PYDANTIC_LIT
    back = await TypeEngine.async_to_python_value(None, lit, Report)
    assert isinstance(back.inner.f, FlyteFile) and back.inner.f.remote_source == "s3://b/a.txt"
    assert isinstance(back.inner.d, FlyteDirectory) and back.inner.d.remote_source == "s3://b/d"
    assert isinstance(back.inner.sd, StructuredDataset) and back.inner.sd.uri == "s3://b/sd"


def test_guessed_types_have_blob_fields() -> None:
    for t in (Outer, Report):
        guessed = TypeEngine.guess_python_type(TypeEngine.to_literal_type(t))
        hints = typing.get_type_hints(guessed)
        inner = typing.get_type_hints(hints["inner"])
        assert inner["f"] is FlyteFile and inner["sd"] is StructuredDataset


@dataclasses.dataclass
class Bundle:
    table: StructuredDataset
    notes: FlyteFile
    folder: FlyteDirectory
    more: list[StructuredDataset]


class PBundle(pydantic.BaseModel):
    table: StructuredDataset
    notes: FlyteFile
    nested: Bundle | None = None


def _local_data(tag: str) -> tuple[str, str]:
    base = tempfile.mkdtemp()
    notes = os.path.join(base, "notes.txt")
    with open(notes, "w") as fh:
        fh.write(f"notes {tag}")
    folder = os.path.join(base, "folder")
    os.makedirs(folder)
    with open(os.path.join(folder, "x.txt"), "w") as fh:
        fh.write(f"folder {tag}")
    return notes, folder


@task
def make_bundle(n: int) -> Bundle:
    notes, folder = _local_data("dc")
    frames = [StructuredDataset(dataframe=pd.DataFrame({"k": [i]})) for i in range(2)]
    return Bundle(
        StructuredDataset(dataframe=pd.DataFrame({"a": list(range(n))})),
        FlyteFile(notes),
        FlyteDirectory(folder),
        frames,
    )


@task
def read_bundle(b: Bundle) -> str:
    total = int(b.table.open(pd.DataFrame).all()["a"].sum())
    more = [int(s.open(pd.DataFrame).all()["k"][0]) for s in b.more]
    with open(b.notes) as fh:
        notes = fh.read()
    with open(os.path.join(b.folder.download(), "x.txt")) as fh:
        folder = fh.read()
    return f"{total}|{more}|{notes}|{folder}"


@workflow
def bundle_flow(n: int) -> str:
    return read_bundle(b=make_bundle(n=n))


async def test_dataclass_fields_are_stored_and_read_between_tasks() -> None:
    assert await bundle_flow(n=4) == "6|[0, 1]|notes dc|folder dc"


@task
def make_pbundle(n: int) -> PBundle:
    notes, folder = _local_data("pyd")
    nested = Bundle(StructuredDataset(dataframe=pd.DataFrame({"a": [n]})), FlyteFile(notes), FlyteDirectory(folder), [])
    return PBundle(table=StructuredDataset(dataframe=pd.DataFrame({"a": [n, n]})), notes=notes, nested=nested)


@task
async def read_pbundle(b: PBundle) -> str:
    table = await b.table.open(pd.DataFrame).all()
    assert b.nested is not None
    nested = await b.nested.table.open(pd.DataFrame).all()
    with open(await b.notes.adownload()) as fh:
        notes = fh.read()
    return f"{int(table['a'].sum())}|{int(nested['a'][0])}|{notes}"


@workflow
def pbundle_flow(n: int) -> str:
    return read_pbundle(b=make_pbundle(n=n))


async def test_pydantic_fields_are_stored_and_read_between_tasks() -> None:
    assert await pbundle_flow(n=3) == "6|3|notes pyd"


async def test_stored_records_point_at_the_raw_output_prefix() -> None:
    notes, _ = _local_data("x")
    value = PBundle(table=StructuredDataset(dataframe=pd.DataFrame({"a": [1]})), notes=FlyteFile(notes))
    lit = await TypeEngine.async_to_literal(None, value, PBundle)
    data = msgpack.unpackb(lit.scalar.binary.value)
    raw = os.path.join(os.environ["AIOFLYTE_HOME"], "raw")
    assert data["table"]["file_format"] == "parquet" and data["table"]["uri"].startswith(raw)
    assert data["notes"]["path"].startswith(raw) and data["notes"]["path"].endswith("/notes.txt")
    assert (
        PBundle.model_validate({"table": {"uri": "s3://b/t", "file_format": ""}, "notes": "/tmp/n"}).notes.path
        == "/tmp/n"
    )
