"""FlyteFile / FlyteDirectory wire forms against flytekit 1.16, byte for byte, in both directions.

The hex constants were produced by flytekit 1.16 (flyteidl 1.16) from the definitions in ``_cases`` below:
``LiteralType`` / ``Literal`` protobufs serialized with ``deterministic=True``. Values point at fixed
``s3://bucket/...`` URIs so nothing random is serialized; literals of uploaded local files are compared with
their (random) URI replaced. These tests do not need flytekit.
"""

# ruff: noqa: UP045  (typing.List / Optional on purpose: it is what flytekit code is written with)

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Dict, List, Optional

import msgpack
import pytest
from flyteidl.core import literals_pb2, types_pb2

from aioflyte import FlyteDirectory, FlyteFile, TypeEngine

ParquetDirectory = FlyteDirectory["parquet"]  # an alias: linters read ["parquet"] in annotations as a name


@dataclasses.dataclass
class Files:
    a: FlyteFile
    b: FlyteDirectory
    c: Optional[FlyteFile] = None
    d: FlyteFile[typing.TypeVar("csv")] = None  # type: ignore[valid-type]
    e: List[FlyteFile] = dataclasses.field(default_factory=list)
    f: Dict[str, ParquetDirectory] = dataclasses.field(default_factory=dict)


TYPES: dict[str, Any] = {
    "file": FlyteFile,
    "file_csv": FlyteFile["csv"],
    "file_typevar": FlyteFile[typing.TypeVar("jpeg")],
    "dir": FlyteDirectory,
    "dir_parquet": FlyteDirectory["parquet"],
    "opt_file": Optional[FlyteFile],
    "opt_dir": Optional[FlyteDirectory],
    "list_file": List[FlyteFile],
    "dc": Files,
}


def _values() -> dict[str, tuple[Any, Any]]:
    return {
        "file": (FlyteFile("s3://bucket/k.txt"), FlyteFile),
        "file_md": (FlyteFile("s3://bucket/k.txt", metadata={"owner": "me"}), FlyteFile),
        "file_csv": (FlyteFile("s3://bucket/x.csv"), FlyteFile["csv"]),
        "dir": (FlyteDirectory("s3://bucket/dir"), FlyteDirectory),
        "dir_parquet": (FlyteDirectory("s3://bucket/pq"), FlyteDirectory["parquet"]),
        "opt_file": (FlyteFile("s3://bucket/o.txt"), Optional[FlyteFile]),
        "list_file": ([FlyteFile("s3://bucket/1"), FlyteFile("s3://bucket/2")], List[FlyteFile]),
        "dc": (
            Files(
                a=FlyteFile("s3://bucket/a", metadata={"k": "v"}),
                b=FlyteDirectory("s3://bucket/b"),
                d=FlyteFile("s3://bucket/d.csv"),
                e=[FlyteFile("s3://bucket/e")],
                f={"x": FlyteDirectory("s3://bucket/f")},
            ),
            Files,
        ),
    }


