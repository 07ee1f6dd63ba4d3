"""Builds the compiled closures Admin returns for registered workflows, from a ``WorkflowSpec`` and its tasks.

This is not flytepropeller's compiler: it checks that top-level node ids are unique and that every task and
subworkflow a node references can be resolved, and computes the node connections; it does not type-check bindings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator

from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, literals_pb2, workflow_pb2

from aioflyte.server.errors import InvalidArgument

START_NODE = "start-node"
END_NODE = "end-node"

TaskLookup = Callable[[identifier_pb2.Identifier], Awaitable[compiler_pb2.CompiledTask]]
WorkflowLookup = Callable[[identifier_pb2.Identifier], Awaitable[admin_workflow_pb2.Workflow]]


def _id_key(id: identifier_pb2.Identifier) -> tuple[str, str, str, str]:
    return (id.project, id.domain, id.name, id.version)


def iter_nodes(nodes: Iterable[workflow_pb2.Node]) -> Iterator[workflow_pb2.Node]:
    """Every node, including those nested in branches and array nodes."""
    for node in nodes:
        yield node
        kind = node.WhichOneof("target")
        if kind == "branch_node":
            block = node.branch_node.if_else
            yield from iter_nodes([block.case.then_node, *[c.then_node for c in block.other]])
            if block.HasField("else_node"):
                yield from iter_nodes([block.else_node])
        elif kind == "array_node":
            yield from iter_nodes([node.array_node.node])


def promise_nodes(binding: literals_pb2.BindingData) -> Iterator[str]:
    """The ids of the nodes whose outputs ``binding`` reads (through collections, maps and unions)."""
    kind = binding.WhichOneof("value")
    if kind == "promise":
        yield binding.promise.node_id
    elif kind == "collection":
        for b in binding.collection.bindings:
            yield from promise_nodes(b)
    elif kind == "map":
        for b in binding.map.bindings.values():
            yield from promise_nodes(b)
    elif kind == "union":
        yield from promise_nodes(binding.union.value)


def connections(template: workflow_pb2.WorkflowTemplate) -> compiler_pb2.ConnectionSet:
    """Upstream/downstream edges between the top-level nodes, with flytepropeller's start and end nodes."""
    upstream: dict[str, set[str]] = {}
    for node in template.nodes:
        ups = set(node.upstream_node_ids)
        for b in node.inputs:
            ups.update(promise_nodes(b.binding))
        upstream[node.id] = ups or {START_NODE}
    end: set[str] = set()
    for b in template.outputs:
        end.update(promise_nodes(b.binding))
    upstream[END_NODE] = end or {START_NODE}
    downstream: dict[str, set[str]] = {}
    for node_id, ups in upstream.items():
        for up in ups:
            downstream.setdefault(up, set()).add(node_id)
    result = compiler_pb2.ConnectionSet()
    for node_id, ups in upstream.items():
        result.upstream[node_id].ids.extend(sorted(ups))
    for node_id, downs in downstream.items():
        result.downstream[node_id].ids.extend(sorted(downs))
    return result


async def compile_workflow(
    spec: admin_workflow_pb2.WorkflowSpec, get_task: TaskLookup, get_workflow: WorkflowLookup
) -> compiler_pb2.CompiledWorkflowClosure:
    """The closure of ``spec``: its templates, the tasks they reference and the connections of each workflow.

    Subworkflows referenced but not shipped in ``spec.sub_workflows`` are taken from registered workflows.
    Raises ``InvalidArgument`` for duplicate node ids and whatever the lookups raise for missing entities.
    """
    templates = {_id_key(spec.template.id): spec.template}
    for sub in spec.sub_workflows:
        templates.setdefault(_id_key(sub.id), sub)
    tasks: dict[tuple[str, str, str, str], compiler_pb2.CompiledTask] = {}
    pending = list(templates.values())
    seen_templates: set[tuple[str, str, str, str]] = set()
    while pending:
        template = pending.pop()
        key = _id_key(template.id)
        if key in seen_templates:
            continue
        seen_templates.add(key)
        node_ids: set[str] = set()
        for node in template.nodes:  # ids are unique per level (nodes in branches have their own scope)
            if not node.id:
                raise InvalidArgument(f"a node of workflow {template.id.name} has no id")
            if node.id in node_ids:
                raise InvalidArgument(f"duplicate node id {node.id!r} in workflow {template.id.name}")
            node_ids.add(node.id)
        failure = [template.failure_node] if template.HasField("failure_node") else []
        for node in iter_nodes([*template.nodes, *failure]):
            kind = node.WhichOneof("target")
            if kind == "task_node" and node.task_node.WhichOneof("reference") == "reference_id":
                ref = node.task_node.reference_id
                if _id_key(ref) not in tasks:
                    tasks[_id_key(ref)] = await get_task(ref)
            elif kind == "workflow_node" and node.workflow_node.WhichOneof("reference") == "sub_workflow_ref":
                ref = node.workflow_node.sub_workflow_ref
                if _id_key(ref) not in templates:
                    registered = await get_workflow(ref)
                    closure = registered.closure.compiled_workflow
                    templates[_id_key(ref)] = closure.primary.template
                    for sub in closure.sub_workflows:
                        templates.setdefault(_id_key(sub.template.id), sub.template)
                    for task in closure.tasks:
                        tasks.setdefault(_id_key(task.template.id), task)
                pending.append(templates[_id_key(ref)])
    primary_key = _id_key(spec.template.id)
    closure = compiler_pb2.CompiledWorkflowClosure(
        primary=compiler_pb2.CompiledWorkflow(template=spec.template, connections=connections(spec.template))
    )
    for key, template in templates.items():
        if key != primary_key and key in seen_templates:
            closure.sub_workflows.append(
                compiler_pb2.CompiledWorkflow(template=template, connections=connections(template))
            )
    closure.tasks.extend(tasks.values())
    return closure
