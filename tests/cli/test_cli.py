"""The ``aioflyte`` command: ``run`` on a workflow file (CliRunner and a real subprocess), ``serve`` as a
subprocess answering an AdminClient call, and ``package`` mounted under the same group."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from aioflyte.cli.main import main

WORKFLOWS = textwrap.dedent(
    '''
    import dataclasses
    import uuid

    from aioflyte import LaunchPlan, task, workflow


    @dataclasses.dataclass
    class Point:
        x: int
        y: int


    @task
    def add(a: int, b: int = 2) -> int:
        return a + b


    @task
    def greet(name: str, xs: list[int], shout: bool = False, n: int = 1) -> str:
        s = f"hi {name} {sum(xs)} {n}"
        return s.upper() if shout else s


    @task
    def norm(p: Point, scale: dict[str, int] = {"k": 2}) -> int:
        return (p.x + p.y) * scale["k"]


    @workflow
    def wf(name: str = "bob", xs: list[int] = [1, 2], shout: bool = False, n: int = 3) -> str:
        """Greets someone."""
        return greet(name=name, xs=xs, shout=shout, n=n)


    # a fresh name each load: the launch plan registry is process-wide and every test reloads this file
    lp = LaunchPlan.get_or_create(wf, name=f"wf_lp_{uuid.uuid4().hex}", default_inputs={"n": 9})
    '''
)


@pytest.fixture
def wf_file(tmp_path):
    path = tmp_path / "cli_wfs.py"
    path.write_text(WORKFLOWS)
    yield str(path)
    sys.modules.pop("cli_wfs", None)
    if str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_run_workflow_with_defaults(wf_file):
    r = invoke("run", wf_file, "wf")
    assert r.exit_code == 0, r.output
    assert "hi bob 3 3" in r.output


def test_run_workflow_with_inputs(wf_file):
    r = invoke("run", wf_file, "wf", "--name", "ann", "--xs", "[5, 6]", "--shout", "--n", "7")
    assert r.exit_code == 0, r.output
    assert "HI ANN 11 7" in r.output


def test_run_task_and_no_flag(wf_file):
    r = invoke("run", wf_file, "add", "--a", "40")
    assert r.exit_code == 0 and r.stdout.strip() == "42", r.output
    r = invoke("run", wf_file, "greet", "--name", "x", "--xs", "[]", "--no-shout")
    assert r.exit_code == 0 and "hi x 0 1" in r.output, r.output


def test_run_dataclass_and_dict_inputs(wf_file):
    r = invoke("run", wf_file, "norm", "--p", '{"x": 1, "y": 2}', "--scale", '{"k": 10}')
    assert r.exit_code == 0 and r.stdout.strip() == "30", r.output


def test_run_launch_plan_uses_its_defaults(wf_file):
    r = invoke("run", wf_file, "lp", "--name", "lp")
    assert r.exit_code == 0 and "hi lp 3 9" in r.output, r.output


def test_wrong_input_type_is_a_usage_error(wf_file):
    r = invoke("run", wf_file, "wf", "--n", "three")
    assert r.exit_code == 2
    assert "Invalid value for '--n'" in r.output and "not a valid integer" in r.output
    r = invoke("run", wf_file, "wf", "--xs", "{not json")
    assert r.exit_code == 2 and "Invalid value for '--xs'" in r.output and "JSON list" in r.output
    r = invoke("run", wf_file, "wf", "--xs", '{"a": 1}')
    assert r.exit_code == 2 and "not a JSON list" in r.output


def test_missing_required_input(wf_file):
    r = invoke("run", wf_file, "add")
    assert r.exit_code == 2 and "Missing option '--a'" in r.output


def test_help_lists_inputs_and_defaults(wf_file):
    r = invoke("run", wf_file, "wf", "--help")
    assert r.exit_code == 0
    for text in ("--name", "--xs", "--shout / --no-shout", "--n", "default: bob", "default: 3", "Greets someone"):
        assert text in r.output, text
    r = invoke("run", wf_file, "--help")
    assert all(name in r.output for name in ("add", "greet", "norm", "wf", "lp"))


def test_unknown_entity(wf_file):
    r = invoke("run", wf_file, "nope")
    assert r.exit_code == 2 and "No such command 'nope'" in r.output


def test_top_level_help_lists_subcommands():
    r = invoke("--help")
    assert r.exit_code == 0
    assert all(c in r.output for c in ("run", "serve", "package", "--pkgs"))


@pytest.mark.slow
def test_run_in_a_subprocess(wf_file, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "aioflyte.cli.main", "run", wf_file, "wf", "--name", "sub", "--n", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(tmp_path),
    )
    assert out.returncode == 0, out.stderr
    assert "hi sub 3 1" in out.stdout


@pytest.fixture
def served(tmp_path):
    """``aioflyte serve`` as a subprocess (able to import the test's workflow file); yields its endpoint."""
    pythonpath = os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH", "")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "aioflyte.cli.main", "serve", "--port", "0", "--state-dir", str(tmp_path / "state")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": pythonpath},
    )
    try:
        line = proc.stdout.readline()
        assert "aioflyte-server listening on" in line, (line, proc.poll())
        yield line.split("listening on ", 1)[1].split()[0]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read()


