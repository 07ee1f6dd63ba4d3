"""``os.PathLike`` outputs are files, and path-like arguments are accepted where flytekit takes a path.

flytekit 1.16 (checked with 1.16.31): ``TypeEngine.get_transformer(os.PathLike)`` is the ``FlyteFilePath``
transformer (literal type: a single-file blob of no format), and a task declared ``-> os.PathLike`` that returns a
``pathlib.Path`` gives a ``FlyteFile``; ``pathlib.Path`` as a declared type is pickled (its own class, with the
pickle warning). ``SyncCheckpoint(checkpoint_dest=Path(...), checkpoint_src=Path(...))`` and
``StructuredDataset(uri=Path(...))`` are accepted. Deliberately different: flytekit does not upload a file
returned as ``os.PathLike`` (the literal holds the local path); aioflyte uploads it, as for ``FlyteFile``, so
another machine can read it.
"""

from __future__ import annotations

import os
import pathlib

import pandas as pd
import pytest
from flyteidl.core import types_pb2

from aioflyte import task, workflow
from aioflyte.core.checkpoint import SyncCheckpoint
from aioflyte.types import TypeEngine
from aioflyte.types.file import FlyteFile
from aioflyte.types.structured import StructuredDataset


@task
def write_text(text: str) -> os.PathLike:
    path = pathlib.Path(os.environ["AIOFLYTE_HOME"]) / "made" / "out.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@task
def read_text(f: FlyteFile) -> str:
    with open(f) as fh:
        return fh.read()


@workflow
def text_flow(text: str) -> str:
    return read_text(f=write_text(text=text))


def test_os_pathlike_is_a_file_type() -> None:
    assert TypeEngine.get_transformer(os.PathLike).name == "FlyteFilePath"
    lt = TypeEngine.to_literal_type(os.PathLike)
    assert lt == types_pb2.LiteralType(blob=types_pb2.BlobType(format="", dimensionality=types_pb2.BlobType.SINGLE))


async def test_a_path_returned_as_os_pathlike_becomes_a_flytefile() -> None:
    out = await write_text(text="hello")
    assert isinstance(out, FlyteFile)
    assert pathlib.Path(await out.adownload()).read_text() == "hello"
    assert await text_flow(text="again") == "again"


async def test_the_file_is_uploaded_under_the_raw_output_prefix(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "f.txt"
    p.write_text("x")
    lit = await TypeEngine.async_to_literal(None, p, os.PathLike)
    assert lit.scalar.blob.uri != str(p) and lit.scalar.blob.uri.endswith("/f.txt")
    back = await TypeEngine.async_to_python_value(None, lit, os.PathLike)
    assert isinstance(back, FlyteFile) and pathlib.Path(await back.adownload()).read_text() == "x"


@pytest.mark.filterwarnings("ignore::aioflyte.types.pickle.PickleFallbackWarning")
def test_pathlib_path_as_a_declared_type_is_pickled_as_in_flytekit() -> None:
    assert TypeEngine.to_literal_type(pathlib.Path).blob.format == "PythonPickle"
    assert TypeEngine.get_transformer(pathlib.Path).name == "FlytePickle"


def test_sync_checkpoint_takes_paths(tmp_path: pathlib.Path) -> None:
    cp = SyncCheckpoint(checkpoint_dest=tmp_path / "dest", checkpoint_src=tmp_path / "src")
    assert cp.checkpoint_dest == str(tmp_path / "dest") and cp.checkpoint_src == str(tmp_path / "src")


async def test_structured_dataset_takes_a_path(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "sd"
    df = pd.DataFrame({"a": [1, 2]})
    sd = StructuredDataset(dataframe=df, uri=target)
    assert sd.uri == str(target)
    lit = await TypeEngine.async_to_literal(None, sd, StructuredDataset)
    assert lit.scalar.structured_dataset.uri == str(target)
    read = StructuredDataset(uri=target, file_format="parquet")
    assert (await read.open(pd.DataFrame).all())["a"].tolist() == [1, 2]
