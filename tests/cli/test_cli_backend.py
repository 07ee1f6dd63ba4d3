"""The CLI's commands on a backend, as real subprocesses against the server subprocess: ``get executions |
execution | tasks | workflows | launchplans`` (table, JSON, YAML, filters), ``logs`` (of a finished execution,
and following a running one until it ends), ``terminate``, ``relaunch``, ``launchplan activate|deactivate``,
``info``, and where the backend is found (``--endpoint``, ``-c FILE``, ``aioflyte -c FILE``, ``FLYTECTL_CONFIG``,
``~/.flyte/config.yaml``)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import cli_backend_tasks as tasks
import pytest
import pytest_asyncio
import yaml
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import fresh_project, task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.client import AdminClient
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

HERE = Path(__file__).parent
D = "development"
Phase = core_execution_pb2.WorkflowExecution.Phase
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


async def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[int, str, str]:
    """``aioflyte ARGS`` as a subprocess: (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aioflyte.cli.main", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})}, cwd=str(cwd) if cwd else None,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("cli-backend") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ran(server):
    """A project with a succeeded and a failed execution, and a scheduled launch plan registered (inactive)."""
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, D) as remote:
        ok = await remote.execute(tasks.say_wf, inputs={"text": "hey"}, version="v1", wait=True)
        bad = await remote.execute(tasks.boom_wf, inputs={"x": 7}, version="v1", wait=True)
        await remote.register_launch_plan(tasks.yearly, version="v1")
    assert ok.is_successful and not bad.is_successful
    return {"project": project, "ok": ok.id.name, "bad": bad.id.name, "endpoint": server.endpoint}


def _at(ran: dict[str, str]) -> list[str]:
    return ["--endpoint", ran["endpoint"], "--insecure", "-p", ran["project"], "-d", D]


async def test_get_executions_table_json_yaml_and_filters(ran):
    code, out, err = await cli("get", "executions", *_at(ran))
    assert code == 0, err
    assert ran["ok"] in out and ran["bad"] in out and "SUCCEEDED" in out and "FAILED" in out
    code, out, err = await cli("get", "executions", *_at(ran), "-o", "json", "--filter", "phase=FAILED")
    assert code == 0, err
    docs = json.loads(out)
    assert [d["id"]["name"] for d in docs] == [ran["bad"]] and docs[0]["closure"]["phase"] == "FAILED"
    code, out, err = await cli("get", "executions", *_at(ran), "-o", "yaml", "--filter", "eq(phase,SUCCEEDED)")
    assert code == 0, err
    assert [d["id"]["name"] for d in yaml.safe_load(out)] == [ran["ok"]]
    code, out, err = await cli("get", "executions", *_at(ran), "-o", "json", "--limit", "1")
    assert code == 0, err and len(json.loads(out)) == 1


async def test_get_one_execution_shows_inputs_outputs_error_and_nodes(ran):
    code, out, err = await cli("get", "execution", ran["ok"], *_at(ran))
    assert code == 0, err
    assert "SUCCEEDED" in out and "'hey'" in out and "'HEY'" in out and "n0" in out
    assert f"/console/projects/{ran['project']}/domains/{D}/executions/{ran['ok']}" in out
    code, out, err = await cli("get", "execution", f"ex:{ran['project']}:{D}:{ran['bad']}", "--endpoint",
                               ran["endpoint"], "--insecure")  # fmt: skip
    assert code == 0, err
    assert "FAILED" in out and "boom 7" in out
    code, out, err = await cli("get", "execution", f"{ran['project']}/{D}/{ran['ok']}", *_at(ran), "-o", "json")
    doc = json.loads(out)
    assert doc["id"]["name"] == ran["ok"] and doc["outputs"]["o0"]["scalar"]["primitive"]["stringValue"] == "HEY"
    assert [n["id"]["nodeId"] for n in doc["nodeExecutions"]] == ["n0"] or "n0" in str(doc["nodeExecutions"])


async def test_get_an_unknown_execution_is_a_clean_error(ran):
    code, _, err = await cli("get", "execution", "nope", *_at(ran))
    assert code == 1 and "does not exist" in err and "Traceback" not in err


async def test_get_tasks_workflows_launchplans(ran):
    code, out, err = await cli("get", "tasks", *_at(ran))
    assert code == 0, err
    assert tasks.say.name in out and tasks.boom.name in out and "v1" in out and "python-task" in out
    code, out, err = await cli("get", "workflows", *_at(ran), "-o", "json")
    assert code == 0, err
    assert {d["id"]["name"] for d in json.loads(out)} >= {tasks.say_wf.name, tasks.boom_wf.name}
    code, out, err = await cli("get", "launchplans", *_at(ran), "say_yearly")
    assert code == 0, err
    assert "say_yearly" in out and "INACTIVE" in out and "0 0 1 1 *" in out


