"""FlyteRemote against the server subprocess: register real aioflyte entities, fetch them back, list, activate."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from flyteidl.admin import launch_plan_pb2, task_pb2
from flyteidl.core import identifier_pb2
from servers import fresh_project

from aioflyte import LaunchPlan, map_task, task, workflow
from aioflyte.configuration.config import Config
from aioflyte.core.interface import NO_DEFAULT
from aioflyte.remote.client import (
    AdminClient,
    FlyteEntityExistsDifferentStructureException,
    FlyteEntityNotExistException,
)
from aioflyte.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from aioflyte.remote.remote import FlyteRemote
from aioflyte.remote.translator import get_serializable
from aioflyte.server.testing import ServerProcess

P, D = "flytesnacks", "development"  # P: only where no server is involved
module_loop = pytest.mark.asyncio(loop_scope="module")  # the async tests share the module's server


@task
def square(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def greet(name: str, times: int = 2) -> str:
    return name * times


@workflow
def sub_wf(x: int) -> int:
    return square(x=x)


@workflow
def parent_wf(xs: list[int], scale: int = 3) -> int:
    ys = map_task(square, concurrency=2)(x=xs)
    t = total(xs=ys)
    return sub_wf(x=t)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    """One server for the module's tests: each registers into a project of its own (lists and names do not clash)."""
    async with ServerProcess(tmp_path_factory.mktemp("remote-registration") / "state") as process:
        yield process


@pytest_asyncio.fixture(loop_scope="module")
async def project(server):
    async with AdminClient(server.endpoint) as admin:
        return await fresh_project(admin)


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server, project):
    async with FlyteRemote(
        Config.for_endpoint(server.endpoint, insecure=True), default_project=project, default_domain=D
    ) as r:
        yield r


@pytest.mark.slow
@module_loop
async def test_register_task_and_fetch_latest_and_by_version(remote, project):
    ft = await remote.register_task(square, version="v1")
    assert isinstance(ft, FlyteTask)
    assert (ft.id.project, ft.id.domain, ft.id.version) == (project, D, "v1")
    assert ft.name.endswith("square") and ft.id.resource_type == identifier_pb2.TASK
    assert ft.python_interface is square.python_interface  # the local interface, as flytekit does
    assert await remote.register_task(square, version="v2")

    latest = await remote.fetch_task(name=ft.name)
    assert latest.id.version == "v2"
    v1 = await remote.fetch_task(project, D, ft.name, "v1")
    assert v1.id.version == "v1" and v1.template.type == "python-task"
    assert v1.template.container.args[0] == "aioflyte-execute"
    guessed = v1.python_interface
    assert guessed.inputs == {"x": (int, NO_DEFAULT)} and guessed.outputs == {"o0": int}
    assert v1 == ft and hash(v1) == hash(ft)

    # duplicate registration of the same version is success; a different spec under it is an error
    again = await remote.register_task(square, version="v1")
    assert again.id == ft.id
    with pytest.raises(FlyteEntityExistsDifferentStructureException):
        ss = remote._settings(None, "v1")
        await remote.raw_register(_renamed(await get_serializable(greet, ss), ft.name), ss, "v1")

    by_version = await remote.list_tasks_by_version("v1")
    assert [t.id.name for t in by_version] == [ft.name]
    assert len(await remote.list_tasks_by_version("v2")) == 1
    assert await remote.list_tasks_by_version("nope") == []


def _renamed(spec: task_pb2.TaskSpec, name: str) -> task_pb2.TaskSpec:
    out = task_pb2.TaskSpec()
    out.CopyFrom(spec)
    out.template.id.name = name
    return out


