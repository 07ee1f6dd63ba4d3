"""The example of docs/decks.md runs as a script and prints what the page says it prints (the pages it lists exist)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs a script as a subprocess

DOC = Path(__file__).resolve().parents[2] / "docs" / "decks.md"


def test_doc_example_runs(tmp_path: Path) -> None:
    text = DOC.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    promised = re.search(r"prints\n\n```\n(.*?)```", text, re.S).group(1).splitlines()
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the script makes its own home and temp directory in there
    for name in ("AIOFLYTE_RAW_OUTPUT_PREFIX", "AIOFLYTE_CACHE_DIR", "AIOFLYTE_HOME"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.splitlines() == promised
