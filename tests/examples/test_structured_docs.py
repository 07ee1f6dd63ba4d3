"""The first example of docs/structured_dataset.md runs as a script and prints what it promises."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test runs a script as a subprocess

DOC = Path(__file__).resolve().parents[2] / "docs" / "structured_dataset.md"


def test_doc_example_runs(tmp_path: Path) -> None:
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {**os.environ, "AIOFLYTE_HOME": str(tmp_path / "home")}
    env.pop("AIOFLYTE_RAW_OUTPUT_PREFIX", None)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.splitlines() == ["(21.5, ['n', 's'], 5)", "2"]
    written = [f for _, _, files in os.walk(tmp_path / "home" / "raw") for f in files]
    assert "00000" in written
