"""The examples of docs/types.md run as scripts; the custom-transformer one prints what the page says it prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test runs a script as a subprocess

DOC = Path(__file__).resolve().parents[2] / "docs" / "types.md"


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {**os.environ, "AIOFLYTE_HOME": str(tmp_path / "home")}
    env.pop("AIOFLYTE_RAW_OUTPUT_PREFIX", None)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)


def test_doc_examples_run(tmp_path: Path) -> None:
    text = DOC.read_text()
    first, transformer = re.findall(r"```python\n(.*?)```", text, re.S)
    out = _run(first, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Point(x=1.0, y=2.0, label=None)" in out.stdout
    out = _run(transformer, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    promised = re.search(r"prints\n\n```\n(.*?)```", text, re.S).group(1).splitlines()
    assert out.stdout.splitlines() == promised
