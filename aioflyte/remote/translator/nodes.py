"""The nodes of a workflow as flyteidl ``Node`` messages: task, subworkflow, launch plan, branch (conditional),
array (map task), gate and failure nodes, with their metadata, ``with_overrides`` and bindings.

Node ids follow flytekit's numbering so that the messages are the same: ``n<i>`` by position among the nodes of
the workflow (``dn<i>`` in a dynamic task), each conditional numbering the nodes of its cases on its own, and
``with_overrides(node_name=...)`` giving a DNS-safe id of its own.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from flyteidl.core import condition_pb2, identifier_pb2, literals_pb2, types_pb2, workflow_pb2
from google.protobuf import wrappers_pb2

from aioflyte.core.graph import START_NODE, Const, Node, Ref
from aioflyte.core.reference_entity import ReferenceEntity, ReferenceWorkflow
from aioflyte.exceptions import SerializationError as SerializationError
from aioflyte.remote.translator import literals as _lit
from aioflyte.remote.translator import tasks as _tasks
from aioflyte.remote.translator._common import dnsify, short_name
from aioflyte.types.engine import TypeEngine

if TYPE_CHECKING:  # pragma: no cover
    from aioflyte.remote.translator import Translator

#: A gate waits this long when it names no timeout (Flyte's default).
DEFAULT_GATE_TIMEOUT = datetime.timedelta(hours=1)

_COMPARISONS = {
    "==": condition_pb2.ComparisonExpression.EQ,
    "!=": condition_pb2.ComparisonExpression.NEQ,
    ">": condition_pb2.ComparisonExpression.GT,
    ">=": condition_pb2.ComparisonExpression.GTE,
    "<": condition_pb2.ComparisonExpression.LT,
    "<=": condition_pb2.ComparisonExpression.LTE,
    "is_none": condition_pb2.ComparisonExpression.EQ,
}
_CONJUNCTIONS = {"and": condition_pb2.ConjunctionExpression.AND, "or": condition_pb2.ConjunctionExpression.OR}


# --- node ids --------------------------------------------------------------------------------------------------


def assign_ids(nodes: list[Node], prefix: str, ids: dict[str, str]) -> dict[str, str]:
    """Serialized ids for ``nodes`` and, recursively, the nodes of their conditional cases."""
    for i, n in enumerate(nodes):
        name = n.overrides.get("node_name")
        ids[n.id] = dnsify(name) if name else f"{prefix}n{i}"
    for n in nodes:
        if n.kind == "branch":
            inner = [m for case in n.entity.all_cases for m in case.nodes]
            assign_ids(inner, prefix, ids)
    return ids


# --- node metadata ---------------------------------------------------------------------------------------------


def _timeout(v: Any) -> datetime.timedelta | None:
    if v is None:
        return None
    return v if isinstance(v, datetime.timedelta) else datetime.timedelta(seconds=v)


def node_metadata(
    name: str,
    *,
    timeout: datetime.timedelta | None = None,
    retries: int | None = None,
    interruptible: bool | None = None,
    overrides: dict[str, Any] | None = None,
) -> workflow_pb2.NodeMetadata:
    """A node's metadata: the entity's settings, with a node's ``with_overrides`` on top."""
    ov = overrides or {}
    if "retries" in ov and ov["retries"] is not None:
        retries = ov["retries"]
    if "interruptible" in ov and ov["interruptible"] is not None:
        interruptible = ov["interruptible"]
    if "timeout" in ov:
        timeout = _timeout(ov["timeout"])
    md = workflow_pb2.NodeMetadata(name=ov.get("name") or name, retries=_tasks.retry_strategy(retries))
    if interruptible is not None:  # a oneof: unset unless given
        md.interruptible = interruptible
    if "cache" in ov and ov["cache"] is not None:
        cache = ov["cache"]
        version, serialize = ov.get("cache_version"), ov.get("cache_serialize")
        if not isinstance(cache, bool):  # a Cache object
            version = cache.get_version(_NoParams()) if hasattr(cache, "get_version") else cache.version
            serialize = cache.serialize
            cache = True
        md.cacheable = bool(cache)
        if version is not None:
            md.cache_version = version
        if serialize is not None:
            md.cache_serializable = bool(serialize)
    if timeout:
        md.timeout.FromTimedelta(timeout)
    return md


