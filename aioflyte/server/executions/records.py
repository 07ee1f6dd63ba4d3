"""What a workflow execution records as it walks its nodes: node executions (one per node, nested ones under
their parent's unique id) and task executions (one per attempt), with their inputs and outputs written as
``inputs.pb`` / ``outputs.pb`` under ``<execution dir>/nodes/<unique node id>/``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from flyteidl.admin import execution_pb2, node_execution_pb2, task_execution_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, literals_pb2, tasks_pb2, workflow_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from google.protobuf import duration_pb2, timestamp_pb2

from aioflyte.loggers import get_logger
from aioflyte.models.literals import read_literal_map_file
from aioflyte.server.executions.nodestore import NodeStore
from aioflyte.server.store import now_ns

if TYPE_CHECKING:
    from aioflyte.server.executions.manager import ExecutionManager

NodePhase: TypeAlias = core_execution_pb2.NodeExecution
#: node executions' phase changes, at DEBUG (structlog, over the ``aioflyte.server`` logger)
events = get_logger("server")
TaskPhase: TypeAlias = core_execution_pb2.TaskExecution
NODE_TERMINAL = (NodePhase.SUCCEEDED, NodePhase.FAILED, NodePhase.ABORTED, NodePhase.SKIPPED, NodePhase.TIMED_OUT,
                 NodePhase.RECOVERED)  # fmt: skip
NODE_UNFINISHED = (NodePhase.UNDEFINED, NodePhase.QUEUED, NodePhase.RUNNING, NodePhase.FAILING,
                   NodePhase.DYNAMIC_RUNNING)  # fmt: skip
TASK_UNFINISHED = (TaskPhase.UNDEFINED, TaskPhase.QUEUED, TaskPhase.RUNNING, TaskPhase.INITIALIZING,
                   TaskPhase.WAITING_FOR_RESOURCES)  # fmt: skip


class NodeFailed(Exception):
    """A node (or a workflow's node) failed with ``error``."""

    def __init__(self, error: core_execution_pb2.ExecutionError) -> None:
        super().__init__(error.message)
        self.error = error
        self.node_id = ""  # the unique id of the node that failed first


def user_error(code: str, message: str) -> NodeFailed:
    return NodeFailed(core_execution_pb2.ExecutionError(code=code, message=message,
                                                        kind=core_execution_pb2.ExecutionError.USER))  # fmt: skip


def timestamp(ns: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(ns)
    return ts


def _duration(start: timestamp_pb2.Timestamp, ns: int) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromNanoseconds(max(0, ns - start.ToNanoseconds()))
    return d


def id_key(id: identifier_pb2.Identifier) -> tuple[str, str, str, str]:
    return (id.project, id.domain, id.name, id.version)


def cache_key(template: tasks_pb2.TaskTemplate, inputs: literals_pb2.LiteralMap) -> str:
    """Datacatalog's identity of a cached run: task project/domain/name, cache version, interface, inputs."""
    h = hashlib.sha256()
    tid = template.id
    for part in (tid.project, tid.domain, tid.name, template.metadata.discovery_version):
        h.update(part.encode() + b"\0")
    h.update(template.interface.SerializeToString(deterministic=True))
    h.update(inputs.SerializeToString(deterministic=True))
    return h.hexdigest()


@dataclass
class RunContext:
    """One execution's walk: where its files go, the tasks and subworkflows its closure (and dynamic jobs) hold."""

    manager: ExecutionManager
    key: tuple[str, str, str]
    base: Path
    spec: execution_pb2.ExecutionSpec
    workflow_name: str = ""
    tasks: dict[tuple[str, str, str, str], tasks_pb2.TaskTemplate] = field(default_factory=dict)
    subworkflows: dict[tuple[str, str, str, str], workflow_pb2.WorkflowTemplate] = field(default_factory=dict)
    #: bounds this execution's running task processes (``spec.max_parallelism``; None: only the server's bound)
    parallelism: asyncio.Semaphore | None = None
    #: node directories that are not ``<execution dir>/nodes/<unique id>`` (a task launched directly keeps its
    #: files in the execution's own directory)
    node_dirs: dict[str, Path] = field(default_factory=dict)
    #: called with the process group when a task process of this execution starts (a task launched directly
    #: is RUNNING from then on, QUEUED before)
    on_task_start: Callable[[int], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        if self.parallelism is None and self.spec.max_parallelism > 0:
            self.parallelism = asyncio.Semaphore(self.spec.max_parallelism)

    @classmethod
    def from_closure(
        cls, manager: ExecutionManager, key: tuple[str, str, str], base: Path, spec: execution_pb2.ExecutionSpec,
        closure: compiler_pb2.CompiledWorkflowClosure,
    ) -> RunContext:  # fmt: skip
        ctx = cls(manager, key, base, spec, closure.primary.template.id.name)
        for t in closure.tasks:
            ctx.tasks[id_key(t.template.id)] = t.template
        for s in closure.sub_workflows:
            ctx.subworkflows[id_key(s.template.id)] = s.template
        return ctx

    @property
    def nodes(self) -> NodeStore:
        return self.manager.nodes

    @property
    def execution_id(self) -> identifier_pb2.WorkflowExecutionIdentifier:
        p, d, n = self.key
        return identifier_pb2.WorkflowExecutionIdentifier(project=p, domain=d, name=n)

    def node_dir(self, unique_id: str) -> Path:
        return self.node_dirs.get(unique_id) or self.base / "nodes" / unique_id

    def envs(self) -> dict[str, str]:
        return {kv.key: kv.value for kv in self.spec.envs.values}


async def write_literals(path: Path, lm: literals_pb2.LiteralMap) -> str:
    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(lm.SerializeToString())

    await asyncio.to_thread(write)
    return str(path)


async def read_literals(uri: str) -> literals_pb2.LiteralMap | None:
    """The literal map at ``uri`` (a local file), or None when there is none."""
    if not uri:
        return None
    try:
        return await read_literal_map_file(uri)
    except FileNotFoundError:
        return None


class NodeRecord:
    """One node execution's record, written through as its phase changes."""

    def __init__(self, ctx: RunContext, unique_id: str, spec_node_id: str, parent_id: str, **metadata: Any) -> None:
        self.ctx = ctx
        self.parent_id = parent_id
        self._logged_phase: int | None = None  # the phase last logged (each change is logged once, at DEBUG)
        ns = now_ns()
        self.ne = node_execution_pb2.NodeExecution(
            id=identifier_pb2.NodeExecutionIdentifier(node_id=unique_id, execution_id=ctx.execution_id),
            closure=node_execution_pb2.NodeExecutionClosure(
                phase=NodePhase.QUEUED, created_at=timestamp(ns), updated_at=timestamp(ns)
            ),
            metadata=node_execution_pb2.NodeExecutionMetaData(retry_group="0", spec_node_id=spec_node_id, **metadata),
        )

    @property
    def unique_id(self) -> str:
        return self.ne.id.node_id

    @property
    def dir(self) -> Path:
        return self.ctx.node_dir(self.unique_id)

    async def save(self) -> None:
        ns = now_ns()
        self.ne.closure.updated_at.CopyFrom(timestamp(ns))
        phase = self.ne.closure.phase
        if phase != self._logged_phase:
            self._logged_phase = phase
            events.debug("node phase", execution="/".join(self.ctx.key), node=self.unique_id,
                         phase=NodePhase.Phase.Name(phase))  # fmt: skip
        await self.ctx.nodes.put_node(self.ne, self.parent_id, ns)

    async def start(self, inputs: literals_pb2.LiteralMap) -> None:
        self.ne.input_uri = await write_literals(self.dir / "inputs.pb", inputs)
        self.ne.closure.phase = NodePhase.RUNNING
        self.ne.closure.started_at.CopyFrom(timestamp(now_ns()))
        await self.save()

    def _end(self, phase: NodePhase.Phase) -> None:
        closure = self.ne.closure
        closure.phase = phase
        if not closure.HasField("started_at"):
            closure.started_at.CopyFrom(timestamp(now_ns()))
        closure.duration.CopyFrom(_duration(closure.started_at, now_ns()))

    async def succeed(self, outputs: literals_pb2.LiteralMap) -> None:
        self.ne.closure.output_uri = await write_literals(self.dir / "outputs.pb", outputs)
        self._end(NodePhase.SUCCEEDED)
        await self.save()

    async def fail(self, error: core_execution_pb2.ExecutionError) -> None:
        self.ne.closure.error.CopyFrom(error)
        self._end(NodePhase.FAILED)
        await self.save()

    async def abort(self) -> None:
        self._end(NodePhase.ABORTED)
        await self.save()


class TaskRecord:
    """The task executions (attempts) of one task node (or of one array node, as one execution)."""

    def __init__(self, node: NodeRecord, template: tasks_pb2.TaskTemplate) -> None:
        self.node = node
        self.template = template
        self.current: task_execution_pb2.TaskExecution | None = None

    async def start(self, attempt: int, log_path: Path | None) -> None:
        ns = now_ns()
        te = task_execution_pb2.TaskExecution(
            id=identifier_pb2.TaskExecutionIdentifier(
                task_id=self.template.id, node_execution_id=self.node.ne.id, retry_attempt=attempt
            ),
            input_uri=self.node.ne.input_uri,
            closure=task_execution_pb2.TaskExecutionClosure(
                phase=TaskPhase.RUNNING, task_type=self.template.type, created_at=timestamp(ns),
                started_at=timestamp(ns), updated_at=timestamp(ns),
            ),
        )  # fmt: skip
        if log_path is not None:
            te.closure.logs.append(core_execution_pb2.TaskLog(uri=f"file://{log_path}", name="Local process log"))
        self.current = te
        await self.node.ctx.nodes.put_task(te, ns)

    async def end(self, outputs_uri: str = "", error: core_execution_pb2.ExecutionError | None = None,
                  aborted: bool = False) -> None:  # fmt: skip
        te = self.current
        if te is None:
            return
        ns = now_ns()
        if aborted:
            te.closure.phase = TaskPhase.ABORTED
        elif error is not None:
            te.closure.phase = TaskPhase.FAILED
            te.closure.error.CopyFrom(error)
        else:
            te.closure.phase = TaskPhase.SUCCEEDED
            te.closure.output_uri = outputs_uri
        te.closure.updated_at.CopyFrom(timestamp(ns))
        te.closure.duration.CopyFrom(_duration(te.closure.started_at, ns))
        self.current = None
        await self.node.ctx.nodes.put_task(te, ns)
