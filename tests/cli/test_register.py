"""``aioflyte register PATH...`` (a real subprocess) against the server subprocess: a directory's entities are
registered fast by default and fetchable afterwards, and a registered task runs from the uploaded archive;
``--non-fast`` and bad arguments; ``aioflyte package --fast`` writes the code archive beside the protos."""

from __future__ import annotations

import asyncio
import os
import sys
import tarfile
import textwrap
import uuid
from pathlib import Path

import pytest
import pytest_asyncio
from click.testing import CliRunner

from aioflyte.cli.main import main
from aioflyte.configuration.config import Config
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

pytestmark = pytest.mark.slow  # every test runs the CLI and the server as subprocesses

P, D = "flytesnacks", "development"
module_loop = pytest.mark.asyncio(loop_scope="module")


def _project(root: Path) -> str:
    """A package ``<pkg>`` with a task, a workflow and a launch plan, under ``root`` (not importable by the server)."""
    pkg = f"regpkg_{uuid.uuid4().hex[:8]}"
    (root / pkg).mkdir(parents=True)
    (root / pkg / "__init__.py").write_text("")
    (root / pkg / "util.py").write_text("SUFFIX = '!'\n")
    (root / pkg / "flows.py").write_text(
        textwrap.dedent(
            f"""
            from aioflyte import LaunchPlan, task, workflow
            from {pkg}.util import SUFFIX


            @task
            def shout(text: str) -> str:
                return text.upper() + SUFFIX


            @workflow
            def shout_wf(text: str = "hey") -> str:
                return shout(text=text)


            shout_lp = LaunchPlan.get_or_create(shout_wf, name="shout_lp", default_inputs={{"text": "lp"}})
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
    async with ServerProcess(tmp_path_factory.mktemp("register") / "state") as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(server):
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
        yield r


@module_loop
async def test_register_a_directory_fast_then_fetch_and_run(server, remote, tmp_path):
    src = tmp_path / "src"
    pkg = _project(src)
    dest = tmp_path / "dest"
    code, out = await _cli(
        "register", str(src / pkg), "--endpoint", server.endpoint, "--insecure", "--destination-dir", str(dest),
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, out
    assert "Successfully registered 4 entities" in out  # task, workflow, its default launch plan, shout_lp
    version = out.split("as version ")[-1].split()[0]
    task = await remote.fetch_task(P, D, f"{pkg}.flows.shout", version)
    assert task.template.container.args[0] == "aioflyte-fast-execute"
    wf = await remote.fetch_workflow(P, D, f"{pkg}.flows.shout_wf", version)
    assert wf.id.version == version
    lp = await remote.fetch_launch_plan(P, D, "shout_lp", version)
    assert lp.id.version == version
    ex = await remote.execute(task, inputs={"text": "quiet"}, wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == "QUIET!"
    # registering the same code again derives the same version
    code, again = await _cli(
        "register", str(src / pkg), "--endpoint", server.endpoint, "--insecure", "--destination-dir", str(dest),
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0 and f"as version {version}" in again


@module_loop
async def test_register_non_fast_needs_a_version(server, remote, tmp_path):
    src = tmp_path / "src"
    pkg = _project(src)
    code, out = await _cli("register", str(src), "--endpoint", server.endpoint, "--insecure", "--non-fast",
                           cwd=tmp_path)  # fmt: skip
    assert code != 0 and "--non-fast needs --version" in out
    code, out = await _cli(
        "register", str(src / pkg / "flows.py"), "--endpoint", server.endpoint, "--insecure", "--non-fast",
        "--version", "nf1", "-p", P, "-d", "staging", "--raw-data-prefix", "/tmp/raw-nf", cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, out
    task = await remote.fetch_task(P, "staging", f"{pkg}.flows.shout", "nf1")
    assert task.template.container.args[0] != "aioflyte-fast-execute"
    lp = await remote.fetch_launch_plan(P, "staging", "shout_lp", "nf1")
    assert lp.spec.raw_output_data_config.output_location_prefix == "/tmp/raw-nf"


@module_loop
async def test_register_reports_an_unreachable_backend_and_bad_paths(tmp_path):
    src = tmp_path / "src"
    _project(src)
    code, out = await _cli("register", str(tmp_path / "missing"), "--endpoint", "127.0.0.1:1", cwd=tmp_path)
    assert code != 0 and "does not exist" in out
    (src / "broken.py").write_text("import no_such_module_here\n")
    code, out = await _cli("register", str(src / "broken.py"), "--endpoint", "127.0.0.1:1", "--insecure",
                           cwd=tmp_path)  # fmt: skip
    assert code != 0 and "cannot import broken" in out and "no_such_module_here" in out


def test_package_fast_writes_the_code_archive_beside_the_protos(tmp_path, monkeypatch):
    src = tmp_path / "src"
    pkg = _project(src)
    monkeypatch.syspath_prepend(str(src))
    out_dir = tmp_path / "protos"
    result = CliRunner().invoke(main, ["--pkgs", f"{pkg}.flows", "package", "--fast", "-s", str(src), "-d",
                                       str(out_dir)])  # fmt: skip
    assert result.exit_code == 0, result.output
    archives = sorted(out_dir.glob("fast*.tar.gz"))
    assert len(archives) == 1
    with tarfile.open(archives[0]) as tar:
        assert f"{pkg}/flows.py" in tar.getnames()
    from flyteidl.admin import task_pb2

    (task_file,) = [p for p in out_dir.iterdir() if p.name.endswith(".shout_1.pb")]
    spec = task_pb2.TaskSpec.FromString(task_file.read_bytes())
    args = list(spec.template.container.args)
    assert args[:3] == ["aioflyte-fast-execute", "--additional-distribution", "{{ .remote_package_path }}"]
    assert args[3:5] == ["--dest-dir", "/root"]
    # into the .tgz too
    tgz = tmp_path / "flyte-package.tgz"
    result = CliRunner().invoke(main, ["--pkgs", f"{pkg}.flows", "package", "--fast", "-s", str(src), "-o",
                                       str(tgz)])  # fmt: skip
    assert result.exit_code == 0, result.output
    with tarfile.open(tgz) as tar:
        assert any(n.startswith("fast") and n.endswith(".tar.gz") for n in tar.getnames())
    assert os.path.basename(archives[0]) in tarfile.open(tgz).getnames()
