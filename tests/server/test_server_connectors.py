"""``aioflyte serve`` runs sensors and connector tasks in-process through the connector registry (as a cluster hands
them to a connector service): a FileSensor waits for a file the test writes after the execution started, connector
tasks (loaded with ``--connector-module connector_examples``) run as workflow nodes with their log links recorded,
terminating an execution deletes its connector job, a task's timeout ends its wait, and a task type nobody serves
fails with an error saying how to load a connector."""

from __future__ import annotations

import asyncio
from pathlib import Path

import connector_examples as ce
import pytest
import pytest_asyncio
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import fresh_project, task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.client import AdminClient
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

D = "development"
Phase = core_execution_pb2.WorkflowExecution
NodePhase = core_execution_pb2.NodeExecution
HERE = Path(__file__).parent
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


@pytest.fixture(scope="module")
def events_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("connector-events") / "events.txt"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory, events_file):
    env = {
        **task_env(HERE),
        "CONNECTOR_EVENTS_FILE": str(events_file),
        "AIOFLYTE_CONNECTOR_POLL_INITIAL": "0.02",
        "AIOFLYTE_CONNECTOR_POLL_MAX": "0.2",
    }
    state = tmp_path_factory.mktemp("connectors") / "state"
    async with ServerProcess(state, env=env, args=["--connector-module", "connector_examples"]) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, D) as r:
        yield r


def _events(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


async def _until(predicate, what: str):
    for _ in range(3000):  # a guard against a hang, not a timing assertion
        found = await predicate()
        if found:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def _node(remote, ex, node_id: str):
    ex = await remote.sync_execution(ex, sync_nodes=True)
    return ex.node_executions.get(node_id)


async def test_a_file_sensor_waits_on_the_server_for_a_file_written_after_the_execution_started(remote, tmp_path):
    path = tmp_path / "arrives-later.txt"
    ex = await remote.execute(ce.sensor_wf, inputs={"path": str(path)}, version="v1")

    async def sensor_running():
        n = await _node(remote, ex, "n0")
        return n is not None and n.phase == NodePhase.RUNNING

    await _until(sensor_running, "the sensor node runs")
    ex = await remote.sync_execution(ex)
    assert not ex.is_done  # the file does not exist: the sensor holds the workflow
    path.write_text("it came")
    ex = await remote.wait(ex, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == "it came"
    sensor = ex.node_executions["n0"]
    assert [te.closure.task_type for te in sensor.executions] == ["sensor"]


async def test_a_file_sensor_waits_for_a_file_a_parallel_step_writes(remote, tmp_path):
    path = tmp_path / "written-by-a-step.txt"
    ex = await remote.execute(ce.write_and_wait_wf, inputs={"path": str(path)}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == "written by a step"


async def test_connector_tasks_run_in_the_server_as_workflow_nodes(remote, events_file):
    ex = await remote.execute(ce.connector_wf, inputs={"x": 4, "text": "hi"}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs == {"o0": 9, "o1": "HI!", "o2": 5}
    countdown = ex.node_executions["n0"]
    (te,) = countdown.executions
    assert te.closure.task_type == "countdown"
    assert [log.name for log in te.logs] == ["Countdown console"]
    methods = [e[0] for e in _events(events_file)]
    assert "create" in methods and "do" in methods


async def test_a_function_task_with_a_connector_runs_its_command_through_the_connector_in_the_server(
    remote, events_file
):
    seen = {e[1] for e in _events(events_file) if e[0] == "create"}
    ex = await remote.execute(ce.cube_elsewhere, inputs={"x": 2}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == 8
    assert len({e[1] for e in _events(events_file) if e[0] == "create"} - seen) == 1  # the connector started it


async def test_a_sensor_with_a_config_is_poked_in_the_server_until_it_holds(remote, events_file):
    ex = await remote.execute(ce.counter_wf, inputs={"key": "server-key"}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == 2
    assert [e[0] for e in _events(events_file) if e[1] == "server-key"] == ["poke", "poke", "poke"]


async def test_terminating_an_execution_deletes_its_connector_job(remote, events_file):
    seen_before = {e[1] for e in _events(events_file) if e[0] == "create"}
    ex = await remote.execute(ce.forever_wf, inputs={"x": 1}, version="v1")
    job = await _until(lambda: _new_polled_job(events_file, seen_before), "the forever job is polled")
    await remote.terminate(ex, cause="enough")
    ex = await remote.wait(ex, timeout=60)
    assert ex.phase == Phase.ABORTED
    await _until(lambda: _has(events_file, "delete", job), "the job is deleted")


async def _new_polled_job(events_file: Path, seen: set[str]) -> str | None:
    new = {e[1] for e in _events(events_file) if e[0] == "create"} - seen
    polled = [e[1] for e in _events(events_file) if e[0] == "get" and e[1] in new]
    return polled[-1] if polled else None


async def _has(events_file: Path, method: str, job: str) -> bool:
    return any(e[0] == method and e[1] == job for e in _events(events_file))


async def test_a_timeout_ends_a_connector_tasks_wait_and_deletes_its_job(remote, events_file):
    seen = {e[1] for e in _events(events_file) if e[0] == "create"}
    ex = await remote.execute(ce.forever_with_timeout, inputs={"x": 1}, version="v1", wait=True, timeout=120)
    assert ex.phase == Phase.FAILED
    assert "timed out" in ex.error.message
    (job,) = {e[1] for e in _events(events_file) if e[0] == "create"} - seen
    assert await _has(events_file, "delete", job)


async def test_a_failed_connector_job_fails_the_execution_with_its_message(remote):
    ex = await remote.execute(ce.file_job, inputs={"x": -1}, version="v1", wait=True, timeout=120)
    assert ex.phase == Phase.FAILED
    assert "quota exceeded" in ex.error.message


async def test_a_task_type_no_connector_serves_fails_saying_how_to_load_one(remote):
    ex = await remote.execute(ce.unserved, inputs={"x": 1}, version="v1", wait=True, timeout=120)
    assert ex.phase == Phase.FAILED
    assert "no connector for its type" in ex.error.message and "--connector-module" in ex.error.message


async def test_a_connector_module_that_cannot_be_imported_stops_the_server_from_starting(tmp_path):
    with pytest.raises(RuntimeError, match="connector module 'no_such_connectors' cannot be imported"):
        async with ServerProcess(tmp_path / "state", args=["--connector-module", "no_such_connectors"]):
            pass