async def test_launchplan_activate_and_deactivate(ran):
    code, out, err = await cli("launchplan", "activate", "say_yearly", *_at(ran))
    assert code == 0, err
    assert "activated launch plan" in out and "@v1" in out
    code, out, err = await cli("get", "launchplans", *_at(ran), "--filter", "state=ACTIVE", "-o", "json")
    assert [d["id"]["name"] for d in json.loads(out)] == ["say_yearly"]
    # pyflyte's form: NAME VERSION --deactivate
    code, out, err = await cli("launchplan", "say_yearly", "v1", "--deactivate", *_at(ran))
    assert code == 0, err
    code, out, err = await cli("get", "launchplans", *_at(ran), "--filter", "state=ACTIVE", "-o", "json")
    assert json.loads(out) == []


async def test_logs_of_finished_executions(ran):
    code, out, err = await cli("logs", ran["ok"], *_at(ran))
    assert code == 0, err
    assert "saying hey" in out and "attempt 0" in out and "SUCCEEDED" in err
    code, out, err = await cli("logs", ran["bad"], "n0", *_at(ran))
    assert code == 0, err
    assert "about to fail" in out and "boom 7" in out
    code, out, err = await cli("logs", ran["ok"], "n9", *_at(ran))
    assert code == 2 and "no node 'n9'" in err and "n0" in err


async def _until(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        await asyncio.sleep(0.05)


async def test_logs_follow_a_running_execution_until_terminate_ends_it(ran, server, tmp_path):
    marker = tmp_path / "started"
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), ran["project"], D) as remote:
        ex = await remote.execute(tasks.sleepy_wf, inputs={"marker": str(marker)}, version="v1", wait=False)
    await _until(marker)
    follower = asyncio.ensure_future(cli("logs", ex.id.name, *_at(ran)))  # follows: ends only when the run does
    code, out, err = await cli("terminate", ex.id.name, "--cause", "enough", *_at(ran))
    assert code == 0, err
    assert f"terminated {ran['project']}/{D}/{ex.id.name}" in out
    code, out, err = await follower
    assert code == 0, err
    assert "sleepy started" in out and "ABORTED" in err
    code, out, err = await cli("get", "execution", ex.id.name, *_at(ran))
    assert "ABORTED" in out and "enough" in out


async def test_relaunch_starts_the_same_launch_with_the_same_inputs(ran, server):
    code, out, err = await cli("relaunch", ran["ok"], *_at(ran))
    assert code == 0, err
    new = out.split(" as ", 1)[1].split()[0].rsplit("/", 1)[-1]
    assert new != ran["ok"] and "/console/" in out
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), ran["project"], D) as remote:
        ex = await remote.wait(await remote.fetch_execution(name=new), timeout=120)
        assert ex.is_successful and ex.outputs["o0"] == "HEY"
        assert ex.spec.launch_plan.name == tasks.say_wf.name
        assert ex.spec.metadata.mode == 3 and ex.spec.metadata.reference_execution.name == ran["ok"]  # RELAUNCH


def _flytectl_yaml(path: Path, endpoint: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"admin:\n  endpoint: dns:///{endpoint}\n  insecure: true\n")
    return path


async def test_config_file_discovery(ran, tmp_path):
    scope = ["-p", ran["project"], "-d", D, "-o", "json"]
    cfg = _flytectl_yaml(tmp_path / "cfg" / "config.yaml", ran["endpoint"])
    home = tmp_path / "home"
    env = {"HOME": str(home), "FLYTECTL_CONFIG": ""}
    # no endpoint anywhere: a usage error that says how to give one
    code, out, err = await cli("get", "executions", *scope, env=env, cwd=tmp_path)
    assert code == 2 and "--endpoint" in err and "FLYTECTL_CONFIG" in err
    # the command's -c, the group's -c, FLYTECTL_CONFIG, ~/.flyte/config.yaml
    for args, extra_env in (
        (["get", "executions", "-c", str(cfg)], {}),
        (["-c", str(cfg), "get", "executions"], {}),
        (["get", "executions"], {"FLYTECTL_CONFIG": str(cfg)}),
    ):
        code, out, err = await cli(*args, *scope, env={**env, **extra_env}, cwd=tmp_path)
        assert code == 0, (args, err)
        assert {d["id"]["name"] for d in json.loads(out)} >= {ran["ok"], ran["bad"]}
    # the project and domain from FLYTE_DEFAULT_PROJECT / FLYTE_DEFAULT_DOMAIN, as pyflyte reads them
    scope_env = {"FLYTECTL_CONFIG": str(cfg), "FLYTE_DEFAULT_PROJECT": ran["project"], "FLYTE_DEFAULT_DOMAIN": D}
    code, out, err = await cli("get", "executions", "-o", "json", env={**env, **scope_env}, cwd=tmp_path)
    assert code == 0, err
    assert {d["id"]["name"] for d in json.loads(out)} >= {ran["ok"], ran["bad"]}
    _flytectl_yaml(home / ".flyte" / "config.yaml", ran["endpoint"])
    code, out, err = await cli("get", "executions", *scope, env=env, cwd=tmp_path)
    assert code == 0, err
    assert ran["ok"] in out
    code, out, err = await cli("info", env=env, cwd=tmp_path)
    assert code == 0, err
    assert str(home / ".flyte" / "config.yaml") in out and ran["endpoint"] in out and "backend version" in out
    code, out, err = await cli("get", "executions", "-c", str(tmp_path / "missing.yaml"), *scope, env=env)
    assert code == 2 and "no such config file" in err


