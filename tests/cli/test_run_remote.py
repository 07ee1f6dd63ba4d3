"""``aioflyte run --remote FILE.py ENTITY`` (a real subprocess) against the server subprocess: the file's package is
fast-registered under the module names ``aioflyte register`` uses and runs from the uploaded code (the server cannot
import it), and local file, directory and dataframe inputs are uploaded through the data proxy into the server's raw
store (a folder the client never reads)."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import pytest_asyncio

from aioflyte.configuration.config import Config
from aioflyte.io.literals import inline_or_stored
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

P, D = "flytesnacks", "development"


def _project(root: Path) -> str:
    """A package with a task that needs a sibling module, and a workflow over a file, a directory and a dataframe."""
    pkg = f"runpkg_{uuid.uuid4().hex[:8]}"
    (root / pkg).mkdir(parents=True)
    (root / pkg / "__init__.py").write_text("")
    (root / pkg / "util.py").write_text("SUFFIX = '!'\n")
    (root / pkg / "flows.py").write_text(
        textwrap.dedent(
            f"""
            import os

            import pandas as pd

            from aioflyte import FlyteDirectory, FlyteFile, task, workflow
            from {pkg}.util import SUFFIX


            @task
            def shout(text: str) -> str:
                return text.upper() + SUFFIX


            @task
            def read_all(f: FlyteFile, d: FlyteDirectory, df: pd.DataFrame) -> str:
                with open(f) as fh:
                    text = fh.read().strip()
                names = sorted(os.listdir(d))
                return f"{{text}}|{{','.join(names)}}|{{int(df['a'].sum())}}"


            @workflow
            def read_wf(f: FlyteFile, d: FlyteDirectory, df: pd.DataFrame) -> str:
                return read_all(f=f, d=d, df=df)
            """
        )
    )
    return pkg


async def _cli(*args: str, cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aioflyte.cli.main", *args, cwd=str(cwd),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("runremote") / "state") as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(server):
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
        yield r


async def test_run_remote_after_register_uses_the_same_module_names(server, remote, tmp_path):
    src = tmp_path / "src"
    pkg = _project(src)
    code, out = await _cli("register", str(src / pkg), "--endpoint", server.endpoint, "--insecure", cwd=tmp_path)
    assert code == 0, out
    flows = str(src / pkg / "flows.py")
    code, out = await _cli(
        "run", "--remote", "--endpoint", server.endpoint, "--insecure", flows, "shout", "--text", "hey", cwd=tmp_path
    )
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "'HEY!'"
    assert f"registered {pkg}.flows.shout@" in out
    version = out.split(f"registered {pkg}.flows.shout@")[1].split()[0]
    task = await remote.fetch_task(P, D, f"{pkg}.flows.shout", version)
    assert task.template.container.args[0] == "aioflyte-fast-execute"  # the code came with it
    assert f"{pkg}.flows" in task.template.container.args  # the module name register gives it
    # the version is a content hash: the same code gives the same version, changed code a new one
    code, again = await _cli(
        "run", "--remote", "--endpoint", server.endpoint, "--insecure", flows, "shout", "--text", "x", cwd=tmp_path
    )
    assert code == 0 and f"shout@{version} " in again, again
    (src / pkg / "util.py").write_text("SUFFIX = '?'\n")
    code, changed = await _cli(
        "run", "--remote", "--endpoint", server.endpoint, "--insecure", flows, "shout", "--text", "x", cwd=tmp_path
    )
    assert code == 0, changed
    assert changed.strip().splitlines()[-1] == "'X?'"
    assert f"shout@{version} " not in changed


async def test_run_remote_uploads_local_file_directory_and_dataframe_inputs(server, remote, tmp_path):
    import pandas as pd

    src = tmp_path / "src"
    pkg = _project(src)
    data = tmp_path / "client-data"
    (data / "dir").mkdir(parents=True)
    (data / "f.txt").write_text("hello\n")
    (data / "dir" / "x").write_text("1")
    (data / "dir" / "y").write_text("2")
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(data / "df.parquet")
    code, out = await _cli(
        "run", "--remote", "--endpoint", server.endpoint, "--insecure", str(src / pkg / "flows.py"), "read_wf",
        "--f", str(data / "f.txt"), "--d", str(data / "dir"), "--df", str(data / "df.parquet"), cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "'hello|x,y|6'"
    name = out.split(f"execution {P}/{D}/")[1].split()[0]
    ex = await remote.fetch_execution(P, D, name)
    raw_store = server.state_dir.resolve()  # the server's raw store is <state dir>/data
    data = await remote.client.get_execution_data(ex.id)
    inputs = (await inline_or_stored(data.full_inputs, data.inputs)).literals
    uris = [inputs["f"].scalar.blob.uri, inputs["d"].scalar.blob.uri, inputs["df"].scalar.structured_dataset.uri]
    for uri in uris:  # every input was copied into the server's raw store, none points at the client's folder
        path = Path(uri.removeprefix("file://"))
        assert raw_store in path.parents, uri
        assert path.exists(), uri


async def test_run_remote_copy_none_registers_without_code(server, remote, tmp_path):
    """``--copy none`` sends no code (pyflyte's meaning): the task is registered to run ``aioflyte-execute`` as it is,
    so the backend's task environment must import the module; this server cannot, and the run fails saying so."""
    src = tmp_path / "src"
    pkg = _project(src)
    flows = str(src / pkg / "flows.py")
    code, out = await _cli(
        "run", "--remote", "--copy", "none", "--version", "v-none", "--endpoint", server.endpoint, "--insecure",
        flows, "shout", "--text", "hey", cwd=tmp_path,
    )  # fmt: skip
    assert code == 1, out
    assert "registered" not in out and pkg in out  # nothing was packaged; the error names the module
    task = await remote.fetch_task(P, D, f"{pkg}.flows.shout", "v-none")
    assert task.template.container.args[0] == "aioflyte-execute"
