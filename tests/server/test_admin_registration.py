"""The Admin server as a real subprocess, driven by AdminClient: registration, lookup, errors, pagination."""

from __future__ import annotations

import re

import grpc
import pytest
import pytest_asyncio
from flyteidl.admin import common_pb2, launch_plan_pb2, project_pb2, task_pb2, workflow_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2, tasks_pb2, types_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2
from flyteidl.service import admin_pb2_grpc
from google.rpc import status_pb2
from servers import fresh_project

import aioflyte
from aioflyte.exceptions import FlyteException
from aioflyte.remote.client import (
    AdminClient,
    FlyteEntityAlreadyExistsException,
    FlyteEntityExistsDifferentStructureException,
    FlyteEntityNotExistException,
    FlyteInvalidInputException,
    FlyteRemoteUnimplementedException,
    launch_plan_id,
    sort_by,
    task_id,
    workflow_id,
)
from aioflyte.server.testing import ServerProcess

P, D = "flytesnacks", "development"
INT = types_pb2.LiteralType(simple=types_pb2.INTEGER)
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]  # the tests share the module's server


def _interface() -> interface_pb2.TypedInterface:
    return interface_pb2.TypedInterface(
        inputs=interface_pb2.VariableMap(variables={"x": interface_pb2.Variable(type=INT, description="x")}),
        outputs=interface_pb2.VariableMap(variables={"o0": interface_pb2.Variable(type=INT, description="o0")}),
    )


def task_spec(name: str, version: str = "v1", image: str = "python:3.11", project: str = P) -> task_pb2.TaskSpec:
    template = tasks_pb2.TaskTemplate(
        id=task_id(project, D, name, version),
        type="python-task",
        metadata=tasks_pb2.TaskMetadata(
            runtime=tasks_pb2.RuntimeMetadata(type=tasks_pb2.RuntimeMetadata.FLYTE_SDK, version="0.1", flavor="python"),
            retries=literals_pb2.RetryStrategy(retries=1),
        ),
        interface=_interface(),
        container=tasks_pb2.Container(
            image=image,
            args=["aioflyte-execute", "--inputs", "{{.input}}", "--output-prefix", "{{.outputPrefix}}"],
        ),
    )
    return task_pb2.TaskSpec(template=template)


def _promise(node_id: str, var: str) -> literals_pb2.BindingData:
    return literals_pb2.BindingData(promise=types_pb2.OutputReference(node_id=node_id, var=var))


def workflow_spec(
    name: str, task: identifier_pb2.Identifier, version: str = "v1", project: str = P
) -> workflow_pb2.WorkflowSpec:
    """``x -> task(x) -> task(n0.o0) -> o0``: two nodes, so the closure has real connections."""
    nodes = [
        core_workflow_pb2.Node(
            id=node_id,
            metadata=core_workflow_pb2.NodeMetadata(name=task.name),
            inputs=[literals_pb2.Binding(var="x", binding=_promise(upstream, var))],
            task_node=core_workflow_pb2.TaskNode(reference_id=task),
        )
        for node_id, upstream, var in (("n0", "start-node", "x"), ("n1", "n0", "o0"))
    ]
    template = core_workflow_pb2.WorkflowTemplate(
        id=workflow_id(project, D, name, version),
        metadata=core_workflow_pb2.WorkflowMetadata(),
        interface=_interface(),
        nodes=nodes,
        outputs=[literals_pb2.Binding(var="o0", binding=_promise("n1", "o0"))],
    )
    return workflow_pb2.WorkflowSpec(template=template)


