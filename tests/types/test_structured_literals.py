"""Literal types and literals of datasets, byte for byte as flytekit 1.16 writes them (uri blanked)."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from typing import Annotated

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from flyteidl.core import literals_pb2, types_pb2

from aioflyte import StructuredDataset, StructuredDatasetFormat, StructuredDatasetType, TypeEngine, kwtypes

DF = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})

# TypeEngine.to_literal_type(t).to_flyte_idl().SerializeToString().hex() under flytekit 1.16
LITERAL_TYPES = [
    (pd.DataFrame, "4200"),
    (pa.Table, "4200"),
    (StructuredDataset, "4200"),
    (Annotated[StructuredDataset, kwtypes(a=int, b=str)], "42120a070a0161120208010a070a016212020803"),
    (
        Annotated[
            pd.DataFrame,
            kwtypes(
                a=int,
                b=float,
                c=bool,
                d=datetime.datetime,
                e=datetime.timedelta,
                g=list[int],
                h=dict[str, int],
            ),
        ],
        "42430a070a0161120208010a070a0162120208020a070a0163120208040a070a0164120208050a070a016512020806"
        "0a090a016712041a0208010a090a0168120422020801",
    ),
    (Annotated[StructuredDataset, "csv"], "42051203637376"),
    (Annotated[StructuredDataset, kwtypes(a=int), "parquet"], "42120a070a016112020801120770617271756574"),
    (Annotated[StructuredDataset, "parquet"], "4209120770617271756574"),
    (Annotated[StructuredDataset, pa.schema([("a", pa.int64())])], "42111a056172726f772208613a20696e743634"),
]


@pytest.mark.parametrize(("t", "expected"), LITERAL_TYPES)
def test_literal_types_match_flytekit(t, expected):
    assert TypeEngine.to_literal_type(t).SerializeToString().hex() == expected


# Literal (uri blanked) of TypeEngine.to_literal(ctx, value, t, ...) under flytekit 1.16
PARQUET_ONLY = "0a0f420d120b0a09120770617271756574"
AB_PARQUET = "0a21421f121d0a1b0a070a0161120208010a070a016212020803120770617271756574"
LITERALS = [
    (pd.DataFrame, lambda: DF, PARQUET_ONLY),
    (Annotated[pd.DataFrame, kwtypes(a=int, b=str)], lambda: DF, AB_PARQUET),
    (Annotated[StructuredDataset, kwtypes(a=int, b=str)], lambda: StructuredDataset(dataframe=DF), AB_PARQUET),
    (StructuredDataset, lambda: StructuredDataset(dataframe=DF), PARQUET_ONLY),
    (pa.Table, lambda: pa.Table.from_pandas(DF), PARQUET_ONLY),
    (
        Annotated[StructuredDataset, kwtypes(a=int)],
        lambda: StructuredDataset(dataframe=DF),
        "0a18421612140a120a070a016112020801120770617271756574",
    ),
]


@pytest.mark.parametrize(("t", "value", "expected"), LITERALS)
async def test_literals_match_flytekit(t, value, expected, tmp_path, monkeypatch):
    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", str(tmp_path / "raw"))
    lit = await TypeEngine.to_literal(None, value(), t)
    uri = lit.scalar.structured_dataset.uri
    assert uri.startswith(str(tmp_path / "raw"))
    assert os.listdir(uri) == ["00000"]  # flytekit's layout: a directory holding one parquet file
    lit.scalar.structured_dataset.uri = ""
    assert lit.SerializeToString().hex() == expected


async def test_reads_a_flytekit_shaped_literal(tmp_path):
    """A directory with ``00000`` and the literal flytekit writes for it decode to every dataframe type."""
    (tmp_path / "ds").mkdir()
    pq.write_table(pa.Table.from_pandas(DF), tmp_path / "ds" / "00000")
    lit = literals_pb2.Literal()
    lit.ParseFromString(bytes.fromhex(AB_PARQUET))
    lit.scalar.structured_dataset.uri = str(tmp_path / "ds")
    df = await TypeEngine.to_python_value(None, lit, Annotated[pd.DataFrame, kwtypes(b=str)])
    assert list(df.columns) == ["b"]
    table = await TypeEngine.to_python_value(None, lit, pa.Table)
    assert table.column_names == ["a", "b"]
    sd = await TypeEngine.to_python_value(None, lit, StructuredDataset)
    assert sd.uri == str(tmp_path / "ds") and sd.file_format == "parquet" and sd.column_names() == ["a", "b"]
    again = await TypeEngine.to_literal(None, sd, StructuredDataset)  # an input passed on: the same literal
    assert again == lit


async def test_csv_format(tmp_path, monkeypatch):
    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", str(tmp_path / "raw"))
    t = Annotated[pd.DataFrame, "csv"]
    lit = await TypeEngine.to_literal(None, DF, t)
    assert lit.scalar.structured_dataset.metadata.structured_dataset_type.format == "csv"
    assert os.listdir(lit.scalar.structured_dataset.uri) == [".csv"]  # flytekit's CSV layout
    back = await TypeEngine.to_python_value(None, lit, Annotated[pd.DataFrame, kwtypes(b=str)])
    assert list(back.columns) == ["b"]


async def test_uri_only_dataset_literal(tmp_path, monkeypatch):
    """A dataset given by uri keeps its format; local data is copied under the raw prefix."""
    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", str(tmp_path / "raw"))
    DF.to_parquet(tmp_path / "mine.parquet")
    lit = await TypeEngine.to_literal(
        None, StructuredDataset(uri=str(tmp_path / "mine.parquet"), file_format="parquet"), StructuredDataset
    )
    sd = lit.scalar.structured_dataset
    assert sd.uri.startswith(str(tmp_path / "raw")) and sd.uri.endswith("mine.parquet")
    assert sd.metadata.structured_dataset_type.format == "parquet"
    with pytest.raises(ValueError, match="neither"):
        await TypeEngine.to_literal(None, StructuredDataset(), StructuredDataset)


def test_public_names_and_guess():
    assert StructuredDatasetFormat.PARQUET == "parquet" and isinstance(StructuredDatasetFormat.CSV, str)
    sdt = StructuredDatasetType(format=StructuredDatasetFormat.PARQUET)
    lt = types_pb2.LiteralType(structured_dataset_type=sdt)
    assert TypeEngine.guess_python_type(lt) is StructuredDataset
    assert StructuredDataset.columns() == {} and StructuredDataset.column_names() == []


def test_column_errors():
    with pytest.raises(TypeError, match=r"column 'x': type .*set.* is not supported"):
        TypeEngine.to_literal_type(Annotated[StructuredDataset, kwtypes(x=set)])
    with pytest.raises(ValueError, match="format was already given"):
        TypeEngine.to_literal_type(Annotated[StructuredDataset, "csv", "parquet"])


def test_nested_columns_are_flattened():
    lt = TypeEngine.to_literal_type(Annotated[StructuredDataset, kwtypes(a=int, b=kwtypes(c=str, d=float))])
    assert [c.name for c in lt.structured_dataset_type.columns] == ["a", "b.c", "b.d"]


def test_import_aioflyte_does_not_import_pandas():
    code = (
        "import sys, aioflyte\n"
        "from aioflyte import StructuredDataset, task\n"
        "@task\n"
        "def f(sd: StructuredDataset) -> int:\n"
        "    return 1\n"
        "bad = [m for m in ('pandas', 'pyarrow', 'polars') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
