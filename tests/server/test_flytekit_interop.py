"""flytekit 1.16 against the server: what ``FlyteRemote``, ``pyflyte register`` and ``pyflyte run --remote``
register runs with flytekit (``pyflyte-execute``, ``pyflyte-fast-execute``, ``pyflyte-map-execute`` of the task
environment given by ``--task-python``), end to end.

flytekit is never installed beside aioflyte: the tests use the Python named by ``AIOFLYTE_TEST_FLYTEKIT_PYTHON``
(a virtual environment with flytekit 1.16; ``.ci/run`` creates one) and drive it as subprocesses
(``fk_driver.py``, ``pyflyte``), with a config file pointing at the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
import pytest_asyncio
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2, tasks_pb2
from servers import fresh_project, task_env

from aioflyte.remote.client.admin import AdminClient
from aioflyte.server.testing import ServerProcess

HERE = Path(__file__).resolve().parent
FLYTEKIT_PYTHON = os.environ.get("AIOFLYTE_TEST_FLYTEKIT_PYTHON", "")
D = "development"
SUCCEEDED, FAILED, ABORTED = 4, 6, 7

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.slow,
    # each flytekit task is a process importing flytekit (seconds each on a loaded machine): a hang guard only
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        not FLYTEKIT_PYTHON,
        reason="AIOFLYTE_TEST_FLYTEKIT_PYTHON is not set: it names a Python with flytekit 1.16 (see CONTRIBUTING.md; "
        ".ci/run sets it)",
    ),
]


def _pyflyte() -> str:
    return str(Path(FLYTEKIT_PYTHON).parent / "pyflyte")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    state = tmp_path_factory.mktemp("fkinterop") / "state"
    async with ServerProcess(state, env=task_env(HERE), args=["--task-python", FLYTEKIT_PYTHON]) as s:
        yield s


@pytest.fixture(scope="module")
def config(server, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fkconfig") / "config.yaml"
    path.write_text(f"admin:\n  endpoint: dns:///{server.endpoint}\n  insecure: true\n")
    return path


@pytest_asyncio.fixture(loop_scope="module")
async def project(server) -> str:
    async with AdminClient(server.endpoint) as admin:
        return await fresh_project(admin)


async def _flytekit(*argv: str, cwd: Path = HERE, extra_path: str = "") -> str:
    """Run flytekit's Python (or one of its scripts); its stdout. Fails with the output when it fails."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (extra_path, str(HERE)) if p)}
    env.pop("VIRTUAL_ENV", None)
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 600)  # a guard against a hang only
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"{argv[:3]} exited with {proc.returncode}:\n{text[-6000:]}"
    return text


async def _drive(config: Path, project: str, version: str, step: str, *args: str) -> dict:
    out = await _flytekit(FLYTEKIT_PYTHON, str(HERE / "fk_driver.py"), str(config), project, version, step, *args)
    return json.loads(out.strip().splitlines()[-1])


async def test_flyteremote_registers_and_runs_flytekit_entities(config, project):
    got = await _drive(config, project, "v1", "entities")
    assert got["task"]["phase"] == SUCCEEDED, got["task"]
    assert got["task"]["outputs"] == {"o0": 3}
    # the workflow's default b=3; the launch plan's default a=10 and fixed b=5: GetExecutionData's full_inputs
    assert got["workflow"]["outputs"] == {"o0": 4} and got["workflow"]["inputs"] == {"a": 1, "b": 3}
    assert got["launch_plan"]["outputs"] == {"o0": 15} and got["launch_plan"]["inputs"] == {"a": 10, "b": 5}


async def test_flyteremote_signals_terminate_and_upload(config, project, tmp_path):
    upload = tmp_path / "hello.txt"
    upload.write_text("hello from flytekit\n")
    got = await _drive(config, project, "v1", "signals", str(upload))
    assert got["gated"]["phase"] == SUCCEEDED, got["gated"]
    assert got["gated"]["outputs"] == {"o0": 10}
    assert got["terminated"] == {"phase": ABORTED, "cause": "enough of this"}
    url = got["upload"]["url"]
    assert url.startswith("/"), url  # a plain path, which flytekit takes for a local raw store
    assert Path(url).read_text() == "hello from flytekit\n"


