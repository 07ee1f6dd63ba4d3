"""Executions on a Flyte backend: ``FlyteWorkflowExecution``, and :class:`Executions`, the execution calls of
``FlyteRemote``.

``execute`` launches a task (registering a local one when missing) or a launch plan / workflow; ``wait`` watches an
execution with backoff (0.1 s doubling to a cap, never fixed long sleeps); ``sync_execution`` reads its phase and,
once done, its inputs and outputs as Python values (``TypeEngine`` with the launched entity's interface).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import logging
import time
import uuid
from typing import Any, TypeAlias

from flyteidl.admin import execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2

from aioflyte.core.interface import Interface
from aioflyte.core.reference_entity import ReferenceEntity
from aioflyte.exceptions import FlyteAssertion, FlyteEntityNotExistException, FlyteInvalidInputException
from aioflyte.exceptions import FlyteExecutionTimeoutError as FlyteExecutionTimeoutError
from aioflyte.io.literals import inline_or_stored
from aioflyte.remote.client import AdminClient
from aioflyte.remote.client.ids import describe_execution, execution_id
from aioflyte.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from aioflyte.remote.registry import Registry
from aioflyte.remote.session import RemoteSession
from aioflyte.types.literals import to_python_values

log = logging.getLogger("aioflyte.remote")

Phase: TypeAlias = core_execution_pb2.WorkflowExecution
ExecutionIdentifier: TypeAlias = identifier_pb2.WorkflowExecutionIdentifier
TERMINAL_PHASES = frozenset({Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.TIMED_OUT})
#: ``wait`` polls first after this many seconds, doubling up to ``poll_interval`` (default ``_MAX_POLL``).
_FIRST_POLL = 0.1
_MAX_POLL = 2.0


class FlyteWorkflowExecution:
    """An execution on the backend (flytekit's ``FlyteWorkflowExecution``): the admin ``Execution`` message plus,
    after a sync of a finished execution, its ``inputs`` and ``outputs`` as Python values."""

    def __init__(self, execution: execution_pb2.Execution, python_interface: Interface | None = None) -> None:
        self._execution = execution
        self._python_interface = python_interface
        self._inputs: dict[str, Any] | None = None
        self._outputs: dict[str, Any] | None = None
        self._flyte_entity: Any = None
        self._node_executions: dict[str, Any] | None = None

    @classmethod
    def promote_from_model(cls, execution: execution_pb2.Execution) -> FlyteWorkflowExecution:
        return cls(execution)

    @property
    def id(self) -> ExecutionIdentifier:
        return self._execution.id

    @property
    def spec(self) -> execution_pb2.ExecutionSpec:
        return self._execution.spec

    @property
    def closure(self) -> execution_pb2.ExecutionClosure:
        return self._execution.closure

    @property
    def phase(self) -> int:
        """``flyteidl.core.execution_pb2.WorkflowExecution.Phase`` (an int; ``phase_name`` for its name)."""
        return self._execution.closure.phase

    @property
    def phase_name(self) -> str:
        return Phase.Phase.Name(self.phase)

    @property
    def is_done(self) -> bool:
        return self.phase in TERMINAL_PHASES

    @property
    def is_successful(self) -> bool:
        return self.phase == Phase.SUCCEEDED

    @property
    def error(self) -> core_execution_pb2.ExecutionError | None:
        """The failure (``code``, ``message``, ``kind``) of a FAILED execution, else None."""
        closure = self._execution.closure
        return closure.error if closure.HasField("error") else None

    @property
    def abort_cause(self) -> str | None:
        closure = self._execution.closure
        return closure.abort_metadata.cause if closure.HasField("abort_metadata") else None

    @property
    def flyte_entity(self) -> Any:
        """What was launched (a ``FlyteTask`` / ``FlyteLaunchPlan``), once known."""
        return self._flyte_entity

    @property
    def node_executions(self) -> dict[str, Any]:
        """The node executions by node id (``FlyteNodeExecution``; start-node and end-node included), after a
        ``remote.sync_execution(ex, sync_nodes=True)`` (which ``wait`` does); empty for a task launched directly."""
        if self._node_executions is None:
            raise FlyteAssertion(f"node executions of {self}: sync them first (remote.sync_execution(ex, "
                                 "sync_nodes=True))")  # fmt: skip
        return self._node_executions

    @property
    def flyte_workflow(self) -> Any:
        """The launched launch plan's workflow (a ``FlyteWorkflow``), once known."""
        return getattr(self._flyte_entity, "flyte_workflow", None)

    @property
    def inputs(self) -> dict[str, Any]:
        """The inputs as Python values (after ``remote.sync_execution`` / ``wait``)."""
        if self._inputs is None:
            raise FlyteAssertion(f"inputs of {self}: sync the execution first (remote.sync_execution or wait)")
        return self._inputs

    @property
    def outputs(self) -> dict[str, Any]:
        """The outputs as Python values by name (``outputs["o0"]``), once the execution succeeded and was synced."""
        if not self.is_done:
            raise FlyteAssertion(f"{self} is {self.phase_name}: wait until it has completed to read its outputs")
        if self.error is not None:
            raise FlyteAssertion(f"{self} has no outputs: it failed with {self.error.code}: {self.error.message}")
        if not self.is_successful:
            raise FlyteAssertion(f"{self} has no outputs: it ended {self.phase_name}")
        if self._outputs is None:
            raise FlyteAssertion(f"outputs of {self}: sync the execution first (remote.sync_execution or wait)")
        return self._outputs

    def __repr__(self) -> str:
        return f"FlyteWorkflowExecution({describe_execution(self.id)}, {self.phase_name})"


def _seconds(value: float | datetime.timedelta | None) -> float | None:
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return value


async def _to_literals(
    what: str, interface: Interface, inputs: dict[str, Any], type_hints: dict[str, Any]
) -> literals_pb2.LiteralMap:
    from aioflyte.types.engine import TypeEngine, value_repr

    types = interface.input_types
    out = literals_pb2.LiteralMap()
    for name, value in inputs.items():
        t = type_hints.get(name) or types.get(name)
        if t is None:
            raise FlyteInvalidInputException(
                f"{what} has no input named {name!r} (its inputs: {', '.join(types) or 'none'})", entity=what
            )
        try:
            out.literals[name].CopyFrom(await TypeEngine.async_to_literal(None, value, t))
        except Exception as e:
            raise FlyteInvalidInputException(
                f"input {name!r} of {what}: cannot convert {value_repr(value)} to {t}: {e}", entity=what
            ) from e
    missing = [n for n in interface.required_inputs if n not in out.literals]
    if missing:
        raise FlyteInvalidInputException(f"{what}: missing input(s) {', '.join(missing)}", entity=what)
    return out


class Executions:
    """Launches, watches and reads executions on the backend of ``session``; local entities are registered
    through ``registry`` when missing."""

    def __init__(self, session: RemoteSession, registry: Registry) -> None:
        self.session = session
        self.registry = registry
        self._data: Any = None  # the DataTransfer local inputs are uploaded with (made on first use)

    @property
    def client(self) -> AdminClient:
        return self.session.client

    # --- launching --------------------------------------------------------------------------------------------

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
        timeout: float | datetime.timedelta | None = None,
        poll_interval: float | datetime.timedelta | None = None,
    ) -> FlyteWorkflowExecution:
        """Launch ``entity`` with ``inputs``; see ``FlyteRemote.execute``."""
        from aioflyte.remote.translator import entity_kind

        if isinstance(entity, ReferenceEntity) and not isinstance(entity, (FlyteTask, FlyteWorkflow, FlyteLaunchPlan)):
            r = entity.reference  # a reference runs in its own project and domain unless told otherwise
            project, domain = project or r.project, domain or r.domain
        p, d = self.session.project_domain(project, domain)
        kind = entity_kind(entity)
        if isinstance(entity, (FlyteTask, FlyteLaunchPlan)):
            target, iface = entity, entity.python_interface
        elif isinstance(entity, FlyteWorkflow):
            target = await self.registry.fetch_launch_plan(
                entity.id.project, entity.id.domain, entity.name, entity.version
            )
            iface = entity.python_interface
        elif isinstance(entity, ReferenceEntity):
            target, iface, kind = await self.registry.fetch_reference(entity)
        elif kind in ("task", "map_task", "workflow", "launch_plan"):
            version = version or await _hash_version(entity, kind, p, d, serialization_settings, options)
            target = await self.registry.fetch_or_register(
                entity, kind, p, d, name, version, serialization_settings, options
            )
            iface = entity.python_interface if kind != "launch_plan" else target.python_interface
        else:
            raise TypeError(f"execute takes a task, workflow or launch plan (local or fetched), not {entity!r}")

        given = dict(inputs or {})
        if kind in ("task", "map_task"):  # tasks have no defaults on the backend: send the local ones
            for k, default in iface.defaults.items():
                given.setdefault(k, default)
        what = f"{target.entity_type_text.lower()} {target.name}"
        literals = await _to_literals(what, iface, given, dict(type_hints or {}))
        await self._upload_local_data(what, literals, p, d)

        spec = _execution_spec(options, overwrite_cache, interruptible, envs, tags, cluster_pool,
                               execution_cluster_label)  # fmt: skip
        if not execution_name and execution_name_prefix:
            execution_name = f"{execution_name_prefix}-{uuid.uuid4().hex[:19]}"[:63]
        launch_id = target.id
        ex_id = await self.client.create_execution(p, d, launch_id, literals, name=execution_name or "", spec=spec)
        await self.session.learn_console_endpoint()  # so generate_console_url links to the backend's console
        execution = FlyteWorkflowExecution(await self.client.get_execution(ex_id), iface)
        execution._flyte_entity = target
        if wait:
            return await self.wait(execution, timeout=timeout, poll_interval=poll_interval)
        return execution

    async def _upload_local_data(self, what: str, literals: literals_pb2.LiteralMap, project: str, domain: str) -> None:
        """Local files, directories and datasets among the inputs go through the data proxy (as flytekit's remote
        uploads them), so that the backend need not share this machine's disk."""
        from aioflyte.remote.data import DataTransfer

        if self._data is None:
            self._data = DataTransfer(self.session)
        for name, lit in literals.literals.items():
            try:
                await self._data.upload_local_data(lit, project, domain)
            except (OSError, ValueError) as e:  # no such path, an empty directory
                raise FlyteInvalidInputException(
                    f"input {name!r} of {what}: cannot upload its local data through the data proxy: {e}", entity=what
                ) from e

    # --- watching ---------------------------------------------------------------------------------------------

    async def wait(
        self,
        execution: FlyteWorkflowExecution,
        timeout: float | datetime.timedelta | None = None,
        poll_interval: float | datetime.timedelta | None = None,
        sync_nodes: bool = True,
    ) -> FlyteWorkflowExecution:
        """Wait until ``execution`` is done, then sync it; see ``FlyteRemote.wait``."""
        limit = _seconds(timeout)
        cap = max(_seconds(poll_interval) or _MAX_POLL, 0.01)
        deadline = None if limit is None else time.monotonic() + limit
        delay = min(_FIRST_POLL, cap)
        while not execution.is_done:
            if deadline is not None and time.monotonic() >= deadline:
                raise FlyteExecutionTimeoutError(
                    f"execution {describe_execution(execution.id)} was still {execution.phase_name} after {limit:g} s",
                    entity=f"execution {describe_execution(execution.id)}",
                )
            pause = delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic()))
            await asyncio.sleep(pause)
            delay = min(delay * 2, cap)
            execution._execution = await self.client.get_execution(execution.id)
        return await self.sync_execution(execution, sync_nodes=sync_nodes)

    async def sync_execution(
        self,
        execution: FlyteWorkflowExecution,
        entity_definition: Any = None,
        sync_nodes: bool = False,
        rpc_timeout: float | datetime.timedelta | None = None,
    ) -> FlyteWorkflowExecution:
        """Refresh ``execution`` and read its values; see ``FlyteRemote.sync_execution``."""
        limit = _seconds(rpc_timeout)
        if limit is not None:
            try:
                return await asyncio.wait_for(self.sync_execution(execution, entity_definition, sync_nodes), limit)
            except asyncio.TimeoutError:
                what = f"execution {describe_execution(execution.id)}"
                raise FlyteExecutionTimeoutError(f"syncing {what} took more than {limit:g} s", entity=what) from None
        execution._execution = await self.client.get_execution(execution.id)
        if entity_definition is not None:
            execution._python_interface = entity_definition.python_interface
        iface = execution._python_interface
        if iface is None:
            iface = await self._launched_interface(execution)
        data = await self.client.get_execution_data(execution.id)
        inputs = await inline_or_stored(data.full_inputs, data.inputs)
        types = dict(iface.input_types)
        if any(name not in types for name in inputs.literals):  # e.g. a launch plan's fixed inputs
            types = {**await self._workflow_input_types(execution), **types}
        execution._inputs = await to_python_values(inputs, types)
        if execution.is_successful:
            outputs = await inline_or_stored(data.full_outputs, data.outputs)
            execution._outputs = await to_python_values(outputs, iface.outputs)
        if sync_nodes:
            from aioflyte.remote.node_executions import sync_nodes as _sync_nodes

            execution._node_executions = await _sync_nodes(self, execution)
        return execution

    async def _workflow_input_types(self, execution: FlyteWorkflowExecution) -> dict[str, Any]:
        """The input types of the workflow a launch plan execution ran (its interface has the fixed inputs too)."""
        if execution.spec.launch_plan.resource_type != identifier_pb2.LAUNCH_PLAN:
            return {}
        entity = execution._flyte_entity
        if not isinstance(entity, FlyteLaunchPlan):
            lid = execution.spec.launch_plan
            try:
                entity = await self.registry.fetch_launch_plan(lid.project, lid.domain, lid.name, lid.version)
            except FlyteEntityNotExistException:
                return {}
        wid = entity.workflow_id
        try:
            wf = await self.registry.fetch_workflow(wid.project, wid.domain, wid.name, wid.version)
        except FlyteEntityNotExistException:
            return {}
        return dict(wf.python_interface.input_types)

    async def _launched_interface(self, execution: FlyteWorkflowExecution) -> Interface:
        lid = execution.spec.launch_plan
        try:
            if lid.resource_type == identifier_pb2.TASK:
                entity: Any = await self.registry.fetch_task(lid.project, lid.domain, lid.name, lid.version)
            else:
                entity = await self.registry.fetch_launch_plan(lid.project, lid.domain, lid.name, lid.version)
        except FlyteEntityNotExistException:
            log.debug("the launched entity of %s is gone; values stay literals", execution)
            return Interface()
        execution._flyte_entity = entity
        execution._python_interface = entity.python_interface
        return entity.python_interface

    # --- lookup and control -----------------------------------------------------------------------------------

    async def fetch_execution(
        self, project: str | None = None, domain: str | None = None, name: str | None = None
    ) -> FlyteWorkflowExecution:
        """An execution by name, synced; see ``FlyteRemote.fetch_execution``."""
        if not name:
            raise ValueError("fetch_execution: the 'name' argument must be specified")
        p, d = self.session.project_domain(project, domain)
        execution = FlyteWorkflowExecution(await self.client.get_execution(execution_id(p, d, name)))
        await self.session.learn_console_endpoint()
        return await self.sync_execution(execution)

    async def recent_executions(
        self, project: str | None = None, domain: str | None = None, limit: int | None = 100, filters: Any = None
    ) -> list[FlyteWorkflowExecution]:
        """The newest executions of a project and domain (at most ``limit``, matching ``filters``), not synced."""
        from aioflyte.remote.registry import filters_string

        p, d = self.session.project_domain(project, domain)
        out: list[FlyteWorkflowExecution] = []
        where = filters_string(filters)
        async for e in self.client.iter_executions(p, d, limit=min(limit or 100, 100), filters=where):
            out.append(FlyteWorkflowExecution(e))
            if limit and len(out) >= limit:
                break
        return out

    async def terminate(self, execution: FlyteWorkflowExecution | ExecutionIdentifier, cause: str) -> None:
        """Abort a running execution (it ends ABORTED with ``cause``)."""
        ex_id = execution.id if isinstance(execution, FlyteWorkflowExecution) else execution
        await self.client.terminate_execution(ex_id, cause)
        if isinstance(execution, FlyteWorkflowExecution):
            execution._execution = await self.client.get_execution(ex_id)


