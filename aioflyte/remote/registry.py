"""Registration and lookup of tasks, workflows and launch plans on a Flyte backend (``FlyteRemote``'s
``register_*``, ``raw_register``, ``fetch_*``, ``activate_launchplan``, ``list_*`` and ``get_domains``).

Local entities are serialized with :class:`~aioflyte.remote.translator.Translator`; the messages are registered
dependencies first, the tasks concurrently. Every call goes through the session's one ``AdminClient``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from flyteidl.admin import common_pb2, launch_plan_pb2, project_pb2, task_pb2, workflow_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2

from aioflyte.exceptions import FlyteEntityNotExistException
from aioflyte.remote.checks import expect_kind
from aioflyte.remote.client.ids import Identifier, ResourceType, make_id
from aioflyte.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from aioflyte.remote.lazy_entity import LazyEntity
from aioflyte.remote.serialization import SerializationSettings
from aioflyte.remote.session import RemoteSession

log = logging.getLogger("aioflyte.remote")

#: Registrations in flight at once (tasks have no dependencies, so they go concurrently).
_REGISTER_CONCURRENCY = 16
TASK, WORKFLOW, LAUNCH_PLAN = identifier_pb2.TASK, identifier_pb2.WORKFLOW, identifier_pb2.LAUNCH_PLAN
M = TypeVar("M")


class Registry:
    """Registers entities on, and fetches them from, the backend of ``session``."""

    def __init__(self, session: RemoteSession) -> None:
        self.session = session

    # --- registration -----------------------------------------------------------------------------------------

    async def raw_register(
        self,
        cp_entity: Any,
        settings: SerializationSettings,
        version: str | None,
        create_default_launchplan: bool = True,
        options: Any = None,
        og_entity: Any = None,
    ) -> Identifier | None:
        """Register one serialized entity; see ``FlyteRemote.raw_register``."""
        client = self.session.client
        await self.session.learn_console_endpoint()  # so generate_console_url links to the backend's console
        resolve = self.session.resolve_identifier
        if isinstance(cp_entity, task_pb2.TaskSpec):
            ident = resolve(TASK, cp_entity.template.id.name, version, settings)
            if not await client.register_task(ident, cp_entity):
                log.debug("%s is already registered", ident.name)
            return ident
        if isinstance(cp_entity, workflow_pb2.WorkflowSpec):
            ident = resolve(WORKFLOW, cp_entity.template.id.name, version, settings)
            if not await client.register_workflow(ident, cp_entity):
                log.debug("workflow %s is already registered", ident.name)
            if create_default_launchplan:
                lp_ident = make_id(LAUNCH_PLAN, ident.project, ident.domain, ident.name, ident.version)
                lp_spec = await _default_launch_plan_spec(cp_entity, ident, og_entity, settings, options)
                await client.register_launch_plan(lp_ident, lp_spec)
            return ident
        if isinstance(cp_entity, launch_plan_pb2.LaunchPlan):
            ident = resolve(LAUNCH_PLAN, cp_entity.id.name, version, settings)
            if not await client.register_launch_plan(ident, cp_entity.spec):
                log.debug("launch plan %s is already registered", ident.name)
            return ident
        if _is_reference(cp_entity):
            return None
        raise TypeError(
            f"raw_register: cannot register {type(cp_entity).__name__}; expected a TaskSpec, WorkflowSpec or LaunchPlan"
        )

    async def register_all(
        self,
        messages: list[Any],
        settings: SerializationSettings,
        version: str | None,
    ) -> list[Identifier | None]:
        """Register ``messages`` (dependencies first): all tasks concurrently, then the rest in order."""
        limit = asyncio.Semaphore(_REGISTER_CONCURRENCY)

        async def one(m: Any) -> Identifier | None:
            async with limit:
                return await self.raw_register(m, settings, version, create_default_launchplan=False)

        tasks = [m for m in messages if isinstance(m, task_pb2.TaskSpec)]
        ids: dict[int, Identifier | None] = {}
        if tasks:
            async with asyncio.TaskGroup() as tg:
                futures = [(id(m), tg.create_task(one(m))) for m in tasks]
            ids.update((k, f.result()) for k, f in futures)
        for m in messages:
            if id(m) not in ids:
                ids[id(m)] = await self.raw_register(m, settings, version, create_default_launchplan=False)
        return [ids[id(m)] for m in messages]

    async def register_task(
        self, entity: Any, serialization_settings: SerializationSettings | None = None, version: str | None = None
    ) -> FlyteTask:
        """Register a task and return it as fetched from the backend."""
        from aioflyte.remote.translator import Translator

        expect_kind(entity, ("task", "map_task"), "register_task", "a task")
        ss = self.session.settings(serialization_settings, version)
        tr = Translator(ss)
        await tr.get(entity)
        ident = _last(await self.register_all(tr.messages(), ss, ss.version))
        ft = await self.fetch_task(ident.project, ident.domain, ident.name, ident.version)
        ft.python_interface = getattr(entity, "python_interface", None)
        return ft

    async def register_workflow(
        self,
        entity: Any,
        serialization_settings: SerializationSettings | None = None,
        version: str | None = None,
        default_launch_plan: bool | None = True,
        options: Any = None,
    ) -> FlyteWorkflow:
        """Register a workflow with everything it uses (and its default launch plan); returns the fetched workflow."""
        from aioflyte.remote.translator import Translator

        expect_kind(entity, ("workflow",), "register_workflow", "a workflow")
        ss = self.session.settings(serialization_settings, version)
        tr = Translator(ss, options)
        wf_spec = await tr.get(entity)
        if default_launch_plan:
            await tr.get_default_launch_plan(entity)
        await self.register_all(tr.messages(), ss, ss.version)
        ident = self.session.resolve_identifier(WORKFLOW, wf_spec.template.id.name, ss.version, ss)
        fwf = await self.fetch_workflow(ident.project, ident.domain, ident.name, ident.version)
        fwf.python_interface = getattr(entity, "python_interface", None)
        return fwf

    async def register_launch_plan(
        self,
        entity: Any,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        options: Any = None,
        serialization_settings: SerializationSettings | None = None,
    ) -> FlyteLaunchPlan:
        """Register a launch plan (and its workflow first, when this version of it is not on the backend)."""
        from aioflyte.remote.translator import Translator

        expect_kind(entity, ("launch_plan",), "register_launch_plan", "a LaunchPlan")
        ss = self.session.settings(serialization_settings, version, project, domain)
        tr = Translator(ss, options)
        lp_msg = await tr.get(entity)
        wf_ident = self.session.resolve_identifier(WORKFLOW, lp_msg.spec.workflow_id.name, ss.version, ss)
        try:
            await self.session.client.get_workflow(wf_ident)
            messages = [lp_msg]
        except FlyteEntityNotExistException:
            messages = tr.messages()
        ident = _last(await self.register_all(messages, ss, ss.version))
        return await self.fetch_launch_plan(ident.project, ident.domain, ident.name, ident.version)

    async def fetch_or_register(
        self,
        entity: Any,
        kind: str,
        project: str,
        domain: str,
        name: str | None,
        version: str,
        settings: SerializationSettings | None,
        options: Any,
    ) -> FlyteTask | FlyteLaunchPlan:
        """The backend's copy of a local entity at ``version``, registered first when it is not there (a workflow
        as its default launch plan)."""
        ss = self.session.settings(settings, version, project, domain)
        if kind in ("task", "map_task"):
            try:
                return await self.fetch_task(project, domain, name or entity.name, version)
            except FlyteEntityNotExistException:
                return await self.register_task(entity, ss, version)
        lp_name = name or entity.name
        try:
            return await self.fetch_launch_plan(project, domain, lp_name, version)
        except FlyteEntityNotExistException:
            pass
        if kind == "workflow":
            await self.register_workflow(entity, ss, version, options=options)
            return await self.fetch_launch_plan(project, domain, entity.name, version)
        return await self.register_launch_plan(entity, version, project, domain, options, ss)

    # --- lookup -----------------------------------------------------------------------------------------------

    def _named(self, kind: str, project: str | None, domain: str | None, name: str | None) -> tuple[str, str, str]:
        if not name:
            raise ValueError(f"fetch_{kind}: the 'name' argument must be specified")
        p, d = self.session.project_domain(project, domain)
        return p, d, name

    async def _get(
        self,
        kind: str,
        rt: ResourceType,
        get: Callable[[Identifier], Awaitable[M]],
        get_latest: Callable[[str, str, str], Awaitable[M]],
        project: str | None,
        domain: str | None,
        name: str | None,
        version: str | None,
    ) -> M:
        """The Admin message of ``kind`` at ``version`` (``get``), or its newest version (``get_latest``)."""
        p, d, n = self._named(kind, project, domain, name)
        await self.session.learn_console_endpoint()  # so generate_console_url links to the backend's console
        if version:
            return await get(make_id(rt, p, d, n, version))
        return await get_latest(p, d, n)

    async def fetch_task(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteTask:
        """A registered task; the most recently registered version when ``version`` is not given."""
        get, latest = self.session.client.get_task, self.session.client.get_latest_task
        return FlyteTask.from_admin(await self._get("task", TASK, get, latest, project, domain, name, version))

    async def fetch_workflow(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteWorkflow:
        """A registered workflow (latest version when none is given), with its compiled closure."""
        get, latest = self.session.client.get_workflow, self.session.client.get_latest_workflow
        return FlyteWorkflow.from_admin(
            await self._get("workflow", WORKFLOW, get, latest, project, domain, name, version)
        )

    async def fetch_launch_plan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteLaunchPlan:
        """A registered launch plan (latest version when none is given), with its workflow fetched too."""
        get, latest = self.session.client.get_launch_plan, self.session.client.get_latest_launch_plan
        admin_lp = await self._get("launch_plan", LAUNCH_PLAN, get, latest, project, domain, name, version)
        return await self._promote_launch_plan(admin_lp)

    async def fetch_reference(self, entity: Any) -> tuple[Any, Any, str]:
        """What to launch for a reference entity: ``(fetched entity, interface, kind)``. A ``ReferenceTask`` is
        its task, a ``ReferenceLaunchPlan`` its launch plan, a ``ReferenceWorkflow`` the launch plan named like the
        workflow (its default one); the interface is the reference's own (its declared types). ``kind`` is
        ``task`` or ``launch_plan``. ``FlyteEntityNotExistException`` naming the entity when it is not there."""
        r = entity.reference
        kind = entity.node_kind
        if kind == "task":
            target: Any = await self.fetch_task(r.project, r.domain, r.name, r.version)
        elif kind in ("workflow", "launch_plan"):
            target = await self.fetch_launch_plan(r.project, r.domain, r.name, r.version)
            kind = "launch_plan"
        else:
            raise TypeError(f"{entity!r} is not a task, workflow or launch plan reference")
        return target, entity.python_interface, kind

    def lazy(
        self, kind: str, project: str | None, domain: str | None, name: str | None, version: str | None
    ) -> LazyEntity[Any]:
        """A ``LazyEntity`` of a task or workflow (``kind``), fetched when first awaited."""
        if not name:
            raise ValueError(f"fetch_{kind}_lazy: the 'name' argument must be specified")
        fetch = self.fetch_task if kind == "task" else self.fetch_workflow
        return LazyEntity(name, lambda: fetch(project, domain, name, version))

    async def find_launch_plan(self, lp_ref: Any, node_launch_plans: dict[Any, Any]) -> None:
        """Add the spec of launch plan ``lp_ref`` to ``node_launch_plans`` unless it is there."""
        key = _id_key(lp_ref)
        if key not in node_launch_plans:
            lp = await self.session.client.get_launch_plan(key.to_flyte_idl())
            node_launch_plans[key] = lp.spec

    async def find_launch_plan_for_node(self, node: Any, node_launch_plans: dict[Any, Any]) -> None:
        """Add the specs of the launch plans ``node`` (a flyteidl workflow ``Node``) runs to ``node_launch_plans``."""
        for ref in _launch_plan_refs(node):
            await self.find_launch_plan(ref, node_launch_plans)

    async def _promote_launch_plan(self, admin_lp: launch_plan_pb2.LaunchPlan) -> FlyteLaunchPlan:
        flp = FlyteLaunchPlan.from_admin(admin_lp)
        wf_id = admin_lp.spec.workflow_id
        flp.flyte_workflow = FlyteWorkflow.from_admin(await self.session.client.get_workflow(wf_id))
        return flp

    async def fetch_active_launchplan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteLaunchPlan | None:
        """The active version of a launch plan, or None when no version of it is active (or it does not exist)."""
        p, d, n = self._named("active_launchplan", project, domain, name)
        try:
            admin_lp = await self.session.client.get_active_launch_plan(p, d, n)
        except FlyteEntityNotExistException:
            return None
        return await self._promote_launch_plan(admin_lp)

    async def activate_launchplan(self, ident: Identifier | Any) -> None:
        """Make this launch plan version the active one of its name (``ident``: an identifier, or what has one)."""
        lp_id: Any = getattr(ident, "id", ident)
        if lp_id.resource_type != LAUNCH_PLAN:
            lp_id = make_id(LAUNCH_PLAN, lp_id.project, lp_id.domain, lp_id.name, lp_id.version)
        await self.session.client.activate_launch_plan(lp_id)

    async def list_tasks_by_version(
        self, version: str, project: str | None = None, domain: str | None = None, limit: int | None = 100
    ) -> list[FlyteTask]:
        """The tasks registered with ``version`` in a project and domain (at most ``limit``)."""
        p, d = self.session.project_domain(project, domain)
        out: list[FlyteTask] = []
        # The filter asks the backend; the version check also holds for backends that ignore filters.
        async for t in self.session.client.iter_tasks(p, d, "", limit=100, filters=f"eq(version,{version})"):
            if t.id.version == version:
                out.append(FlyteTask.from_admin(t))
                if limit and len(out) >= limit:
                    break
        return out

    async def list_projects(
        self, limit: int | None = 100, filters: Any = None, sort_by: common_pb2.Sort | None = None
    ) -> list[project_pb2.Project]:
        """Registered projects (``id``, ``name``, ``description``, ``domains``)."""
        client = self.session.client
        projects, _ = await client.list_projects(limit=limit or 0, filters=filters_string(filters), sort=sort_by)
        return projects

    async def get_domains(self) -> list[project_pb2.Domain]:
        """The backend's domains (``id``, ``name``)."""
        return await self.session.client.get_domains()


