"""The executions the server runs: created QUEUED, RUNNING while their task process runs (or their workflow's nodes
run, see ``workflow.py``), then SUCCEEDED, FAILED or ABORTED. State changes are written to SQLite as they happen, so
a restart finds every execution; the ones that were still unfinished when the server went away are marked FAILED
on the next start (never left RUNNING), and so are their unfinished node and task executions.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import secrets
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from flyteidl.admin import execution_pb2, launch_plan_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, literals_pb2, tasks_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from google.protobuf import duration_pb2, timestamp_pb2

from aioflyte.exceptions import ArtifactError
from aioflyte.loggers import get_logger
from aioflyte.models.literals import read_literal_map_file
from aioflyte.server.errors import enum_name
from aioflyte.server.executions import taskvars
from aioflyte.server.executions.connectors import connector_for
from aioflyte.server.executions.launch import resolve_launch
from aioflyte.server.executions.nodestore import NodeStore
from aioflyte.server.executions.processes import ProcessTable
from aioflyte.server.executions.records import (
    NODE_UNFINISHED,
    TASK_UNFINISHED,
    NodeFailed,
    NodePhase,
    RunContext,
    TaskPhase,
    user_error,
    write_literals,
)
from aioflyte.server.executions.runner import Outcome
from aioflyte.server.executions.store import ExecutionStore
from aioflyte.server.executions.taskenv import TaskEnvironment
from aioflyte.server.store import Store, now_ns

log = logging.getLogger("aioflyte.server")
#: executions' lifecycle (created, each phase change, the error kind of a failure): key-value records (structlog)
#: on the same standard library logger, ``aioflyte.server``
events = get_logger("server")

Phase: TypeAlias = core_execution_pb2.WorkflowExecution
QUEUED, RUNNING, SUCCEEDED, FAILED, ABORTED = Phase.QUEUED, Phase.RUNNING, Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED
UNFINISHED = (Phase.UNDEFINED, QUEUED, RUNNING, Phase.SUCCEEDING, Phase.FAILING, Phase.ABORTING)
TERMINAL = (SUCCEEDED, FAILED, ABORTED, Phase.TIMED_OUT)

INTERRUPTED_CODE = "SYSTEM:ServerInterrupted"
STOPPED_MESSAGE = "the aioflyte server stopped while this execution was running; its task process was killed"
RESTART_MESSAGE = (
    "the aioflyte server was not running while this execution was unfinished (it crashed or was killed); "
    "the execution was marked failed when the server restarted"
)
_NAME_ALPHABET = string.ascii_lowercase + string.digits


def new_name() -> str:
    """A name as flyteadmin generates one: a letter, then 19 lowercase letters and digits."""
    return secrets.choice(string.ascii_lowercase) + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(19))


def timestamp(ns: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(ns)
    return ts


def _stamp(execution: execution_pb2.Execution, phase: Phase.Phase, ns: int) -> None:
    closure = execution.closure
    closure.phase = phase
    closure.updated_at.CopyFrom(timestamp(ns))
    if phase == RUNNING and not closure.HasField("started_at"):
        closure.started_at.CopyFrom(timestamp(ns))
    if phase in TERMINAL and closure.HasField("started_at"):
        duration = duration_pb2.Duration()
        duration.FromNanoseconds(max(0, ns - closure.started_at.ToNanoseconds()))
        closure.duration.CopyFrom(duration)


def _log_phase(key: tuple[str, str, str], execution: execution_pb2.Execution) -> None:
    """Log an execution's new phase: ``execution running``, ``execution succeeded``, ``execution failed`` (with the
    error's kind and code), ``execution aborted``."""
    phase = Phase.Phase.Name(execution.closure.phase)
    fields: dict[str, Any] = {"execution": "/".join(key)}
    closure = execution.closure
    if closure.phase == FAILED:
        fields["error_kind"] = enum_name(core_execution_pb2.ExecutionError.ErrorKind, closure.error.kind)
        fields["error_code"] = closure.error.code
        events.warning(f"execution {phase.lower()}", **fields)
        return
    if closure.phase == ABORTED:
        fields["cause"] = closure.abort_metadata.cause
    elif closure.phase in TERMINAL and closure.HasField("duration"):
        fields["duration"] = f"{closure.duration.ToTimedelta().total_seconds():.3f}s"
    events.info(f"execution {phase.lower()}", **fields)


