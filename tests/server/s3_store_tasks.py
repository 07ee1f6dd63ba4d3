"""Tasks the S3 raw store tests run on the server (imported by the task processes: no tests here)."""

from __future__ import annotations

import os
import tempfile

import pandas as pd

from aioflyte import task, workflow
from aioflyte.types.directory import FlyteDirectory
from aioflyte.types.file import FlyteFile


@task
def shout_file(f: FlyteFile) -> FlyteFile:
    """A file output: the input's text upper-cased, in ``shouted.txt``."""
    with open(f) as fh:
        text = fh.read()
    path = os.path.join(tempfile.mkdtemp(), "shouted.txt")
    with open(path, "w") as out:
        out.write(text.upper())
    return FlyteFile(path)


@task
def list_dir(d: FlyteDirectory) -> list[str]:
    return sorted(os.listdir(d))


@task
def count_chars(f: FlyteFile) -> int:
    with open(f) as fh:
        return len(fh.read())


@task
def doubled(df: pd.DataFrame) -> pd.DataFrame:
    return df * 2


@workflow
def s3_wf(f: FlyteFile, d: FlyteDirectory, df: pd.DataFrame) -> tuple[FlyteFile, int, list[str], pd.DataFrame]:
    """A file through two tasks, a directory listed, a dataframe doubled."""
    shouted = shout_file(f=f)
    return shouted, count_chars(f=shouted), list_dir(d=d), doubled(df=df)
