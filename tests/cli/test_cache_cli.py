"""``aioflyte cache info`` and ``aioflyte cache clear`` (and pyflyte's ``local-cache clear``), as a user runs them
after local runs in a real subprocess filled the cache and the raw store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from aioflyte.cli.main import main

JOB = textwrap.dedent(
    """
    import aioflyte
    from aioflyte import Cache, FlyteFile, task

    @task(cache=Cache(version="1"), name="jobs.square")
    def square(x: int) -> int:
        return x * x

    @task(cache=Cache(version="1"), name="jobs.report")
    def report(x: int) -> FlyteFile:
        import tempfile
        p = tempfile.mktemp(suffix=".txt")
        with open(p, "w") as f:
            f.write("x" * 10_000)
        return FlyteFile(p)

    for i in range(3):
        aioflyte.run(square, x=i)
    aioflyte.run(report, x=1)
    """
)


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    script = tmp_path / "job.py"
    script.write_text(JOB)
    subprocess.run([sys.executable, str(script)], env=dict(os.environ), check=True, capture_output=True, timeout=120)
    return Path(os.environ["AIOFLYTE_HOME"])


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_info_reports_locations_entries_and_sizes(filled: Path) -> None:
    report = json.loads(_cli("cache", "info", "--json"))
    assert report["directory"] == os.environ["AIOFLYTE_CACHE_DIR"]
    assert report["entries"] == 4
    assert report["tasks"]["jobs.square"]["entries"] == 3 and report["tasks"]["jobs.report"]["entries"] == 1
    assert report["raw_store"] == str(filled / "raw") and report["raw_store_bytes"] >= 10_000
    text = _cli("cache", "info")
    assert "jobs.square" in text and str(filled / "raw") in text and "entries:    4" in text


def test_clear_one_task_then_all_then_the_raw_store(filled: Path) -> None:
    assert "deleted 3 cache entries (task jobs.square)" in _cli("cache", "clear", "jobs.square")
    assert set(json.loads(_cli("cache", "info", "--json"))["tasks"]) == {"jobs.report"}
    assert "deleted 1 cache entry (all tasks)" in _cli("local-cache", "clear")  # pyflyte's spelling
    out = _cli("cache", "clear", "--raw-data")
    assert "deleted the raw store" in out and not (filled / "raw").exists()
    assert json.loads(_cli("cache", "info", "--json"))["entries"] == 0


def test_raw_data_with_a_task_name_is_a_usage_error(filled: Path) -> None:
    result = CliRunner().invoke(main, ["cache", "clear", "jobs.square", "--raw-data"])
    assert result.exit_code == 2 and "cannot be combined" in result.output