def _stopped(execution: execution_pb2.Execution) -> None:
    """The change recorded when the server stops while the execution runs."""
    execution.closure.error.CopyFrom(core_execution_pb2.ExecutionError(
        code=INTERRUPTED_CODE, message=STOPPED_MESSAGE, kind=core_execution_pb2.ExecutionError.SYSTEM,
    ))  # fmt: skip
    _stamp(execution, FAILED, now_ns())


def _crashed(message: str) -> Callable[[execution_pb2.Execution], None]:
    """The change recorded when running the execution raised (a bug, an unrunnable command)."""

    def change(execution: execution_pb2.Execution) -> None:
        execution.closure.error.CopyFrom(core_execution_pb2.ExecutionError(
            code="SYSTEM:Internal", message=message, kind=core_execution_pb2.ExecutionError.SYSTEM,
        ))  # fmt: skip
        _stamp(execution, FAILED, now_ns())

    return change


class ExecutionManager:
    """Creates, runs, terminates and recovers executions; at most ``max_processes`` task processes at once."""

    def __init__(
        self, store: Store, raw_output_prefix: str, *, max_processes: int = 32, signals: Any = None,
        raw_data_prefix: str | None = None,
        task_env: TaskEnvironment | None = None,
    ) -> None:  # fmt: skip
        self.entities = store  # registered tasks, workflows and launch plans (child executions look them up)
        self.store = ExecutionStore(store)
        self.nodes = NodeStore(store)
        #: the task processes running now (pid and start time), so that a restart kills any that survived
        self.processes = ProcessTable(store)
        #: the ``SignalManager`` gate nodes wait on (``None``: gates that need a signal fail)
        self.signals = signals
        self.raw_output_prefix = raw_output_prefix.removeprefix("file://")
        #: where tasks write their raw data (files, directories, dataframes) when not beside the execution's
        #: documents: an ``s3://`` prefix (``None``: ``<execution dir>/.../raw``)
        self.raw_data_prefix = raw_data_prefix.rstrip("/") if raw_data_prefix else None
        #: ``FLYTE_PLATFORM_*`` for task processes (set by the server once bound; spec ``envs`` override it)
        self.platform_env: dict[str, str] = {}
        #: what task processes get from the server's environment: an allow-list (``taskvars``), set by the server
        #: with its ``--task-env`` names
        self.base_env: dict[str, str] = taskvars.inherited(os.environ)
        #: the interpreter and PATH task commands resolve on (``--task-python``, ``--task-path``)
        self.task_env = task_env or TaskEnvironment()
        #: bounds the task processes running at once, over every execution
        self.slots = asyncio.Semaphore(max_processes)
        #: the task running each unfinished execution of this server
        self._running: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        #: the current record of each execution this server runs: changes apply here synchronously, then the
        #: record is written, so no read-modify-write of the database (and no lock over executions) is needed
        self._records: dict[tuple[str, str, str], execution_pb2.Execution] = {}
        #: executions whose ``create`` is still writing their inputs (done when their task runs, or they failed)
        self._starting: dict[tuple[str, str, str], asyncio.Future[None]] = {}
        #: executions whose outcome is known and being recorded: too late to terminate them
        self._finishing: set[tuple[str, str, str]] = set()
        self._aborts: dict[tuple[str, str, str], execution_pb2.AbortMetadata] = {}

    def base(self, key: tuple[str, str, str]) -> Path:
        """Where an execution's inputs, outputs, errors and logs live."""
        return Path(self.raw_output_prefix, *key)

    def task_raw_prefix(self, base: Path) -> str:
        """Where the task whose documents are under ``base`` writes raw data: ``<base>/raw``, or the same path
        under the raw data prefix when there is one."""
        if self.raw_data_prefix is None:
            return str(base / "raw")
        rel = base.relative_to(self.raw_output_prefix).as_posix()
        return f"{self.raw_data_prefix}/{rel}/raw"

    async def open(self) -> int:
        """Create the table and fail the executions a previous server left unfinished; returns how many."""
        await self.store.open()
        await self.nodes.open()
        await self.processes.open()  # kills a previous server's surviving task processes before failing them
        await self._fail_unfinished_nodes()
        failed = 0
        for execution in await self.store.unfinished(UNFINISHED):
            await self._fail(execution, INTERRUPTED_CODE, RESTART_MESSAGE)
            failed += 1
        if failed:
            log.warning("marked %d interrupted executions failed", failed)
        return failed

    async def _fail_unfinished_nodes(self) -> None:
        ns = now_ns()
        error = core_execution_pb2.ExecutionError(code=INTERRUPTED_CODE, message=RESTART_MESSAGE,
                                                  kind=core_execution_pb2.ExecutionError.SYSTEM)  # fmt: skip
        for ne, parent in await self.nodes.unfinished_nodes(NODE_UNFINISHED):
            ne.closure.phase = NodePhase.FAILED
            ne.closure.error.CopyFrom(error)
            ne.closure.updated_at.CopyFrom(timestamp(ns))
            await self.nodes.put_node(ne, parent, ns)
        for te in await self.nodes.unfinished_tasks(TASK_UNFINISHED):
            te.closure.phase = TaskPhase.FAILED
            te.closure.error.CopyFrom(error)
            te.closure.updated_at.CopyFrom(timestamp(ns))
            await self.nodes.put_task(te, ns)

    async def close(self) -> None:
        """Kill running task processes and mark their executions failed (the server is stopping)."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _fail(self, execution: execution_pb2.Execution, code: str, message: str) -> None:
        ns = now_ns()
        execution.closure.error.CopyFrom(
            core_execution_pb2.ExecutionError(code=code, message=message, kind=core_execution_pb2.ExecutionError.SYSTEM)
        )
        _stamp(execution, FAILED, ns)
        _log_phase((execution.id.project, execution.id.domain, execution.id.name), execution)
        await self.store.update(execution, ns)

    async def create(
        self,
        key: tuple[str, str, str],
        spec: execution_pb2.ExecutionSpec,
        target: tasks_pb2.TaskTemplate | compiler_pb2.CompiledWorkflowClosure,
        inputs: literals_pb2.LiteralMap,
        launch_plan: launch_plan_pb2.LaunchPlan | None = None,
    ) -> execution_pb2.Execution | None:
        """Record the execution QUEUED and start it (a task, or a workflow's closure); None if an execution of that
        name exists already."""
        project, domain, name = key
        base = self.base(key)
        ns = now_ns()
        execution = execution_pb2.Execution(
            id=identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name),
            spec=spec,
            closure=execution_pb2.ExecutionClosure(
                phase=QUEUED, created_at=timestamp(ns), updated_at=timestamp(ns), computed_inputs=inputs
            ),
        )
        execution.spec.ClearField("inputs")  # deprecated in the spec; full inputs come from GetExecutionData
        if launch_plan is not None and not spec.max_parallelism:  # flyteadmin: the launch plan's, unless given
            execution.spec.max_parallelism = launch_plan.spec.max_parallelism
        if isinstance(target, compiler_pb2.CompiledWorkflowClosure):
            execution.closure.workflow_id.CopyFrom(target.primary.template.id)
        if not await self.store.insert(execution, ns):
            return None
        target_id = (
            target.primary.template.id if isinstance(target, compiler_pb2.CompiledWorkflowClosure) else target.id
        )
        events.info(
            "execution created", execution="/".join(key), target=f"{target_id.name}@{target_id.version}",
            launch_plan=f"{spec.launch_plan.name}@{spec.launch_plan.version}",
            mode=enum_name(execution_pb2.ExecutionMetadata.ExecutionMode, spec.metadata.mode),
        )  # fmt: skip
        starting = self._starting[key] = asyncio.get_running_loop().create_future()
        try:
            await asyncio.to_thread(base.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread((base / "inputs.pb").write_bytes, inputs.SerializeToString())
        except OSError as e:  # recorded, so never left QUEUED: the execution fails with the cause
            await self._fail(execution, "SYSTEM:InputsNotWritten", f"could not write inputs.pb under {base}: {e}")
            raise
        else:
            record = execution_pb2.Execution()
            record.CopyFrom(execution)
            self._records[key] = record
            self._running[key] = asyncio.create_task(self._run(key, execution.spec, target, inputs),
                                                     name=f"execution {'/'.join(key)}")  # fmt: skip
        finally:
            del self._starting[key]
            starting.set_result(None)
        return execution

    async def launch_child(
        self, ctx: RunContext, node_execution: identifier_pb2.NodeExecutionIdentifier,
        launch_plan: identifier_pb2.Identifier, inputs: literals_pb2.LiteralMap,
    ) -> identifier_pb2.WorkflowExecutionIdentifier:  # fmt: skip
        """Start (or find, when it exists) the child execution a launch plan node runs; its name is derived from
        the parent execution and the node, so it is the same every time."""
        project, domain, parent_name = ctx.key
        digest = hashlib.sha256(f"{parent_name}/{node_execution.node_id}/0".encode()).hexdigest()
        name = "f" + digest[:19]
        try:
            launch = await resolve_launch(self.entities, launch_plan, inputs)
        except Exception as e:
            raise NodeFailed(core_execution_pb2.ExecutionError(
                code="USER:LaunchFailed", message=f"node {node_execution.node_id}: cannot launch "
                f"{launch_plan.name}@{launch_plan.version}: {getattr(e, 'message', e)}",
                kind=core_execution_pb2.ExecutionError.USER,
            )) from e  # fmt: skip
        spec = execution_pb2.ExecutionSpec()
        spec.CopyFrom(ctx.spec)
        spec.launch_plan.CopyFrom(launch_plan)
        spec.metadata.mode = execution_pb2.ExecutionMetadata.CHILD_WORKFLOW
        spec.metadata.nesting = ctx.spec.metadata.nesting + 1
        spec.metadata.parent_node_execution.CopyFrom(node_execution)
        target = launch.closure if launch.closure is not None else launch.task
        assert target is not None
        spec.max_parallelism = 0  # the child's launch plan decides
        await self.create((project, domain, name), spec, target, launch.inputs, launch.launch_plan)
        return identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name)

    async def wait_finished(self, key: tuple[str, str, str]) -> execution_pb2.Execution:
        """The execution's record once it has finished."""
        task = self._running.get(key)
        if task is not None:
            await asyncio.wait([task])
        execution = await self.store.get(*key)
        assert execution is not None, f"execution {key} vanished"
        return execution

    async def _update(
        self, key: tuple[str, str, str], change: Callable[[execution_pb2.Execution], object], pgid: int | None = None
    ) -> None:
        """Apply ``change`` to the execution's record and write it. The write completes (in order) even when the
        caller is cancelled meanwhile, so a terminate can never leave a record half-written or out of order."""
        execution = self._records.get(key)
        if execution is None:  # not run by this server: the stored record
            execution = await self.store.get(*key)
            if execution is None:
                return
        before = execution.closure.phase
        change(execution)
        if execution.closure.phase != before:
            _log_phase(key, execution)
        await self.store.update(execution, now_ns(), pgid)

    async def _run(
        self, key: tuple[str, str, str], spec: execution_pb2.ExecutionSpec,
        target: tasks_pb2.TaskTemplate | compiler_pb2.CompiledWorkflowClosure, inputs: literals_pb2.LiteralMap,
    ) -> None:  # fmt: skip
        try:
            try:
                if isinstance(target, compiler_pb2.CompiledWorkflowClosure):
                    outcome = await self._run_workflow(key, spec, target, inputs)
                else:
                    outcome = await self._run_task(key, spec, target, inputs)
                change: Callable[[execution_pb2.Execution], None] = functools.partial(self._finish, outcome=outcome)
            except asyncio.CancelledError:  # terminated (or the server is stopping): processes are gone by now
                self._finishing.add(key)
                abort = self._aborts.pop(key, None)
                await self._update(key, _stopped if abort is None else (lambda e: self._abort(e, abort)))
                raise
            except Exception as e:  # a bug or an unrunnable command: the execution fails with the cause
                log.exception("execution %s crashed", "/".join(key))
                change = _crashed(f"the server could not run the task: {type(e).__name__}: {e}")
            self._finishing.add(key)  # from here on, terminate finds the execution finished
            await self._update(key, change)
        finally:
            self._running.pop(key, None)
            self._records.pop(key, None)
            self._finishing.discard(key)
            self._aborts.pop(key, None)

    async def _run_task(
        self, key: tuple[str, str, str], spec: execution_pb2.ExecutionSpec, template: tasks_pb2.TaskTemplate,
        inputs: literals_pb2.LiteralMap,
    ) -> Outcome:  # fmt: skip
        """A task launched directly, run as flyteadmin runs it: a one-node workflow (``singletask.py``); the
        execution is QUEUED until the task's process starts (connector tasks: RUNNING at once)."""
        from aioflyte.server.executions.singletask import run_single_task

        async def started(pgid: int) -> None:
            await self._update(key, lambda e: _stamp(e, RUNNING, now_ns()), pgid)

        if connector_for(template) is not None or template.WhichOneof("target") is None:
            await self._update(key, lambda e: _stamp(e, RUNNING, now_ns()))
        ctx = RunContext(self, key, self.base(key), spec, on_task_start=started)
        try:
            outputs = await run_single_task(ctx, template, inputs)
        except NodeFailed as e:
            return Outcome(error=e.error)
        uri = await write_literals(self.base(key) / "outputs.pb", outputs)
        return Outcome(outputs=outputs, outputs_uri=uri)

    async def _run_workflow(
        self, key: tuple[str, str, str], spec: execution_pb2.ExecutionSpec,
        closure: compiler_pb2.CompiledWorkflowClosure, inputs: literals_pb2.LiteralMap,
    ) -> Outcome:  # fmt: skip
        from aioflyte.server.executions.workflow import Walker

        await self._update(key, lambda e: _stamp(e, RUNNING, now_ns()))
        ctx = RunContext.from_closure(self, key, self.base(key), spec, closure)
        try:
            outputs = await Walker(ctx).run(closure.primary.template, inputs)
        except NodeFailed as e:
            return Outcome(error=e.error)
        iface = closure.primary.template.interface
        if any(v.HasField("artifact_partial_id") for v in iface.outputs.variables.values()):
            from aioflyte.server.artifacts import record_outputs

            project, domain, name = key
            what = f"workflow {closure.primary.template.id.name} (execution {name})"
            try:  # the workflow's outputs annotated with an artifact (partitions from the workflow's inputs)
                await record_outputs(self.entities, project, domain, what, iface, inputs, outputs)
            except ArtifactError as e:
                return Outcome(error=user_error("USER:ArtifactPartitions", str(e)).error)
        uri = await write_literals(self.base(key) / "outputs.pb", outputs)
        return Outcome(outputs=outputs, outputs_uri=uri)

    @staticmethod
    def _finish(execution: execution_pb2.Execution, outcome: Outcome) -> None:
        if outcome.error is not None:
            execution.closure.error.CopyFrom(outcome.error)
            _stamp(execution, FAILED, now_ns())
        else:
            execution.closure.outputs.uri = outcome.outputs_uri
            _stamp(execution, SUCCEEDED, now_ns())

    @staticmethod
    def _abort(execution: execution_pb2.Execution, abort: execution_pb2.AbortMetadata) -> None:
        execution.closure.abort_metadata.CopyFrom(abort)
        _stamp(execution, ABORTED, now_ns())

    async def terminate(self, key: tuple[str, str, str], cause: str, principal: str = "") -> bool:
        """Abort an unfinished execution, killing its process group; False if it had finished already.

        The execution's task is cancelled before this first suspends, so a caller cancelled while waiting for the
        abort to be recorded (an RPC past its deadline) has still terminated the execution."""
        starting = self._starting.get(key)
        if starting is not None:  # create() is writing its inputs: terminate what it starts
            await asyncio.shield(starting)
        task = self._running.get(key)
        if task is not None:
            if key in self._finishing:  # its outcome is being recorded
                await asyncio.wait([task])
                return False
            self._aborts.setdefault(key, execution_pb2.AbortMetadata(cause=cause, principal=principal))
            task.cancel()
            await asyncio.wait([task])  # the process group is gone and ABORTED recorded when this returns
            return True
        execution = await self.store.get(*key)
        if execution is None or execution.closure.phase in TERMINAL:
            return False
        # not running in this server (cannot happen after open(), kept for safety)
        abort = execution_pb2.AbortMetadata(cause=cause, principal=principal)
        await self._update(key, lambda e: self._abort(e, abort))
        return True

    async def read_outputs(self, execution: execution_pb2.Execution) -> literals_pb2.LiteralMap | None:
        uri = execution.closure.outputs.uri
        if not uri:
            return None
        return await read_literal_map_file(uri)

    async def read_inputs(self, key: tuple[str, str, str]) -> tuple[str, literals_pb2.LiteralMap]:
        path = self.base(key) / "inputs.pb"
        try:
            return str(path), await read_literal_map_file(path)
        except FileNotFoundError:
            return str(path), literals_pb2.LiteralMap()
