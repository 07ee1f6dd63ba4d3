"""The examples in examples/ run (as a user would run them) and print what they promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every test runs a script as a subprocess

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("quickstart.py", "sum of squares 0..9 = 285"),
        ("eager_pipeline.py", "page-7: high"),
        ("conditional.py", "failed: Only <0.7 allowed"),
        ("fan_out.py", "sum of squares below 2000: 2664667000"),
    ],
)
def test_example_runs(script: str, expected: str, tmp_path: Path) -> None:
    env = {**os.environ, "AIOFLYTE_HOME": str(tmp_path)}
    env.pop("AIOFLYTE_CACHE_DIR", None)
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert expected in out.stdout
