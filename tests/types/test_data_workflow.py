"""A workflow passing a FlyteFile, a FlyteDirectory and a StructuredDataset between three tasks, on S3."""

from __future__ import annotations

import os
import typing

import pandas as pd
import pytest

from aioflyte import FlyteDirectory, FlyteFile, StructuredDataset, kwtypes, task, workflow
from aioflyte.io import default_provider


@task
def make_file(n: int) -> FlyteFile:
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"numbers-{os.getpid()}-{n}.csv")
    with open(path, "w") as f:
        f.write("x,y\n" + "".join(f"{i},{i * i}\n" for i in range(n)))
    return FlyteFile(path)


@task
def split_rows(src: FlyteFile) -> FlyteDirectory:
    with open(src) as f:
        lines = f.read().splitlines()[1:]
    d = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"rows-{os.getpid()}-{len(lines)}")
    os.makedirs(d, exist_ok=True)
    for i, line in enumerate(lines):
        with open(os.path.join(d, f"row{i:03d}.csv"), "w") as f:
            f.write(line)
    return FlyteDirectory(d)


@task
def to_table(rows: FlyteDirectory) -> StructuredDataset:
    records = []
    for entry in sorted(os.listdir(rows)):
        with open(os.path.join(rows, entry)) as f:
            x, y = f.read().split(",")
        records.append({"x": int(x), "y": int(y), "label": f"r{x}"})
    return StructuredDataset(dataframe=pd.DataFrame(records))


@task
def total(table: pd.DataFrame) -> int:
    return int(table["y"].sum())


@workflow
def pipeline(n: int) -> tuple[int, int]:
    ds = to_table(rows=split_rows(src=make_file(n=n)))
    return total(table=ds), total(table=ds)


@pytest.mark.parametrize("store", ["local", "s3"])
async def test_file_directory_dataset_between_tasks(store, request):
    if store == "s3":
        prefix = request.getfixturevalue("s3_raw_prefix")
    a, b = await pipeline(n=20)
    assert a == b == sum(i * i for i in range(20))
    if store == "s3":
        bucket = prefix.split("/")[2]
        found = await default_provider().list_files(f"s3://{bucket}/raw")
        assert any(f.endswith(".csv") and "row" not in f for f in found)  # the file
        assert sum(1 for f in found if "/row" in f) == 20  # the directory
        assert any(f.endswith("00000") for f in found)  # the dataset (parquet)


async def test_column_subsetting_in_a_workflow(s3_raw_prefix):
    @task
    def narrow(table: pd.DataFrame) -> list[str]:
        return list(table.columns)

    @task
    def wide() -> pd.DataFrame:
        return pd.DataFrame({"x": [1], "y": [2], "label": ["a"]})

    @task
    def pick(table: typing.Annotated[pd.DataFrame, kwtypes(x=int, label=str)]) -> list[str]:
        return list(table.columns)

    @workflow
    def wf() -> tuple[list[str], list[str]]:
        t = wide()
        return narrow(table=t), pick(table=t)

    everything, picked = await wf()
    assert everything == ["x", "y", "label"] and picked == ["x", "label"]
