"""Workflows as flyteidl ``WorkflowSpec`` / ``WorkflowTemplate`` (their nodes come from ``nodes.py``), the
workflow an eager task runs through, and the ``DynamicJobSpec`` of a dynamic task."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
from flyteidl.core import dynamic_job_pb2, literals_pb2, workflow_pb2

from aioflyte.core.graph import START_NODE, Const, Node, Ref, WorkflowGraph
from aioflyte.exceptions import SerializationError
from aioflyte.remote.translator import literals as _lit
from aioflyte.remote.translator._common import (
    DEFAULT_FAILURE_NODE_ID,
    WORKFLOW,
    description_entity,
    dnsify,
    identifier,
    typed_interface,
)
from aioflyte.remote.translator.nodes import Scope, assign_ids, id_key, node, node_metadata

if TYPE_CHECKING:  # pragma: no cover
    from aioflyte.remote.translator import Translator

__all__ = ["SerializationError", "dynamic_job_spec", "eager_workflow_spec", "workflow_spec"]


# --- workflows -------------------------------------------------------------------------------------------------


async def _outputs(graph: WorkflowGraph, ids: dict[str, str]) -> list[literals_pb2.Binding]:
    types = dict(graph.interface.outputs)
    return [
        literals_pb2.Binding(var=k, binding=await _lit.binding_data(b, types.get(k), None, ids))
        for k, b in graph.outputs.items()
    ]


def _failure_policy(policy: Any) -> workflow_pb2.WorkflowMetadata.OnFailurePolicy:
    number = int(getattr(policy, "value", policy) or 0)
    return cast(workflow_pb2.WorkflowMetadata.OnFailurePolicy, number)  # WorkflowFailurePolicy has the same numbers


def _sorted_templates(scope: Scope) -> list[workflow_pb2.WorkflowTemplate]:
    """The subworkflows met while serializing, in a stable order (by id)."""
    return sorted(scope.sub_workflows.values(), key=lambda t: id_key(t.id))


async def workflow_spec(tr: Translator, wf: Any) -> admin_workflow_pb2.WorkflowSpec:
    """A workflow (``@workflow`` or imperative) as the ``WorkflowSpec`` Flyte Admin registers."""
    graph: WorkflowGraph = wf.graph
    ids = assign_ids(graph.nodes, "", {})
    if graph.failure_node is not None:
        ids[graph.failure_node.id] = dnsify(graph.failure_node.id)
    scope = Scope(tr, ids)
    nodes = [await node(scope, n) for n in graph.nodes]
    template = workflow_pb2.WorkflowTemplate(
        id=identifier(WORKFLOW, tr.settings, wf.name),
        metadata=workflow_pb2.WorkflowMetadata(on_failure=_failure_policy(graph.failure_policy)),
        metadata_defaults=workflow_pb2.WorkflowMetadataDefaults(interruptible=bool(wf.interruptible)),
        interface=typed_interface(wf.python_interface, f"workflow {wf.name}", allow_partial=False),
        nodes=nodes,
        outputs=await _outputs(graph, ids),
    )
    if graph.failure_node is not None:
        template.failure_node.CopyFrom(await node(scope, graph.failure_node))
    spec = admin_workflow_pb2.WorkflowSpec(template=template, sub_workflows=_sorted_templates(scope))
    function = getattr(wf, "function", None)
    if function is not None:  # a function's workflow has documentation (from its docstring at least)
        spec.description.CopyFrom(description_entity(wf.docs, wf.python_interface.docstring))
    elif wf.docs is not None:
        spec.description.CopyFrom(description_entity(wf.docs, None))
    return spec


async def eager_workflow_spec(tr: Translator, task: Any) -> admin_workflow_pb2.WorkflowSpec:
    """The workflow Flyte runs for an eager task: one node running it, and a failure node that cleans up."""
    ids = {"n0": "n0"}
    scope = Scope(tr, ids)
    iface = task.python_interface
    ins = {k: Ref(START_NODE, k) for k in iface.inputs}
    run = Node("n0", task, ins)
    cleanup_spec = await tr.get_eager_cleanup(task)
    cleanup = workflow_pb2.Node(
        id=DEFAULT_FAILURE_NODE_ID,
        metadata=node_metadata(cleanup_spec.template.id.name.split(".")[-1]),
        inputs=await _lit.bindings(ins, dict(iface.input_types), ids),
        task_node=workflow_pb2.TaskNode(reference_id=cleanup_spec.template.id, overrides={}),
    )
    template = workflow_pb2.WorkflowTemplate(
        id=identifier(WORKFLOW, tr.settings, task.name),
        metadata=workflow_pb2.WorkflowMetadata(),
        metadata_defaults=workflow_pb2.WorkflowMetadataDefaults(interruptible=False),
        interface=typed_interface(_no_doc(iface)),
        nodes=[await node(scope, run)],
        outputs=[
            literals_pb2.Binding(
                var=k, binding=literals_pb2.BindingData(promise=_lit.output_reference(Ref("n0", k), ids))
            )
            for k in iface.outputs
        ],
        failure_node=cleanup,
    )
    return admin_workflow_pb2.WorkflowSpec(template=template)


def _no_doc(iface: Any) -> Any:
    from aioflyte.core.interface import Interface

    return Interface(iface.inputs, iface.outputs, iface.output_tuple, iface.positional_outputs, None)


async def dynamic_job_spec(tr: Translator, task: Any, inputs: dict[str, Any]) -> Any:
    """What a dynamic task produces at run time: its body's graph as a ``DynamicJobSpec`` (nodes ``dn<i>``, the
    task templates they run, the subworkflows), or a ``LiteralMap`` of its outputs when it called nothing."""
    graph: WorkflowGraph = task.compile_with(inputs)
    ids = assign_ids(graph.nodes, "d", {})
    scope = Scope(tr, ids)
    nodes = [await node(scope, n) for n in graph.nodes]
    outputs = await _outputs(graph, ids)
    if not nodes:
        lm = literals_pb2.LiteralMap()
        types = dict(graph.interface.outputs)
        for k, b in graph.outputs.items():
            lm.literals[k].CopyFrom(await _lit.literal(b.value if isinstance(b, Const) else b, types.get(k)))
        return lm
    return dynamic_job_pb2.DynamicJobSpec(
        nodes=nodes,
        min_successes=len(nodes),
        outputs=outputs,
        tasks=[m.template for m in tr.task_specs()],
        subworkflows=_sorted_templates(scope),
    )
