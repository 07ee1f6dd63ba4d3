"""``AdminClient``: Flyte Admin's registration and lookup calls as coroutines, on one grpc.aio channel.

Every call goes through :class:`~aioflyte.remote.client.transport.AdminTransport` (retries of transient failures,
errors as :mod:`aioflyte.remote.client.exceptions`). ``register_*`` treat ALREADY_EXISTS (an identical spec
registered before) as success.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from flyteidl.admin import (
    common_pb2,
    execution_pb2,
    launch_plan_pb2,
    project_pb2,
    task_pb2,
    version_pb2,
    workflow_pb2,
)
from flyteidl.core import identifier_pb2, literals_pb2

from aioflyte.remote.client.ids import (
    Identifier,
    NamedEntityIdentifier,
    describe,
    describe_execution,
    describe_node,
    describe_task_execution,
    execution_id,
    launch_plan_id,
    sort_by,
    task_id,
    workflow_id,
)
from aioflyte.remote.client.transport import AdminTransport


class AdminClient(AdminTransport):
    """An async Flyte Admin client. Use ``async with AdminClient("localhost:8089") as client:`` or ``close()``.

    ``timeout`` bounds each attempt; ``retry_timeout`` and ``max_attempts`` bound the retries of transient errors.
    ``auth``: authenticators (``aioflyte.remote.client.auth``) whose tokens go on every call on the channel, or a
    factory given :attr:`auth_discovery` (needed by those that discover the token endpoint or metadata key).
    """

    # --- tasks ------------------------------------------------------------------------------------------------

    async def create_task(self, id: Identifier, spec: task_pb2.TaskSpec) -> None:
        await self._call("CreateTask", task_pb2.TaskCreateRequest(id=id, spec=spec), describe(id))

    async def register_task(self, id: Identifier, spec: task_pb2.TaskSpec) -> bool:
        """Create the task; False if this version exists already with the same spec (raises if it differs)."""
        return await self._register("CreateTask", task_pb2.TaskCreateRequest(id=id, spec=spec), describe(id))

    async def get_task(self, id: Identifier) -> task_pb2.Task:
        return await self._call("GetTask", common_pb2.ObjectGetRequest(id=id), describe(id))

    async def list_task_ids(
        self,
        project: str,
        domain: str,
        *,
        limit: int = 100,
        token: str = "",
        sort: common_pb2.Sort | None = None,
        filters: str = "",
    ) -> tuple[list[NamedEntityIdentifier], str]:
        """One page of task names (alphabetical unless ``sort`` says otherwise) and the next page's token."""
        resp = await self._call("ListTaskIds", self._ids_request(project, domain, limit, token, sort, filters))
        return list(resp.entities), resp.token

    async def list_tasks(
        self,
        project: str,
        domain: str,
        name: str = "",
        *,
        limit: int = 100,
        token: str = "",
        sort: common_pb2.Sort | None = None,
        filters: str = "",
    ) -> tuple[list[task_pb2.Task], str]:
        """One page of task versions (newest first by default) and the next page's token ("" at the end)."""
        request = self._resource_list(project, domain, name, limit, token, sort, filters)
        resp = await self._call("ListTasks", request, f"tasks {project}/{domain}/{name}" if name else None)
        return list(resp.tasks), resp.token

    async def get_latest_task(self, project: str, domain: str, name: str) -> task_pb2.Task:
        """The newest version of the task ``name``; ``FlyteEntityNotExistException`` if none is registered."""
        return await self._latest(self.list_tasks, "task", project, domain, name)

    def iter_tasks(self, project: str, domain: str, name: str = "", **kwargs: Any) -> AsyncIterator[task_pb2.Task]:
        """Every task version, page by page."""
        return self._pages(self.list_tasks, project=project, domain=domain, name=name, **kwargs)

    # --- workflows --------------------------------------------------------------------------------------------

    async def create_workflow(self, id: Identifier, spec: workflow_pb2.WorkflowSpec) -> None:
        await self._call("CreateWorkflow", workflow_pb2.WorkflowCreateRequest(id=id, spec=spec), describe(id))

    async def register_workflow(self, id: Identifier, spec: workflow_pb2.WorkflowSpec) -> bool:
        """Create the workflow; False if this version exists already with the same spec (raises if it differs)."""
        request = workflow_pb2.WorkflowCreateRequest(id=id, spec=spec)
        return await self._register("CreateWorkflow", request, describe(id))

    async def get_workflow(self, id: Identifier) -> workflow_pb2.Workflow:
        return await self._call("GetWorkflow", common_pb2.ObjectGetRequest(id=id), describe(id))

    async def list_workflow_ids(
        self,
        project: str,
        domain: str,
        *,
        limit: int = 100,
        token: str = "",
        sort: common_pb2.Sort | None = None,
        filters: str = "",
    ) -> tuple[list[NamedEntityIdentifier], str]:
        resp = await self._call("ListWorkflowIds", self._ids_request(project, domain, limit, token, sort, filters))
        return list(resp.entities), resp.token

    async def list_workflows(
        self,
        project: str,
        domain: str,
        name: str = "",
        *,
        limit: int = 100,
        token: str = "",
        sort: common_pb2.Sort | None = None,
        filters: str = "",
    ) -> tuple[list[workflow_pb2.Workflow], str]:
        request = self._resource_list(project, domain, name, limit, token, sort, filters)
        resp = await self._call("ListWorkflows", request, f"workflows {project}/{domain}/{name}" if name else None)
        return list(resp.workflows), resp.token

    async def get_latest_workflow(self, project: str, domain: str, name: str) -> workflow_pb2.Workflow:
        """The newest version of the workflow ``name``; ``FlyteEntityNotExistException`` if none is registered."""
        return await self._latest(self.list_workflows, "workflow", project, domain, name)

    def iter_workflows(
        self, project: str, domain: str, name: str = "", **kwargs: Any
    ) -> AsyncIterator[workflow_pb2.Workflow]:
        return self._pages(self.list_workflows, project=project, domain=domain, name=name, **kwargs)

    # --- launch plans -----------------------------------------------------------------------------------------

    async def create_launch_plan(self, id: Identifier, spec: launch_plan_pb2.LaunchPlanSpec) -> None:
        await self._call("CreateLaunchPlan", launch_plan_pb2.LaunchPlanCreateRequest(id=id, spec=spec), describe(id))

    async def register_launch_plan(self, id: Identifier, spec: launch_plan_pb2.LaunchPlanSpec) -> bool:
        """Create the launch plan (INACTIVE); False if it exists already with the same spec."""
        request = launch_plan_pb2.LaunchPlanCreateRequest(id=id, spec=spec)
        return await self._register("CreateLaunchPlan", request, describe(id))

    async def get_launch_plan(self, id: Identifier) -> launch_plan_pb2.LaunchPlan:
        return await self._call("GetLaunchPlan", common_pb2.ObjectGetRequest(id=id), describe(id))

    async def list_launch_plan_ids(
        self,
        project: str,
        domain: str,
        *,
        limit: int = 100,
        token: str = "",
        sort: common_pb2.Sort | None = None,
        filters: str = "",
    ) -> tuple[list[NamedEntityIdentifier], str]:
        resp = await self._call("ListLaunchPlanIds", self._ids_request(project, domain, limit, token, sort, filters))
        return list(resp.entities), resp.token

    async def list_launch_plans(
        self,
        project: str,
        domain: str,
        name: str = "",
        *,
        limit: int = 100,
        token: str = "",
        sort: common_pb2.Sort | None = None,
        filters: str = "",
    ) -> tuple[list[launch_plan_pb2.LaunchPlan], str]:
        request = self._resource_list(project, domain, name, limit, token, sort, filters)
        entity = f"launch plans {project}/{domain}/{name}" if name else None
        resp = await self._call("ListLaunchPlans", request, entity)
        return list(resp.launch_plans), resp.token

    async def get_latest_launch_plan(self, project: str, domain: str, name: str) -> launch_plan_pb2.LaunchPlan:
        """The newest version of the launch plan ``name``; ``FlyteEntityNotExistException`` if none is registered."""
        return await self._latest(self.list_launch_plans, "launch plan", project, domain, name)

    def iter_launch_plans(
        self, project: str, domain: str, name: str = "", **kwargs: Any
    ) -> AsyncIterator[launch_plan_pb2.LaunchPlan]:
        return self._pages(self.list_launch_plans, project=project, domain=domain, name=name, **kwargs)

    async def list_active_launch_plans(
        self, project: str, domain: str, *, limit: int = 100, token: str = "", sort: common_pb2.Sort | None = None
    ) -> tuple[list[launch_plan_pb2.LaunchPlan], str]:
        """One page of the active version of each launch plan name in a project and domain."""
        request = launch_plan_pb2.ActiveLaunchPlanListRequest(
            project=project, domain=domain, limit=limit, token=token, sort_by=sort
        )
        resp = await self._call("ListActiveLaunchPlans", request)
        return list(resp.launch_plans), resp.token

    async def update_launch_plan(self, id: Identifier, state: launch_plan_pb2.LaunchPlanState) -> None:
        """Set a launch plan version's state (``launch_plan_pb2.ACTIVE`` or ``INACTIVE``)."""
        await self._call("UpdateLaunchPlan", launch_plan_pb2.LaunchPlanUpdateRequest(id=id, state=state), describe(id))

    async def activate_launch_plan(self, id: Identifier) -> None:
        """Make this version the active one of its name (the previously active version becomes inactive)."""
        await self.update_launch_plan(id, launch_plan_pb2.ACTIVE)

    async def deactivate_launch_plan(self, id: Identifier) -> None:
        await self.update_launch_plan(id, launch_plan_pb2.INACTIVE)

    async def get_active_launch_plan(self, project: str, domain: str, name: str) -> launch_plan_pb2.LaunchPlan:
        request = launch_plan_pb2.ActiveLaunchPlanRequest(
            id=NamedEntityIdentifier(project=project, domain=domain, name=name)
        )
        return await self._call("GetActiveLaunchPlan", request, f"active launch plan {project}/{domain}/{name}")

    # --- executions -------------------------------------------------------------------------------------------

    async def create_execution(
        self,
        project: str,
        domain: str,
        launch: Identifier,
        inputs: literals_pb2.LiteralMap | None = None,
        *,
        name: str = "",
        spec: execution_pb2.ExecutionSpec | None = None,
    ) -> identifier_pb2.WorkflowExecutionIdentifier:
        """Launch ``launch`` (a task, or a launch plan) with ``inputs``; returns the execution's id.

        ``name`` empty lets the backend choose one; ``spec`` carries the other execution options (its
        ``launch_plan`` is set to ``launch``).
        """
        full_spec = execution_pb2.ExecutionSpec()
        if spec is not None:
            full_spec.CopyFrom(spec)
        full_spec.launch_plan.CopyFrom(launch)
        request = execution_pb2.ExecutionCreateRequest(
            project=project, domain=domain, name=name, spec=full_spec, inputs=inputs or literals_pb2.LiteralMap()
        )
        entity = f"execution {project}/{domain}/{name}" if name else describe(launch)
        return (await self._call("CreateExecution", request, entity)).id

    async def get_execution(self, id: identifier_pb2.WorkflowExecutionIdentifier) -> execution_pb2.Execution:
        request = execution_pb2.WorkflowExecutionGetRequest(id=id)
        return await self._call("GetExecution", request, describe_execution(id))

    async def list_executions(
        self,
        project: str,
        domain: str,
        *,
        limit: int = 100,
        token: str = "",
        sort: common_pb2.Sort | None = None,
        filters: str = "",
    ) -> tuple[list[execution_pb2.Execution], str]:
        """One page of executions (newest first by default) and the next page's token ("" at the end)."""
        request = self._resource_list(project, domain, "", limit, token, sort, filters)
        resp = await self._call("ListExecutions", request)
        return list(resp.executions), resp.token

    def iter_executions(self, project: str, domain: str, **kwargs: Any) -> AsyncIterator[execution_pb2.Execution]:
        return self._pages(self.list_executions, project=project, domain=domain, **kwargs)

    async def terminate_execution(self, id: identifier_pb2.WorkflowExecutionIdentifier, cause: str = "") -> None:
        """Abort a running execution (its phase becomes ABORTED)."""
        request = execution_pb2.ExecutionTerminateRequest(id=id, cause=cause)
        await self._call("TerminateExecution", request, describe_execution(id))

    async def get_execution_data(
        self, id: identifier_pb2.WorkflowExecutionIdentifier
    ) -> execution_pb2.WorkflowExecutionGetDataResponse:
        """The execution's inputs and outputs: ``full_inputs`` / ``full_outputs`` and their URLs."""
        request = execution_pb2.WorkflowExecutionGetDataRequest(id=id)
        return await self._call("GetExecutionData", request, describe_execution(id))

    async def get_execution_metrics(
        self, id: identifier_pb2.WorkflowExecutionIdentifier, depth: int = 10
    ) -> execution_pb2.WorkflowExecutionGetMetricsResponse:
        """The execution's timings as a tree of spans (``response.span``), nested nodes down to ``depth`` levels."""
        request = execution_pb2.WorkflowExecutionGetMetricsRequest(id=id, depth=depth)
        return await self._call("GetExecutionMetrics", request, describe_execution(id))

    # --- node and task executions -----------------------------------------------------------------------------

    async def list_node_executions(
        self,
        execution: identifier_pb2.WorkflowExecutionIdentifier,
        *,
        unique_parent_id: str = "",
        limit: int = 100,
        token: str = "",
        filters: str = "",
        sort: common_pb2.Sort | None = None,
    ) -> tuple[list[Any], str]:
        """One page of an execution's node executions (the children of ``unique_parent_id`` when given)."""
        from flyteidl.admin import node_execution_pb2

        request = node_execution_pb2.NodeExecutionListRequest(
            workflow_execution_id=execution, limit=limit, token=token, filters=filters, sort_by=sort,
            unique_parent_id=unique_parent_id,
        )  # fmt: skip
        resp = await self._call("ListNodeExecutions", request, describe_execution(execution))
        return list(resp.node_executions), resp.token

    def iter_node_executions(
        self, execution: identifier_pb2.WorkflowExecutionIdentifier, **kwargs: Any
    ) -> AsyncIterator[Any]:
        return self._pages(self.list_node_executions, execution=execution, **kwargs)

    async def get_node_execution(self, id: identifier_pb2.NodeExecutionIdentifier) -> Any:
        from flyteidl.admin import node_execution_pb2

        request = node_execution_pb2.NodeExecutionGetRequest(id=id)
        return await self._call("GetNodeExecution", request, describe_node(id))

    async def get_node_execution_data(self, id: identifier_pb2.NodeExecutionIdentifier) -> Any:
        """A node execution's inputs and outputs (``full_inputs`` / ``full_outputs``), and a dynamic node's
        workflow."""
        from flyteidl.admin import node_execution_pb2

        request = node_execution_pb2.NodeExecutionGetDataRequest(id=id)
        return await self._call("GetNodeExecutionData", request, describe_node(id))

    async def list_task_executions(
        self,
        node_execution: identifier_pb2.NodeExecutionIdentifier,
        *,
        limit: int = 100,
        token: str = "",
        filters: str = "",
        sort: common_pb2.Sort | None = None,
    ) -> tuple[list[Any], str]:
        """One page of a node execution's task executions (its attempts)."""
        from flyteidl.admin import task_execution_pb2

        request = task_execution_pb2.TaskExecutionListRequest(
            node_execution_id=node_execution, limit=limit, token=token, filters=filters, sort_by=sort
        )
        resp = await self._call("ListTaskExecutions", request, describe_node(node_execution))
        return list(resp.task_executions), resp.token

    def iter_task_executions(
        self, node_execution: identifier_pb2.NodeExecutionIdentifier, **kwargs: Any
    ) -> AsyncIterator[Any]:
        return self._pages(self.list_task_executions, node_execution=node_execution, **kwargs)

    async def get_task_execution(self, id: identifier_pb2.TaskExecutionIdentifier) -> Any:
        from flyteidl.admin import task_execution_pb2

        request = task_execution_pb2.TaskExecutionGetRequest(id=id)
        return await self._call("GetTaskExecution", request, describe_task_execution(id))

    async def get_task_execution_data(self, id: identifier_pb2.TaskExecutionIdentifier) -> Any:
        from flyteidl.admin import task_execution_pb2

        request = task_execution_pb2.TaskExecutionGetDataRequest(id=id)
        return await self._call("GetTaskExecutionData", request, describe_task_execution(id))

    # --- projects and domains ---------------------------------------------------------------------------------

    async def register_project(
        self, project_id: str, name: str | None = None, description: str = "", labels: dict[str, str] | None = None
    ) -> bool:
        """Register a project; False if it exists already."""
        project = project_pb2.Project(id=project_id, name=name or project_id, description=description)
        if labels:
            project.labels.values.update(labels)
        return await self._register(
            "RegisterProject", project_pb2.ProjectRegisterRequest(project=project), f"project {project_id}"
        )

    async def list_projects(
        self, *, limit: int = 0, token: str = "", sort: common_pb2.Sort | None = None, filters: str = ""
    ) -> tuple[list[project_pb2.Project], str]:
        """Projects with their domains: all of them when ``limit`` is 0, else one page and the next token."""
        request = project_pb2.ProjectListRequest(limit=limit, token=token, sort_by=sort, filters=filters)
        resp = await self._call("ListProjects", request)
        return list(resp.projects), resp.token

    async def get_version(self) -> str:
        """The backend's version string (``control_plane_version.Version``)."""
        resp = await self._call("GetVersion", version_pb2.GetVersionRequest())
        return resp.control_plane_version.Version

    async def get_domains(self) -> list[project_pb2.Domain]:
        return list((await self._call("GetDomains", project_pb2.GetDomainRequest())).domains)


__all__ = [
    "AdminClient",
    "Identifier",
    "describe",
    "describe_execution",
    "execution_id",
    "launch_plan_id",
    "sort_by",
    "task_id",
    "workflow_id",
]
