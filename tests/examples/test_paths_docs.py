"""docs/migrating.md stays true: every aioflyte path of its module map imports, the files it says the
code lives in exist, and its sed line turns a flytekit script into one that runs on aioflyte."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "migrating.md"

FLYTEKIT_SCRIPT = """\
import typing

import pandas as pd
import flytekit
from flytekit import kwtypes, task, workflow
from flytekit.core.base_task import TaskMetadata
from flytekit.exceptions.user import FlyteValidationException
from flytekit.types.schema import FlyteSchema

S = FlyteSchema[kwtypes(a=int)]


@task
def make(n: int) -> S:
    return pd.DataFrame({"a": list(range(n))})


@task
def total(s: S) -> int:
    return int(s.open().all()["a"].sum())


@workflow
def wf(n: int) -> int:
    return total(s=make(n=n))


try:
    task(retries=-1)(lambda: None)
except FlyteValidationException:
    print("invalid retries refused")
print(flytekit.run(wf, n=4), TaskMetadata().retries)
"""


def _module_map() -> list[tuple[str, str, str]]:
    rows = re.findall(r"^\| `(flytekit[\w.]*)` \| `(aioflyte[\w.]*)` \| (.*) \|$", DOC.read_text(), re.M)
    assert len(rows) > 25
    return rows


@pytest.mark.parametrize(("flytekit_path", "aioflyte_path", "lives_in"), _module_map())
def test_every_path_of_the_map_imports_and_its_code_is_where_it_says(flytekit_path, aioflyte_path, lives_in):
    assert aioflyte_path == flytekit_path.replace("flytekit", "aioflyte", 1)  # what the sed line makes of it
    if aioflyte_path != "aioflyte.core.context_manager" or importlib.util.find_spec(aioflyte_path):
        importlib.import_module(aioflyte_path)
    for path in re.findall(r"`(aioflyte/[\w/.]+)`", lives_in):
        assert (ROOT / path).exists(), path


@pytest.mark.skipif(shutil.which("sed") is None, reason="no sed")
def test_the_sed_line_migrates_a_flytekit_script(tmp_path):
    pytest.importorskip("pandas")
    command = re.search(r"```bash\n(sed .*?) \$\(git ls-files", DOC.read_text()).group(1)
    script = tmp_path / "pipeline.py"
    script.write_text(FLYTEKIT_SCRIPT)
    subprocess.run(f"{command} {script}", shell=True, check=True)
    migrated = script.read_text()
    assert "flytekit" not in migrated and "import aioflyte" in migrated
    # the page's second step: a script runs a workflow with aioflyte.run
    script.write_text(migrated.replace("print(wf(n=4)", "print(aioflyte.run(wf, n=4)"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.splitlines() == ["invalid retries refused", "6 0"]
