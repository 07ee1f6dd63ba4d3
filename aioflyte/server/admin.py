"""``AdminService`` over grpc.aio: registration and lookup of tasks, workflows, launch plans, projects, domains.

Semantics follow flyteadmin: registering an existing version with an identical spec is ALREADY_EXISTS; with a
different spec it is INVALID_ARGUMENT ("... with different structure already exists"), as flyteadmin answers it;
missing entities are NOT_FOUND naming the id; malformed requests INVALID_ARGUMENT. Lists page with ``limit`` and
an offset ``token``; ``filters`` in flyteadmin's syntax (``aioflyte.server.filters``). Calls not implemented yet answer
UNIMPLEMENTED (the generated base class).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from flyteidl.admin import common_pb2, launch_plan_pb2, project_pb2, task_pb2, version_pb2, workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2
from flyteidl.service import admin_pb2_grpc
from google.protobuf import timestamp_pb2

from aioflyte.server import validation as check
from aioflyte.server.compiler import compile_workflow
from aioflyte.server.errors import AlreadyExists, Internal, InvalidArgument, NotFound, describe, missing, not_found
from aioflyte.server.rpc import handler
from aioflyte.server.store import ENTITY_SORT_KEYS, ID_SORT_KEYS, PROJECT_SORT_KEYS, Key, Row, Store, now_ns

TASK, WORKFLOW, LAUNCH_PLAN = identifier_pb2.TASK, identifier_pb2.WORKFLOW, identifier_pb2.LAUNCH_PLAN
ACTIVE, INACTIVE = launch_plan_pb2.ACTIVE, launch_plan_pb2.INACTIVE
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _key(id: identifier_pb2.Identifier) -> Key:
    return Key(id.resource_type, id.project, id.domain, id.name, id.version)


def _identifier(key: Key) -> identifier_pb2.Identifier:
    return identifier_pb2.Identifier(
        resource_type=key.kind, project=key.project, domain=key.domain, name=key.name, version=key.version
    )


def _timestamp(ns: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(ns)
    return ts


def _digest(message: Any) -> bytes:
    return hashlib.sha256(message.SerializeToString(deterministic=True)).digest()


def _next_token(offset: int, page: list[Any], limit: int) -> str:
    """flyteadmin's rule: a full page gets the offset of the next one as its token."""
    return str(offset + len(page)) if len(page) == limit else ""


def _launch_plan(row: Row) -> launch_plan_pb2.LaunchPlan:
    lp = launch_plan_pb2.LaunchPlan.FromString(row.payload)
    lp.closure.state = row.state  # the state lives in its column, as in flyteadmin
    lp.closure.updated_at.CopyFrom(_timestamp(row.updated_at))
    return lp