FLYTEKIT_HEX = {
    "lt:file": "2a00",
    "lt:file_csv": "2a050a03637376",
    "lt:file_typevar": "2a060a046a706567",
    "lt:dir": "2a021001",
    "lt:dir_parquet": "2a0b0a07706172717565741001",
    "lt:opt_file": "52210a132a005a0f0a0d466c79746546696c65506174680a0a08005a060a046e6f6e65",
    "lt:opt_dir": "52240a162a0210015a100a0e466c7974654469726563746f72790a0a08005a060a046e6f6e65",
    "lt:list_file": "1a022a00",
    "lt:dc": (
        "080932b6110a1a0a146164646974696f6e616c50726f70657274696573120220000ad9100a0a70726f7065727469657312ca"
        "102ac7100af8020a016112f2022aef020a1a0a146164646974696f6e616c50726f70657274696573120220000aa8020a0a70"
        "726f706572746965731299022a96020aad010a086d6574616461746112a0012a9d010a8b010a05616e794f66128101327f0a"
        "692a670a2c0a146164646974696f6e616c50726f7065727469657312142a120a100a047479706512081a06737472696e670a"
        "250a0d70726f70657274794e616d657312142a120a100a047479706512081a06737472696e670a100a047479706512081a06"
        "6f626a6563740a122a100a0e0a047479706512061a046e756c6c0a0d0a0764656661756c74120208000a640a047061746812"
        "5c2a5a0a490a05616e794f661240323e0a142a120a100a047479706512081a06737472696e670a262a240a100a06666f726d"
        "617412061a04706174680a100a047479706512081a06737472696e670a0d0a0764656661756c74120208000a140a05746974"
        "6c65120b1a09466c79746546696c650a100a047479706512081a066f626a6563740aca010a016212c4012ac1010a1a0a1461"
        "64646974696f6e616c50726f70657274696573120220000a760a0a70726f7065727469657312682a660a640a047061746812"
        "5c2a5a0a490a05616e794f661240323e0a142a120a100a047479706512081a06737472696e670a262a240a100a06666f726d"
        "617412061a04706174680a100a047479706512081a06737472696e670a0d0a0764656661756c74120208000a190a05746974"
        "6c6512101a0e466c7974654469726563746f72790a100a047479706512081a066f626a6563740ab1030a016312ab032aa803"
        "0a96030a05616e794f66128c033289030af2022aef020a1a0a146164646974696f6e616c50726f7065727469657312022000"
        "0aa8020a0a70726f706572746965731299022a96020aad010a086d6574616461746112a0012a9d010a8b010a05616e794f66"
        "128101327f0a692a670a2c0a146164646974696f6e616c50726f7065727469657312142a120a100a047479706512081a0673"
        "7472696e670a250a0d70726f70657274794e616d657312142a120a100a047479706512081a06737472696e670a100a047479"
        "706512081a066f626a6563740a122a100a0e0a047479706512061a046e756c6c0a0d0a0764656661756c74120208000a640a"
        "0470617468125c2a5a0a490a05616e794f661240323e0a142a120a100a047479706512081a06737472696e670a262a240a10"
        "0a06666f726d617412061a04706174680a100a047479706512081a06737472696e670a0d0a0764656661756c74120208000a"
        "140a057469746c65120b1a09466c79746546696c650a100a047479706512081a066f626a6563740a122a100a0e0a04747970"
        "6512061a046e756c6c0a0d0a0764656661756c74120208000a87030a01641281032afe020a1a0a146164646974696f6e616c"
        "50726f70657274696573120220000a0d0a0764656661756c74120208000aa8020a0a70726f706572746965731299022a9602"
        "0aad010a086d6574616461746112a0012a9d010a8b010a05616e794f66128101327f0a692a670a2c0a146164646974696f6e"
        "616c50726f7065727469657312142a120a100a047479706512081a06737472696e670a250a0d70726f70657274794e616d65"
        "7312142a120a100a047479706512081a06737472696e670a100a047479706512081a066f626a6563740a122a100a0e0a0474"
        "79706512061a046e756c6c0a0d0a0764656661756c74120208000a640a0470617468125c2a5a0a490a05616e794f66124032"
        "3e0a142a120a100a047479706512081a06737472696e670a262a240a100a06666f726d617412061a04706174680a100a0474"
        "79706512081a06737472696e670a0d0a0764656661756c74120208000a140a057469746c65120b1a09466c79746546696c65"
        "0a100a047479706512081a066f626a6563740a99030a01651293032a90030afc020a056974656d7312f2022aef020a1a0a14"
        "6164646974696f6e616c50726f70657274696573120220000aa8020a0a70726f706572746965731299022a96020aad010a08"
        "6d6574616461746112a0012a9d010a8b010a05616e794f66128101327f0a692a670a2c0a146164646974696f6e616c50726f"
        "7065727469657312142a120a100a047479706512081a06737472696e670a250a0d70726f70657274794e616d657312142a12"
        "0a100a047479706512081a06737472696e670a100a047479706512081a066f626a6563740a122a100a0e0a04747970651206"
        "1a046e756c6c0a0d0a0764656661756c74120208000a640a0470617468125c2a5a0a490a05616e794f661240323e0a142a12"
        "0a100a047479706512081a06737472696e670a262a240a100a06666f726d617412061a04706174680a100a04747970651208"
        "1a06737472696e670a0d0a0764656661756c74120208000a140a057469746c65120b1a09466c79746546696c650a100a0474"
        "79706512081a066f626a6563740a0f0a047479706512071a0561727261790aa2020a0166129c022a99020add010a14616464"
        "6974696f6e616c50726f7065727469657312c4012ac1010a1a0a146164646974696f6e616c50726f70657274696573120220"
        "000a760a0a70726f7065727469657312682a660a640a0470617468125c2a5a0a490a05616e794f661240323e0a142a120a10"
        "0a047479706512081a06737472696e670a262a240a100a06666f726d617412061a04706174680a100a047479706512081a06"
        "737472696e670a0d0a0764656661756c74120208000a190a057469746c6512101a0e466c7974654469726563746f72790a10"
        "0a047479706512081a066f626a6563740a250a0d70726f70657274794e616d657312142a120a100a047479706512081a0673"
        "7472696e670a100a047479706512081a066f626a6563740a180a087265717569726564120c320a0a031a01610a031a01620a"
        "100a057469746c6512071a0546696c65730a100a047479706512081a066f626a6563744a3f0a3d0a3b0a1263616368652d6b"
        "65792d6d6574616461746112252a230a210a1473657269616c697a6174696f6e2d666f726d617412091a076d73677061636b"
        "5a6d12070a016112022a0012090a016212042a02100112280a0163122352210a132a005a0f0a0d466c79746546696c655061"
        "74680a0a08005a060a046e6f6e65120c0a016412072a050a0363737612090a016512041a022a0012140a0166120f220d2a0b"
        "0a07706172717565741001"
    ),
    "lit:file": "0a1912170a020a001a1173333a2f2f6275636b65742f6b2e747874",
    "lit:file_md": "0a1912170a020a001a1173333a2f2f6275636b65742f6b2e7478742a0b0a056f776e657212026d65",
    "lit:file_csv": "0a1e121c0a070a050a036373761a1173333a2f2f6275636b65742f782e637376",
    "lit:dir": "0a1912170a040a0210011a0f73333a2f2f6275636b65742f646972",
    "lit:dir_parquet": "0a21121f0a0d0a0b0a077061727175657410011a0e73333a2f2f6275636b65742f7071",
    "lit:opt_file": (
        "0a344a320a1b0a1912170a020a001a1173333a2f2f6275636b65742f6f2e74787412132a005a0f0a0d466c79746546696c6550617468"
    ),
    "lit:list_file": (
        "12320a170a1512130a020a001a0d73333a2f2f6275636b65742f310a170a1512130a020a001a0d73333a2f2f6275636b65742f32"
    ),
    "lit:dc": (
        "0a97011a94010a880186a16182a470617468ad73333a2f2f6275636b65742f61a86d6574616461746181a16ba176a16281a4"
        "70617468ad73333a2f2f6275636b65742f62a163c0a16481a470617468b173333a2f2f6275636b65742f642e637376a16591"
        "81a470617468ad73333a2f2f6275636b65742f65a16681a17881a470617468ad73333a2f2f6275636b65742f6612076d7367"
        "7061636b"
    ),
}


