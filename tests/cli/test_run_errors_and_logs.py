"""A failed local ``aioflyte run`` (click.testing and a real subprocess): one line with the task, node and attempt,
the user's frames only (aioflyte's collapsed into a count), ``--verbose`` for everything; the engine's DEBUG events
(run, node and attempt starts and ends, retries, cache hits and misses, map progress) with ``--log-level DEBUG``,
as JSON lines with ``AIOFLYTE_LOG_FORMAT=json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from aioflyte.cli.errors import format_failure, headline
from aioflyte.cli.main import main

FAILING = textwrap.dedent(
    """
    from aioflyte import FlyteRecoverableException, map_task, task, workflow


    def helper(x):
        return 1 / x


    @task
    def boom(x: int) -> float:
        return helper(x)


    @workflow
    def wf(x: int = 0) -> float:
        return boom(x=x)


    TRIES = []


    @task(retries=1)
    def flaky(x: int) -> int:
        TRIES.append(x)
        if len(TRIES) == 1:
            raise FlyteRecoverableException("first try fails")
        return x


    @task(cache=True, cache_version="1")
    def cached(x: int) -> int:
        return x + 1


    @task
    def sq(x: int) -> int:
        return x * x


    @workflow
    def everything(xs: list[int] = [1, 2, 3]) -> list[int]:
        flaky(x=1)
        cached(x=1)
        return map_task(sq)(x=xs)
    """
)


@pytest.fixture
def failing(tmp_path):
    path = tmp_path / "cli_failing_mod.py"
    path.write_text(FAILING)
    yield str(path)
    sys.modules.pop("cli_failing_mod", None)
    if str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


def test_a_failed_run_shows_the_users_frames_first(failing):
    r = CliRunner().invoke(main, ["run", "-q", failing, "wf"])
    assert r.exit_code == 1
    err = r.stderr
    first = err.splitlines()[0]
    assert first == (
        "Error: task cli_failing_mod.boom failed at node n0 of workflow cli_failing_mod.wf (attempt 1 of 1): "
        "ZeroDivisionError: division by zero"
    )
    assert "Traceback (your code, most recent call last):" in err
    assert "in boom" in err and "in helper" in err and "return 1 / x" in err
    assert "aioflyte/engine" not in err and "click/core.py" not in err
    assert "frames of aioflyte, libraries and the standard library hidden; --verbose shows them" in err
    assert len(err.splitlines()) < 15
    for args in (["run", "-q", "--verbose", failing, "wf"], ["-v", "run", "-q", failing, "wf"]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 1 and "aioflyte/engine/" in r.stderr and "in helper" in r.stderr
        assert "hidden" not in r.stderr


def test_headline_without_engine_notes():
    assert headline(ValueError("plain")) == "ValueError: plain"
    try:
        raise KeyError("k")
    except KeyError as e:
        text = format_failure(e)
    assert text.splitlines()[0] == "KeyError: 'k'" and "in test_headline_without_engine_notes" in text


@pytest.mark.slow
def test_engine_events_as_json_lines_at_debug(failing, tmp_path):
    env = {**os.environ, "AIOFLYTE_LOG_FORMAT": "json", "AIOFLYTE_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "aioflyte.cli.main", "--log-level", "DEBUG", "run", "-q", failing, "everything"]
    records = []
    for _ in range(2):  # the second run finds the cached task's outputs
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env, cwd=str(tmp_path))
        assert out.returncode == 0, out.stderr
        records.append([json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")])
    first, second = records
    events = [r["event"] for r in first]
    assert events[0] == "run started" and events[-1] == "run succeeded"
    assert all(r["level"] == "debug" and r["logger"] == "aioflyte.engine" for r in first)
    failed = next(r for r in first if r["event"] == "attempt failed")
    assert failed["task"].endswith(".flaky") and failed["will_retry"] is True and "first try fails" in failed["error"]
    assert any(r["event"] == "attempt succeeded" and r["task"].endswith(".flaky") and r["attempt"] == 1 for r in first)
    assert any(r["event"] == "cache miss" and r["task"].endswith(".cached") for r in first)
    assert any(r["event"] == "cache hit" and r["task"].endswith(".cached") for r in second)
    progress = [r for r in first if r["event"] == "map progress"]
    assert [p["succeeded"] for p in progress] == [1, 2, 3] and all(p["items"] == 3 for p in progress)
    assert any(r["event"] == "node finished" and r["node"] == "n0" and r["status"] == "succeeded" for r in first)


@pytest.mark.slow
def test_no_events_without_debug_and_bad_format(failing, tmp_path):
    env = {**os.environ, "AIOFLYTE_HOME": str(tmp_path / "home")}
    env.pop("AIOFLYTE_LOG_LEVEL", None)
    env.pop("AIOFLYTE_LOG_FORMAT", None)
    out = subprocess.run([sys.executable, "-m", "aioflyte.cli.main", "run", "-q", failing, "everything"],
                         capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert out.returncode == 0 and "run started" not in out.stderr and out.stderr == ""
    bad = {**env, "AIOFLYTE_LOG_FORMAT": "xml"}
    out = subprocess.run([sys.executable, "-m", "aioflyte.cli.main", "run", "-q", failing, "everything"],
                         capture_output=True, text=True, timeout=120, env=bad)  # fmt: skip
    assert out.returncode == 2 and "expected one of console, json" in out.stderr
