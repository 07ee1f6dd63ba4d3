"""``FlyteRemote``: flytekit's programmatic access to a Flyte backend, every call a coroutine.

Executions (``execute``, ``wait``, ``fetch_execution``, ``sync_execution``, ``terminate``,
``recent_executions``) come from :class:`aioflyte.remote.executions.ExecutionsMixin`. This module has the
registration and lookup half: ``register_task`` / ``register_workflow`` /
``register_launch_plan`` / ``raw_register``, ``fetch_task`` / ``fetch_workflow`` / ``fetch_launch_plan`` /
``fetch_active_launchplan``, ``activate_launchplan``, ``list_tasks_by_version``, ``list_projects``,
``get_domains`` and ``generate_console_url``. Everything runs on the caller's loop through one
:class:`~aioflyte.remote.client.AdminClient` (grpc.aio): no threads, no loops of its own.
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any

from flyteidl.admin import common_pb2, launch_plan_pb2, project_pb2, task_pb2, workflow_pb2
from flyteidl.core import identifier_pb2, interface_pb2, literals_pb2

from aioflyte.configuration.config import Config
from aioflyte.configuration.image import ImageConfig
from aioflyte.remote.backfill import BackfillMixin
from aioflyte.remote.client import AdminClient, FlyteEntityNotExistException
from aioflyte.remote.client.auth import authenticators_for
from aioflyte.remote.data import DataMixin
from aioflyte.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from aioflyte.remote.executions import ExecutionsMixin, FlyteExecutionTimeoutError, FlyteWorkflowExecution
from aioflyte.remote.fast import FastRegisterMixin
from aioflyte.remote.serialization import SerializationSettings
from aioflyte.remote.signals import SignalsMixin

log = logging.getLogger("aioflyte.remote")

Identifier = identifier_pb2.Identifier
ResourceType = identifier_pb2.ResourceType
#: flytekit's default; where ``upload_file`` would put data (unused by registration).
DEFAULT_DATA_UPLOAD_LOCATION = "flyte://my-s3-bucket/data"
#: Registrations in flight at once (tasks have no dependencies, so they go concurrently).
_REGISTER_CONCURRENCY = 16


class FlyteRemote(ExecutionsMixin, SignalsMixin, DataMixin, FastRegisterMixin, BackfillMixin):
    """Programmatic access to a Flyte backend (flytekit's ``FlyteRemote``), as coroutines.

    ``FlyteRemote(config, default_project=..., default_domain=...)`` is cheap and synchronous; the gRPC channel
    is opened on the first call, inside the running loop. Close it with ``await remote.close()`` or use
    ``async with remote:``.
    """

    def __init__(
        self,
        config: Config,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_DATA_UPLOAD_LOCATION,
        interactive_mode_enabled: bool | None = None,
        **kwargs: Any,
    ) -> None:
        if config is None or config.platform is None or not config.platform.endpoint:
            raise ValueError("FlyteRemote needs a Config with a platform endpoint (e.g. Config.for_endpoint(...))")
        self._config = config
        self._default_project = default_project
        self._default_domain = default_domain
        self._data_upload_location = data_upload_location
        self._interactive_mode_enabled = bool(interactive_mode_enabled)
        self._client_kwargs = kwargs
        self._client: AdminClient | None = None

    # --- construction -----------------------------------------------------------------------------------------

    @classmethod
    def auto(
        cls,
        config_file: Any = None,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_DATA_UPLOAD_LOCATION,
        interactive_mode_enabled: bool = False,
        **kwargs: Any,
    ) -> FlyteRemote:
        """A remote configured from the environment and config file (``Config.auto``)."""
        return cls(
            Config.auto(config_file), default_project, default_domain, data_upload_location,
            interactive_mode_enabled, **kwargs,
        )  # fmt: skip

    @classmethod
    def for_endpoint(
        cls,
        endpoint: str,
        insecure: bool = False,
        data_config: Any = None,
        config_file: Any = None,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_DATA_UPLOAD_LOCATION,
        interactive_mode_enabled: bool = False,
        **kwargs: Any,
    ) -> FlyteRemote:
        """A remote for ``endpoint`` (``host:port``); ``insecure=True`` for plaintext (e.g. the local server)."""
        config = Config.for_endpoint(endpoint, insecure, data_config, config_file)
        return cls(config, default_project, default_domain, data_upload_location, interactive_mode_enabled, **kwargs)

    @classmethod
    def for_sandbox(
        cls,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = "s3://my-s3-bucket/data",
        interactive_mode_enabled: bool = False,
        **kwargs: Any,
    ) -> FlyteRemote:
        """A remote for the flytectl sandbox (``localhost:30080``, plaintext)."""
        return cls(
            Config.for_sandbox(), default_project, default_domain, data_upload_location,
            interactive_mode_enabled, **kwargs,
        )  # fmt: skip

    # --- properties and lifecycle -----------------------------------------------------------------------------

    @property
    def config(self) -> Config:
        return self._config

    @property
    def default_project(self) -> str | None:
        return self._default_project

    @property
    def default_domain(self) -> str | None:
        return self._default_domain

    @property
    def data_upload_location(self) -> str:
        return self._data_upload_location

    @property
    def interactive_mode_enabled(self) -> bool:
        return self._interactive_mode_enabled

    @property
    def client(self) -> AdminClient:
        """The async Admin client (created on first use; its channel opens on its first call)."""
        if self._client is None:
            platform = self._config.platform
            root_certificates = None
            if not platform.insecure and platform.ca_cert_file_path:
                try:
                    with open(platform.ca_cert_file_path, "rb") as f:
                        root_certificates = f.read()
                except OSError as e:
                    raise FileNotFoundError(
                        f"ca_cert_file_path {platform.ca_cert_file_path!r} (FLYTE_PLATFORM_CA_CERT_FILE_PATH or "
                        f"admin.caCertFilePath) cannot be read: {e.strerror or e}"
                    ) from None
            kwargs = dict(self._client_kwargs)
            kwargs.setdefault("auth", lambda discovery: authenticators_for(platform, discovery))
            kwargs.setdefault("insecure_skip_verify", platform.insecure_skip_verify and not root_certificates)
            endpoint = platform.endpoint.removeprefix("dns:///")
            self._client = AdminClient(endpoint, platform.insecure, root_certificates=root_certificates, **kwargs)
        return self._client

    async def close(self) -> None:
        """Close the gRPC channel; the remote can be used again afterwards (it reconnects)."""
        if self._client is not None:
            await self._client.close()

    async def __aenter__(self) -> FlyteRemote:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def run_eager(self, entity: Any, inputs: dict[str, Any] | None = None, **options: Any) -> Any:
        """Run the ``@eager`` workflow ``entity`` here, each entity it awaits becoming an execution on this backend.

        ``options`` are :class:`~aioflyte.remote.controller.RemoteController`'s (``execution_name``, ``version``,
        ``max_in_flight``, ``qps``, ``project``, ``domain``). Same as ``await entity.run_remote(remote, inputs)``.
        """
        from aioflyte.remote.controller import run_remote

        return await run_remote(entity, self, inputs, **options)

    def __repr__(self) -> str:
        return (
            f"FlyteRemote({self._config.platform.endpoint!r}, default_project={self._default_project!r}, "
            f"default_domain={self._default_domain!r})"
        )

    # --- identifiers ------------------------------------------------------------------------------------------

    def _project_domain(self, project: str | None, domain: str | None) -> tuple[str, str]:
        p, d = project or self._default_project, domain or self._default_domain
        if not p or not d:
            raise ValueError(
                "project and domain are needed: pass them, or give FlyteRemote a default_project and default_domain"
            )
        return p, d

    def _resolve_identifier(
        self, t: int, name: str, version: str | None, ss: SerializationSettings | None
    ) -> Identifier:
        ident = Identifier(
            resource_type=t,
            project=(ss.project if ss is not None and ss.project else self._default_project) or "",
            domain=(ss.domain if ss is not None and ss.domain else self._default_domain) or "",
            name=name,
            version=version or (ss.version if ss is not None else None) or "",
        )
        missing = [f for f in ("project", "domain", "name", "version") if not getattr(ident, f)]
        if missing:
            raise ValueError(
                f"cannot register {name or 'entity'}: no {', '.join(missing)} (pass version=, or set them in the "
                "SerializationSettings or FlyteRemote's default_project/default_domain)"
            )
        return ident

    def _settings(
        self,
        settings: SerializationSettings | None,
        version: str | None,
        project: str | None = None,
        domain: str | None = None,
    ) -> SerializationSettings:
        """Settings with project, domain and version filled in, so references between entities resolve."""
        if settings is None:
            settings = SerializationSettings(image_config=ImageConfig.auto_default_image())
        resolved = settings.replace(
            project=project or settings.project or self._default_project,
            domain=domain or settings.domain or self._default_domain,
            version=version or settings.version,
        )
        for field in ("project", "domain", "version"):
            if not getattr(resolved, field):
                raise ValueError(
                    f"registration needs a {field}: pass version=, or set it in the SerializationSettings or "
                    "FlyteRemote's default_project/default_domain"
                )
        return resolved

    # --- registration -----------------------------------------------------------------------------------------

    async def raw_register(
        self,
        cp_entity: Any,
        settings: SerializationSettings,
        version: str,
        create_default_launchplan: bool = True,
        options: Any = None,
        og_entity: Any = None,
    ) -> Identifier | None:
        """Register one serialized entity (``TaskSpec``, ``WorkflowSpec`` or admin ``LaunchPlan``) under
        ``settings``' project and domain and ``version``; returns its identifier.

        A version already registered with an identical spec is success; with a different spec it raises
        ``FlyteEntityExistsDifferentStructureException``. For a workflow, ``create_default_launchplan`` also
        registers the launch plan named like it: ``og_entity``'s default launch plan when given, else one with
        the workflow's inputs and no defaults.
        """
        client = self.client
        if isinstance(cp_entity, task_pb2.TaskSpec):
            ident = self._resolve_identifier(ResourceType.TASK, cp_entity.template.id.name, version, settings)
            if not await client.register_task(ident, cp_entity):
                log.debug("%s is already registered", ident.name)
            return ident
        if isinstance(cp_entity, workflow_pb2.WorkflowSpec):
            ident = self._resolve_identifier(ResourceType.WORKFLOW, cp_entity.template.id.name, version, settings)
            if not await client.register_workflow(ident, cp_entity):
                log.debug("workflow %s is already registered", ident.name)
            if create_default_launchplan:
                lp_ident = Identifier(
                    resource_type=ResourceType.LAUNCH_PLAN, project=ident.project, domain=ident.domain,
                    name=ident.name, version=ident.version,
                )  # fmt: skip
                lp_spec = await self._default_launch_plan_spec(cp_entity, ident, og_entity, settings, options)
                await client.register_launch_plan(lp_ident, lp_spec)
            return ident
        if isinstance(cp_entity, launch_plan_pb2.LaunchPlan):
            ident = self._resolve_identifier(ResourceType.LAUNCH_PLAN, cp_entity.id.name, version, settings)
            if not await client.register_launch_plan(ident, cp_entity.spec):
                log.debug("launch plan %s is already registered", ident.name)
            return ident
        if _is_reference(cp_entity):
            return None
        raise TypeError(
            f"raw_register: cannot register {type(cp_entity).__name__}; expected a TaskSpec, WorkflowSpec or LaunchPlan"
        )

    async def _default_launch_plan_spec(
        self,
        wf_spec: workflow_pb2.WorkflowSpec,
        wf_ident: Identifier,
        og_entity: Any,
        settings: SerializationSettings,
        options: Any,
    ) -> launch_plan_pb2.LaunchPlanSpec:
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

    async def _register_all(
        self,
        messages: list[Any],
        settings: SerializationSettings,
        version: str,
        originals: dict[int, Any] | None = None,
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
        """Register a task (``@task``, a map task, any ``PythonTask``) and return it as fetched from the backend."""
        from aioflyte.remote.translator import Translator

        _expect(entity, ("task", "map_task"), "register_task", "a task")
        ss = self._settings(serialization_settings, version)
        tr = Translator(ss)
        await tr.get(entity)
        idents = await self._register_all(tr.messages(), ss, ss.version)  # type: ignore[arg-type]
        ident = idents[-1]
        assert ident is not None
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
        """Register a workflow with everything it uses (tasks, subworkflows, launch plans of launch plan nodes)
        and, unless ``default_launch_plan=False``, its default launch plan; returns the fetched workflow."""
        from aioflyte.remote.translator import Translator

        _expect(entity, ("workflow",), "register_workflow", "a workflow")
        ss = self._settings(serialization_settings, version)
        tr = Translator(ss, options)
        wf_spec = await tr.get(entity)
        if default_launch_plan:
            await tr.get_default_launch_plan(entity)
        await self._register_all(tr.messages(), ss, ss.version)  # type: ignore[arg-type]
        ident = self._resolve_identifier(ResourceType.WORKFLOW, wf_spec.template.id.name, ss.version, ss)
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
        """Register a launch plan; its workflow (and what that uses) is registered first if this version of it
        is not on the backend yet."""
        from aioflyte.remote.translator import Translator

        _expect(entity, ("launch_plan",), "register_launch_plan", "a LaunchPlan")
        ss = self._settings(serialization_settings, version, project, domain)
        tr = Translator(ss, options)
        lp_msg = await tr.get(entity)
        wf_ident = self._resolve_identifier(ResourceType.WORKFLOW, lp_msg.spec.workflow_id.name, ss.version, ss)
        try:
            await self.client.get_workflow(wf_ident)
            messages = [lp_msg]
        except FlyteEntityNotExistException:
            messages = tr.messages()
        idents = await self._register_all(messages, ss, ss.version)  # type: ignore[arg-type]
        ident = idents[-1]
        assert ident is not None
        flp = await self.fetch_launch_plan(ident.project, ident.domain, ident.name, ident.version)
        return flp

    # --- lookup -----------------------------------------------------------------------------------------------

    def _named(self, kind: str, project: str | None, domain: str | None, name: str | None) -> tuple[str, str, str]:
        if not name:
            raise ValueError(f"fetch_{kind}: the 'name' argument must be specified")
        p, d = self._project_domain(project, domain)
        return p, d, name

    async def fetch_task(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteTask:
        """A registered task; the most recently registered version when ``version`` is not given.

        Raises ``FlyteEntityNotExistException`` naming the task when it is not registered."""
        return FlyteTask.from_admin(await self._get_admin("task", ResourceType.TASK, project, domain, name, version))

    async def fetch_workflow(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteWorkflow:
        """A registered workflow (latest version when none is given), with its compiled closure."""
        admin_wf = await self._get_admin("workflow", ResourceType.WORKFLOW, project, domain, name, version)
        return FlyteWorkflow.from_admin(admin_wf)

    async def fetch_launch_plan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteLaunchPlan:
        """A registered launch plan (latest version when none is given), with its workflow fetched too."""
        admin_lp = await self._get_admin("launch_plan", ResourceType.LAUNCH_PLAN, project, domain, name, version)
        return await self._promote_launch_plan(admin_lp)

    async def _get_admin(
        self,
        kind: str,
        rt: ResourceType,
        project: str | None,
        domain: str | None,
        name: str | None,
        version: str | None,
    ) -> Any:
        """The Admin message of ``kind`` at ``version``, or its newest version when none is given."""
        p, d, n = self._named(kind, project, domain, name)
        if version:
            return await getattr(self.client, f"get_{kind}")(_ident(rt, p, d, n, version))
        return await getattr(self.client, f"get_latest_{kind}")(p, d, n)

    async def _promote_launch_plan(self, admin_lp: launch_plan_pb2.LaunchPlan) -> FlyteLaunchPlan:
        flp = FlyteLaunchPlan.from_admin(admin_lp)
        wf_id = admin_lp.spec.workflow_id
        flp.flyte_workflow = FlyteWorkflow.from_admin(await self.client.get_workflow(wf_id))
        return flp

    async def fetch_active_launchplan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteLaunchPlan | None:
        """The active version of a launch plan, or None when no version of it is active (or it does not exist)."""
        p, d, n = self._named("active_launchplan", project, domain, name)
        try:
            admin_lp = await self.client.get_active_launch_plan(p, d, n)
        except FlyteEntityNotExistException:
            return None
        return await self._promote_launch_plan(admin_lp)

    async def activate_launchplan(self, ident: Identifier | Any) -> None:
        """Make this launch plan version the active one of its name (the others are deactivated)."""
        lp_id = getattr(ident, "id", ident)
        if lp_id.resource_type != ResourceType.LAUNCH_PLAN:
            lp_id = _ident(ResourceType.LAUNCH_PLAN, lp_id.project, lp_id.domain, lp_id.name, lp_id.version)
        await self.client.activate_launch_plan(lp_id)

    async def list_tasks_by_version(
        self, version: str, project: str | None = None, domain: str | None = None, limit: int | None = 100
    ) -> list[FlyteTask]:
        """The tasks registered with ``version`` in a project and domain (at most ``limit``)."""
        p, d = self._project_domain(project, domain)
        out: list[FlyteTask] = []
        # The filter asks the backend; the version check also holds for backends that ignore filters.
        async for t in self.client.iter_tasks(p, d, "", limit=100, filters=f"eq(version,{version})"):
            if t.id.version == version:
                out.append(FlyteTask.from_admin(t))
                if limit and len(out) >= limit:
                    break
        return out

    async def list_projects(
        self, limit: int | None = 100, filters: Any = None, sort_by: common_pb2.Sort | None = None
    ) -> list[project_pb2.Project]:
        """Registered projects (``id``, ``name``, ``description``, ``domains``)."""
        projects, _ = await self.client.list_projects(limit=limit or 0, filters=_filters(filters), sort=sort_by)
        return projects

    async def get_domains(self) -> list[project_pb2.Domain]:
        """The backend's domains (``id``, ``name``)."""
        return await self.client.get_domains()

    # --- console links ----------------------------------------------------------------------------------------

    def generate_console_http_domain(self) -> str:
        """Where the console is: ``console_endpoint`` if configured, else the Admin endpoint over http(s)."""
        platform = self._config.platform
        if platform.console_endpoint:
            return platform.console_endpoint.rstrip("/")
        protocol = "http" if platform.insecure else "https"
        endpoint = platform.endpoint.removeprefix("dns:///")
        return f"{protocol}://{endpoint}"

    def generate_console_url(self, entity: Any) -> str:
        """The console page of an execution, or of an entity version (task, workflow or launch plan)."""
        base = f"{self.generate_console_http_domain()}/console"
        ident = getattr(entity, "id", entity)
        if isinstance(ident, identifier_pb2.WorkflowExecutionIdentifier):
            return f"{base}/projects/{ident.project}/domains/{ident.domain}/executions/{ident.name}"
        ex_id = getattr(ident, "execution_id", None)
        if ex_id is not None and not isinstance(ident, Identifier):  # node or task execution
            if isinstance(ex_id, identifier_pb2.WorkflowExecutionIdentifier):
                return f"{base}/projects/{ex_id.project}/domains/{ex_id.domain}/executions/{ex_id.name}"
        if not isinstance(ident, Identifier):
            raise ValueError(f"cannot generate a console URL for {entity!r}")
        rt = {ResourceType.TASK: "task", ResourceType.LAUNCH_PLAN: "launch_plan"}.get(ident.resource_type, "workflow")
        return f"{base}/projects/{ident.project}/domains/{ident.domain}/{rt}/{ident.name}/version/{ident.version}"


def _ident(t: int, project: str, domain: str, name: str, version: str) -> Identifier:
    return Identifier(resource_type=t, project=project, domain=domain, name=name, version=version)


def _filters(filters: Any) -> str:
    """Admin's filter string: a string as is, or flytekit-style filter objects joined with ``+``."""
    if not filters:
        return ""
    if isinstance(filters, str):
        return filters
    return "+".join(f.to_flyte_idl() if hasattr(f, "to_flyte_idl") else str(f) for f in filters)


def _expect(entity: Any, kinds: tuple[str, ...], call: str, what: str) -> None:
    from aioflyte.remote.translator import entity_kind

    if entity_kind(entity) not in kinds:
        raise TypeError(f"{call} takes {what}, not {entity!r}")


def _is_reference(entity: Any) -> bool:
    return type(entity).__name__.startswith("Reference")


__all__ = ["FlyteExecutionTimeoutError", "FlyteRemote", "FlyteWorkflowExecution"]
