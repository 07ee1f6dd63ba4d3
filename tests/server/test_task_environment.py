"""The task environment: how a container command's executable is found (``--task-python`` / ``--task-path``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aioflyte.cli.serve import serve
from aioflyte.server.__main__ import main
from aioflyte.server.executions.taskenv import MissingExecutable, TaskEnvironment


def _exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def venv(tmp_path) -> Path:
    """A virtual environment's bin folder: a python and flytekit's scripts."""
    bin_dir = tmp_path / "venv" / "bin"
    for name in ("python", "pyflyte-execute", "pyflyte-fast-execute"):
        _exe(bin_dir / name)
    return bin_dir


def test_the_interpreters_folder_comes_first_then_the_task_path(venv, tmp_path):
    other = _exe(tmp_path / "other" / "pyflyte-execute").parent
    _exe(other / "only-here")
    env = TaskEnvironment(str(venv / "python"), f"{other}{os.pathsep}/usr/bin")
    assert env.search_path.split(os.pathsep) == [str(venv), str(other), "/usr/bin"]
    assert env.resolve(["pyflyte-execute", "--inputs", "x"]) == [str(venv / "pyflyte-execute"), "--inputs", "x"]
    assert env.resolve(["only-here"]) == [str(other / "only-here")]


def test_the_interpreter_is_not_resolved_through_links(venv, tmp_path):
    link = tmp_path / "venv2" / "bin" / "python"
    link.parent.mkdir(parents=True)
    link.symlink_to(venv / "python")
    assert TaskEnvironment(str(link)).search_path.split(os.pathsep)[0] == str(link.parent)


def test_defaults_are_the_servers_interpreter_and_path(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/local/bin:/usr/bin")
    env = TaskEnvironment()
    assert env.python == os.path.abspath(sys.executable)
    assert env.search_path.split(os.pathsep) == [os.path.dirname(os.path.abspath(sys.executable)), "/usr/local/bin",
                                                 "/usr/bin"]  # fmt: skip


def test_aioflytes_own_commands_are_rewritten_only_when_they_do_not_resolve(venv):
    env = TaskEnvironment(str(venv / "python"), "")
    python = str(venv / "python")
    assert env.resolve(["aioflyte-execute", "--inputs", "i"]) == [python, "-m", "aioflyte.entrypoint", "--inputs", "i"]
    assert env.resolve(["aioflyte-fast-execute", "--", "aioflyte-execute"], "/w")[:3] == [
        python, "-m", "aioflyte._entrypoint.fast",
    ]  # fmt: skip
    _exe(venv / "aioflyte-execute")
    assert env.resolve(["aioflyte-execute"]) == [str(venv / "aioflyte-execute")]


def test_a_missing_executable_names_itself_the_path_and_the_options(venv):
    env = TaskEnvironment(str(venv / "python"), "/nowhere")
    with pytest.raises(MissingExecutable) as e:
        env.resolve(["pyflyte-map-execute", "--inputs", "i"])
    message = str(e.value)
    assert "'pyflyte-map-execute'" in message and str(venv) in message and "/nowhere" in message
    assert "--task-python" in message and "--task-path" in message


def test_paths_run_as_registered(venv):
    env = TaskEnvironment(str(venv / "python"), "")
    assert env.resolve(["/bin/sh", "-c", "true"]) == ["/bin/sh", "-c", "true"]
    assert env.resolve(["./run.sh"]) == ["./run.sh"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--additional-distribution", "u", "--dest-dir", "/root", "--", "pyflyte-execute", "--dest-dir", "k"],
         ["--additional-distribution", "u", "--dest-dir", "/work", "--", "pyflyte-execute", "--dest-dir", "k"]),
        (["--dest-dir=/root", "--additional-distribution", "u", "--", "x"],
         ["--additional-distribution", "u", "--dest-dir", "/work", "--", "x"]),
        (["--additional-distribution", "u", "--", "x"],
         ["--additional-distribution", "u", "--dest-dir", "/work", "--", "x"]),
    ],
)  # fmt: skip
def test_fast_registered_code_unpacks_in_the_attempts_work_dir(venv, args, expected):
    env = TaskEnvironment(str(venv / "python"), "")
    assert env.resolve(["pyflyte-fast-execute", *args], "/work") == [str(venv / "pyflyte-fast-execute"), *expected]
    # other commands keep their options
    assert env.resolve(["pyflyte-execute", *args], "/work")[1:] == args


def test_the_server_refuses_a_task_python_that_is_not_there(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["--state-dir", str(tmp_path / "s"), "--task-python", str(tmp_path / "nope" / "python")])
    assert e.value.code == 2
    assert "--task-python" in capsys.readouterr().err
    result = CliRunner().invoke(serve, ["--state-dir", str(tmp_path / "s"), "--task-python", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "--task-python" in result.output
    assert not (tmp_path / "s").exists()
