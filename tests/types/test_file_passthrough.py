"""A task that returns an input FlyteFile's ``.path`` (or ``FlyteFile(f.path)``) without reading it.

flytekit 1.16 (checked with 1.16.31): ``return f.path`` and ``return FlyteFile(f.path)`` from a task whose output
is a ``FlyteFile`` work, and the next task reads the same content, for any file name (tried: ``plain.txt``,
``with space.txt``, ``we!rd #name%20&x=1;(1).txt``, ``ünï çødé.txt``). aioflyte's input is a lazy handle: nothing
is at ``f.path`` until the body reads it, so the output is the input's stored data itself (nothing is uploaded).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import passthrough_tasks as pt
import pytest
from flyteidl.core import literals_pb2

from aioflyte.types import TypeEngine

HERE = Path(__file__).parent
NAMES = ["plain.txt", "with space.txt", "we!rd #name%20&x=1;(1).txt", "ünï çødé.txt"]


@pytest.mark.parametrize("name", NAMES)
async def test_returning_an_unread_inputs_path_passes_the_file_on(name: str) -> None:
    assert await pt.pass_on(name=name) == (f"content of {name}", f"content of {name}")


async def test_the_output_is_the_inputs_stored_data(tmp_path: Path) -> None:
    stored = await pt.make_file(name="x y.txt")
    lit = await TypeEngine.async_to_literal(None, stored, pt.FlyteFile)
    handle = await TypeEngine.async_to_python_value(None, lit, pt.FlyteFile)
    assert not os.path.exists(handle.path)  # a lazy input: not downloaded
    out = await TypeEngine.async_to_literal(None, handle.path, pt.FlyteFile)
    assert out.scalar.blob.uri == lit.scalar.blob.uri
    assert not os.path.exists(handle.path)  # passed on, not fetched


async def test_a_copy_at_a_chosen_remote_path_is_fetched_and_uploaded(tmp_path: Path) -> None:
    stored = await TypeEngine.async_to_literal(None, await pt.make_file(name="c.txt"), pt.FlyteFile)
    handle = await TypeEngine.async_to_python_value(None, stored, pt.FlyteFile)
    dest = str(tmp_path / "copy" / "c.txt")
    out = await TypeEngine.async_to_literal(None, pt.FlyteFile(handle.path, remote_path=dest), pt.FlyteFile)
    assert out.scalar.blob.uri == dest and Path(dest).read_text() == "content of c.txt"


async def test_a_path_no_input_would_download_to_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="there is no such file"):
        await TypeEngine.async_to_literal(None, str(tmp_path / "nothing.txt"), pt.FlyteFile)


async def test_an_unread_input_directorys_path_passes_it_on() -> None:
    assert await pt.pass_dir_on(name="a dir #1") == "a dir #1"


@pytest.mark.parametrize("name", ["plain.txt", "we!rd #name%20&x=1;(1).txt"])
async def test_on_s3(name: str, s3_raw_prefix: str) -> None:
    assert await pt.pass_on(name=name) == (f"content of {name}", f"content of {name}")


@pytest.mark.slow
def test_in_the_container_entrypoint(tmp_path: Path) -> None:
    """The cluster's case: the input comes from the store into a fresh container, the task returns its path."""
    src = tmp_path / "in dir" / "the input #1.txt"
    src.parent.mkdir()
    src.write_text("stored")
    lm = literals_pb2.LiteralMap()
    lm.literals["f"].scalar.blob.uri = str(src)
    (tmp_path / "inputs.pb").write_bytes(lm.SerializeToString())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)}
    cmd = [sys.executable, "-m", "aioflyte.entrypoint", "--inputs", str(tmp_path / "inputs.pb")]
    cmd += ["--output-prefix", str(tmp_path / "out"), "--raw-output-data-prefix", str(tmp_path / "raw")]
    cmd += ["--resolver", "aioflyte.entrypoint.default_resolver", "--"]
    cmd += ["task-module", "passthrough_tasks", "task-name", "return_path"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    out = literals_pb2.LiteralMap.FromString((tmp_path / "out" / "outputs.pb").read_bytes())
    assert out.literals["o0"].scalar.blob.uri == str(src)


async def test_a_handle_that_outlived_its_run_passes_on_from_its_new_location() -> None:
    """A run's returned file is a lazy handle in the run's scratch space, removed when the run ends: its path is
    then a new download location, which passes the stored data on as well."""
    handle = await pt.make_file(name="late.txt")
    source = handle.remote_source
    out = await TypeEngine.async_to_literal(None, handle.path, pt.FlyteFile)
    assert out.scalar.blob.uri == source and not os.path.exists(handle.path)
