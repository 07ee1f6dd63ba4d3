"""``aioflyte --pkgs M package``: the files pyflyte package writes for the same module (names and contents)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile

import pytest
from click.testing import CliRunner
from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2

from aioflyte.cli.package import file_names, main

#: the module packaged here and the files pyflyte wrote for it live with the serialization tests
REMOTE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "remote")
GOLDEN = os.path.join(REMOTE, "golden")
pytestmark = pytest.mark.filterwarnings("ignore:task serialization_examples.fancy is deprecated")
_KINDS = {"1": task_pb2.TaskSpec, "2": workflow_pb2.WorkflowSpec, "3": launch_plan_pb2.LaunchPlan}


def pyflyte_names() -> list[str]:
    """The files ``pyflyte --pkgs serialization_examples package`` writes (the golden files, as .pb)."""
    return sorted(f.replace(".pbtxt", ".pb") for f in os.listdir(GOLDEN) if f[0].isdigit())


def _parse(path: str):
    kind = path.rsplit("_", 1)[1][0]
    m = _KINDS[kind]()
    with open(path, "rb") as f:
        m.ParseFromString(f.read())
    return m


def test_package_writes_pyflytes_files_into_a_tgz(tmp_path):
    out = tmp_path / "pkg.tgz"
    r = CliRunner().invoke(main, ["--pkgs", "serialization_examples", "package", "-s", REMOTE, "-o", str(out)])
    assert r.exit_code == 0, r.output
    with tarfile.open(out) as tar:
        names = sorted(tar.getnames())
        if hasattr(tarfile, "data_filter"):
            tar.extractall(tmp_path / "x", filter="data")
        else:  # pragma: no cover - Python < 3.10.12
            tar.extractall(tmp_path / "x")
    assert names == pyflyte_names()
    for n in names:
        m = _parse(str(tmp_path / "x" / n))
        name = m.id.name if isinstance(m, launch_plan_pb2.LaunchPlan) else m.template.id.name
        assert n.split("_", 1)[1].rsplit("_", 1)[0] == name
        assert (m.id if isinstance(m, launch_plan_pb2.LaunchPlan) else m.template.id).project == ""


def test_package_into_a_directory_and_refusing_to_overwrite(tmp_path):
    d = tmp_path / "out"
    r = CliRunner().invoke(main, ["--pkgs", "serialization_examples", "package", "-s", REMOTE, "-d", str(d)])
    assert r.exit_code == 0, r.output
    assert sorted(os.listdir(d)) == pyflyte_names()
    out = tmp_path / "exists.tgz"
    out.write_bytes(b"")
    r = CliRunner().invoke(main, ["--pkgs", "serialization_examples", "package", "-s", REMOTE, "-o", str(out)])
    assert r.exit_code != 0 and "already exists" in r.output
    r = CliRunner().invoke(main, ["package", "-o", str(tmp_path / "none.tgz")])
    assert r.exit_code != 0 and "--pkgs" in r.output


def test_images_and_env_options(tmp_path):
    d = tmp_path / "out"
    r = CliRunner().invoke(
        main,
        [
            "--pkgs",
            "serialization_examples",
            "package",
            "-s",
            REMOTE,
            "-d",
            str(d),
            "-i",
            "ghcr.io/me/img:7",
            "-i",
            "gpu=ghcr.io/me/gpu:1",
            "-e",
            "STAGE=test",
        ],
    )
    assert r.exit_code == 0, r.output
    square = _parse(str(d / next(f for f in os.listdir(d) if f.endswith("examples.square_1.pb"))))
    assert square.template.container.image == "ghcr.io/me/img:7"
    assert {e.key: e.value for e in square.template.container.env} == {"STAGE": "test"}


def test_file_names_pad_like_pyflyte():
    spec = task_pb2.TaskSpec()
    spec.template.id.name = "t"
    assert file_names([spec]) == ["0_t_1.pb"]
    assert file_names([spec] * 11)[10] == "10_t_1.pb"
    assert file_names([spec] * 10)[9] == "9_t_1.pb"


@pytest.mark.slow
def test_runs_as_a_script(tmp_path):
    out = tmp_path / "p.tgz"
    proc = subprocess.run(
        [sys.executable, "-m", "aioflyte.cli.package", "--pkgs", "serialization_examples", "package", "-o", str(out)],
        cwd=REMOTE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    with tarfile.open(out) as tar:
        assert sorted(tar.getnames()) == pyflyte_names()