@pytest.mark.slow
@module_loop
async def test_register_workflow_with_subworkflow_and_map_task(remote, project):
    fwf = await remote.register_workflow(parent_wf, version="v1")
    assert isinstance(fwf, FlyteWorkflow)
    assert fwf.id.version == "v1" and fwf.name.endswith("parent_wf")
    assert fwf.python_interface is parent_wf.python_interface

    fetched = await remote.fetch_workflow(name=fwf.name)
    assert fetched.id == fwf.id
    assert [s.id.name for s in fetched.sub_workflows] == [fwf.name.replace("parent_wf", "sub_wf")]
    names = sorted(t.name.rsplit(".", 1)[-1] for t in fetched.flyte_tasks)
    assert any(n.startswith("map_square") for n in names) and "square" in names and "total" in names
    assert any(n.HasField("array_node") for n in fetched.nodes)
    guessed = fetched.python_interface
    assert guessed.inputs["xs"][0] == list[int] and guessed.outputs == {"o0": int}

    # everything it uses is registered under the same version
    sub = await remote.fetch_workflow(project, D, fwf.name.replace("parent_wf", "sub_wf"), "v1")
    assert sub.id.version == "v1"
    t = await remote.fetch_task(project, D, square.name, "v1")
    assert t.id.name == square.name

    # the default launch plan, named like the workflow, inactive, with the workflow's defaults
    lp = await remote.fetch_launch_plan(name=fwf.name)
    assert isinstance(lp, FlyteLaunchPlan)
    assert lp.id.version == "v1" and lp.workflow_id == fwf.id and not lp.is_active
    assert lp.flyte_workflow is not None and lp.flyte_workflow.id == fwf.id
    assert set(lp.interface.inputs.variables) == {"xs", "scale"}
    assert lp.default_inputs.parameters["scale"].default.scalar.primitive.integer == 3
    assert lp.python_interface.inputs["scale"][1] is None  # optional: the backend has a default
    assert lp.python_interface.inputs["xs"][1] is NO_DEFAULT

    # registering again is fine; without a default launch plan none is created
    assert (await remote.register_workflow(parent_wf, version="v1")).id == fwf.id
    await remote.register_workflow(sub_wf, version="v9", default_launch_plan=False)
    with pytest.raises(FlyteEntityNotExistException):
        await remote.fetch_launch_plan(project, D, sub_wf.name, "v9")


@pytest.mark.slow
@module_loop
async def test_launch_plans_register_activate_and_fetch_active(remote, project):
    lp = LaunchPlan.get_or_create(sub_wf, name="remote_test.sub_lp", default_inputs={"x": 5})
    # the workflow is not registered yet: register_launch_plan registers it (and its task) first
    flp = await remote.register_launch_plan(lp, version="v1")
    assert flp.id.name == "remote_test.sub_lp" and flp.id.resource_type == identifier_pb2.LAUNCH_PLAN
    assert flp.workflow_id.name == sub_wf.name
    assert (await remote.fetch_workflow(project, D, sub_wf.name, "v1")).id.version == "v1"
    assert await remote.fetch_active_launchplan(name="remote_test.sub_lp") is None

    await remote.activate_launchplan(flp.id)
    active = await remote.fetch_active_launchplan(project, D, "remote_test.sub_lp")
    assert active is not None and active.id == flp.id and active.is_active

    flp2 = await remote.register_launch_plan(lp, version="v2")  # the workflow v1 exists; v2 registers it
    await remote.activate_launchplan(flp2)
    active = await remote.fetch_active_launchplan(project, D, "remote_test.sub_lp")
    assert active is not None and active.id.version == "v2"
    old = await remote.fetch_launch_plan(project, D, "remote_test.sub_lp", "v1")
    assert old.closure.state == launch_plan_pb2.INACTIVE
    assert (await remote.register_launch_plan(lp, version="v2")).id == flp2.id  # duplicate is fine


@pytest.mark.slow
@module_loop
async def test_raw_register_with_default_launch_plan(remote, project):
    ss = remote._settings(None, "raw1")
    task_spec = await get_serializable(square, ss)
    wf_spec = await get_serializable(sub_wf, ss)
    tid = await remote.raw_register(task_spec, ss, "raw1")
    assert tid is not None and tid.resource_type == identifier_pb2.TASK and tid.version == "raw1"
    wid = await remote.raw_register(wf_spec, ss, "raw1", create_default_launchplan=True)
    assert wid is not None and wid.name == sub_wf.name
    lp = await remote.fetch_launch_plan(project, D, sub_wf.name, "raw1")
    assert lp.default_inputs.parameters["x"].required
    assert await remote.raw_register(wf_spec, ss, "raw1") == wid  # already there: fine
    # with the original entity, the default launch plan is the entity's own (as the translator makes it)
    wid2 = await remote.raw_register(wf_spec, ss, "raw2", og_entity=sub_wf)
    assert wid2 is not None and wid2.version == "raw2"
    assert (await remote.fetch_launch_plan(project, D, sub_wf.name, "raw2")).workflow_id == wid2
    with pytest.raises(TypeError):
        await remote.raw_register(object(), ss, "raw1")


