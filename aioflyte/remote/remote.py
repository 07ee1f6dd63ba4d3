"""``FlyteRemote``: flytekit's programmatic access to a Flyte backend, every call a coroutine.

``FlyteRemote`` is the public face; the work is done by the parts it is made of (see :mod:`aioflyte.remote.base`),
to which its calls go. Everything runs on the caller's loop: no threads, no loops of its own.
"""

from __future__ import annotations

import datetime
import os
import pathlib
from collections.abc import Mapping
from typing import Any, TypeAlias

from flyteidl.admin import common_pb2, project_pb2, signal_pb2

from aioflyte.core.workflow import ImperativeWorkflow
from aioflyte.exceptions import FlyteExecutionTimeoutError
from aioflyte.remote.base import DEFAULT_DATA_UPLOAD_LOCATION
from aioflyte.remote.client.ids import ExecutionIdentifier, Identifier
from aioflyte.remote.data import Literal, LiteralMap, LiteralsResolver
from aioflyte.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from aioflyte.remote.executions import FlyteWorkflowExecution
from aioflyte.remote.fast import FastPackageOptions
from aioflyte.remote.launchers import Launchers
from aioflyte.remote.lazy_entity import LazyEntity
from aioflyte.remote.metrics import FlyteExecutionSpan
from aioflyte.remote.serialization import SerializationSettings

Seconds: TypeAlias = float | datetime.timedelta | None


