"""``AdminClient``: Flyte Admin's registration and lookup calls as coroutines, on one grpc.aio channel.

Transient failures (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) are retried with exponential backoff and
full jitter (tenacity) for up to ``retry_timeout`` seconds; every other failure raises at once, as the exception of
:mod:`aioflyte.remote.client.exceptions` for its status code, naming the entity. ``register_*`` treat ALREADY_EXISTS
(an identical spec registered before) as success.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from types import TracebackType
from typing import Any

import grpc
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
from flyteidl.service import admin_pb2_grpc
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from aioflyte.remote.client.auth import Authenticator, AuthMetadataDiscovery
from aioflyte.remote.client.channel import (
    connection_hint,
    fetch_server_certificate,
    make_channel,
    tls_handshake_failed,
)
from aioflyte.remote.client.errors import is_transient, translate
from aioflyte.remote.client.exceptions import (
    FlyteEntityAlreadyExistsException,
    FlyteEntityExistsDifferentStructureException,
    FlyteEntityNotExistException,
)

log = logging.getLogger("aioflyte.remote")

Identifier = identifier_pb2.Identifier
NamedEntityIdentifier = common_pb2.NamedEntityIdentifier
_KINDS = {identifier_pb2.TASK: "task", identifier_pb2.WORKFLOW: "workflow", identifier_pb2.LAUNCH_PLAN: "launch plan"}

#: Reconnect quickly after the backend comes back (grpc's default backoff starts at 1 s and grows to 120 s).
_CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
)


def _make_id(kind: int, project: str, domain: str, name: str, version: str) -> Identifier:
    return Identifier(resource_type=kind, project=project, domain=domain, name=name, version=version)


def task_id(project: str, domain: str, name: str, version: str) -> Identifier:
    return _make_id(identifier_pb2.TASK, project, domain, name, version)


def workflow_id(project: str, domain: str, name: str, version: str) -> Identifier:
    return _make_id(identifier_pb2.WORKFLOW, project, domain, name, version)


def launch_plan_id(project: str, domain: str, name: str, version: str) -> Identifier:
    return _make_id(identifier_pb2.LAUNCH_PLAN, project, domain, name, version)


def execution_id(project: str, domain: str, name: str) -> identifier_pb2.WorkflowExecutionIdentifier:
    return identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)


def describe_execution(id: identifier_pb2.WorkflowExecutionIdentifier) -> str:
    return f"execution {id.project}/{id.domain}/{id.name}"


def _describe_node(id: identifier_pb2.NodeExecutionIdentifier) -> str:
    return f"node execution {id.node_id} of {describe_execution(id.execution_id)}"


def _describe_task_execution(id: identifier_pb2.TaskExecutionIdentifier) -> str:
    return f"task execution (attempt {id.retry_attempt}) of {_describe_node(id.node_execution_id)}"


def sort_by(key: str = "created_at", *, ascending: bool = False) -> common_pb2.Sort:
    direction = common_pb2.Sort.ASCENDING if ascending else common_pb2.Sort.DESCENDING
    return common_pb2.Sort(key=key, direction=direction)


def describe(id: Identifier) -> str:
    """``task flytesnacks/development/my.task@v1``."""
    kind = _KINDS.get(id.resource_type, "entity")
    return f"{kind} {id.project}/{id.domain}/{id.name}@{id.version}"


class AdminClient:
    """An async Flyte Admin client. Use ``async with AdminClient("localhost:8089") as client:`` or ``close()``.

    ``timeout`` bounds each attempt; ``retry_timeout`` and ``max_attempts`` bound the retries of transient errors.
    ``auth``: authenticators (``aioflyte.remote.client.auth``) whose tokens go on every call on the channel, or a
    factory given :attr:`auth_discovery` (needed by those that discover the token endpoint or metadata key).
    """

    def __init__(
        self,
        endpoint: str,
        insecure: bool = True,
        *,
        timeout: float = 30.0,
        retry_timeout: float = 30.0,
        max_attempts: int = 20,
        initial_backoff: float = 0.05,
        max_backoff: float = 2.0,
        root_certificates: bytes | None = None,
        metadata: Sequence[tuple[str, str]] = (),
        options: Sequence[tuple[str, Any]] = (),
        auth: Callable[[AuthMetadataDiscovery], Sequence[Authenticator]] | Sequence[Authenticator] = (),
        insecure_skip_verify: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.insecure = insecure
        self.timeout = timeout
        self.retry_timeout = retry_timeout
        self.max_attempts = max_attempts
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.metadata = tuple(metadata)
        self.retries = 0  # transient failures retried so far (observability, tests)
        self._root_certificates = root_certificates
        self._options = _CHANNEL_OPTIONS + tuple(options)
        self._channel: grpc.aio.Channel | None = None
        self._stub: admin_pb2_grpc.AdminServiceStub | None = None
        self._stubs: dict[Callable[[grpc.aio.Channel], Any], Any] = {}  # other services' stubs on the channel
        #: what the backend's AuthMetadataService says (token endpoint, metadata key); asked on first need
        self.auth_discovery = AuthMetadataDiscovery(endpoint)
        #: credentials sent on every call of every stub on the channel (see ``aioflyte.remote.client.auth``)
        self.authenticators: tuple[Authenticator, ...] = tuple(auth(self.auth_discovery) if callable(auth) else auth)
        self.insecure_skip_verify = insecure_skip_verify and not insecure

    # --- lifecycle --------------------------------------------------------------------------------------------

    def _admin(self) -> admin_pb2_grpc.AdminServiceStub:
        """The stub, creating the channel on first use (inside the running loop)."""
        if self._stub is None:
            self._channel = make_channel(
                self.endpoint, insecure=self.insecure, root_certificates=self._root_certificates,
                options=self._options, authenticators=self.authenticators,
            )  # fmt: skip
            self.auth_discovery.bind(self._channel)
            self._stub = admin_pb2_grpc.AdminServiceStub(self._channel)
        return self._stub

    async def close(self) -> None:
        """Close the channel (cancelling calls in flight); the client can be used again afterwards."""
        if self._channel is not None:
            channel, self._channel, self._stub = self._channel, None, None
            self._stubs.clear()
            await channel.close()
        for authenticator in self.authenticators:
            await authenticator.aclose()

    async def __aenter__(self) -> AdminClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- the one call path ------------------------------------------------------------------------------------

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        error = state.outcome.exception() if state.outcome else None
        code = error.code().name if isinstance(error, grpc.aio.AioRpcError) else type(error).__name__
        log.info("admin call failed with %s; retry %d in %.2fs", code, state.attempt_number, state.upcoming_sleep)

    @property
    def channel(self) -> grpc.aio.Channel:
        """The grpc.aio channel (created on first use); stubs of Flyte's other services can share it."""
        self._admin()
        assert self._channel is not None
        return self._channel

    def _service_stub(self, factory: Callable[[grpc.aio.Channel], Any]) -> Any:
        """One stub per service for the current channel (not a new one per call)."""
        channel = self.channel
        found = self._stubs.get(factory)
        if found is None:
            found = self._stubs[factory] = factory(channel)
        return found

    async def call_service(
        self, stub: Callable[[grpc.aio.Channel], Any], method: str, request: Any, entity: str | None = None
    ) -> Any:
        """Call ``method`` of another service's stub (e.g. ``SignalServiceStub``) on this client's channel, with
        the same retries, metadata and error translation as the admin calls."""
        return await self._call(method, request, entity, stub=stub)

    async def _call(
        self,
        method: str,
        request: Any,
        entity: str | None = None,
        *,
        stub: Callable[[grpc.aio.Channel], Any] | None = None,
    ) -> Any:
        """Call ``method`` with retries of transient errors; failures raise ``FlyteRemoteError`` subclasses."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda e: is_transient(e) and not tls_handshake_failed(e)),
            wait=wait_random_exponential(multiplier=self.initial_backoff, max=self.max_backoff),
            stop=stop_after_delay(self.retry_timeout) | stop_after_attempt(self.max_attempts),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        if self.insecure_skip_verify and self._root_certificates is None:
            # trust whatever certificate the server presents (flytekit's insecure_skip_verify)
            self._root_certificates = await fetch_server_certificate(self.endpoint)
        try:
            async for attempt in retrying:
                with attempt:
                    rpc = getattr(self._admin() if stub is None else self._service_stub(stub), method)
                    return await rpc(request, timeout=self.timeout, metadata=self.metadata or None)
        except grpc.aio.AioRpcError as e:
            error = translate(e, method, entity)
            error.message += connection_hint(e, self.insecure, self.endpoint)
            raise error from e
        raise AssertionError("unreachable")  # pragma: no cover

    async def _register(self, method: str, request: Any, entity: str) -> bool:
        try:
            await self._call(method, request, entity)
        except FlyteEntityExistsDifferentStructureException:
            raise
        except FlyteEntityAlreadyExistsException:
            return False
        return True

    async def _pages(self, list_call: Any, **kwargs: Any) -> AsyncIterator[Any]:
        token = ""
        while True:
            items, token = await list_call(token=token, **kwargs)
            for item in items:
                yield item
            if not token or not items:
                return

    async def _latest(self, list_call: Any, kind: str, project: str, domain: str, name: str) -> Any:
        """The most recently registered version of a name (how Flyte clients fetch "latest")."""
        items, _ = await list_call(project, domain, name, limit=1, sort=sort_by("created_at"))
        if not items:
            entity = f"{kind} {project}/{domain}/{name}"
            raise FlyteEntityNotExistException(
                f"{entity} does not exist (no version is registered)", code=grpc.StatusCode.NOT_FOUND, entity=entity
            )
        return items[0]

    @staticmethod
    def _resource_list(
        project: str, domain: str, name: str, limit: int, token: str, sort: common_pb2.Sort | None, filters: str
    ) -> common_pb2.ResourceListRequest:
        return common_pb2.ResourceListRequest(
            id=NamedEntityIdentifier(project=project, domain=domain, name=name),
            limit=limit,
            token=token,
            sort_by=sort,
            filters=filters,
        )

    @staticmethod
    def _ids_request(
        project: str, domain: str, limit: int, token: str, sort: common_pb2.Sort | None, filters: str
    ) -> common_pb2.NamedEntityIdentifierListRequest:
        return common_pb2.NamedEntityIdentifierListRequest(
            project=project, domain=domain, limit=limit, token=token, sort_by=sort, filters=filters
        )

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

    async def update_launch_plan(self, id: Identifier, state: int) -> None:
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
        return await self._call("GetNodeExecution", request, _describe_node(id))

    async def get_node_execution_data(self, id: identifier_pb2.NodeExecutionIdentifier) -> Any:
        """A node execution's inputs and outputs (``full_inputs`` / ``full_outputs``), and a dynamic node's
        workflow."""
        from flyteidl.admin import node_execution_pb2

        request = node_execution_pb2.NodeExecutionGetDataRequest(id=id)
        return await self._call("GetNodeExecutionData", request, _describe_node(id))

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
        resp = await self._call("ListTaskExecutions", request, _describe_node(node_execution))
        return list(resp.task_executions), resp.token

    def iter_task_executions(
        self, node_execution: identifier_pb2.NodeExecutionIdentifier, **kwargs: Any
    ) -> AsyncIterator[Any]:
        return self._pages(self.list_task_executions, node_execution=node_execution, **kwargs)

    async def get_task_execution(self, id: identifier_pb2.TaskExecutionIdentifier) -> Any:
        from flyteidl.admin import task_execution_pb2

        request = task_execution_pb2.TaskExecutionGetRequest(id=id)
        return await self._call("GetTaskExecution", request, _describe_task_execution(id))

    async def get_task_execution_data(self, id: identifier_pb2.TaskExecutionIdentifier) -> Any:
        from flyteidl.admin import task_execution_pb2

        request = task_execution_pb2.TaskExecutionGetDataRequest(id=id)
        return await self._call("GetTaskExecutionData", request, _describe_task_execution(id))

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