def _hex(msg: Any) -> str:
    return msg.SerializeToString(deterministic=True).hex()


@pytest.mark.parametrize("name", list(TYPES))
def test_literal_types_match_flytekit(name: str) -> None:
    assert _hex(TypeEngine.to_literal_type(TYPES[name])) == FLYTEKIT_HEX[f"lt:{name}"]


@pytest.mark.parametrize("name", list(_values()))
async def test_literals_match_flytekit(name: str) -> None:
    value, t = _values()[name]
    assert _hex(await TypeEngine.to_literal(None, value, t)) == FLYTEKIT_HEX[f"lit:{name}"]


async def test_flytekit_literals_read_back_as_lazy_handles() -> None:
    lit = literals_pb2.Literal.FromString(bytes.fromhex(FLYTEKIT_HEX["lit:file_md"]))
    ff = await TypeEngine.to_python_value(None, lit, FlyteFile)
    assert type(ff) is FlyteFile and ff.remote_source == "s3://bucket/k.txt" and ff.metadata == {"owner": "me"}
    assert not ff.downloaded and ff.path.endswith("k.txt") and not ff.path.startswith("s3://")

    lit = literals_pb2.Literal.FromString(bytes.fromhex(FLYTEKIT_HEX["lit:dir_parquet"]))
    d = await TypeEngine.to_python_value(None, lit, FlyteDirectory["parquet"])
    assert type(d) is FlyteDirectory["parquet"] and d.remote_source == "s3://bucket/pq" and not d.downloaded

    lit = literals_pb2.Literal.FromString(bytes.fromhex(FLYTEKIT_HEX["lit:dc"]))
    dc = await TypeEngine.to_python_value(None, lit, Files)
    assert dc.a.remote_source == "s3://bucket/a" and dc.a.metadata == {"k": "v"}
    assert dc.b.remote_source == "s3://bucket/b" and dc.c is None
    assert type(dc.d) is FlyteFile["csv"] and dc.d.remote_source == "s3://bucket/d.csv"
    assert [x.remote_source for x in dc.e] == ["s3://bucket/e"]
    assert type(dc.f["x"]) is FlyteDirectory["parquet"] and dc.f["x"].remote_source == "s3://bucket/f"
    # ... and it encodes back to the very same bytes (lazy handles pass their source through).
    assert _hex(await TypeEngine.to_literal(None, dc, Files)) == FLYTEKIT_HEX["lit:dc"]


