"""The command line: flytekit's option set, unfilled templates, resolvers (in-process, no subprocess)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aioflyte.entrypoint import default_resolver, map_task_resolver, parse_args

BASE = ["--inputs", "s3://b/in.pb", "--output-prefix", "s3://b/out"]


def test_full_flytekit_option_set():
    req = parse_args(
        [
            "pyflyte-execute",
            *BASE,
            "--raw-output-data-prefix",
            "s3://b/raw",
            "--checkpoint-path",
            "s3://b/cp/1",
            "--prev-checkpoint",
            "s3://b/cp/0",
            "--dynamic-addl-distro",
            "s3://b/code.tgz",
            "--dynamic-dest-dir",
            ".",
            "--max-concurrency",
            "4",
            "--resolver",
            "flytekit.core.python_auto_container.default_task_resolver",
            "--",
            "task-module",
            "m",
            "task-name",
            "t",
        ]
    )
    assert (req.inputs, req.output_prefix, req.raw_output_prefix) == ("s3://b/in.pb", "s3://b/out", "s3://b/raw")
    assert (req.checkpoint_path, req.prev_checkpoint) == ("s3://b/cp/1", "s3://b/cp/0")
    assert req.dynamic_addl_distro == "s3://b/code.tgz" and not req.test
    assert req.resolver_args == ["task-module", "m", "task-name", "t"]


def test_unfilled_templates_mean_absent():
    req = parse_args(
        [
            *BASE,
            "--raw-output-data-prefix",
            "{{.rawOutputDataPrefix}}",
            "--checkpoint-path",
            "{{.checkpointOutputPrefix}}",
            "--prev-checkpoint",
            '""',
            "--test",
            "task-module",
            "m",
            "task-name",
            "t",
        ]
    )
    assert (req.raw_output_prefix, req.checkpoint_path, req.prev_checkpoint) == (None, None, None)
    assert req.test and req.resolver_args == ["task-module", "m", "task-name", "t"]


def test_resolver_args_after_double_dash_may_look_like_options():
    req = parse_args([*BASE, "--", "vars", "", "resolver", "r", "--weird", "x"])
    assert req.resolver_args == ["vars", "", "resolver", "r", "--weird", "x"]


def test_unknown_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        parse_args([*BASE, "--no-such-option", "1"])
    assert e.value.code == 2
    assert "--no-such-option" in capsys.readouterr().err


def test_resolvers_round_trip_their_loader_args():
    import tasks_for_entrypoint as m

    args = default_resolver.loader_args(None, m.add)
    assert args == ["task-module", "tasks_for_entrypoint", "task-name", "add"]
    assert default_resolver.load_task(args) is m.add
    margs = map_task_resolver.loader_args(None, m.squares_y10)
    assert margs[:4] == ["vars", "y", "resolver", "aioflyte.entrypoint.default_resolver"]
    mt = map_task_resolver.load_task(margs)
    assert mt.target is m.square_plus and mt.mapped_inputs == ("x",)


def test_python_dash_m_help():
    proc = subprocess.run([sys.executable, "-m", "aioflyte.entrypoint", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "--raw-output-data-prefix" in proc.stdout