@pytest.mark.slow
def test_serve_answers_an_admin_client(served):
    from aioflyte.remote.client import AdminClient

    async def ask() -> list[str]:
        async with AdminClient(served, retry_timeout=10) as client:
            return [d.id for d in await client.get_domains()]

    assert "development" in asyncio.run(ask())


@pytest.mark.slow
def test_run_remote_task_on_served_backend(served, wf_file):
    r = invoke("run", "--remote", "--endpoint", served, "--insecure", wf_file, "add", "--a", "5", "--b", "6")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1] == "11"


@pytest.mark.slow
def test_run_remote_workflow_and_launch_plan_on_served_backend(served, wf_file):
    r = invoke("run", "--remote", "--endpoint", served, "--insecure", wf_file, "wf", "--name", "remote", "--n", "4")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1] == "'hi remote 3 4'"
    r = invoke("run", "--remote", "--endpoint", served, "--insecure", wf_file, "lp", "--name", "lp")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1] == "'hi lp 3 9'"  # the launch plan's default n=9


def test_run_remote_needs_an_endpoint(wf_file):
    r = invoke("run", "--remote", wf_file, "add", "--a", "1")
    assert r.exit_code == 2 and "--endpoint" in r.output


def test_package_is_mounted(tmp_path):
    mod = tmp_path / "pkg_cli_mod.py"
    mod.write_text("from aioflyte import task\n\n@task\ndef t(a: int) -> int:\n    return a\n")
    r = invoke("--pkgs", "pkg_cli_mod", "package", "--source", str(tmp_path), "-d", str(tmp_path / "out"))
    sys.modules.pop("pkg_cli_mod", None)
    assert r.exit_code == 0, r.output
    assert os.listdir(tmp_path / "out")


def test_run_a_file_inside_a_package_with_relative_imports(tmp_path):
    """``aioflyte run pkg/mod.py wf`` imports the file as ``pkg.mod`` (as pyflyte does), so ``from .helpers
    import ...`` works; the names are those ``aioflyte register`` gives."""
    pkg = tmp_path / "relpkg_cli"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text("def shout(s: str) -> str:\n    return s.upper() + '!'\n")
    (pkg / "flows.py").write_text(
        "from aioflyte import task, workflow\n\nfrom .helpers import shout\n\n\n"
        "@task\ndef loud(s: str) -> str:\n    return shout(s)\n\n\n"
        "@workflow\ndef wf(s: str = 'hi') -> str:\n    return loud(s=s)\n"
    )
    r = invoke("run", str(pkg / "flows.py"), "wf", "--s", "hey")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1] == "'HEY!'"
    assert "relpkg_cli.flows.wf" in r.output  # the module name register uses
