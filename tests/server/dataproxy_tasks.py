"""Tasks the data proxy tests run on the server (imported by the task processes: no tests here)."""

from __future__ import annotations

import os
import tempfile

from aioflyte import task, workflow
from aioflyte.types.file import FlyteFile


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def write_text(text: str) -> FlyteFile:
    """A file output: the text written to ``report.txt``."""
    path = os.path.join(tempfile.mkdtemp(), "report.txt")
    with open(path, "w") as f:
        f.write(text)
    return FlyteFile(path)


@workflow
def add_twice(a: int, b: int) -> int:
    """Two task nodes (``n0`` then ``n1``), for node-level data."""
    return add(a=add(a=a, b=b), b=b)
