"""Each example of docs/container-tasks.md runs as a script (its image declared runnable as a local process) and
prints what the page says it prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs a script as a subprocess

DOC = Path(__file__).resolve().parents[2] / "docs" / "container-tasks.md"


TEXT = DOC.read_text()
EXAMPLES = list(
    zip(
        re.findall(r"```python\n(.*?)```", TEXT, re.S),
        [p.splitlines() for p in re.findall(r"prints\n\n```\n(.*?)```", TEXT, re.S)],
    )
)


def test_every_example_has_its_output():
    assert len(EXAMPLES) == 2
    assert len(re.findall(r"```python\n", TEXT)) == len(re.findall(r"prints\n\n```\n", TEXT))


@pytest.mark.parametrize(("code", "promised"), EXAMPLES, ids=["square", "secrets"])
def test_doc_example_runs(tmp_path: Path, code: str, promised: list[str]) -> None:
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {**os.environ, "AIOFLYTE_HOME": str(tmp_path / "home"), "AIOFLYTE_CONTAINER_RUNTIME": "none"}
    env.pop("AIOFLYTE_LOCAL_IMAGES", None)
    env.pop("AIOFLYTE_RAW_OUTPUT_PREFIX", None)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.splitlines() == promised