TASKS_FILE = str(HERE / "cli_backend_tasks.py")


async def test_run_remote_with_a_config_file_and_execution_options(ran, tmp_path):
    cfg = _flytectl_yaml(tmp_path / "config.yaml", ran["endpoint"])
    name = f"r{os.urandom(6).hex()}"
    code, out, err = await cli(
        "run", "--remote", "-c", str(cfg), "-p", ran["project"], "-d", D, "--name", name, "-e", "ENV_A=1",
        "--labels", "team=cli", "--overwrite-cache", TASKS_FILE, "say_wf", "--text", "remote",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip().splitlines()[-1] == "'REMOTE'"
    lines = err.splitlines()  # the code is fast-registered first, then the id comes, before the run ends
    assert lines[0].startswith("registered cli_backend_tasks.say_wf@")
    assert lines[1] == f"execution {ran['project']}/{D}/{name} started"
    assert f"/console/projects/{ran['project']}/domains/{D}/executions/{name}" in err
    code, out, err = await cli("get", "execution", name, *_at(ran), "-o", "json")
    spec = json.loads(out)["spec"]
    assert spec["envs"]["values"] == [{"key": "ENV_A", "value": "1"}]
    assert spec["labels"]["values"] == {"team": "cli"} and spec["overwriteCache"] is True


async def test_run_remote_no_wait_returns_with_the_id(ran, tmp_path):
    name = f"n{os.urandom(6).hex()}"
    marker = tmp_path / "m"
    code, out, err = await cli(
        "run", "--remote", *_at(ran), "--name", name, "--no-wait", TASKS_FILE, "sleepy_wf", "--marker", str(marker),
    )  # fmt: skip
    assert code == 0, err
    assert f"execution {ran['project']}/{D}/{name} started" in err and out.strip() == ""
    code, out, err = await cli("get", "execution", name, *_at(ran), "-o", "json")
    assert json.loads(out)["closure"]["phase"] in ("QUEUED", "RUNNING")
    code, out, err = await cli("terminate", name, *_at(ran))
    assert code == 0, err


async def test_ctrl_c_on_a_remote_run_offers_to_terminate_it(ran, tmp_path):
    name = f"c{os.urandom(6).hex()}"
    marker = tmp_path / "m"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aioflyte.cli.main", "run", "--remote", *_at(ran), "--name", name, TASKS_FILE,
        "sleepy_wf", "--marker", str(marker),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    await _until(marker)  # the execution runs, and the command waits for it
    proc.send_signal(signal.SIGINT)
    _out, err = await asyncio.wait_for(proc.communicate(b"y\n"), 120)
    text = err.decode()
    assert proc.returncode == 130, text
    assert f"Terminate execution {ran['project']}/{D}/{name}?" in text and f"terminated {ran['project']}" in text
    _code, out2, _ = await cli("get", "execution", name, *_at(ran), "-o", "json")
    assert json.loads(out2)["closure"]["phase"] in ("ABORTING", "ABORTED")


async def test_run_remote_reads_each_input_kind(ran, tmp_path):
    (tmp_path / "inputs.yaml").write_text("day: 2026-03-04\nm: {a: 1}\n")
    code, out, err = await cli(
        "run", "--remote", *_at(ran), TASKS_FILE, "kinds", "--ps", '[{"x": 1, "y": 2}, {"x": 3}]',
        "--when", "2026-01-02T03:04:05", "--gap", "PT1M30S", "--c", "blue",
        "--inputs-file", str(tmp_path / "inputs.yaml"),
    )  # fmt: skip
    assert code == 0, err
    assert "6 2026-01-02T03:04:05+00:00 2026-03-04 90 BLUE {'a': 1}" in out