class AdminService(admin_pb2_grpc.AdminServiceServicer):
    """The Admin calls this slice serves, backed by a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        #: the scheduler, told about (de)activations: ``check(lp)`` before activating, ``wake()`` after; or None
        self.scheduler: Any = None

    # --- shared -----------------------------------------------------------------------------------------------

    async def _require_project(self, project: str, domain: str) -> None:
        """flyteadmin's ValidateProjectAndDomain: entities live in a registered, active project's known domain."""
        found = await self.store.get_project(project)
        if found is None:
            raise InvalidArgument(
                f"failed to validate that project [{project}] and domain [{domain}] are registered: "
                f"project [{project}] does not exist (register it first)"
            )
        if found[1] != project_pb2.Project.ACTIVE:
            raise InvalidArgument(f"project [{project}] is not active")
        check.domain(domain)

    async def _get_row(self, id: identifier_pb2.Identifier) -> Row:
        row = await self.store.get(_key(id))
        if row is None:
            raise not_found(id)
        return row

    async def _create(self, id: identifier_pb2.Identifier, digest: bytes, build: Any, what: str) -> None:
        """Insert a new version, or raise flyteadmin's identical / different-structure errors."""
        details: tuple[Any, ...] = ()
        existing = await self.store.get(_key(id))
        if existing is None:
            payload, state = await build()
            created = await self.store.insert(_key(id), digest, payload, state=state, created_at=now_ns())
            if created:
                return
            existing = await self.store.get(_key(id))  # another request created it in between
            if existing is None:
                raise Internal(f"{describe(id)} could neither be created nor read back")
        if existing.digest == digest:
            if id.resource_type == WORKFLOW:
                details = (
                    workflow_pb2.CreateWorkflowFailureReason(
                        exists_identical_structure=workflow_pb2.WorkflowErrorExistsIdenticalStructure(id=id)
                    ),
                )
            raise AlreadyExists(f"{what} with identical structure already exists: {describe(id)}", details=details,
                                outcome="already registered")  # fmt: skip
        if id.resource_type == WORKFLOW:
            details = (
                workflow_pb2.CreateWorkflowFailureReason(
                    exists_different_structure=workflow_pb2.WorkflowErrorExistsDifferentStructure(id=id)
                ),
            )
        raise InvalidArgument(
            f"{id.name} {what} with different structure already exists: {describe(id)} "
            f"(Please register a new version of the {what})",
            details=details,
        )

    async def _list_ids(
        self, kind: identifier_pb2.ResourceType, request: common_pb2.NamedEntityIdentifierListRequest, call: str
    ) -> common_pb2.NamedEntityIdentifierList:
        check.named_entity(request.project, request.domain)
        check.limit(request.limit)
        offset = check.token(request.token, call)
        sort_key, ascending = check.sort(request.sort_by, request.HasField("sort_by"), ID_SORT_KEYS, "name")
        if not request.HasField("sort_by") or not request.sort_by.key:
            ascending = True  # names alphabetically unless asked otherwise
        names = await self.store.list_names(
            kind,
            request.project,
            request.domain,
            limit=request.limit,
            offset=offset,
            sort_key=sort_key,
            ascending=ascending,
        )
        entities = [
            common_pb2.NamedEntityIdentifier(project=request.project, domain=request.domain, name=n) for n in names
        ]
        return common_pb2.NamedEntityIdentifierList(entities=entities, token=_next_token(offset, names, request.limit))

    async def _list(
        self, kind: identifier_pb2.ResourceType, request: common_pb2.ResourceListRequest, call: str
    ) -> tuple[list[Row], str]:
        if not request.HasField("id"):
            raise missing("id")
        check.named_entity(request.id.project, request.id.domain)
        check.limit(request.limit)
        offset = check.token(request.token, call)
        sort_key, ascending = check.sort(request.sort_by, request.HasField("sort_by"), ENTITY_SORT_KEYS, "created_at")
        rows = await self.store.list(
            kind,
            request.id.project,
            request.id.domain,
            request.id.name or None,
            limit=request.limit,
            offset=offset,
            sort_key=sort_key,
            ascending=ascending,
            filters=request.filters,
            entity={TASK: "task", WORKFLOW: "workflow", LAUNCH_PLAN: "launch_plan"}[kind],
        )
        return rows, _next_token(offset, rows, request.limit)

    # --- tasks ------------------------------------------------------------------------------------------------

    @handler
    async def CreateTask(self, request: task_pb2.TaskCreateRequest, context: Any) -> task_pb2.TaskCreateResponse:
        check.identifier(request.id, request.HasField("id"), TASK)
        if not request.HasField("spec"):
            raise missing("spec")
        if not request.spec.HasField("template"):
            raise missing("task template")
        if not request.spec.template.type:
            raise missing("task type")
        await self._require_project(request.id.project, request.id.domain)
        spec = task_pb2.TaskSpec()
        spec.CopyFrom(request.spec)
        spec.template.id.CopyFrom(request.id)  # flyteadmin's setDefaults: the request id wins

        async def build() -> tuple[bytes, int]:
            task = task_pb2.Task(
                id=request.id,
                closure=task_pb2.TaskClosure(
                    compiled_task=compiler_pb2.CompiledTask(template=spec.template), created_at=_timestamp(now_ns())
                ),
                short_description=spec.description.short_description,
            )
            return task.SerializeToString(), 0

        await self._create(request.id, _digest(spec), build, "task")
        return task_pb2.TaskCreateResponse()

    @handler
    async def GetTask(self, request: common_pb2.ObjectGetRequest, context: Any) -> task_pb2.Task:
        check.identifier(request.id, request.HasField("id"), TASK)
        return task_pb2.Task.FromString((await self._get_row(request.id)).payload)

    @handler
    async def ListTaskIds(
        self, request: common_pb2.NamedEntityIdentifierListRequest, context: Any
    ) -> common_pb2.NamedEntityIdentifierList:
        return await self._list_ids(TASK, request, "ListTaskIds")

    @handler
    async def ListTasks(self, request: common_pb2.ResourceListRequest, context: Any) -> task_pb2.TaskList:
        rows, token = await self._list(TASK, request, "ListTasks")
        return task_pb2.TaskList(tasks=[task_pb2.Task.FromString(r.payload) for r in rows], token=token)

    # --- workflows --------------------------------------------------------------------------------------------

    async def _compiled_task(self, id: identifier_pb2.Identifier) -> compiler_pb2.CompiledTask:
        if id.resource_type != TASK:
            raise InvalidArgument(f"a task node references {describe(id)}, which is not a task")
        task = task_pb2.Task.FromString((await self._get_row(id)).payload)
        return task.closure.compiled_task

    async def _workflow(self, id: identifier_pb2.Identifier) -> workflow_pb2.Workflow:
        return workflow_pb2.Workflow.FromString((await self._get_row(id)).payload)

    @handler
    async def CreateWorkflow(
        self, request: workflow_pb2.WorkflowCreateRequest, context: Any
    ) -> workflow_pb2.WorkflowCreateResponse:
        check.identifier(request.id, request.HasField("id"), WORKFLOW)
        if not request.HasField("spec"):
            raise missing("spec")
        if not request.spec.HasField("template"):
            raise missing("workflow template")
        await self._require_project(request.id.project, request.id.domain)
        spec = workflow_pb2.WorkflowSpec()
        spec.CopyFrom(request.spec)
        spec.template.id.CopyFrom(request.id)

        async def build() -> tuple[bytes, int]:
            closure = await compile_workflow(spec, self._compiled_task, self._workflow)
            workflow = workflow_pb2.Workflow(
                id=request.id,
                closure=workflow_pb2.WorkflowClosure(compiled_workflow=closure, created_at=_timestamp(now_ns())),
                short_description=spec.description.short_description,
            )
            return workflow.SerializeToString(), 0

        await self._create(request.id, _digest(spec), build, "workflow")
        return workflow_pb2.WorkflowCreateResponse()

    @handler
    async def GetWorkflow(self, request: common_pb2.ObjectGetRequest, context: Any) -> workflow_pb2.Workflow:
        check.identifier(request.id, request.HasField("id"), WORKFLOW)
        return await self._workflow(request.id)

    @handler
    async def ListWorkflowIds(
        self, request: common_pb2.NamedEntityIdentifierListRequest, context: Any
    ) -> common_pb2.NamedEntityIdentifierList:
        return await self._list_ids(WORKFLOW, request, "ListWorkflowIds")

    @handler
    async def ListWorkflows(self, request: common_pb2.ResourceListRequest, context: Any) -> workflow_pb2.WorkflowList:
        rows, token = await self._list(WORKFLOW, request, "ListWorkflows")
        return workflow_pb2.WorkflowList(
            workflows=[workflow_pb2.Workflow.FromString(r.payload) for r in rows], token=token
        )

    # --- launch plans -----------------------------------------------------------------------------------------

    @handler
    async def CreateLaunchPlan(
        self, request: launch_plan_pb2.LaunchPlanCreateRequest, context: Any
    ) -> launch_plan_pb2.LaunchPlanCreateResponse:
        check.identifier(request.id, request.HasField("id"), LAUNCH_PLAN)
        if not request.HasField("spec"):
            raise missing("spec")
        spec = request.spec
        check.identifier(spec.workflow_id, spec.HasField("workflow_id"), WORKFLOW)
        check.max_parallelism(spec.max_parallelism, describe(request.id))
        await self._require_project(request.id.project, request.id.domain)
        workflow = await self._workflow(spec.workflow_id)
        interface = workflow.closure.compiled_workflow.primary.template.interface
        known = set(interface.inputs.variables)
        inputs = (("default_inputs", spec.default_inputs.parameters), ("fixed_inputs", spec.fixed_inputs.literals))
        for field, names in inputs:
            unknown = sorted(set(names) - known)
            if unknown:
                raise InvalidArgument(
                    f"{field} of {describe(request.id)} name inputs {unknown} that {describe(spec.workflow_id)} "
                    f"does not declare (its inputs: {sorted(known)})"
                )
        both = sorted(set(spec.default_inputs.parameters) & set(spec.fixed_inputs.literals))
        if both:
            raise InvalidArgument(f"inputs {both} of {describe(request.id)} are both default and fixed inputs")
        for name, param in spec.default_inputs.parameters.items():
            if not param.HasField("var") or not param.var.HasField("type"):
                raise InvalidArgument(f"the parameter {name} in default_inputs has no variable type")

        async def build() -> tuple[bytes, int]:
            ts = _timestamp(now_ns())
            lp = launch_plan_pb2.LaunchPlan(
                id=request.id,
                spec=spec,
                closure=launch_plan_pb2.LaunchPlanClosure(
                    state=INACTIVE,
                    expected_inputs=spec.default_inputs,
                    expected_outputs=interface.outputs,
                    created_at=ts,
                    updated_at=ts,
                ),
            )
            return lp.SerializeToString(), INACTIVE

        await self._create(request.id, _digest(spec), build, "launch plan")
        return launch_plan_pb2.LaunchPlanCreateResponse()

    @handler
    async def GetLaunchPlan(self, request: common_pb2.ObjectGetRequest, context: Any) -> launch_plan_pb2.LaunchPlan:
        check.identifier(request.id, request.HasField("id"), LAUNCH_PLAN)
        return _launch_plan(await self._get_row(request.id))

    @handler
    async def ListLaunchPlanIds(
        self, request: common_pb2.NamedEntityIdentifierListRequest, context: Any
    ) -> common_pb2.NamedEntityIdentifierList:
        return await self._list_ids(LAUNCH_PLAN, request, "ListLaunchPlanIds")

    @handler
    async def ListLaunchPlans(
        self, request: common_pb2.ResourceListRequest, context: Any
    ) -> launch_plan_pb2.LaunchPlanList:
        rows, token = await self._list(LAUNCH_PLAN, request, "ListLaunchPlans")
        return launch_plan_pb2.LaunchPlanList(launch_plans=[_launch_plan(r) for r in rows], token=token)

    @handler
    async def ListActiveLaunchPlans(
        self, request: launch_plan_pb2.ActiveLaunchPlanListRequest, context: Any
    ) -> launch_plan_pb2.LaunchPlanList:
        """The active version of every launch plan name in a project and domain."""
        check.named_entity(request.project, request.domain)
        check.limit(request.limit)
        offset = check.token(request.token, "ListActiveLaunchPlans")
        sort_key, ascending = check.sort(request.sort_by, request.HasField("sort_by"), ENTITY_SORT_KEYS, "created_at")
        rows = await self.store.list(
            LAUNCH_PLAN, request.project, request.domain, None, limit=request.limit, offset=offset,
            sort_key=sort_key, ascending=ascending, state=ACTIVE,
        )  # fmt: skip
        return launch_plan_pb2.LaunchPlanList(
            launch_plans=[_launch_plan(r) for r in rows], token=_next_token(offset, rows, request.limit)
        )

    @handler
    async def UpdateLaunchPlan(
        self, request: launch_plan_pb2.LaunchPlanUpdateRequest, context: Any
    ) -> launch_plan_pb2.LaunchPlanUpdateResponse:
        """ACTIVE makes this version the one active version of its name; INACTIVE deactivates it."""
        check.identifier(request.id, request.HasField("id"), LAUNCH_PLAN)
        if request.state not in (ACTIVE, INACTIVE):
            raise InvalidArgument(f"unrecognized launch plan state {request.state} for {describe(request.id)}")
        if request.state == ACTIVE and self.scheduler is not None:  # a schedule that cannot run: INVALID_ARGUMENT
            self.scheduler.check(_launch_plan(await self._get_row(request.id)))
        if not await self.store.set_state(_key(request.id), request.state, exclusive=request.state == ACTIVE):
            raise not_found(request.id)
        if self.scheduler is not None:
            self.scheduler.wake()
        return launch_plan_pb2.LaunchPlanUpdateResponse()

    @handler
    async def GetActiveLaunchPlan(
        self, request: launch_plan_pb2.ActiveLaunchPlanRequest, context: Any
    ) -> launch_plan_pb2.LaunchPlan:
        if not request.HasField("id"):
            raise missing("id")
        id = request.id
        check.named_entity(id.project, id.domain, id.name)
        rows = await self.store.list(LAUNCH_PLAN, id.project, id.domain, id.name, limit=1, offset=0, state=ACTIVE)
        if not rows:
            raise NotFound(f"no active launch plan could be found: {id.project}/{id.domain}/{id.name}")
        return _launch_plan(rows[0])

    # --- projects and domains ---------------------------------------------------------------------------------

    @handler
    async def RegisterProject(
        self, request: project_pb2.ProjectRegisterRequest, context: Any
    ) -> project_pb2.ProjectRegisterResponse:
        if not request.HasField("project"):
            raise missing("project")
        project = request.project
        if not project.id:
            raise missing("project_id")
        if not project.name:
            raise missing("project_name")
        if len(project.id) > 63 or not _DNS_LABEL.match(project.id):
            raise InvalidArgument(f"invalid project id [{project.id}]: it must be a DNS-1123 label")
        if len(project.name) > 64:
            raise InvalidArgument("project_name cannot exceed 64 characters")
        if len(project.description) > 300:
            raise InvalidArgument("project_description cannot exceed 300 characters")
        if project.domains:
            raise InvalidArgument(
                "Domains are currently only set system wide. Please retry without domains included in your request."
            )
        if not await self.store.insert_project(project.id, project.SerializeToString(), project.state):
            raise AlreadyExists(f"project [{project.id}] already exists", outcome="already registered")
        return project_pb2.ProjectRegisterResponse()

    @handler
    async def ListProjects(self, request: project_pb2.ProjectListRequest, context: Any) -> project_pb2.Projects:
        """All projects (``limit`` 0) or one page, by id unless ``sort_by`` says otherwise."""
        offset = check.token(request.token, "ListProjects")
        sort_key, ascending = check.sort(request.sort_by, request.HasField("sort_by"), PROJECT_SORT_KEYS, "identifier")
        if not request.HasField("sort_by") or not request.sort_by.key:
            ascending = True
        payloads = await self.store.list_projects(
            limit=request.limit or None, offset=offset, sort_key=sort_key, ascending=ascending
        )
        projects = []
        for payload in payloads:
            project = project_pb2.Project.FromString(payload)
            project.domains.extend(self._domains())
            projects.append(project)
        token = _next_token(offset, projects, request.limit) if request.limit else ""
        return project_pb2.Projects(projects=projects, token=token)

    @staticmethod
    def _domains() -> list[project_pb2.Domain]:
        return [project_pb2.Domain(id=d, name=n) for d, n in check.DOMAINS]

    @handler
    async def GetVersion(self, request: version_pb2.GetVersionRequest, context: Any) -> version_pb2.GetVersionResponse:
        from aioflyte._version import __version__

        version = version_pb2.Version(Build="aioflyte-server", Version=__version__, BuildTime="")
        return version_pb2.GetVersionResponse(control_plane_version=version)

    @handler
    async def GetDomains(self, request: project_pb2.GetDomainRequest, context: Any) -> project_pb2.GetDomainsResponse:
        return project_pb2.GetDomainsResponse(domains=self._domains())