class _NoParams:
    """Version parameters for a ``Cache`` given in ``with_overrides`` (it must carry an explicit version)."""

    func = None
    container_image = None
    pod_template = None
    pod_template_name = None


def _task_node_metadata(task: Any, overrides: dict[str, Any], name: str | None = None) -> workflow_pb2.NodeMetadata:
    md = task.metadata
    return node_metadata(
        name or short_name(task.name),
        timeout=md.timeout,
        retries=md.retries,
        interruptible=md.interruptible,
        overrides=overrides,
    )


def _workflow_node_metadata(wf: Any, overrides: dict[str, Any]) -> workflow_pb2.NodeMetadata:
    return node_metadata(short_name(wf.name), interruptible=bool(wf.interruptible), overrides=overrides)


def task_node_overrides(overrides: dict[str, Any], settings: Any) -> workflow_pb2.TaskNodeOverrides:
    """What a node's ``with_overrides`` changes in the task it runs: resources, image, extended resources, pod."""
    out = workflow_pb2.TaskNodeOverrides()
    requests, limits = overrides.get("requests"), overrides.get("limits")
    if overrides.get("resources") is not None:
        requests, limits = overrides["resources"].requests, overrides["resources"].limits
    if requests is not None or limits is not None:
        out.resources.CopyFrom(_tasks.override_resources(requests, limits))
    if overrides.get("container_image"):
        out.container_image = overrides["container_image"]
    ext = _tasks.extended_resources(overrides.get("accelerator"), overrides.get("shared_memory"))
    if ext is not None:
        out.extended_resources.CopyFrom(ext)
    pod_template = overrides.get("pod_template")
    if pod_template is not None:
        from flyteidl.core import tasks_pb2

        spec = _tasks.pod_spec(pod_template, tasks_pb2.Container(), settings)
        out.pod_template.CopyFrom(_pod_template_message(pod_template, spec))
    return out


def _pod_template_message(pod_template: Any, spec: dict[str, Any]) -> Any:
    from flyteidl.core import tasks_pb2

    pt = tasks_pb2.K8sPod(primary_container_name=getattr(pod_template, "primary_container_name", "") or "")
    pt.pod_spec.update(spec)
    pt.metadata.CopyFrom(
        tasks_pb2.K8sObjectMetadata(
            labels=dict(getattr(pod_template, "labels", None) or {}),
            annotations=dict(getattr(pod_template, "annotations", None) or {}),
        )
    )
    return pt


# --- nodes -----------------------------------------------------------------------------------------------------


def _upstream(node: Node, ids: dict[str, str], extra_refs: list[Ref] | None = None) -> list[str]:
    out: list[str] = []
    refs = list(extra_refs) if extra_refs is not None else None
    candidates = list(node.upstream)
    if refs is None:
        candidates += [u for u in node.upstream_ids() if u not in candidates]
    else:
        candidates += [r.node_id for r in refs if r.node_id != START_NODE]
    for u in candidates:
        sid = ids.get(u, u)
        if u != START_NODE and sid not in out:
            out.append(sid)
    return out


def _types(entity: Any) -> dict[str, Any]:
    return dict(entity.python_interface.input_types)


class Scope:
    """What serializing one workflow (or dynamic job) collects: its node ids and the subworkflows it uses."""

    def __init__(self, tr: Translator, ids: dict[str, str]) -> None:
        self.tr = tr
        self.ids = ids
        self.sub_workflows: dict[str, workflow_pb2.WorkflowTemplate] = {}

    def add_subworkflow(self, spec: Any) -> None:
        for t in [spec.template, *spec.sub_workflows]:
            self.sub_workflows.setdefault(id_key(t.id), t)


def id_key(i: Any) -> str:
    return f"{i.project}:{i.domain}:{i.name}:{i.version}"


