"""Fast registration: ``aioflyte-fast-execute`` fetches the code archive, unpacks it and runs the task command."""

from __future__ import annotations

import io
import os
import sys
import tarfile

import pytest
from entrypoint_helpers import entrypoint_cmd, run

from aioflyte._entrypoint.fast import with_distribution

FAST_MODULE = b"""
from aioflyte import task

@task
def shipped(a: int) -> str:
    return f"fast code v2 got {a}"
"""


def _archive() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("fastpkg_for_entrypoint/shipped_mod.py")
        info.size = len(FAST_MODULE)
        tar.addfile(info, io.BytesIO(FAST_MODULE))
        init = tarfile.TarInfo("fastpkg_for_entrypoint/__init__.py")
        tar.addfile(init, io.BytesIO(b""))
    return buf.getvalue()


@pytest.mark.slow
async def test_fast_execute_runs_code_from_the_archive(store, tmp_path):
    archive = await store.put("fast/code.tar.gz", _archive())
    await store.put_inputs({"a": 5}, {"a": int})
    dest = tmp_path / "dest"
    task_cmd = entrypoint_cmd(
        store,
        ["task-module", "fastpkg_for_entrypoint.shipped_mod", "task-name", "shipped"],
        resolver="aioflyte.entrypoint.default_task_resolver",  # the name aioflyte.remote writes
    )
    cmd = [
        sys.executable,
        "-m",
        "aioflyte._entrypoint.fast",
        "--additional-distribution",
        archive,
        "--dest-dir",
        str(dest),
        "--",
        "aioflyte-execute",  # the word aioflyte registers: run with the same interpreter, never looked up on PATH
        *task_cmd[3:],
    ]
    assert task_cmd[:3] == [sys.executable, "-m", "aioflyte.entrypoint"]
    assert not any(os.path.exists(os.path.join(d, "aioflyte-execute")) for d in ("/usr/bin", "/bin"))
    proc = run(cmd, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert (dest / "fastpkg_for_entrypoint" / "shipped_mod.py").exists()
    assert await store.value("o0", str) == "fast code v2 got 5"


def test_distribution_options_go_before_the_resolver():
    cmd = ["aioflyte-execute", "--inputs", "i", "--resolver", "r", "--", "task-module", "m"]
    assert with_distribution(cmd, "s3://b/c.tar.gz", "/root") == [
        "aioflyte-execute",
        "--inputs",
        "i",
        "--dynamic-addl-distro",
        "s3://b/c.tar.gz",
        "--dynamic-dest-dir",
        "/root",
        "--resolver",
        "r",
        "--",
        "task-module",
        "m",
    ]
    assert with_distribution(cmd, None, "/root") == cmd
