"""What the server tells its operator: the ports it serves, each execution's lifecycle in its log (created, running,
node phases at DEBUG, succeeded or failed with the error kind), and an identical re-registration logged as
"already registered", not as a failure."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
import workflow_entities as wf
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
Phase = core_execution_pb2.WorkflowExecution


async def test_the_log_tells_each_execution_s_lifecycle_and_re_registrations(tmp_path):
    async with ServerProcess(tmp_path / "state", env=task_env(HERE), args=["--log-level", "DEBUG"]) as server:
        # the ready line names the HTTP routes' URL beside the gRPC address, and it answers
        assert server.http_url is not None and server.http_url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http, http.get(server.http_url + "/no-such-route") as response:
            assert response.status == 404
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), "flytesnacks", "development") as r:
            ok = await r.execute(wf.chain, inputs={"a": 1, "b": 2}, version="v1", wait=True)
            bad = await r.execute(wf.failing, inputs={"x": 1}, version="v1", wait=True)
            assert ok.closure.phase == Phase.SUCCEEDED and bad.closure.phase == Phase.FAILED
            await r.register_task(wf.add, version="v1")  # identical to what execute registered: not a failure
    log = server.log_path.read_text()
    ok_id, bad_id = f"flytesnacks/development/{ok.id.name}", f"flytesnacks/development/{bad.id.name}"
    for line in (
        f"execution created execution='{ok_id}'",
        f"execution running execution='{ok_id}'",
        f"execution succeeded execution='{ok_id}'",
        f"node phase execution='{ok_id}' node='n0' phase='RUNNING'",
        f"node phase execution='{ok_id}' node='n0' phase='SUCCEEDED'",
        f"execution failed execution='{bad_id}' error_kind='USER' error_code=",
        "CreateTask: already registered (answered ALREADY_EXISTS: task with identical structure already exists",
    ):
        assert line in log, f"{line!r} not in the server's log:\n{log[-3000:]}"
    assert "CreateTask failed" not in log


async def test_without_debug_the_log_has_the_lifecycle_but_no_node_phases(tmp_path):
    async with ServerProcess(tmp_path / "state", env=task_env(HERE)) as server:  # --log-level INFO
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), "flytesnacks", "development") as r:
            ok = await r.execute(wf.chain, inputs={"a": 1, "b": 2}, version="v1", wait=True)
    log = server.log_path.read_text()
    assert f"execution succeeded execution='flytesnacks/development/{ok.id.name}'" in log
    assert "node phase" not in log