async def node(scope: Scope, n: Node) -> workflow_pb2.Node:
    """The flyteidl node of a graph node, serializing the entity it runs (and what that needs) on the way."""
    kind = n.kind
    entity = n.entity
    ids = scope.ids
    nid = ids.get(n.id, n.id)
    if isinstance(entity, ReferenceEntity):
        return await reference_node(scope, n, nid)
    if kind == "array":
        return await _array_node(scope, n, nid)
    if kind == "branch":
        return await _branch_node(scope, n, nid)
    if kind == "gate":
        return await _gate_node(scope, n, nid)
    if kind == "launch_plan":
        lp = await scope.tr.get(entity)
        skip = set(entity.fixed_inputs)
        return workflow_pb2.Node(
            id=nid,
            metadata=_workflow_node_metadata(entity.workflow, n.overrides),
            inputs=await _lit.bindings(n.bindings, _types(entity), ids, skip),
            upstream_node_ids=_upstream(n, ids),
            workflow_node=workflow_pb2.WorkflowNode(launchplan_ref=lp.id),
        )
    if kind == "workflow":
        spec = await scope.tr.get(entity)
        scope.add_subworkflow(spec)
        return workflow_pb2.Node(
            id=nid,
            metadata=_workflow_node_metadata(entity, n.overrides),
            inputs=await _lit.bindings(n.bindings, _types(entity), ids),
            upstream_node_ids=_upstream(n, ids),
            workflow_node=workflow_pb2.WorkflowNode(sub_workflow_ref=spec.template.id),
        )
    if kind == "task":
        spec = await scope.tr.get(entity)
        return workflow_pb2.Node(
            id=nid,
            metadata=_task_node_metadata(entity, n.overrides),
            inputs=await _lit.bindings(n.bindings, _types(entity), ids),
            upstream_node_ids=_upstream(n, ids),
            task_node=workflow_pb2.TaskNode(
                reference_id=spec.template.id, overrides=task_node_overrides(n.overrides, scope.tr.settings)
            ),
        )
    raise SerializationError(f"node {n.id} runs {entity!r}, which cannot be serialized (kind {kind!r})")


def reference_id(entity: ReferenceEntity) -> identifier_pb2.Identifier:
    """The registered entity's flyteidl id (a fetched entity keeps the message; a reference has the model)."""
    i = entity.id
    return i if isinstance(i, identifier_pb2.Identifier) else i.to_flyte_idl()


async def reference_node(scope: Scope, n: Node, nid: str, allow_reference_workflow: bool = False) -> workflow_pb2.Node:
    """A node that refers to a registered entity by id (flytekit's form for reference entities and fetched
    ``FlyteTask`` / ``FlyteWorkflow`` / ``FlyteLaunchPlan``); nothing of it is serialized for registration.

    A ``ReferenceWorkflow`` has no template here to put among the subworkflows, so, as flytekit 1.16, a workflow
    using one is refused (``allow_reference_workflow`` gives the node alone). A fetched ``FlyteWorkflow`` brings
    its compiled template and subworkflows along.
    """
    entity = n.entity
    ids = scope.ids
    ref_id = reference_id(entity)
    skip: set[str] = set()
    fixed = getattr(entity, "fixed_inputs", None)
    if fixed is not None:
        skip = set(getattr(fixed, "literals", fixed))
    out = workflow_pb2.Node(
        id=nid,
        metadata=node_metadata(short_name(entity.name), overrides=n.overrides),
        inputs=await _lit.bindings(n.bindings, _types(entity), ids, skip),
        upstream_node_ids=_upstream(n, ids),
    )
    kind = entity.node_kind
    if kind == "task":
        out.task_node.reference_id.CopyFrom(ref_id)
        if getattr(entity, "template", None) is not None:  # a fetched FlyteTask: flytekit writes its overrides
            out.task_node.overrides.CopyFrom(task_node_overrides(n.overrides, scope.tr.settings))
    elif kind == "workflow":
        if isinstance(entity, ReferenceWorkflow) and not hasattr(entity, "compiled_closure"):
            if not allow_reference_workflow:
                raise SerializationError(
                    f"node {n.id} calls {entity.describe()}: reference sub-workflows are unsupported (as in "
                    "flytekit 1.16: its template is not known here); use a reference launch plan instead"
                )
        else:
            closure = entity.compiled_closure
            scope.sub_workflows.setdefault(id_key(closure.primary.template.id), closure.primary.template)
            for sub in closure.sub_workflows:
                scope.sub_workflows.setdefault(id_key(sub.template.id), sub.template)
        out.workflow_node.sub_workflow_ref.CopyFrom(ref_id)
    elif kind == "launch_plan":
        out.workflow_node.launchplan_ref.CopyFrom(ref_id)
    else:
        raise SerializationError(f"node {n.id}: {entity!r} is not a task, workflow or launch plan reference")
    return out


