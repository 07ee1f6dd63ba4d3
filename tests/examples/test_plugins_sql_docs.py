"""The examples of docs/sql-tasks.md and docs/plugins.md run as scripts and print what the pages say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test runs a script as a subprocess

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _run(code: str, tmp_path: Path) -> list[str]:
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {**os.environ, "AIOFLYTE_HOME": str(tmp_path / "home")}
    env.pop("AIOFLYTE_RAW_OUTPUT_PREFIX", None)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.splitlines()


def test_sql_tasks_example(tmp_path: Path) -> None:
    example = re.findall(r"```python\n(.*?)```", (DOCS / "sql-tasks.md").read_text(), re.S)[0]
    lines = _run(example, tmp_path)
    assert lines[0] == "3"
    assert lines[1].split() == ["id", "item"] and lines[2].split() == ["0", "7", "item-7"]


def test_plugins_example(tmp_path: Path) -> None:
    example = re.findall(r"```python\n(.*?)```", (DOCS / "plugins.md").read_text(), re.S)[0]
    assert _run(example, tmp_path) == ["BatchTask 32", "{'exponent': 3.0}", "k8s_pod"]
