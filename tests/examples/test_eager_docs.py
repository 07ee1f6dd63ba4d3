"""The examples of docs/eager.md's "Structured concurrency" and "Calls that end at once" sections run as scripts
and do what they promise."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs a script as a subprocess

DOC = Path(__file__).resolve().parents[2] / "docs" / "eager.md"


def test_structured_concurrency_example_runs(tmp_path: Path) -> None:
    section = DOC.read_text().split("## Structured concurrency", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    promised = re.search(r"prints\n\n```\n(.*?)```", section, re.S).group(1).splitlines()
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {**os.environ, "AIOFLYTE_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.splitlines() == promised


def test_calls_that_end_at_once_example_runs(tmp_path: Path) -> None:
    section = DOC.read_text().split("## Calls that end at once start when they are made", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    script = tmp_path / "example.py"
    script.write_text(code)  # its asserts are what it promises
    env = {**os.environ, "AIOFLYTE_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