async def _array_node(scope: Scope, n: Node, nid: str) -> workflow_pb2.Node:
    mt = n.entity
    ids = scope.ids
    ov = n.overrides
    inputs = await _lit.bindings(n.bindings, _types(mt), ids)
    concurrency = ov.get("concurrency", mt.concurrency)
    min_successes = ov.get("min_successes", mt.min_successes)
    ratio = ov.get("min_success_ratio", mt.min_success_ratio)
    outer_md = node_metadata(mt.name, overrides={k: v for k, v in ov.items() if k == "name"})
    if mt.target_kind == "launch_plan":
        lp_entity = mt.target
        lp = await scope.tr.get(lp_entity)
        skip = set(lp_entity.fixed_inputs)
        sub = workflow_pb2.Node(
            id=dnsify(mt.name),
            metadata=outer_md,
            inputs=[b for b in inputs if b.var not in skip],
            workflow_node=workflow_pb2.WorkflowNode(launchplan_ref=lp.id),
        )
        array = workflow_pb2.ArrayNode(
            node=sub,
            parallelism=concurrency,
            execution_mode=workflow_pb2.ArrayNode.FULL_STATE,
            is_original_sub_node_interface=wrappers_pb2.BoolValue(value=True),
            data_mode=workflow_pb2.ArrayNode.SINGLE_INPUT_FILE,
            run_all_sub_nodes=mt.run_all_sub_nodes,
        )
    else:
        spec = await scope.tr.get(mt)
        sub = workflow_pb2.Node(
            id=mt.name,
            metadata=_task_node_metadata(mt.target, ov, name=mt.name),
            inputs=inputs,
            task_node=workflow_pb2.TaskNode(
                reference_id=spec.template.id, overrides=task_node_overrides(ov, scope.tr.settings)
            ),
        )
        array = workflow_pb2.ArrayNode(
            node=sub,
            parallelism=concurrency,
            execution_mode=workflow_pb2.ArrayNode.MINIMAL_STATE,
            is_original_sub_node_interface=wrappers_pb2.BoolValue(value=False),
            bound_inputs=sorted(mt.bound_inputs),
            run_all_sub_nodes=mt.run_all_sub_nodes,
        )
    if min_successes is not None:
        array.min_successes = min_successes
    else:
        array.min_success_ratio = 1.0 if ratio is None else ratio
    return workflow_pb2.Node(
        id=nid, metadata=outer_md, inputs=inputs, upstream_node_ids=_upstream(n, ids), array_node=array
    )


async def _gate_node(scope: Scope, n: Node, nid: str) -> workflow_pb2.Node:
    gate = n.entity
    if gate.kind == "sleep":
        gn = workflow_pb2.GateNode(sleep=workflow_pb2.SleepCondition(duration=_duration(gate.sleep_duration)))
        name = "sleep-gate"
    elif gate.kind == "signal":
        out = next(iter(gate.python_interface.outputs))
        gn = workflow_pb2.GateNode(
            signal=workflow_pb2.SignalCondition(
                signal_id=gate.name, type=TypeEngine.to_literal_type(gate.input_type), output_variable_name=out
            )
        )
        name = gate.name
    else:
        gn = workflow_pb2.GateNode(approve=workflow_pb2.ApproveCondition(signal_id=gate.name))
        name = gate.name
    return workflow_pb2.Node(
        id=scope.ids.get(n.id, nid),
        metadata=node_metadata(name, timeout=gate.timeout or DEFAULT_GATE_TIMEOUT, overrides=n.overrides),
        inputs=await _lit.bindings(n.bindings, _types(gate), scope.ids),
        upstream_node_ids=_upstream(n, scope.ids),
        gate_node=gn,
    )


