"""Walking a workflow's compiled closure, as flytepropeller does: a node starts when its upstream nodes have
finished, with its input bindings resolved against their outputs; the end node's bindings are the workflow's
outputs. Task and array nodes run processes (``tasknodes.py``); branch, subworkflow and dynamic nodes run their
nodes nested under their own unique id (``<parent>-0-<node>``); launch plan nodes run as child executions; gate
nodes sleep or wait for a signal. ``on_failure`` decides whether a failure cancels the running siblings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import msgpack
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import literals_pb2, types_pb2, workflow_pb2

from aioflyte.server.compiler import promise_nodes
from aioflyte.server.executions.bindings import START_NODE, BindingError, Scope, evaluate, resolve, resolve_all
from aioflyte.server.executions.records import NodeFailed, NodePhase, NodeRecord, RunContext, id_key, user_error
from aioflyte.server.executions.tasknodes import run_array_node, run_task_node

log = logging.getLogger("aioflyte.server")

END_NODE = "end-node"
FAIL_IMMEDIATELY = workflow_pb2.WorkflowMetadata.FAIL_IMMEDIATELY
_BOOLEAN = types_pb2.LiteralType(simple=types_pb2.SimpleType.BOOLEAN)


def _node_refs(node: workflow_pb2.Node) -> Iterator[str]:
    yield from node.upstream_node_ids
    for b in node.inputs:
        yield from promise_nodes(b.binding)
    if node.WhichOneof("target") == "branch_node":
        block = node.branch_node.if_else
        nested = [block.case.then_node, *[c.then_node for c in block.other]]
        if block.HasField("else_node"):
            nested.append(block.else_node)
        for n in nested:
            yield from _node_refs(n)


def _internal(node_id: str, e: BaseException) -> NodeFailed:
    return NodeFailed(core_execution_pb2.ExecutionError(
        code="SYSTEM:Internal", message=f"node {node_id}: the server could not run it: {type(e).__name__}: {e}",
        kind=core_execution_pb2.ExecutionError.SYSTEM,
    ))  # fmt: skip


def _error_literal(lt: types_pb2.LiteralType, error: NodeFailed) -> literals_pb2.Literal:
    """A FlyteError value (message, failed node id) as the msgpack dataclass literal the handler's ``err`` reads."""
    value = literals_pb2.Literal()
    value.scalar.binary.value = msgpack.packb({"message": error.error.message, "failed_node_id": error.node_id})
    value.scalar.binary.tag = "msgpack"
    if lt.WhichOneof("type") != "union_type":
        return value
    variant = next((v for v in lt.union_type.variants if v.WhichOneof("type") != "simple" or v.simple != 0), lt)
    out = literals_pb2.Literal()
    out.scalar.union.value.CopyFrom(value)
    out.scalar.union.type.CopyFrom(variant)
    return out