def launch_plan_spec(workflow: identifier_pb2.Identifier, default_x: int = 3) -> launch_plan_pb2.LaunchPlanSpec:
    default = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=default_x)))
    return launch_plan_pb2.LaunchPlanSpec(
        workflow_id=workflow,
        default_inputs=interface_pb2.ParameterMap(
            parameters={"x": interface_pb2.Parameter(var=interface_pb2.Variable(type=INT), default=default)}
        ),
        fixed_inputs=literals_pb2.LiteralMap(),
        max_parallelism=10,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    """One server for the module's tests: each registers into a project of its own (see ``project``)."""
    async with ServerProcess(tmp_path_factory.mktemp("admin-registration") / "state") as process:
        yield process


@pytest_asyncio.fixture(loop_scope="module")
async def client(server):
    async with AdminClient(server.endpoint, retry_timeout=10) as admin:
        yield admin


@pytest_asyncio.fixture(loop_scope="module")
async def project(client):
    """A fresh project: lists, names and versions start empty, whatever the other tests registered."""
    return await fresh_project(client)


async def _raw_code(endpoint: str, method: str, request) -> tuple[grpc.StatusCode, str]:
    """Call the server with the plain flyteidl stub: the status code and message as a Flyte client sees them."""
    async with grpc.aio.insecure_channel(endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await getattr(stub, method)(request, timeout=10)
    return info.value.code(), info.value.details()


async def test_register_and_fetch_task(client, project):
    tid = task_id(project, D, "my.tasks.square", "v1")
    spec = task_spec("my.tasks.square", project=project)
    assert await client.register_task(tid, spec) is True
    task = await client.get_task(tid)
    assert task.id == tid
    assert task.closure.compiled_task.template == spec.template
    assert task.closure.created_at.seconds > 0


async def test_duplicate_registration_identical_and_different(client, server, project):
    tid = task_id(project, D, "dup", "v1")
    await client.create_task(tid, task_spec("dup", project=project))
    # identical spec: ALREADY_EXISTS, which register_* treats as success
    assert await client.register_task(tid, task_spec("dup", project=project)) is False
    with pytest.raises(FlyteEntityAlreadyExistsException) as info:
        await client.create_task(tid, task_spec("dup", project=project))
    assert not isinstance(info.value, FlyteEntityExistsDifferentStructureException)
    code, message = await _raw_code(
        server.endpoint, "CreateTask", task_pb2.TaskCreateRequest(id=tid, spec=task_spec("dup", project=project))
    )
    assert code == grpc.StatusCode.ALREADY_EXISTS and "identical structure" in message
    # different spec under the same version: flyteadmin's INVALID_ARGUMENT "different structure", never success
    other = task_spec("dup", project=project, image="python:3.12")
    with pytest.raises(FlyteEntityExistsDifferentStructureException) as info:
        await client.register_task(tid, other)
    assert isinstance(info.value, FlyteEntityAlreadyExistsException)
    assert isinstance(info.value, ValueError) and isinstance(info.value, FlyteException)
    assert "dup" in str(info.value) and "v1" in str(info.value)
    code, message = await _raw_code(server.endpoint, "CreateTask", task_pb2.TaskCreateRequest(id=tid, spec=other))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "different structure already exists" in message
    # the first registration is what stays
    task = await client.get_task(tid)
    assert task.closure.compiled_task.template.container.image == "python:3.11"


async def test_workflow_duplicate_carries_flyteadmin_failure_reason(client, server, project):
    tid = task_id(project, D, "t", "v1")
    await client.register_task(tid, task_spec("t", project=project))
    wid = workflow_id(project, D, "wf", "v1")
    await client.register_workflow(wid, workflow_spec("wf", tid, project=project))
    assert await client.register_workflow(wid, workflow_spec("wf", tid, project=project)) is False
    async with grpc.aio.insecure_channel(server.endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.CreateWorkflow(
                workflow_pb2.WorkflowCreateRequest(id=wid, spec=workflow_spec("wf", tid, project=project))
            )
    details = dict(info.value.trailing_metadata())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    reason = workflow_pb2.CreateWorkflowFailureReason()
    assert status.details[0].Unpack(reason)
    assert reason.exists_identical_structure.id == wid


async def test_not_found_names_the_entity(client, server, project):
    for getter, ident in (
        (client.get_task, task_id(project, D, "nope", "v9")),
        (client.get_workflow, workflow_id(project, D, "nope", "v9")),
        (client.get_launch_plan, launch_plan_id(project, D, "nope", "v9")),
    ):
        with pytest.raises(FlyteEntityNotExistException) as info:
            await getter(ident)
        assert isinstance(info.value, LookupError)
        assert f"{project}/development/nope@v9" in str(info.value)
        assert info.value.code == grpc.StatusCode.NOT_FOUND
    with pytest.raises(FlyteEntityNotExistException, match=re.escape(f"active launch plan {project}/development/nope")):
        await client.get_active_launch_plan(project, D, "nope")
    with pytest.raises(FlyteEntityNotExistException, match=re.escape(f"launch plan {project}/development/nope@v9")):
        await client.activate_launch_plan(launch_plan_id(project, D, "nope", "v9"))
    # a workflow whose task is not registered, a launch plan whose workflow is not: NOT_FOUND naming what is missing
    missing_task = task_id(project, D, "missing.task", "v1")
    with pytest.raises(FlyteEntityNotExistException, match=re.escape(f"task {project}/development/missing.task@v1")):
        await client.register_workflow(
            workflow_id(project, D, "wf", "v1"), workflow_spec("wf", missing_task, project=project)
        )
    missing_wf = workflow_id(project, D, "missing.wf", "v1")
    with pytest.raises(FlyteEntityNotExistException, match=re.escape(f"workflow {project}/development/missing.wf@v1")):
        await client.register_launch_plan(launch_plan_id(project, D, "lp", "v1"), launch_plan_spec(missing_wf))
    code, _ = await _raw_code(server.endpoint, "GetTask", common_pb2.ObjectGetRequest(id=task_id(project, D, "x", "y")))
    assert code == grpc.StatusCode.NOT_FOUND


async def test_malformed_requests_are_invalid_argument(client, server, project):
    no_version = task_id(project, D, "t", "")
    with pytest.raises(FlyteInvalidInputException, match="missing version"):
        await client.create_task(no_version, task_spec("t", project=project))
    with pytest.raises(FlyteInvalidInputException, match="unexpected resource type workflow"):
        await client.get_task(workflow_id(project, D, "t", "v1"))
    with pytest.raises(FlyteInvalidInputException, match="missing spec"):
        await client._call("CreateTask", task_pb2.TaskCreateRequest(id=task_id(project, D, "t", "v1")))
    with pytest.raises(FlyteInvalidInputException, match="url safe"):
        await client.create_task(task_id(project, D, "t", "a/b"), task_spec("t", project=project))
    with pytest.raises(FlyteInvalidInputException, match="limit"):
        await client.list_tasks(project, D, limit=0)
    with pytest.raises(FlyteInvalidInputException, match="pagination token"):
        await client.list_tasks(project, D, token="abc")
    with pytest.raises(FlyteInvalidInputException, match="sort key"):
        await client.list_tasks(project, D, sort=sort_by("colour"))
    with pytest.raises(FlyteInvalidInputException, match="missing project"):
        await client.list_task_ids("", D)
    with pytest.raises(FlyteInvalidInputException, match=r"project \[unknown\]"):
        await client.create_task(task_id("unknown", D, "t", "v1"), task_spec("t", project=project))
    with pytest.raises(FlyteInvalidInputException, match=r"domain \[qa\]"):
        await client.create_task(task_id(project, "qa", "t", "v1"), task_spec("t", project=project))
    # launch plan inputs must be inputs of the workflow
    tid = task_id(project, D, "t", "v1")
    await client.register_task(tid, task_spec("t", project=project))
    wid = workflow_id(project, D, "wf", "v1")
    await client.register_workflow(wid, workflow_spec("wf", tid, project=project))
    bad = launch_plan_spec(wid)
    bad.fixed_inputs.literals["y"].scalar.primitive.integer = 1
    with pytest.raises(FlyteInvalidInputException, match=r"fixed_inputs .* \['y'\]"):
        await client.register_launch_plan(launch_plan_id(project, D, "lp", "v1"), bad)
    code, _ = await _raw_code(
        server.endpoint,
        "ListTasks",
        common_pb2.ResourceListRequest(id=common_pb2.NamedEntityIdentifier(project=project)),
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_unserved_calls_are_unimplemented(client):
    with pytest.raises(FlyteRemoteUnimplementedException):
        await client._call("ListNamedEntities", common_pb2.NamedEntityListRequest(project="p", domain="d"))


async def test_list_with_pagination_newest_first(client, project):
    versions = [f"v{i}" for i in range(5)]
    for v in versions:
        await client.register_task(task_id(project, D, "paged", v), task_spec("paged", v, project=project))
    for name in ("b.task", "a.task", "c.task"):
        await client.register_task(task_id(project, D, name, "v1"), task_spec(name, project=project))

    seen, token, pages = [], "", 0
    while True:
        page, token = await client.list_tasks(project, D, "paged", limit=2, token=token)
        seen += [t.id.version for t in page]
        pages += 1
        if not token:
            break
    assert seen == list(reversed(versions))  # newest first (created_at descending) by default
    assert pages == 3
    assert (await client.get_latest_task(project, D, "paged")).id.version == "v4"
    with pytest.raises(
        FlyteEntityNotExistException, match=re.escape(f"task {project}/development/unknown does not exist")
    ):
        await client.get_latest_task(project, D, "unknown")
    page, _ = await client.list_tasks(project, D, "paged", limit=10, sort=sort_by("created_at", ascending=True))
    assert [t.id.version for t in page] == versions
    assert [t.id.version async for t in client.iter_tasks(project, D, "paged", limit=2)] == list(reversed(versions))
    # a full last page still gets a token; the next page is empty and ends the listing (flyteadmin's rule)
    page, token = await client.list_tasks(project, D, "paged", limit=5)
    assert len(page) == 5 and token == "5"
    assert await client.list_tasks(project, D, "paged", limit=5, token=token) == ([], "")
    # all names of the project-domain, across names
    everything, _ = await client.list_tasks(project, D, limit=100)
    assert len(everything) == 8

    ids, token = await client.list_task_ids(project, D, limit=2)
    assert [i.name for i in ids] == ["a.task", "b.task"] and token == "2"
    ids, token = await client.list_task_ids(project, D, limit=2, token=token)
    assert [i.name for i in ids] == ["c.task", "paged"]
    ids, _ = await client.list_task_ids(project, D, limit=10, sort=sort_by("name"))
    assert [i.name for i in ids] == ["paged", "c.task", "b.task", "a.task"]
    assert all(i.project == project and i.domain == D for i in ids)
    assert await client.list_task_ids(project, "staging", limit=10) == ([], "")


async def test_workflow_closure_and_launch_plan_activation(client, project):
    tid = task_id(project, D, "t", "v1")
    await client.register_task(tid, task_spec("t", project=project))
    wid = workflow_id(project, D, "my.wf", "v1")
    assert await client.register_workflow(wid, workflow_spec("my.wf", tid, project=project)) is True
    wf = await client.get_workflow(wid)
    closure = wf.closure.compiled_workflow
    assert closure.primary.template.id == wid
    assert [t.template.id for t in closure.tasks] == [tid]
    assert list(closure.primary.connections.upstream["n1"].ids) == ["n0"]
    assert list(closure.primary.connections.downstream["start-node"].ids) == ["n0"]
    assert list(closure.primary.connections.upstream["end-node"].ids) == ["n1"]
    wf_ids, _ = await client.list_workflow_ids(project, D)
    assert [i.name for i in wf_ids] == ["my.wf"]
    wfs, _ = await client.list_workflows(project, D, "my.wf")
    assert [w.id for w in wfs] == [wid]

    lp1, lp2 = launch_plan_id(project, D, "my.lp", "v1"), launch_plan_id(project, D, "my.lp", "v2")
    assert await client.register_launch_plan(lp1, launch_plan_spec(wid)) is True
    assert await client.register_launch_plan(lp1, launch_plan_spec(wid)) is False
    with pytest.raises(FlyteEntityExistsDifferentStructureException):
        await client.register_launch_plan(lp1, launch_plan_spec(wid, default_x=4))
    got = await client.get_launch_plan(lp1)
    assert got.closure.state == launch_plan_pb2.INACTIVE
    assert got.closure.expected_inputs.parameters["x"].default.scalar.primitive.integer == 3
    assert "o0" in got.closure.expected_outputs.variables
    assert got.spec.workflow_id == wid
    with pytest.raises(FlyteEntityNotExistException):
        await client.get_active_launch_plan(project, D, "my.lp")

    await client.activate_launch_plan(lp1)
    assert (await client.get_active_launch_plan(project, D, "my.lp")).id == lp1
    await client.register_launch_plan(lp2, launch_plan_spec(wid, default_x=5))
    assert (await client.get_latest_launch_plan(project, D, "my.lp")).id == lp2
    assert (await client.get_latest_workflow(project, D, "my.wf")).id == wid
    await client.activate_launch_plan(lp2)  # activating v2 deactivates v1: one ACTIVE version per name
    assert (await client.get_active_launch_plan(project, D, "my.lp")).id == lp2
    assert (await client.get_launch_plan(lp1)).closure.state == launch_plan_pb2.INACTIVE
    plans, _ = await client.list_launch_plans(project, D, "my.lp")
    states = {p.id.version: p.closure.state for p in plans}
    assert states == {"v2": launch_plan_pb2.ACTIVE, "v1": launch_plan_pb2.INACTIVE}
    active, _ = await client.list_active_launch_plans(project, D)
    assert [p.id for p in active] == [lp2]
    await client.activate_launch_plan(lp2)  # idempotent
    await client.deactivate_launch_plan(lp2)
    with pytest.raises(FlyteEntityNotExistException):
        await client.get_active_launch_plan(project, D, "my.lp")
    ids, _ = await client.list_launch_plan_ids(project, D)
    assert [i.name for i in ids] == ["my.lp"]
    with pytest.raises(FlyteInvalidInputException, match="unrecognized launch plan state"):
        await client.update_launch_plan(lp1, 7)


@pytest_asyncio.fixture(loop_scope="module")
async def own_client(tmp_path):
    """A server of its own: the test below asserts on the whole list of projects."""
    async with ServerProcess(tmp_path / "state") as process, AdminClient(process.endpoint, retry_timeout=10) as admin:
        yield admin


async def test_projects_and_domains(own_client):
    client = own_client
    projects, token = await client.list_projects()
    assert [p.id for p in projects] == ["flytesnacks"] and token == ""
    assert [d.id for d in projects[0].domains] == ["development", "staging", "production"]
    assert [d.id for d in await client.get_domains()] == ["development", "staging", "production"]
    assert await client.get_version() == aioflyte.__version__
    assert await client.register_project("zeta", description="z") is True
    assert await client.register_project("alpha", name="Alpha") is True
    assert await client.register_project("alpha") is False  # ALREADY_EXISTS is success for register_*
    with pytest.raises(FlyteEntityAlreadyExistsException, match="alpha"):
        await client._call(
            "RegisterProject",
            project_pb2.ProjectRegisterRequest(project=project_pb2.Project(id="alpha", name="alpha")),
        )
    with pytest.raises(FlyteInvalidInputException, match="DNS-1123"):
        await client.register_project("Not_Valid")
    page, token = await client.list_projects(limit=2)
    assert [p.id for p in page] == ["alpha", "flytesnacks"] and token == "2"
    page, token = await client.list_projects(limit=2, token=token)
    assert [p.id for p in page] == ["zeta"] and token == ""
    # entities can now be registered in the new project
    assert await client.register_task(task_id("alpha", "staging", "t", "v1"), task_spec("t")) is True
    ids, _ = await client.list_task_ids("alpha", "staging")
    assert [i.name for i in ids] == ["t"]