def _duration(td: datetime.timedelta) -> Any:
    from google.protobuf import duration_pb2

    d = duration_pb2.Duration()
    d.FromTimedelta(td)
    return d


# --- conditionals ----------------------------------------------------------------------------------------------


def _branch_var(ref: Ref, ids: dict[str, str]) -> str:
    node_id = "" if ref.node_id == START_NODE else ids.get(ref.node_id, ref.node_id)
    return f"{node_id}.{ref.var}"


async def _operand(x: Any, ids: dict[str, str]) -> condition_pb2.Operand:
    if isinstance(x, Ref):
        return condition_pb2.Operand(var=_branch_var(x, ids))
    value = x.value if isinstance(x, Const) else x
    if value is None:
        return condition_pb2.Operand(scalar=literals_pb2.Scalar(none_type=literals_pb2.Void()))
    lit = await _lit.literal(value, type(value))
    if lit.scalar.HasField("primitive"):
        return condition_pb2.Operand(primitive=lit.scalar.primitive)
    return condition_pb2.Operand(scalar=lit.scalar)


async def boolean_expression(expr: Any, ids: dict[str, str]) -> condition_pb2.BooleanExpression:
    if hasattr(expr, "lhs") and expr.op in _CONJUNCTIONS:
        return condition_pb2.BooleanExpression(
            conjunction=condition_pb2.ConjunctionExpression(
                operator=_CONJUNCTIONS[expr.op],
                left_expression=await boolean_expression(expr.lhs, ids),
                right_expression=await boolean_expression(expr.rhs, ids),
            )
        )
    return condition_pb2.BooleanExpression(
        comparison=condition_pb2.ComparisonExpression(
            operator=_COMPARISONS[expr.op],
            left_value=await _operand(expr.lhs, ids),
            right_value=await _operand(expr.rhs, ids),
        )
    )


async def _then_node(scope: Scope, branch: Any, case: Any) -> workflow_pb2.Node:
    if len(case.nodes) != 1 or case.output_node is not case.nodes[0]:
        raise SerializationError(
            f"conditional {branch.name!r}: a {case.kind}() case must run exactly one entity whose result it returns "
            f"to run on Flyte (it runs {len(case.nodes)}); put several calls into a workflow and call that"
        )
    return await node(scope, case.nodes[0])


async def _branch_node(scope: Scope, n: Node, nid: str) -> workflow_pb2.Node:
    branch = n.entity
    ids = scope.ids
    if not branch.cases:
        raise SerializationError(f"conditional {branch.name!r} has no if_() case")
    refs: list[Ref] = []
    seen: set[tuple[str, str]] = set()
    blocks = []
    for case in branch.cases:
        for r in case.condition.refs():
            key = (r.node_id, r.var)
            if key not in seen:
                seen.add(key)
                refs.append(r)
        blocks.append(
            workflow_pb2.IfBlock(
                condition=await boolean_expression(case.condition, ids), then_node=await _then_node(scope, branch, case)
            )
        )
    if_else = workflow_pb2.IfElseBlock(case=blocks[0], other=blocks[1:])
    else_case = branch.else_case
    if else_case is not None:
        if else_case.fail_message is not None:
            if_else.error.CopyFrom(
                types_pb2.Error(failed_node_id=branch.name, message=else_case.fail_message or "Condition failed")
            )
        else:
            if_else.else_node.CopyFrom(await _then_node(scope, branch, else_case))
    inputs = [
        literals_pb2.Binding(
            var=_branch_var(r, ids),
            binding=literals_pb2.BindingData(promise=_lit.output_reference(Ref(r.node_id, r.var), ids)),
        )
        for r in sorted(refs, key=lambda r: _branch_var(r, ids))
    ]
    return workflow_pb2.Node(
        id=nid,
        metadata=node_metadata(branch.name, overrides=n.overrides),
        inputs=inputs,
        upstream_node_ids=_upstream(n, ids, refs),
        branch_node=workflow_pb2.BranchNode(if_else=if_else),
    )
