"""FlyteSchema (aioflyte.types.schema): a user's schema tasks round-trip a pandas DataFrame locally, as in flytekit."""

from __future__ import annotations

import datetime
import os
import tempfile

import pytest

pd = pytest.importorskip("pandas")

import aioflyte  # noqa: E402
from aioflyte import kwtypes, task, workflow  # noqa: E402
from aioflyte.exceptions import FlyteBlockingCallError, TypeTransformerFailedError  # noqa: E402
from aioflyte.io import default_provider  # noqa: E402
from aioflyte.types.engine import TypeEngine  # noqa: E402
from aioflyte.types.schema import (  # noqa: E402
    FlyteSchema,
    SchemaEngine,
    SchemaFormat,
    SchemaOpenMode,
    SchemaReader,
    SchemaWriter,
)

S = FlyteSchema[kwtypes(a=int, b=str)]


@task
def make() -> S:
    return pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})


@task
def make_with_writer() -> S:
    s = S()
    writer = s.open()
    writer.write(pd.DataFrame({"a": [3], "b": ["z"]}), pd.DataFrame({"a": [4], "b": ["w"]}))
    return s


@task
def total(s: S) -> int:
    df = s.open().all()
    return int(df["a"].sum())


@task
def as_frame(s: FlyteSchema) -> pd.DataFrame:
    return s.open().all()


@task
def parts(s: S) -> int:
    return len(list(s.open().iter()))


@workflow
def wf() -> int:
    return total(s=make())


@workflow
def wf_writer() -> tuple[int, int]:
    s = make_with_writer()
    return total(s=s), parts(s=s)


def test_typed_schemas_have_flytekits_class_api():
    assert list(S.columns().items()) == [("a", int), ("b", str)]
    assert S.column_names() == ["a", "b"] and S.format() is SchemaFormat.PARQUET
    assert FlyteSchema[kwtypes(a=int, b=str)] is S
    assert FlyteSchema.columns() == {} and FlyteSchema.format() is SchemaFormat.PARQUET
    assert FlyteSchema.__class_getitem__(kwtypes(a=int), SchemaFormat.PARQUET).columns() == {"a": int}
    with pytest.raises(AssertionError, match="ordered dict"):
        FlyteSchema[(int, str)]  # type: ignore[index]


def test_a_workflow_passes_a_dataframe_through_a_schema():
    assert aioflyte.run(wf) == 3
    assert aioflyte.run(wf_writer) == (7, 2)


def test_a_schema_input_reads_as_a_dataframe():
    df = aioflyte.run(as_frame, s=aioflyte.run(make))
    assert list(df.columns) == ["a", "b"] and df["b"].tolist() == ["x", "y"]


async def test_the_literal_is_flytes_schema_with_typed_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", str(tmp_path / "raw"))
    T = FlyteSchema[kwtypes(i=int, f=float, s=str, t=datetime.datetime, d=datetime.timedelta, ok=bool)]
    lt = TypeEngine.to_literal_type(T)
    assert [(c.name, c.type) for c in lt.schema.columns] == [
        ("i", 0),
        ("f", 1),
        ("s", 2),
        ("t", 4),
        ("d", 5),
        ("ok", 3),
    ]
    assert TypeEngine.guess_python_type(lt).columns() == T.columns()

    df = pd.DataFrame({"a": [5], "b": ["q"]})
    lv = await TypeEngine.to_literal(None, df, S)
    uri = lv.scalar.schema.uri
    assert uri.startswith(str(tmp_path / "raw")) and os.listdir(uri) == ["00000"]  # flytekit's layout
    assert [c.name for c in lv.scalar.schema.type.columns] == ["a", "b"]

    received = await TypeEngine.to_python_value(None, lv, S)
    assert isinstance(received, S) and received.supported_mode is SchemaOpenMode.READ
    assert received.remote_path == uri
    with pytest.raises(FlyteBlockingCallError, match="adownload"):  # a sync download on the loop's thread
        received.open()
    await received.adownload()
    reader = received.open()
    assert isinstance(reader, SchemaReader) and reader.column_names == ["a", "b"]
    assert reader.all().equals(df)
    with pytest.raises(AssertionError, match="Readonly"):
        received.open(override_mode=SchemaOpenMode.WRITE)
    # returned unchanged, a received schema is not uploaded again
    assert (await TypeEngine.to_literal(None, received, S)).scalar.schema.uri == uri


def test_a_schema_a_run_returns_is_read_after_the_run(tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    s = aioflyte.run(make)
    assert os.listdir(tmp) == []  # the run's scratch folder went with the run
    assert s.open().all()["a"].tolist() == [1, 2]  # downloaded into the sandbox of code outside runs
    assert os.path.isdir(s.local_path) and s.local_path.startswith(default_provider().local_sandbox_dir + os.sep)
    assert [n for n in os.listdir(tmp) if not n.startswith("aioflyte-data-")] == []


def test_write_then_read_back_in_place(tmp_path):
    s = S(local_path=str(tmp_path / "s"))
    writer = s.open()
    assert isinstance(writer, SchemaWriter)
    writer.write(pd.DataFrame({"a": [1], "b": ["x"]}))
    assert s.open(override_mode=SchemaOpenMode.READ).all()["a"].tolist() == [1]
    assert s.as_readonly().open().all()["b"].tolist() == ["x"]
    with pytest.raises(ValueError, match="remote_path is required"):
        S(supported_mode=SchemaOpenMode.READ)


async def test_unsupported_columns_and_values_are_type_errors():
    with pytest.raises(TypeTransformerFailedError, match="not supported by FlyteSchema"):
        TypeEngine.to_literal_type(FlyteSchema[kwtypes(a=list)])
    with pytest.raises(TypeTransformerFailedError, match="No automatic conversion"):
        await TypeEngine.to_literal(None, {"a": 1}, S)
    with pytest.raises(ValueError, match="not supported"):
        SchemaEngine.get_handler(dict)
    with pytest.raises(ValueError, match="already registered"):
        SchemaEngine.register_handler(SchemaEngine.get_handler(pd.DataFrame))


@pytest.mark.slow
def test_a_schema_on_s3_round_trips(s3_raw_prefix):
    assert aioflyte.run(wf) == 3
    lv_uri = aioflyte.run(make).remote_path
    assert lv_uri.startswith(s3_raw_prefix)