async def _default_launch_plan_spec(
    wf_spec: workflow_pb2.WorkflowSpec,
    wf_ident: Identifier,
    og_entity: Any,
    settings: SerializationSettings,
    options: Any,
) -> launch_plan_pb2.LaunchPlanSpec:
    """``og_entity``'s default launch plan for the registered workflow, else one with its inputs and no defaults."""
    if og_entity is not None:
        from aioflyte.remote.translator import Translator

        lp = await Translator(settings, options).get_default_launch_plan(og_entity)
        spec = launch_plan_pb2.LaunchPlanSpec()
        spec.CopyFrom(lp.spec)
        spec.workflow_id.CopyFrom(wf_ident)
        return spec
    params = {
        name: interface_pb2.Parameter(var=var, required=True)
        for name, var in wf_spec.template.interface.inputs.variables.items()
    }
    return launch_plan_pb2.LaunchPlanSpec(
        workflow_id=wf_ident,
        default_inputs=interface_pb2.ParameterMap(parameters=params),
        fixed_inputs=literals_pb2.LiteralMap(),
    )


def _last(idents: list[Identifier | None]) -> Identifier:
    """The identifier of the last message registered: the entity asked for (its dependencies come first)."""
    ident = idents[-1]
    assert ident is not None  # the entity itself is never a reference
    return ident