class FlyteRemote(Launchers):
    """Programmatic access to a Flyte backend (flytekit's ``FlyteRemote``), as coroutines.

    ``FlyteRemote(config, default_project=..., default_domain=...)`` is cheap and synchronous; the gRPC channel
    is opened on the first call, inside the running loop. Close it with ``await remote.close()`` or use
    ``async with remote:``. Extra keyword arguments go to the :class:`~aioflyte.remote.client.AdminClient`.
    """

    # --- running eager workflows here, their calls on the backend ---------------------------------------------

    async def run_eager(self, entity: Any, inputs: dict[str, Any] | None = None, **options: Any) -> Any:
        """Run the ``@eager`` workflow ``entity`` here, each entity it awaits becoming an execution on this backend.

        ``options`` are :class:`~aioflyte.remote.controller.RemoteController`'s (``execution_name``, ``version``,
        ``max_in_flight``, ``qps``, ``project``, ``domain``). Same as ``await entity.run_remote(remote, inputs)``.
        """
        from aioflyte.remote.controller import run_remote

        return await run_remote(entity, self, inputs, **options)

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
        return await self._registry.raw_register(
            cp_entity, settings, version, create_default_launchplan, options, og_entity
        )

    async def register_task(
        self, entity: Any, serialization_settings: SerializationSettings | None = None, version: str | None = None
    ) -> FlyteTask:
        """Register a task (``@task``, a map task, any ``PythonTask``) and return it as fetched from the backend."""
        return await self._registry.register_task(entity, serialization_settings, version)

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
        return await self._registry.register_workflow(
            entity, serialization_settings, version, default_launch_plan, options
        )

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
        return await self._registry.register_launch_plan(
            entity, version, project, domain, options, serialization_settings
        )

    # --- lookup -----------------------------------------------------------------------------------------------

    async def fetch_task(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteTask:
        """A registered task; the most recently registered version when ``version`` is not given.

        Raises ``FlyteEntityNotExistException`` naming the task when it is not registered."""
        return await self._registry.fetch_task(project, domain, name, version)

    async def fetch_workflow(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteWorkflow:
        """A registered workflow (latest version when none is given), with its compiled closure."""
        return await self._registry.fetch_workflow(project, domain, name, version)

    async def fetch_launch_plan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> FlyteLaunchPlan:
        """A registered launch plan (latest version when none is given), with its workflow fetched too."""
        return await self._registry.fetch_launch_plan(project, domain, name, version)

    def fetch_task_lazy(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> LazyEntity[FlyteTask]:
        """A :class:`~aioflyte.remote.lazy_entity.LazyEntity` of the task, fetched on first ``await`` (no call now)."""
        return self._registry.lazy("task", project, domain, name, version)

    def fetch_workflow_lazy(
        self, project: str | None = None, domain: str | None = None, name: str | None = None, version: str | None = None
    ) -> LazyEntity[FlyteWorkflow]:
        """A :class:`~aioflyte.remote.lazy_entity.LazyEntity` of the workflow, fetched on first ``await``."""
        return self._registry.lazy("workflow", project, domain, name, version)

    async def find_launch_plan(self, lp_ref: Any, node_launch_plans: dict[Any, Any]) -> None:
        """Add the spec of the launch plan ``lp_ref`` (an identifier) to ``node_launch_plans`` unless it is there
        (keys are ``aioflyte.models.core.identifier.Identifier``s, hashable)."""
        await self._registry.find_launch_plan(lp_ref, node_launch_plans)

    async def find_launch_plan_for_node(self, node: Any, node_launch_plans: dict[Any, Any]) -> None:
        """Add to ``node_launch_plans`` the specs of the launch plans a workflow node (flyteidl ``Node``) runs: its own
        launch plan node, an array node's, and those inside conditional branches."""
        await self._registry.find_launch_plan_for_node(node, node_launch_plans)

    async def fetch_active_launchplan(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteLaunchPlan | None:
        """The active version of a launch plan, or None when no version of it is active (or it does not exist)."""
        return await self._registry.fetch_active_launchplan(project, domain, name)

    async def activate_launchplan(self, ident: Identifier | Any) -> None:
        """Make this launch plan version the active one of its name (the others are deactivated)."""
        await self._registry.activate_launchplan(ident)

    async def list_tasks_by_version(
        self, version: str, project: str | None = None, domain: str | None = None, limit: int | None = 100
    ) -> list[FlyteTask]:
        """The tasks registered with ``version`` in a project and domain (at most ``limit``)."""
        return await self._registry.list_tasks_by_version(version, project, domain, limit)

    async def list_projects(
        self, limit: int | None = 100, filters: Any = None, sort_by: common_pb2.Sort | None = None
    ) -> list[project_pb2.Project]:
        """Registered projects (``id``, ``name``, ``description``, ``domains``)."""
        return await self._registry.list_projects(limit, filters, sort_by)

    async def get_domains(self) -> list[project_pb2.Domain]:
        """The backend's domains (``id``, ``name``)."""
        return await self._registry.get_domains()

    # --- executions -------------------------------------------------------------------------------------------

    async def execute(
        self,
        entity: Any,
        inputs: dict[str, Any] | None = None,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        version: str | None = None,
        execution_name: str | None = None,
        execution_name_prefix: str | None = None,
        image_config: Any = None,
        options: Any = None,
        wait: bool = False,
        type_hints: dict[str, Any] | None = None,
        overwrite_cache: bool | None = None,
        interruptible: bool | None = None,
        envs: dict[str, str] | None = None,
        tags: list[str] | None = None,
        cluster_pool: str | None = None,
        execution_cluster_label: str | None = None,
        serialization_settings: Any = None,
        timeout: Seconds = None,
        poll_interval: Seconds = None,
    ) -> FlyteWorkflowExecution:
        """Launch ``entity`` with ``inputs`` (Python values) and return the execution (done if ``wait=True``).

        ``entity``: a local task (registered under ``version`` when that version is missing; without ``version``
        one is derived from a hash of its serialized spec), a local workflow or ``LaunchPlan`` (likewise), or a
        fetched ``FlyteTask`` / ``FlyteWorkflow`` (its default launch plan) / ``FlyteLaunchPlan``. Inputs are
        converted with the entity's interface (``type_hints`` override types); an unknown, missing or
        unconvertible input raises ``FlyteInvalidInputException`` naming it.
        """
        return await self._executions.execute(
            entity, inputs, project, domain, name, version, execution_name, execution_name_prefix, image_config,
            options, wait, type_hints, overwrite_cache, interruptible, envs, tags, cluster_pool,
            execution_cluster_label, serialization_settings, timeout, poll_interval,
        )  # fmt: skip

    async def get_execution_metrics(self, id: ExecutionIdentifier, depth: int = 10) -> FlyteExecutionSpan:
        """The timings of an execution as a tree of spans (workflow, nodes, task attempts), from the backend's
        ``GetExecutionMetrics`` (``depth`` bounds the levels of nested nodes)."""
        from aioflyte.remote.metrics import get_execution_metrics

        return await get_execution_metrics(self.client, id, depth)

    @staticmethod
    def get_extra_headers_for_protocol(native_url: str) -> dict[str, str]:
        """Extra HTTP headers a signed upload URL of this protocol needs (Azure blob storage: the blob type)."""
        if native_url.startswith("abfs://"):
            return {"x-ms-blob-type": "BlockBlob"}
        return {}

    @property
    def file_access(self) -> Any:
        """A data-plane provider with this remote's data configuration (``config.data_config``)."""
        fa = self.__dict__.get("_file_access")
        if fa is None:
            from aioflyte.io.data_persistence import FileAccessProvider

            fa = self.__dict__["_file_access"] = FileAccessProvider(data_config=self.config.data_config)
        return fa

    def remote_context(self) -> Any:
        """A context manager in which the data plane (``FlyteContextManager.current_context().file_access`` and
        what reads through it) uses this remote's data configuration."""
        from aioflyte.core.context_manager import FlyteContextManager

        return FlyteContextManager.with_context(
            FlyteContextManager.current_context().with_file_access(self.file_access)
        )

    async def wait(
        self,
        execution: FlyteWorkflowExecution,
        timeout: Seconds = None,
        poll_interval: Seconds = None,
        sync_nodes: bool = True,
    ) -> FlyteWorkflowExecution:
        """Wait until ``execution`` is done, then sync it (inputs and outputs). Polls after 0.1 s, doubling up to
        ``poll_interval`` (default 2 s). Raises ``FlyteExecutionTimeoutError`` (a ``TimeoutError``) after
        ``timeout`` seconds; the execution keeps running."""
        return await self._executions.wait(execution, timeout, poll_interval, sync_nodes)

    async def sync_execution(
        self,
        execution: FlyteWorkflowExecution,
        entity_definition: Any = None,
        sync_nodes: bool = False,
        rpc_timeout: datetime.timedelta | int | None = datetime.timedelta(seconds=60),
    ) -> FlyteWorkflowExecution:
        """Refresh ``execution``'s phase and closure; read its inputs, and its outputs once it succeeded, as Python
        values with the launched entity's interface (``entity_definition``'s when given). With ``sync_nodes``, also
        its node executions (``execution.node_executions``), each with inputs, outputs and task executions.

        ``rpc_timeout`` (seconds or a timedelta; None for no limit) bounds the whole sync: past it, the sync is
        abandoned and ``FlyteExecutionTimeoutError`` (a ``TimeoutError``) raised."""
        return await self._executions.sync_execution(execution, entity_definition, sync_nodes, rpc_timeout)

    async def sync(
        self, execution: FlyteWorkflowExecution, entity_definition: Any = None, sync_nodes: bool = False
    ) -> FlyteWorkflowExecution:
        """The same as :meth:`sync_execution` (flytekit's shorter name)."""
        return await self._executions.sync_execution(execution, entity_definition, sync_nodes)

    async def sync_node_execution(self, node_execution: Any, node_mapping: Any = None) -> Any:
        """Refresh one ``FlyteNodeExecution`` (phase, inputs, outputs, task executions, child nodes)."""
        from aioflyte.remote.node_executions import sync_node_execution

        return await sync_node_execution(self._executions, node_execution)

    async def sync_task_execution(self, task_execution: Any, entity_interface: Any = None) -> Any:
        """Refresh one ``FlyteTaskExecution`` (phase, logs, inputs, outputs)."""
        from aioflyte.remote.node_executions import sync_task_execution

        return await sync_task_execution(self._executions, task_execution, entity_interface)

    async def fetch_execution(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteWorkflowExecution:
        """An execution by name, synced (its inputs, and outputs when it succeeded). ``FlyteEntityNotExistException``
        when there is none."""
        return await self._executions.fetch_execution(project, domain, name)

    async def recent_executions(
        self, project: str | None = None, domain: str | None = None, limit: int | None = 100, filters: Any = None
    ) -> list[FlyteWorkflowExecution]:
        """The newest executions of a project and domain (at most ``limit``), not synced; ``filters`` (flytekit's
        filter objects, or Admin's filter string such as ``eq(phase,SUCCEEDED)``) narrow them."""
        return await self._executions.recent_executions(project, domain, limit, filters)

    async def terminate(self, execution: FlyteWorkflowExecution | ExecutionIdentifier, cause: str) -> None:
        """Abort a running execution (it ends ABORTED with ``cause``)."""
        await self._executions.terminate(execution, cause)

    async def launch_backfill(
        self,
        project: str,
        domain: str,
        from_date: datetime.datetime,
        to_date: datetime.datetime,
        launchplan: str,
        launchplan_version: str | None = None,
        execution_name: str | None = None,
        version: str | None = None,
        dry_run: bool = False,
        execute: bool = True,
        parallel: bool = False,
        failure_policy: Any = None,
        overwrite_cache: bool | None = False,
    ) -> ImperativeWorkflow | FlyteWorkflow | FlyteWorkflowExecution:
        """Backfill the scheduled launch plan ``launchplan`` (its latest version unless ``launchplan_version``)
        for every scheduled time after ``from_date`` and before ``to_date``.

        ``dry_run``: return the backfill workflow, registering nothing. ``execute=False``: register it (under
        ``version``, by default a hash of the window and launch plan) and return the ``FlyteWorkflow``. Otherwise
        register and launch it (named ``execution_name`` if given) and return the execution.
        """
        return await self._backfills.launch_backfill(
            project, domain, from_date, to_date, launchplan, launchplan_version, execution_name, version, dry_run,
            execute, parallel, failure_policy, overwrite_cache,
        )  # fmt: skip

    # --- signals ----------------------------------------------------------------------------------------------

    async def list_signals(
        self,
        execution_name: str,
        project: str | None = None,
        domain: str | None = None,
        limit: int = 100,
        filters: Any = None,
    ) -> list[signal_pb2.Signal]:
        """Up to ``limit`` signals of the execution (``flyteidl.admin.Signal``: id, type, and value once set)."""
        return await self._signals.list_signals(execution_name, project, domain, limit, filters)

    async def set_signal(
        self,
        signal_id: str,
        execution_name: str,
        value: Any,
        project: str | None = None,
        domain: str | None = None,
        python_type: type | None = None,
        literal_type: Any = None,
    ) -> None:
        """Give the signal ``signal_id`` of an execution its value (a literal, or a Python value to convert, of
        ``literal_type`` / ``python_type`` when given, else of the type the signal was registered with).

        Raises ``FlyteEntityNotExistException`` if the execution has no such signal and ``FlyteInvalidInputException``
        if the value is not of the signal's type.
        """
        await self._signals.set_signal(signal_id, execution_name, value, project, domain, python_type, literal_type)

    async def set_input(
        self,
        signal_id: str,
        execution_name: str,
        value: Any,
        project: str | None = None,
        domain: str | None = None,
        python_type: type | None = None,
        literal_type: Any = None,
    ) -> None:
        """The same as :meth:`set_signal` (flytekit's name for giving a ``wait_for_input`` its value)."""
        await self._signals.set_signal(signal_id, execution_name, value, project, domain, python_type, literal_type)

    async def approve(
        self, signal_id: str, execution_name: str, project: str | None = None, domain: str | None = None
    ) -> None:
        """Approve the ``approve`` gate ``signal_id``: its signal is set to True and the execution goes on."""
        await self._signals.set_bool(signal_id, execution_name, True, project, domain)

    async def reject(
        self, signal_id: str, execution_name: str, project: str | None = None, domain: str | None = None
    ) -> None:
        """Reject the ``approve`` gate ``signal_id``: its signal is set to False (the gate node fails)."""
        await self._signals.set_bool(signal_id, execution_name, False, project, domain)

    # --- data -------------------------------------------------------------------------------------------------

    async def upload_file(
        self,
        to_upload: pathlib.Path | str,
        project: str | None = None,
        domain: str | None = None,
        filename_root: str | None = None,
    ) -> tuple[bytes, str]:
        """Upload one file through the backend's data proxy; returns ``(md5 digest bytes, native URL)``.

        The file goes to ``<raw prefix>/<project>/<domain>/<filename_root or base32(md5)>/<file name>``; the body is
        streamed (never read whole) with its ``Content-MD5``, which the backend checks.
        """
        return await self._data.upload_file(to_upload, project, domain, filename_root)

    async def download(
        self,
        data: LiteralsResolver | Literal | LiteralMap | Mapping[str, Literal],
        download_to: str | os.PathLike[str],
        recursive: bool = True,
    ) -> None:
        """Download the files and directories (blobs, structured datasets) in ``data`` under ``download_to``.

        A single Literal goes to ``download_to/data``; each value of a map to ``download_to/<name>`` (a file keeps
        its name inside that folder; a directory's contents land in it; lists and maps become subfolders, generic
        and msgpack values ``<name>.json``). Other values are skipped. A map needs ``recursive=True``.
        """
        await self._data.download(data, download_to, recursive)

    async def get(self, flyte_uri: str | None = None) -> LiteralsResolver | Literal | bytes | None:
        """What a ``flyte://v1/<project>/<domain>/<execution>[/<node>[/<attempt>]]/<i|o|d>[/<name>]`` URI points at:
        a :class:`LiteralsResolver` of inputs or outputs, one Literal when a name is given, or the deck's HTML as
        bytes. None when the backend has nothing there (logged)."""
        return await self._data.get(flyte_uri)

    # --- fast registration ------------------------------------------------------------------------------------

    async def fast_package(
        self,
        root: str | os.PathLike[str],
        deref_symlinks: bool = True,
        output: str | None = None,
        options: FastPackageOptions | None = None,
    ) -> tuple[bytes, str]:
        """Package ``root`` (see :func:`aioflyte.remote.fast.fast_package`; into ``output`` or a temporary
        directory) and upload it; returns ``(md5 bytes, native URL)`` like flytekit's ``FlyteRemote.fast_package``."""
        return await self._fast.fast_package(root, deref_symlinks, output, options)

    async def fast_register_workflow(
        self,
        entity: Any,
        serialization_settings: Any = None,
        version: str | None = None,
        default_launch_plan: bool | None = True,
        options: Any = None,
        fast_package_options: FastPackageOptions | None = None,
    ) -> Any:
        """Register a workflow with its code packaged from the root of its module's package (``register_script``)."""
        return await self._fast.fast_register_workflow(
            entity, serialization_settings, version, default_launch_plan, options, fast_package_options
        )

    async def register_script(
        self,
        entity: Any,
        image_config: Any = None,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        destination_dir: str = ".",
        copy_all: bool = False,
        default_launch_plan: bool = True,
        options: Any = None,
        source_path: str | None = None,
        module_name: str | None = None,
        envs: dict[str, str] | None = None,
        fast_package_options: FastPackageOptions | None = None,
    ) -> Any:
        """Package ``source_path`` (default: the root of the entity's package), upload it, and register ``entity``
        (a task, workflow or launch plan) to run from that code, unpacked into ``destination_dir`` where it runs.

        The version defaults to a hash of the archive and the settings, so unchanged code re-registers nothing.
        Returns the registered ``FlyteTask`` / ``FlyteWorkflow`` / ``FlyteLaunchPlan``.
        """
        return await self._fast.register_script(
            entity, image_config, version, project, domain, destination_dir, copy_all, default_launch_plan, options,
            source_path, module_name, envs, fast_package_options,
        )  # fmt: skip


__all__ = ["DEFAULT_DATA_UPLOAD_LOCATION", "FlyteExecutionTimeoutError", "FlyteRemote", "FlyteWorkflowExecution"]