async def test_uploaded_local_file_literal_differs_only_by_uri(tmp_path) -> None:
    src = tmp_path / "k.txt"
    src.write_text("hello")
    lit = await TypeEngine.to_literal(None, FlyteFile(str(src), metadata={"owner": "me"}), FlyteFile)
    uri = lit.scalar.blob.uri
    assert uri.endswith("/k.txt") and uri != str(src)
    assert open(uri).read() == "hello"  # the default raw output prefix is on local disk in tests
    lit.scalar.blob.uri = "s3://bucket/k.txt"
    assert _hex(lit) == FLYTEKIT_HEX["lit:file_md"]


async def test_dataclass_with_local_files_uploads_them_first(tmp_path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.parquet").write_bytes(b"pq")
    (tmp_path / "a.txt").write_text("a")
    v = Files(a=FlyteFile(str(tmp_path / "a.txt")), b=FlyteDirectory(str(tmp_path / "d")))
    lit = await TypeEngine.to_literal(None, v, Files)
    rec = msgpack.unpackb(lit.scalar.binary.value)
    assert list(rec) == ["a", "b", "c", "d", "e", "f"]
    assert rec["a"]["path"].endswith("/a.txt") and rec["a"]["path"] != str(tmp_path / "a.txt")
    assert rec["b"]["path"] != str(tmp_path / "d") and rec["c"] is None and rec["d"] is None
    back = await TypeEngine.to_python_value(None, lit, Files)
    assert open(await back.a.adownload()).read() == "a"
    assert open(f"{await back.b.adownload()}/x.parquet", "rb").read() == b"pq"


def test_records_need_the_store_so_no_local_shortcut() -> None:
    assert TypeEngine.local_converter(Files) is None
    assert TypeEngine.local_converter(FlyteFile) is None
    assert TypeEngine.local_converter(List[FlyteDirectory]) is None


@pytest.mark.parametrize(
    ("blob", "expected"),
    [
        (types_pb2.BlobType(), FlyteFile),
        (types_pb2.BlobType(format="csv"), FlyteFile["csv"]),
        (types_pb2.BlobType(dimensionality=types_pb2.BlobType.MULTIPART), FlyteDirectory),
        (types_pb2.BlobType(format="parquet", dimensionality=types_pb2.BlobType.MULTIPART), FlyteDirectory["parquet"]),
    ],
)
def test_guessed_python_types(blob: types_pb2.BlobType, expected: Any) -> None:
    assert TypeEngine.guess_python_type(types_pb2.LiteralType(blob=blob)) is expected


def test_pickle_blobs_are_not_guessed_as_files() -> None:
    from aioflyte.types.pickle import FlytePickle

    lt = types_pb2.LiteralType(blob=types_pb2.BlobType(format="PythonPickle"))
    assert TypeEngine.guess_python_type(lt) is FlytePickle


def test_guessed_dataclass_has_file_fields() -> None:
    guessed = TypeEngine.guess_python_type(TypeEngine.to_literal_type(Files))
    kinds = {f.name: f.type for f in dataclasses.fields(guessed)}
    assert kinds["a"] is FlyteFile and kinds["b"] is FlyteDirectory
    assert kinds["e"] == list[FlyteFile] and kinds["c"] == Optional[FlyteFile]


async def test_a_directory_is_not_a_file_and_back() -> None:
    from aioflyte.types.engine import TypeTransformerFailedError

    with pytest.raises(TypeTransformerFailedError):
        await TypeEngine.to_literal(None, FlyteDirectory("s3://bucket/d"), FlyteFile)
    lit = await TypeEngine.to_literal(None, FlyteDirectory("s3://bucket/d"), FlyteDirectory)
    with pytest.raises(TypeTransformerFailedError, match="directory"):
        await TypeEngine.to_python_value(None, lit, FlyteFile)
