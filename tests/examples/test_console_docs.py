"""The example of docs/console.md runs as a script (a server in-process, its console fetched) and prints what the
page says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs a script as a subprocess

DOC = Path(__file__).resolve().parents[2] / "docs" / "console.md"


def test_console_example_runs(tmp_path: Path) -> None:
    text = DOC.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    promised = re.search(r"prints\n\n```\n(.*?)```", text, re.S).group(1).splitlines()
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {**os.environ, "AIOFLYTE_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.splitlines() == promised