class Walker:
    """Runs the nodes of one execution's workflow (and of its subworkflows, branches and dynamic jobs)."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    async def run(self, template: workflow_pb2.WorkflowTemplate, inputs: literals_pb2.LiteralMap) -> Any:
        """The workflow's outputs; raises ``NodeFailed`` (after running the ``failure_node``, if any)."""
        try:
            return await self.run_nodes(template.nodes, template.outputs, inputs, "", "", template.metadata.on_failure)
        except NodeFailed as e:
            if template.HasField("failure_node"):
                with contextlib.suppress(NodeFailed):
                    await self._failure_node(template.failure_node, inputs, e)
            raise

    async def _failure_node(self, node: workflow_pb2.Node, inputs: literals_pb2.LiteralMap, error: NodeFailed) -> None:
        """Run the workflow's failure node with the workflow inputs and, as ``err``, the error (a FlyteError)."""
        scope = Scope(inputs)
        given = literals_pb2.LiteralMap()
        for b in node.inputs:
            try:
                given.literals[b.var].CopyFrom(resolve(b.binding, scope))
            except BindingError:
                given.literals[b.var].scalar.none_type.SetInParent()
        template = self.ctx.tasks.get(id_key(node.task_node.reference_id)) if node.HasField("task_node") else None
        err = template.interface.inputs.variables.get("err") if template is not None else None
        if err is not None and "err" not in given.literals:
            given.literals["err"].CopyFrom(_error_literal(err.type, error))
        await self.run_node(node, scope, "", "", given)

    async def marker(self, node_id: str, prefix: str, parent: str, values: literals_pb2.LiteralMap) -> None:
        rec = NodeRecord(self.ctx, prefix + node_id, node_id, parent)
        await rec.start(values)
        await rec.succeed(values)

    async def run_nodes(
        self, nodes: Iterable[workflow_pb2.Node], outputs: Iterable[literals_pb2.Binding],
        inputs: literals_pb2.LiteralMap, parent: str, prefix: str, policy: int,
    ) -> literals_pb2.LiteralMap:  # fmt: skip
        """Run ``nodes`` as their upstreams finish; their ``outputs`` bindings resolved at the end."""
        nodes = list(nodes)
        scope = Scope(inputs)
        await self.marker(START_NODE, prefix, parent, inputs)
        ids = {n.id for n in nodes}
        deps = {n.id: {r for r in _node_refs(n) if r in ids and r != n.id} for n in nodes}
        done: set[str] = set()
        started: set[str] = set()
        failures: list[NodeFailed] = []
        running: dict[asyncio.Task[literals_pb2.LiteralMap], workflow_pb2.Node] = {}
        try:
            while True:
                if not (failures and policy == FAIL_IMMEDIATELY):
                    for n in nodes:
                        if n.id not in started and deps[n.id] <= done:
                            started.add(n.id)
                            task = asyncio.create_task(self.run_node(n, scope, parent, prefix), name=f"node {n.id}")
                            running[task] = n
                if not running:
                    break
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    n = running.pop(task)
                    error = task.exception()
                    if error is None:
                        scope.set(n.id, task.result())
                        done.add(n.id)
                    elif isinstance(error, NodeFailed):
                        failures.append(error)
                    else:
                        raise error
                if failures and policy == FAIL_IMMEDIATELY:
                    break
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.wait(running)
        if failures:
            raise failures[0]
        try:
            result = resolve_all(outputs, scope)
        except BindingError as e:
            raise user_error("SYSTEM:OutputsNotResolved", f"the workflow outputs cannot be resolved: {e}") from e
        await self.marker(END_NODE, prefix, parent, result)
        return result

    async def run_node(
        self, node: workflow_pb2.Node, scope: Scope, parent: str, prefix: str,
        given: literals_pb2.LiteralMap | None = None,
    ) -> literals_pb2.LiteralMap:  # fmt: skip
        """Run one node, recording its node execution; its outputs, or ``NodeFailed``."""
        kind = node.WhichOneof("target")
        meta: dict[str, Any] = {}
        if kind == "branch_node" or (kind == "workflow_node" and node.workflow_node.HasField("sub_workflow_ref")):
            meta["is_parent_node"] = True
        if kind == "array_node":
            meta["is_array"] = True
        rec = NodeRecord(self.ctx, prefix + node.id, node.id, parent, **meta)
        try:
            try:
                inputs = given if given is not None else resolve_all(node.inputs, scope)
            except BindingError as e:
                await rec.start(literals_pb2.LiteralMap())
                raise user_error("SYSTEM:InputsNotResolved", f"node {node.id}: {e}") from e
            await rec.start(inputs)
            outputs = await self._dispatch(node, kind, rec, inputs, scope)
            await rec.succeed(outputs)
            return outputs
        except NodeFailed as e:
            e.node_id = e.node_id or rec.unique_id
            await rec.fail(e.error)
            raise
        except asyncio.CancelledError:
            await asyncio.shield(rec.abort())
            raise
        except Exception as e:
            log.exception("node %s of %s crashed", node.id, "/".join(self.ctx.key))
            failed = _internal(node.id, e)
            await rec.fail(failed.error)
            raise failed from e

    async def _dispatch(
        self, node: workflow_pb2.Node, kind: str | None, rec: NodeRecord, inputs: literals_pb2.LiteralMap, scope: Scope
    ) -> literals_pb2.LiteralMap:
        unique = rec.unique_id
        child = f"{unique}-0-"
        if kind == "task_node":
            result = await run_task_node(self.ctx, node, rec, inputs)
            if isinstance(result, literals_pb2.LiteralMap):
                return result
            return await self._dynamic(rec, result, inputs)
        if kind == "array_node":
            return await run_array_node(self.ctx, node, rec, inputs)
        if kind == "branch_node":
            chosen = self._branch(node, inputs, scope)
            return await self.run_node(chosen, scope, unique, child)
        if kind == "workflow_node":
            wn = node.workflow_node
            if wn.HasField("sub_workflow_ref"):
                template = self.ctx.subworkflows.get(id_key(wn.sub_workflow_ref))
                if template is None:
                    raise user_error("SYSTEM:SubworkflowNotFound", f"node {node.id}: subworkflow "
                                     f"{wn.sub_workflow_ref.name} is not in the closure")  # fmt: skip
                return await self.run_nodes(template.nodes, template.outputs, inputs, unique, child,
                                            template.metadata.on_failure)  # fmt: skip
            return await self._launch_plan(node, rec, inputs)
        if kind == "gate_node":
            return await self._gate(node, inputs)
        raise user_error("SYSTEM:Unsupported", f"node {node.id} is a {kind}, which the local server cannot run")

    async def _dynamic(self, rec: NodeRecord, spec: Any, inputs: literals_pb2.LiteralMap) -> literals_pb2.LiteralMap:
        path = rec.dir / "futures.pb"
        await asyncio.to_thread(path.write_bytes, spec.SerializeToString())
        rec.ne.metadata.is_dynamic = True
        rec.ne.metadata.is_parent_node = True
        rec.ne.closure.dynamic_job_spec_uri = str(path)
        rec.ne.closure.phase = NodePhase.DYNAMIC_RUNNING
        await rec.save()
        for t in spec.tasks:
            self.ctx.tasks.setdefault(id_key(t.id), t)
        for s in spec.subworkflows:
            self.ctx.subworkflows.setdefault(id_key(s.id), s)
        return await self.run_nodes(spec.nodes, spec.outputs, inputs, rec.unique_id, f"{rec.unique_id}-0-",
                                    FAIL_IMMEDIATELY)  # fmt: skip

    def _branch(self, node: workflow_pb2.Node, inputs: literals_pb2.LiteralMap, scope: Scope) -> workflow_pb2.Node:
        block = node.branch_node.if_else
        values = dict(inputs.literals)
        try:
            for case in [block.case, *block.other]:
                if evaluate(case.condition, values, scope):
                    return case.then_node
        except BindingError as e:
            raise user_error("USER:BranchEvaluationFailed", f"branch node {node.id}: {e}") from e
        if block.HasField("else_node"):
            return block.else_node
        message = block.error.message if block.HasField("error") else "no branch condition was true and no else"
        raise user_error("USER:BranchFailed", f"branch node {block.error.failed_node_id or node.id}: {message}")

    async def _launch_plan(
        self, node: workflow_pb2.Node, rec: NodeRecord, inputs: literals_pb2.LiteralMap
    ) -> literals_pb2.LiteralMap:
        manager = self.ctx.manager
        child = await manager.launch_child(self.ctx, rec.ne.id, node.workflow_node.launchplan_ref, inputs)
        rec.ne.closure.workflow_node_metadata.executionId.CopyFrom(child)
        await rec.save()
        key = (child.project, child.domain, child.name)
        try:
            execution = await manager.wait_finished(key)
        except asyncio.CancelledError:
            await asyncio.shield(manager.terminate(key, "the parent execution was aborted", "aioflyte-server"))
            raise
        closure = execution.closure
        if closure.phase != core_execution_pb2.WorkflowExecution.SUCCEEDED:
            if closure.HasField("error"):
                raise NodeFailed(closure.error)
            phase = core_execution_pb2.WorkflowExecution.Phase.Name(closure.phase)
            raise user_error("USER:ChildExecutionFailed", f"child execution {child.name} ended {phase}")
        return await manager.read_outputs(execution) or literals_pb2.LiteralMap()

    async def _gate(self, node: workflow_pb2.Node, inputs: literals_pb2.LiteralMap) -> literals_pb2.LiteralMap:
        gate = node.gate_node
        kind = gate.WhichOneof("condition")
        timeout = node.metadata.timeout.ToTimedelta().total_seconds() or None
        if kind == "sleep":
            await asyncio.sleep(gate.sleep.duration.ToTimedelta().total_seconds())
            return literals_pb2.LiteralMap()
        signals = self.ctx.manager.signals
        if signals is None:
            raise user_error("SYSTEM:NoSignals", f"gate node {node.id}: this server has no signal manager")
        signal_id = gate.approve.signal_id if kind == "approve" else gate.signal.signal_id
        lt = _BOOLEAN if kind == "approve" else gate.signal.type
        try:
            value = await asyncio.wait_for(signals.wait(self.ctx.execution_id, signal_id, lt), timeout)
        except asyncio.TimeoutError:
            raise user_error("USER:GateTimedOut", f"gate node {node.id} waited {timeout:g}s for signal {signal_id} "
                             "without getting it") from None  # fmt: skip
        if kind == "approve":
            if not value.scalar.primitive.boolean:
                raise user_error("USER:GateRejected", f"gate node {node.id}: {signal_id} was rejected")
            return inputs
        outputs = literals_pb2.LiteralMap()
        outputs.literals[gate.signal.output_variable_name or "o0"].CopyFrom(value)
        return outputs