def _id_key(ref: Any) -> Any:
    """A hashable identifier (``aioflyte.models.core.identifier.Identifier``) for a flyteidl message or model."""
    from aioflyte.models.core.identifier import Identifier as IdModel

    if isinstance(ref, IdModel):
        return ref
    if isinstance(ref, identifier_pb2.Identifier):
        return IdModel.from_flyte_idl(ref)
    raise TypeError(f"find_launch_plan: parameter 'lp_ref' expects an Identifier, got {type(ref).__name__}")


def _launch_plan_refs(node: Any) -> list[Any]:
    """The launch plan ids a node runs: its own, its array node's, and those in its conditional's branches."""
    kind = node.WhichOneof("target")
    if kind == "workflow_node" and node.workflow_node.HasField("launchplan_ref"):
        return [node.workflow_node.launchplan_ref]
    if kind == "array_node":
        return _launch_plan_refs(node.array_node.node)
    if kind == "branch_node":
        if_else = node.branch_node.if_else
        refs = _launch_plan_refs(if_else.case.then_node)
        for other in if_else.other:
            refs += _launch_plan_refs(other.then_node)
        if if_else.HasField("else_node"):
            refs += _launch_plan_refs(if_else.else_node)
        return refs
    return []


def filters_string(filters: Any) -> str:
    """Admin's filter string: a string as is, or flytekit-style filter objects joined with ``+``."""
    if not filters:
        return ""
    if isinstance(filters, str):
        return filters
    return "+".join(f.to_flyte_idl() if hasattr(f, "to_flyte_idl") else str(f) for f in filters)


def _is_reference(entity: Any) -> bool:
    return type(entity).__name__.startswith("Reference")


__all__ = ["Registry", "filters_string"]
