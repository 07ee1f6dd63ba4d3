"""A workflow whose outputs are a dataclass, a FlyteFile and a StructuredDataset (pandas), for the workflow
execution tests (in its own module so that the other test tasks do not import pandas)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from aioflyte import FlyteFile, StructuredDataset, current_context, task, workflow


@dataclass
class Point:
    x: int
    label: str


@task
def make_outputs(n: int) -> tuple[Point, FlyteFile, StructuredDataset]:
    path = os.path.join(current_context().working_directory, "note.txt")
    with open(path, "w") as f:
        f.write(f"note {n}")
    df = pd.DataFrame({"a": list(range(n)), "b": [str(i) for i in range(n)]})
    return Point(x=n, label=f"p{n}"), FlyteFile(path), StructuredDataset(dataframe=df)


@workflow
def rich(n: int) -> tuple[Point, FlyteFile, StructuredDataset]:
    return make_outputs(n=n)
