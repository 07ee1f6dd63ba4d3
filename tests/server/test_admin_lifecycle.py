"""The server process's lifecycle: restarts keep registrations, clients retry while it is unavailable, SIGTERM
shuts it down cleanly; and real aioflyte entities register through the translator."""

from __future__ import annotations

import asyncio
import time

import pytest
from flyteidl.admin import launch_plan_pb2

from aioflyte import conditional, map_task, task, workflow
from aioflyte.remote import translator
from aioflyte.remote.client import (
    AdminClient,
    FlyteRemoteUnavailableException,
    launch_plan_id,
    task_id,
    workflow_id,
)
from aioflyte.server.testing import ServerProcess, free_port

P, D = "flytesnacks", "development"


def _specs():
    from test_admin_registration import launch_plan_spec, task_spec, workflow_spec

    return task_spec, workflow_spec, launch_plan_spec


@task
def double(x: int) -> int:
    return 2 * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def branchy(n: int) -> int:
    doubled = map_task(double, concurrency=2)(x=[1, 2, 3])
    s = total(xs=doubled)
    return conditional("big").if_(n > 10).then(double(x=s)).else_().then(total(xs=doubled))


@pytest.mark.slow
async def test_registrations_survive_a_restart(tmp_path):
    task_spec, workflow_spec, launch_plan_spec = _specs()
    state = tmp_path / "state"
    tid, wid = task_id(P, D, "t", "v1"), workflow_id(P, D, "wf", "v1")
    lp = launch_plan_id(P, D, "lp", "v1")
    async with ServerProcess(state) as server, AdminClient(server.endpoint) as client:
        await client.register_task(tid, task_spec("t"))
        await client.register_workflow(wid, workflow_spec("wf", tid))
        await client.register_launch_plan(lp, launch_plan_spec(wid))
        await client.activate_launch_plan(lp)
        await client.register_project("other")
        before = await client.get_workflow(wid)
    async with ServerProcess(state) as server, AdminClient(server.endpoint) as client:
        assert (await client.get_task(tid)).closure.compiled_task.template == task_spec("t").template
        assert await client.get_workflow(wid) == before
        assert (await client.get_active_launch_plan(P, D, "lp")).id == lp
        assert (await client.get_launch_plan(lp)).closure.state == launch_plan_pb2.ACTIVE
        assert {p.id for p in (await client.list_projects())[0]} == {"flytesnacks", "other"}
        assert await client.register_task(tid, task_spec("t")) is False  # still known as identical


@pytest.mark.slow
async def test_client_retries_until_the_server_is_up(tmp_path):
    port = free_port()
    # a backend not reached yet is waited for connect_timeout (5 s by default: here, as long as it takes to start)
    async with AdminClient(f"127.0.0.1:{port}", retry_timeout=30, connect_timeout=30, max_attempts=200) as client:
        call = asyncio.create_task(client.get_domains())  # nothing listens yet: UNAVAILABLE, retried
        await asyncio.sleep(1.0)
        assert not call.done()
        async with ServerProcess(tmp_path / "state", port=port):
            domains = await asyncio.wait_for(call, 30)
            assert [d.id for d in domains] == ["development", "staging", "production"]
            assert client.retries > 0
        # the server went away again: calls retry, then fail with a clear, typed error
        client.retry_timeout = 0.5
        start = time.monotonic()
        with pytest.raises(FlyteRemoteUnavailableException) as info:
            await client.get_domains()
        assert isinstance(info.value, ConnectionError)
        assert "GetDomains" in str(info.value) and "UNAVAILABLE" in str(info.value)
        assert time.monotonic() - start < 10


@pytest.mark.slow
async def test_sigterm_shuts_down_cleanly(tmp_path):
    server = ServerProcess(tmp_path / "state")
    await server.start()
    host, port = server.endpoint.rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) == server.port
    async with AdminClient(server.endpoint) as client:
        await client.get_domains()
    assert await server.stop() == 0
    assert "aioflyte-server stopped" in server.log_path.read_text()


@pytest.mark.slow
async def test_server_refuses_a_taken_port(tmp_path):
    async with ServerProcess(tmp_path / "one") as first:
        second = ServerProcess(tmp_path / "two", port=first.port, startup_timeout=20)
        try:
            with pytest.raises(RuntimeError, match="exited with 1"):
                await second.start()
        finally:
            await second.stop()


@pytest.mark.slow
async def test_register_real_entities_through_the_translator(tmp_path):
    from flyteidl.admin import launch_plan_pb2 as lp_pb2
    from flyteidl.admin import task_pb2, workflow_pb2

    from aioflyte.remote.serialization import SerializationSettings, default_image_config

    settings = SerializationSettings(image_config=default_image_config(), project=P, domain=D, version="v1")
    messages = await translator.registrable_entities([branchy], settings)
    async with ServerProcess(tmp_path / "state") as server, AdminClient(server.endpoint) as client:
        registered = []
        for message in messages:
            if isinstance(message, task_pb2.TaskSpec):
                assert await client.register_task(message.template.id, message)
            elif isinstance(message, workflow_pb2.WorkflowSpec):
                assert await client.register_workflow(message.template.id, message)
            elif isinstance(message, lp_pb2.LaunchPlan):
                assert await client.register_launch_plan(message.id, message.spec)
            registered.append(message)
        wf_spec = next(m for m in messages if isinstance(m, workflow_pb2.WorkflowSpec))
        wf = await client.get_workflow(wf_spec.template.id)
        names = {t.template.id.name for t in wf.closure.compiled_workflow.tasks}
        assert any(name.endswith("double") for name in names) and any(name.endswith("total") for name in names)
        lp_message = next(m for m in messages if isinstance(m, lp_pb2.LaunchPlan))
        lp = await client.get_launch_plan(lp_message.id)
        assert lp.spec.workflow_id == wf_spec.template.id
        assert "n" in wf.closure.compiled_workflow.primary.template.interface.inputs.variables
        # registering the same package again is a no-op, as with pyflyte register
        for message in registered:
            if isinstance(message, task_pb2.TaskSpec):
                assert await client.register_task(message.template.id, message) is False


@pytest.mark.slow
async def test_concurrent_identical_registrations_create_once(tmp_path):
    task_spec, _, _ = _specs()
    tid = task_id(P, D, "raced", "v1")
    async with ServerProcess(tmp_path / "state") as server, AdminClient(server.endpoint) as client:
        results = await asyncio.gather(*[client.register_task(tid, task_spec("raced")) for _ in range(50)])
        assert results.count(True) == 1 and results.count(False) == 49
        assert len((await client.list_tasks(P, D, "raced"))[0]) == 1


async def test_unexpected_server_failures_are_internal_not_unknown(tmp_path):
    """In process: a handler that crashes answers INTERNAL with the cause, never UNKNOWN."""
    import grpc

    from aioflyte.remote.client import FlyteRemoteError
    from aioflyte.server import AdminServer

    async with AdminServer(tmp_path / "state") as server, AdminClient(server.address, retry_timeout=1) as client:
        await server.store.close()  # every query now fails inside the handler
        with pytest.raises(FlyteRemoteError) as info:
            await client.get_task(task_id(P, D, "t", "v1"))
        assert info.value.code == grpc.StatusCode.INTERNAL
        assert "GetTask failed: RuntimeError: the store is not open" in str(info.value)
        assert [d.id for d in await client.get_domains()] == ["development", "staging", "production"]