@pytest.mark.slow
@module_loop
async def test_missing_entities_raise_typed_errors_naming_them(remote, project):
    with pytest.raises(FlyteEntityNotExistException) as info:
        await remote.fetch_task(name="no.such.task")
    assert "no.such.task" in str(info.value)
    with pytest.raises(FlyteEntityNotExistException) as info:
        await remote.fetch_task(project, D, "no.such.task", "v7")
    assert "no.such.task" in str(info.value) and "v7" in str(info.value)
    with pytest.raises(FlyteEntityNotExistException, match=r"no\.such\.wf"):
        await remote.fetch_workflow(name="no.such.wf")
    with pytest.raises(FlyteEntityNotExistException, match=r"no\.such\.lp"):
        await remote.fetch_launch_plan(project, D, "no.such.lp", "v1")
    with pytest.raises(ValueError, match="name"):
        await remote.fetch_task()
    with pytest.raises(ValueError, match="version"):
        await remote.register_task(square)
    with pytest.raises(TypeError, match="register_workflow"):
        await remote.register_workflow(square, version="v1")
    with pytest.raises(TypeError, match="register_task"):
        await remote.register_task(sub_wf, version="v1")


@pytest.mark.slow
@module_loop
async def test_projects_domains_and_console_urls(remote, server, project):
    projects = await remote.list_projects()
    assert project in [p.id for p in projects]
    assert {d.id for d in await remote.get_domains()} == {"development", "staging", "production"}
    ident = identifier_pb2.Identifier(
        resource_type=identifier_pb2.LAUNCH_PLAN, project=project, domain=D, name="a.lp", version="v1"
    )
    # the console is on the server's HTTP port, which the remote learns from the server when it registers
    ft = await remote.register_task(square, version="v1")
    base = f"{server.console_url}/projects/{project}/domains/{D}"
    assert remote.generate_console_url(ident) == f"{base}/launch_plan/a.lp/version/v1"
    ex = identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=D, name="abc")
    assert remote.generate_console_url(ex) == f"{base}/executions/abc"
    assert remote.generate_console_url(ft) == f"{base}/task/{square.name}/version/v1"


@pytest.mark.slow
@module_loop
async def test_registration_from_a_running_loop_does_not_block_it(server, project):
    """Calls are coroutines on the caller's loop: a ticker keeps running while they are in flight."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    remote = FlyteRemote.for_endpoint(server.endpoint, insecure=True, default_project=project, default_domain=D)
    tick_task = asyncio.create_task(ticker())
    try:
        results = await asyncio.gather(*(remote.register_task(square, version=f"c{i}") for i in range(5)))
        assert sorted(r.id.version for r in results) == [f"c{i}" for i in range(5)]
    finally:
        stop.set()
        await tick_task
        await remote.close()
    assert ticks > 1
    # a closed remote reconnects on its next call
    assert (await remote.fetch_task(name=square.name)).id.version.startswith("c")
    await remote.close()


def test_constructors():
    r = FlyteRemote.for_sandbox(default_project=P, default_domain=D)
    assert r.config.platform.endpoint == "localhost:30080" and r.default_project == P
    r = FlyteRemote.for_endpoint("example.com:443", default_project=P)
    assert r.generate_console_http_domain() == "https://example.com:443"
    assert isinstance(FlyteRemote.auto(), FlyteRemote)


sub_lp = LaunchPlan.get_or_create(sub_wf, name="remote_test.sub_wf_lp", default_inputs={"x": 2})


@workflow
def calls_lp(x: int) -> int:
    return sub_lp(x=x)


@pytest.mark.slow
@module_loop
async def test_register_workflow_with_launch_plan_node(remote, project):
    """The launch plan a node runs is registered (with its workflow) before the workflow using it."""
    fwf = await remote.register_workflow(calls_lp, version="v1")
    assert any(n.workflow_node.HasField("launchplan_ref") for n in fwf.nodes)
    lp = await remote.fetch_launch_plan(project, D, "remote_test.sub_wf_lp", "v1")
    assert lp.workflow_id.name == sub_wf.name and lp.workflow_id.version == "v1"
    assert (await remote.fetch_launch_plan(name=calls_lp.name)).workflow_id == fwf.id


@pytest.mark.slow
@module_loop
async def test_register_a_map_task_directly(remote, project):
    mt = map_task(square, concurrency=3)
    ft = await remote.register_task(mt, version="m1")
    assert ft.id.version == "m1" and "map_square" in ft.name
    fetched = await remote.fetch_task(project, D, ft.name, "m1")
    assert fetched.python_interface.inputs["x"][0] == list[int]
