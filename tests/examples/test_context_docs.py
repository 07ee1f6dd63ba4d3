"""The examples of docs/context.md run as scripts and print what the page says they print."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test runs a script as a subprocess

DOC = Path(__file__).resolve().parents[2] / "docs" / "context.md"
#: (code, what it prints or None): a block followed by "prints" and a plain block must print exactly that
EXAMPLES = [
    (m.group(1), m.group(2))
    for m in re.finditer(r"```python\n(.*?)```\n(?:\nprints\n\n```\n(.*?)```)?", DOC.read_text(), re.S)
]


def test_the_page_has_its_examples():
    assert len(EXAMPLES) == 4 and sum(p is not None for _, p in EXAMPLES) == 3


@pytest.mark.parametrize(("code", "promised"), EXAMPLES, ids=[f"example-{i}" for i in range(len(EXAMPLES))])
def test_doc_example_runs(code: str, promised: str | None, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {**os.environ, "AIOFLYTE_HOME": str(tmp_path / "home")}
    env.pop("AIOFLYTE_RAW_OUTPUT_PREFIX", None)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    if promised is not None:
        assert out.stdout.splitlines() == promised.splitlines()