async def _hash_version(entity: Any, kind: str, project: str, domain: str, settings: Any, options: Any) -> str:
    """A version derived from the entity's serialized form (so unchanged code reuses its registration)."""
    from aioflyte.configuration.image import ImageConfig
    from aioflyte.remote.serialization import SerializationSettings
    from aioflyte.remote.translator import Translator

    if settings is None:
        settings = SerializationSettings(image_config=ImageConfig.auto_default_image())
    ss = settings.replace(project=project, domain=domain, version="0")
    tr = Translator(ss, options)
    await tr.get(entity)
    digest = hashlib.sha256()
    for m in tr.messages():
        digest.update(m.SerializeToString(deterministic=True))
    return digest.hexdigest()[:32]


def _execution_spec(
    options: Any,
    overwrite_cache: bool | None,
    interruptible: bool | None,
    envs: dict[str, str] | None,
    tags: list[str] | None,
    cluster_pool: str | None,
    execution_cluster_label: str | None,
) -> execution_pb2.ExecutionSpec:
    spec = execution_pb2.ExecutionSpec(
        metadata=execution_pb2.ExecutionMetadata(mode=execution_pb2.ExecutionMetadata.MANUAL)
    )
    if options is not None:
        for field in ("labels", "annotations", "raw_output_data_config", "security_context"):
            value = getattr(options, field, None)
            if value is not None:
                getattr(spec, field).CopyFrom(value.to_flyte_idl() if hasattr(value, "to_flyte_idl") else value)
        if getattr(options, "max_parallelism", None) is not None:
            spec.max_parallelism = options.max_parallelism
        if getattr(options, "disable_notifications", None):
            spec.disable_all = True
        if overwrite_cache is None:
            overwrite_cache = getattr(options, "overwrite_cache", None)
    if overwrite_cache:
        spec.overwrite_cache = True
    if interruptible is not None:
        spec.interruptible.value = interruptible
    if envs:
        spec.envs.values.extend(literals_pb2.KeyValuePair(key=k, value=str(v)) for k, v in envs.items())
    if tags:
        spec.tags.extend(tags)
    if cluster_pool:
        spec.cluster_assignment.cluster_pool_name = cluster_pool
    if execution_cluster_label:
        spec.execution_cluster_label.value = execution_cluster_label
    return spec


#: the name this module gave ``inline_or_stored`` (before it moved to ``aioflyte.io.literals``)
_data_literals = inline_or_stored

__all__ = ["TERMINAL_PHASES", "Executions", "FlyteExecutionTimeoutError", "FlyteWorkflowExecution"]
