"""``aioflyte register`` of what ``aioflyte package`` writes (real subprocesses against the server subprocess): a
``--fast`` ``.tgz`` is registered with its code archive uploaded and its identifiers filled in, and its launch plan
runs code the server cannot import; a folder of ``.pb`` files without a code archive needs ``--version``."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import pytest_asyncio
from servers import fresh_project

from aioflyte.configuration.config import Config
from aioflyte.remote.client import AdminClient
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

D = "development"
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


def _source(root: Path) -> str:
    """A package (not importable by the server) with a task, a workflow and a launch plan; its name."""
    pkg = f"pkgreg_{uuid.uuid4().hex[:8]}"
    (root / pkg).mkdir(parents=True)
    (root / pkg / "__init__.py").write_text("")
    (root / pkg / "flows.py").write_text(
        textwrap.dedent(
            """
            from aioflyte import LaunchPlan, task, workflow


            @task
            def shout(text: str) -> str:
                return text.upper() + "!"


            @workflow
            def shout_wf(text: str = "hey") -> str:
                return shout(text=text)


            shout_lp = LaunchPlan.get_or_create(shout_wf, name="shout_lp", default_inputs={"text": "lp"})
            """
        )
    )
    return pkg


async def cli(*args: str, cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aioflyte.cli.main", *args, cwd=str(cwd),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 180)
    return proc.returncode or 0, out.decode(errors="replace")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("register-pkg") / "state") as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, D) as r:
        yield r


async def test_register_a_fast_package_archive_and_run_it(server, remote, tmp_path):
    src = tmp_path / "src"
    pkg = _source(src)
    code, out = await cli("--pkgs", pkg, "package", "--fast", "-o", str(tmp_path / "flyte-package.tgz"),
                          "--in-container-source-path", str(tmp_path / "code"), cwd=src)  # fmt: skip
    assert code == 0, out
    project = remote.default_project
    at = ["--endpoint", server.endpoint, "--insecure", "-p", project, "-d", D]
    code, out = await cli("register", str(tmp_path / "flyte-package.tgz"), *at, cwd=tmp_path)
    assert code == 0, out
    assert "Uploaded fast" in out and "Successfully registered 4 entities" in out
    version = out.split("as version ")[-1].split()[0]
    task = await remote.fetch_task(project, D, f"{pkg}.flows.shout", version)
    args = list(task.template.container.args)
    assert "{{ .remote_package_path }}" not in args and args[args.index("--additional-distribution") + 1]
    wf = await remote.client.get_latest_workflow(project, D, f"{pkg}.flows.shout_wf")
    assert wf.id.version == version
    ref = wf.closure.compiled_workflow.primary.template.nodes[0].task_node.reference_id
    assert (ref.project, ref.domain, ref.version) == (project, D, version)  # filled in
    lp = await remote.fetch_launch_plan(project, D, "shout_lp", version)
    ex = await remote.execute(lp, inputs={}, wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == "LP!"
    # the same archive again: the same version, already registered
    code, again = await cli("register", str(tmp_path / "flyte-package.tgz"), *at, cwd=tmp_path)
    assert code == 0 and f"as version {version}" in again


async def test_a_folder_of_protos_without_code_needs_a_version(server, remote, tmp_path):
    src = tmp_path / "src"
    pkg = _source(src)
    code, out = await cli("--pkgs", pkg, "package", "-d", str(tmp_path / "out"), cwd=src)
    assert code == 0, out
    at = ["--endpoint", server.endpoint, "--insecure", "-p", remote.default_project, "-d", D]
    code, out = await cli("register", str(tmp_path / "out"), *at, cwd=tmp_path)
    assert code == 2 and "--version" in out
    code, out = await cli("register", str(tmp_path / "out"), *at, "--version", "p1", cwd=tmp_path)
    assert code == 0, out
    lp = await remote.fetch_launch_plan(remote.default_project, D, "shout_lp", "p1")
    assert lp.spec.workflow_id.version == "p1" and lp.spec.workflow_id.project == remote.default_project
    code, out = await cli("register", str(tmp_path / "out"), str(src / pkg), *at, "--version", "p2", cwd=tmp_path)
    assert code == 2 and "not both" in out
