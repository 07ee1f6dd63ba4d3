"""Tasks that return an input FlyteFile's (or FlyteDirectory's) path without reading it, for the tests of this
folder and the entrypoint processes they start (imported by name)."""

from __future__ import annotations

import os
import tempfile

from aioflyte import task, workflow
from aioflyte.types.directory import FlyteDirectory
from aioflyte.types.file import FlyteFile


@task
def make_file(name: str) -> FlyteFile:
    path = os.path.join(tempfile.mkdtemp(), name)
    with open(path, "w") as f:
        f.write(f"content of {name}")
    return FlyteFile(path)


@task
def return_path(f: FlyteFile) -> FlyteFile:
    return f.path  # type: ignore[return-value]  # a str for a FlyteFile output, as flytekit allows


@task
async def return_new_file(f: FlyteFile) -> FlyteFile:
    return FlyteFile(f.path)


@task
def read_file(f: FlyteFile) -> str:
    with open(f) as fh:
        return fh.read()


@workflow
def pass_on(name: str) -> tuple[str, str]:
    f = make_file(name=name)
    return read_file(f=return_path(f=f)), read_file(f=return_new_file(f=f))


@task
def make_dir(name: str) -> FlyteDirectory:
    path = os.path.join(tempfile.mkdtemp(), name)
    os.makedirs(path)
    with open(os.path.join(path, "inside.txt"), "w") as f:
        f.write(name)
    return FlyteDirectory(path)


@task
def return_dir_path(d: FlyteDirectory) -> FlyteDirectory:
    return d.path  # type: ignore[return-value]


@task
def read_dir(d: FlyteDirectory) -> str:
    with open(os.path.join(d.download(), "inside.txt")) as fh:
        return fh.read()


@workflow
def pass_dir_on(name: str) -> str:
    return read_dir(d=return_dir_path(d=make_dir(name=name)))
