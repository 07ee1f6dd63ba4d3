"""Node and task executions of a workflow execution (flytekit's ``FlyteNodeExecution`` / ``FlyteTaskExecution``).

``sync_nodes`` lists an execution's node executions level by level (the children of subworkflow, branch and
dynamic nodes under ``subworkflow_node_executions``), and reads each one's inputs and outputs as Python values with
the types of the node's entity in the workflow's compiled closure (a literal is kept when no type is known).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from flyteidl.admin import node_execution_pb2, task_execution_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, interface_pb2, workflow_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from aioflyte.core.interface import Interface
from aioflyte.exceptions import FlyteAssertion, FlyteEntityNotExistException
from aioflyte.remote.entities import guess_interface
from aioflyte.types.literals import to_python_values

if TYPE_CHECKING:
    from aioflyte.remote.executions import Executions, FlyteWorkflowExecution

NodePhase: TypeAlias = core_execution_pb2.NodeExecution
TaskPhase: TypeAlias = core_execution_pb2.TaskExecution
_NODE_DONE = frozenset({NodePhase.SUCCEEDED, NodePhase.FAILED, NodePhase.ABORTED, NodePhase.SKIPPED,
                        NodePhase.TIMED_OUT, NodePhase.RECOVERED})  # fmt: skip
_TASK_DONE = frozenset({TaskPhase.SUCCEEDED, TaskPhase.FAILED, TaskPhase.ABORTED})


class _Values:
    """Inputs and outputs (Python values) filled in by a sync."""

    _inputs: dict[str, Any] | None = None
    _outputs: dict[str, Any] | None = None

    @property
    def inputs(self) -> dict[str, Any]:
        if self._inputs is None:
            raise FlyteAssertion(f"inputs of {self}: sync it first (remote.sync_execution(ex, sync_nodes=True))")
        return self._inputs

    @property
    def outputs(self) -> dict[str, Any]:
        error = getattr(self, "error", None)
        if error is not None:
            raise FlyteAssertion(f"{self} has no outputs: it failed with {error.code}: {error.message}")
        if self._outputs is None:
            raise FlyteAssertion(f"outputs of {self}: it has not succeeded, or was not synced")
        return self._outputs


class FlyteTaskExecution(_Values):
    """One attempt of a task node: ``id.retry_attempt``, ``closure`` (phase, logs, error), inputs and outputs."""

    def __init__(self, te: task_execution_pb2.TaskExecution, interface: Interface | None = None) -> None:
        self._te = te
        self._interface = interface
        self.task: Any = None  # the FlyteTask, when known

    id = property(lambda self: self._te.id)
    input_uri = property(lambda self: self._te.input_uri)
    closure = property(lambda self: self._te.closure)
    is_parent = property(lambda self: self._te.is_parent)

    @property
    def phase(self) -> int:
        return self._te.closure.phase

    @property
    def phase_name(self) -> str:
        return TaskPhase.Phase.Name(self.phase)

    @property
    def is_done(self) -> bool:
        return self.phase in _TASK_DONE

    @property
    def error(self) -> core_execution_pb2.ExecutionError | None:
        return self._te.closure.error if self._te.closure.HasField("error") else None

    @property
    def logs(self) -> list[core_execution_pb2.TaskLog]:
        return list(self._te.closure.logs)

    def __repr__(self) -> str:
        node = self.id.node_execution_id.node_id
        return f"FlyteTaskExecution({node} attempt {self.id.retry_attempt}, {self.phase_name})"


class FlyteNodeExecution(_Values):
    """A node of a workflow execution: phase, error, inputs and outputs, its task executions (attempts), the
    child executions of a launch plan node, and the nodes of a subworkflow / branch / dynamic node."""

    def __init__(self, ne: node_execution_pb2.NodeExecution, interface: interface_pb2.TypedInterface | None) -> None:
        self._ne = ne
        self._typed = interface
        self.task_executions: list[FlyteTaskExecution] = []
        self.workflow_executions: list[FlyteWorkflowExecution] = []
        self.subworkflow_node_executions: dict[str, FlyteNodeExecution] = {}

    id = property(lambda self: self._ne.id)
    input_uri = property(lambda self: self._ne.input_uri)
    closure = property(lambda self: self._ne.closure)
    metadata = property(lambda self: self._ne.metadata)

    @property
    def node_id(self) -> str:
        return self._ne.id.node_id

    @property
    def interface(self) -> interface_pb2.TypedInterface | None:
        """The typed interface of what the node runs, when the workflow closure says."""
        return self._typed

    @property
    def phase(self) -> int:
        return self._ne.closure.phase

    @property
    def phase_name(self) -> str:
        return NodePhase.Phase.Name(self.phase)

    @property
    def is_done(self) -> bool:
        return self.phase in _NODE_DONE

    @property
    def is_parent_node(self) -> bool:
        return self._ne.metadata.is_parent_node

    @property
    def error(self) -> core_execution_pb2.ExecutionError | None:
        return self._ne.closure.error if self._ne.closure.HasField("error") else None

    @property
    def cache_status(self) -> int:
        """``flyteidl.core.catalog_pb2.CatalogCacheStatus`` of a task node (CACHE_HIT, CACHE_POPULATED, ...)."""
        return self._ne.closure.task_node_metadata.cache_status

    @property
    def executions(self) -> list[Any]:
        return [*self.task_executions, *self.workflow_executions]

    def __repr__(self) -> str:
        return f"FlyteNodeExecution({self.node_id}, {self.phase_name})"


def _key(id: identifier_pb2.Identifier) -> tuple[str, str, str, str]:
    return (id.project, id.domain, id.name, id.version)


class _Closure:
    """Interfaces and node specs by id, from a compiled workflow closure (and dynamic jobs met on the way)."""

    def __init__(self, closure: compiler_pb2.CompiledWorkflowClosure) -> None:
        self.tasks = {_key(t.template.id): t.template.interface for t in closure.tasks}
        self.subs = {_key(s.template.id): s.template for s in closure.sub_workflows}

    def add(self, closure: compiler_pb2.CompiledWorkflowClosure) -> None:
        self.tasks.update({_key(t.template.id): t.template.interface for t in closure.tasks})
        self.subs.update({_key(s.template.id): s.template for s in closure.sub_workflows})

    async def interface(self, executions: Executions, node: workflow_pb2.Node | None) -> Any:
        if node is None:
            return None
        kind = node.WhichOneof("target")
        if kind == "task_node":
            return self.tasks.get(_key(node.task_node.reference_id))
        if kind == "array_node":
            return await self.interface(executions, node.array_node.node)
        if kind == "workflow_node":
            wn = node.workflow_node
            if wn.HasField("sub_workflow_ref"):
                sub = self.subs.get(_key(wn.sub_workflow_ref))
                return sub.interface if sub is not None else None
            ref = wn.launchplan_ref
            lp = await executions.registry.fetch_launch_plan(ref.project, ref.domain, ref.name, ref.version)
            return lp.interface
        if kind == "branch_node":
            return await self.interface(executions, node.branch_node.if_else.case.then_node)
        if kind == "gate_node" and node.gate_node.HasField("signal"):
            sig = node.gate_node.signal
            out = interface_pb2.TypedInterface()
            out.outputs.variables[sig.output_variable_name or "o0"].type.CopyFrom(sig.type)
            return out
        return None


def _children(node: workflow_pb2.Node | None, closure: _Closure) -> list[workflow_pb2.Node]:
    if node is None:
        return []
    kind = node.WhichOneof("target")
    if kind == "branch_node":
        block = node.branch_node.if_else
        nodes = [block.case.then_node, *[c.then_node for c in block.other]]
        return [*nodes, block.else_node] if block.HasField("else_node") else nodes
    if kind == "workflow_node" and node.workflow_node.HasField("sub_workflow_ref"):
        sub = closure.subs.get(_key(node.workflow_node.sub_workflow_ref))
        return list(sub.nodes) if sub is not None else []
    return []


async def sync_task_execution(
    executions: Executions, te: FlyteTaskExecution, interface: Interface | None = None
) -> FlyteTaskExecution:
    """Refresh a task execution and read its inputs and outputs."""
    te._te = await executions.client.get_task_execution(te.id)
    iface = interface or te._interface or Interface()
    data = await executions.client.get_task_execution_data(te.id)
    te._inputs = await to_python_values(data.full_inputs, iface.input_types)
    if te.phase == TaskPhase.SUCCEEDED:
        te._outputs = await to_python_values(data.full_outputs, iface.outputs)
    return te


async def sync_node_execution(
    executions: Executions, ne: FlyteNodeExecution, node: workflow_pb2.Node | None = None,
    closure: _Closure | None = None, wf_interface: interface_pb2.TypedInterface | None = None,
) -> FlyteNodeExecution:  # fmt: skip
    """Refresh a node execution: its inputs and outputs, task executions, child executions and child nodes."""
    from aioflyte.remote.executions import FlyteWorkflowExecution

    ne._ne = await executions.client.get_node_execution(ne.id)
    closure = closure or _Closure(compiler_pb2.CompiledWorkflowClosure())
    spec_id = ne.metadata.spec_node_id or ne.node_id
    if ne._typed is None:
        if spec_id in ("start-node", "end-node") and wf_interface is not None:
            side = wf_interface.inputs if spec_id == "start-node" else wf_interface.outputs
            ne._typed = interface_pb2.TypedInterface(inputs=side, outputs=side)
        else:
            ne._typed = await closure.interface(executions, node)
    iface = guess_interface(ne._typed) if ne._typed is not None else Interface()
    data = await executions.client.get_node_execution_data(ne.id)
    ne._inputs = await to_python_values(data.full_inputs, iface.input_types)
    ne._outputs = await to_python_values(data.full_outputs, iface.outputs) if ne.phase == NodePhase.SUCCEEDED else None
    kind = node.WhichOneof("target") if node is not None else None
    if kind in ("task_node", "array_node"):
        ne.task_executions = []
        async for te in executions.client.iter_task_executions(ne.id):
            fte = FlyteTaskExecution(te, iface)
            fte.task = closure.tasks.get(_key(te.id.task_id))
            ne.task_executions.append(await sync_task_execution(executions, fte, iface))
    wid = ne.closure.workflow_node_metadata.executionId
    if wid.name:
        child = FlyteWorkflowExecution(await executions.client.get_execution(wid))
        ne.workflow_executions = [await executions.sync_execution(child)]
    children = _children(node, closure)
    if ne.metadata.is_dynamic and data.HasField("dynamic_workflow"):
        dyn = data.dynamic_workflow.compiled_workflow
        closure.add(dyn)
        children = list(dyn.primary.template.nodes)
    if ne.metadata.is_parent_node or ne.metadata.is_dynamic:
        sub_iface = ne._typed if kind == "workflow_node" or ne.metadata.is_dynamic else None
        ne.subworkflow_node_executions = await sync_level(executions, ne.id.execution_id, ne.node_id, children, closure,
                                                          sub_iface)  # fmt: skip
    return ne


async def sync_level(
    executions: Executions, execution_id: identifier_pb2.WorkflowExecutionIdentifier, parent: str,
    nodes: list[workflow_pb2.Node], closure: _Closure, wf_interface: interface_pb2.TypedInterface | None,
) -> dict[str, FlyteNodeExecution]:  # fmt: skip
    """The node executions directly under ``parent`` ("" for the top level), synced, by node id."""
    by_id = {n.id: n for n in nodes}
    out: dict[str, FlyteNodeExecution] = {}
    async for raw in executions.client.iter_node_executions(execution_id, unique_parent_id=parent):
        node = by_id.get(raw.metadata.spec_node_id or raw.id.node_id)
        out[raw.id.node_id] = await sync_node_execution(executions, FlyteNodeExecution(raw, None), node, closure,
                                                        wf_interface)  # fmt: skip
    return out


async def sync_nodes(executions: Executions, execution: FlyteWorkflowExecution) -> dict[str, FlyteNodeExecution]:
    """Every node execution of a workflow execution. A task launched directly has the nodes of the one-node
    workflow Flyte runs it as: ``start-node``, the task's node and ``end-node``."""
    lid = execution.spec.launch_plan
    if lid.resource_type == identifier_pb2.TASK:
        return await _sync_task_nodes(executions, execution)
    wid = execution.closure.workflow_id
    if not wid.name:
        return {}
    workflow = await executions.client.get_workflow(wid)
    compiled = workflow.closure.compiled_workflow
    template = compiled.primary.template
    nodes = list(template.nodes)
    if template.HasField("failure_node"):
        nodes.append(template.failure_node)
    return await sync_level(executions, execution.id, "", nodes, _Closure(compiled), template.interface)


async def _sync_task_nodes(executions: Executions, execution: FlyteWorkflowExecution) -> dict[str, FlyteNodeExecution]:
    lid = execution.spec.launch_plan
    try:
        task = await executions.client.get_task(lid)
    except FlyteEntityNotExistException:  # the task is gone: the nodes are still listed, their values literals
        return await sync_level(executions, execution.id, "", [], _Closure(compiler_pb2.CompiledWorkflowClosure()),
                                None)  # fmt: skip
    template = task.closure.compiled_task.template
    compiled = compiler_pb2.CompiledWorkflowClosure()
    compiled.tasks.add().template.CopyFrom(template)
    nodes = []
    async for raw in executions.client.iter_node_executions(execution.id, unique_parent_id=""):
        if raw.id.node_id not in ("start-node", "end-node"):  # the task's node, whatever its id
            node = workflow_pb2.Node(id=raw.metadata.spec_node_id or raw.id.node_id)
            node.task_node.reference_id.CopyFrom(template.id)
            nodes.append(node)
    return await sync_level(executions, execution.id, "", nodes, _Closure(compiled), template.interface)


__all__ = ["FlyteNodeExecution", "FlyteTaskExecution", "sync_node_execution", "sync_nodes", "sync_task_execution"]