def _package(root: Path, name: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    shutil.copy(HERE / "fk_flows.py", root / name / "flows.py")


async def test_pyflyte_register_non_fast(config, project, server):
    # fk_flows is on the task processes' PYTHONPATH (task_env): nothing to ship
    out = await _flytekit(
        _pyflyte(), "-c", str(config), "register", "--non-fast", "--project", project, "--domain", D,
        "--version", "nf1", "fk_flows.py",
    )  # fmt: skip
    assert "Successfully registered" in out, out
    got = await _drive(config, project, "nf1", "launch", "fk_flows.add_lp", json.dumps({}))
    assert got["phase"] == SUCCEEDED, got
    assert got["outputs"] == {"o0": 15} and got["inputs"] == {"a": 10, "b": 5}


async def test_pyflyte_register_fast_unpacks_in_the_attempts_work_dir(config, project, server, tmp_path):
    pkg = f"fkfast_{uuid.uuid4().hex[:8]}"  # importable by no one but the uploaded archive
    _package(tmp_path, pkg)
    out = await _flytekit(
        _pyflyte(), "-c", str(config), "register", "--project", project, "--domain", D, "--version", "f1", pkg,
        cwd=tmp_path,
    )  # fmt: skip
    assert "Successfully registered" in out, out
    got = await _drive(config, project, "f1", "launch", f"{pkg}.flows.mixed_wf", json.dumps({"n": 3}))
    # a dynamic (squares of 0..n-1), a map task (pyflyte-map-execute: squares again), a conditional on the sum
    assert got["phase"] == SUCCEEDED, got
    assert got["outputs"] == {"o0": 2 * (0 + 1 + 16)}  # 17 > 10: doubled
    # pyflyte registered --dest-dir /root: the code went into each attempt's working directory instead
    assert not Path("/root", pkg).exists()
    data = server.state_dir / "data" / project / D
    unpacked = list(data.glob(f"*/nodes/*/attempt-0/work/{pkg}/flows.py"))
    assert unpacked, sorted(str(p) for p in data.rglob("work"))


async def test_pyflyte_run_remote_with_file_directory_and_dataframe_inputs(config, project, tmp_path):
    pkg = f"fkrun_{uuid.uuid4().hex[:8]}"
    _package(tmp_path, pkg)
    (tmp_path / "lines.txt").write_text("a\nb\nc\n")
    (tmp_path / "folder" / "sub").mkdir(parents=True)
    for rel in ("one", "two", "sub/three"):
        (tmp_path / "folder" / rel).write_text(rel)
    await _flytekit(
        FLYTEKIT_PYTHON, "-c", "import pandas as pd; pd.DataFrame({'a': [1, 2, 3, 4, 5]}).to_parquet('df.parquet')",
        cwd=tmp_path,
    )  # fmt: skip
    out = await _flytekit(
        _pyflyte(), "-c", str(config), "run", "--remote", "--project", project, "--domain", D,
        "--wait", "--poll-interval", "1", f"{pkg}/flows.py", "inputs_wf",
        "--f", "lines.txt", "--d", "folder", "--df", "df.parquet",
        cwd=tmp_path,
    )  # fmt: skip
    name = re.search(r"Execution (\w+) has succeeded", out)
    assert name is not None, out
    got = await _drive(config, project, "-", "outputs", name.group(1))
    assert got["outputs"] == {"o0": 3, "o1": 3, "o2": 5}


async def test_a_missing_executable_is_a_system_error_naming_it_and_the_option(server, project):
    tid = identifier_pb2.Identifier(
        resource_type=identifier_pb2.TASK, project=project, domain=D, name="nowhere", version="v1"
    )
    template = tasks_pb2.TaskTemplate(
        id=tid, type="python-task", interface=interface_pb2.TypedInterface(),
        metadata=tasks_pb2.TaskMetadata(runtime=tasks_pb2.RuntimeMetadata(type=tasks_pb2.RuntimeMetadata.FLYTE_SDK)),
        container=tasks_pb2.Container(image="x", args=["pyflyte-no-such-command", "--inputs", "{{.input}}"]),
    )  # fmt: skip
    from flyteidl.admin import task_pb2

    async with AdminClient(server.endpoint) as admin:
        await admin.create_task(tid, task_pb2.TaskSpec(template=template))
        ex_id = await admin.create_execution(project, D, tid, literals_pb2.LiteralMap())
        for _ in range(600):
            ex = await admin.get_execution(ex_id)
            if ex.closure.phase in (SUCCEEDED, FAILED, ABORTED):
                break
            await asyncio.sleep(0.1)
    error = ex.closure.error
    assert ex.closure.phase == FAILED
    assert error.kind == core_execution_pb2.ExecutionError.SYSTEM
    assert error.code == "SYSTEM:ExecutableNotFound"
    assert "'pyflyte-no-such-command'" in error.message and "--task-python" in error.message
    assert str(Path(FLYTEKIT_PYTHON).parent) in error.message  # the task environment's PATH it searched
