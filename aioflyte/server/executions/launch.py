"""What an execution launches, resolved from ``spec.launch_plan`` as flyteadmin does, with its inputs merged.

A TASK id runs the task alone. A LAUNCH_PLAN id runs the launch plan's workflow; a WORKFLOW id is looked up as
the launch plan of the same project/domain/name/version (flyteadmin reads ``spec.launch_plan`` as a launch plan
key whatever its resource type, so a workflow id finds the workflow's default launch plan). Inputs: the launch
plan's ``default_inputs`` defaults, then the request's inputs; a request input for a ``fixed_inputs`` name is
INVALID_ARGUMENT; required inputs left out are INVALID_ARGUMENT naming them; a default that is an artifact query
is the latest matching artifact (INVALID_ARGUMENT naming the query when there is none); types are checked
against the workflow interface.
"""

from __future__ import annotations

from dataclasses import dataclass

from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, literals_pb2, tasks_pb2

from aioflyte.server.artifacts import resolve_queries
from aioflyte.server.errors import InvalidArgument, NotFound, describe
from aioflyte.server.executions.typecheck import check_inputs, type_name
from aioflyte.server.store import Key, Store


@dataclass
class Launch:
    """A resolved launch: a task template, or a workflow closure (with the launch plan it came from)."""

    inputs: literals_pb2.LiteralMap
    task: tasks_pb2.TaskTemplate | None = None
    closure: compiler_pb2.CompiledWorkflowClosure | None = None
    launch_plan: launch_plan_pb2.LaunchPlan | None = None


async def _row(store: Store, kind: identifier_pb2.ResourceType, id: identifier_pb2.Identifier) -> bytes:
    row = await store.get(Key(kind, id.project, id.domain, id.name, id.version))
    if row is None:
        shown = identifier_pb2.Identifier()
        shown.CopyFrom(id)
        shown.resource_type = kind
        raise NotFound(f"{describe(shown)} does not exist")
    return row.payload


def merge_inputs(lp: launch_plan_pb2.LaunchPlan, given: literals_pb2.LiteralMap) -> literals_pb2.LiteralMap:
    """Defaults, then the request's inputs, then the fixed inputs (which the request may not set)."""
    what = describe(lp.id)
    fixed = lp.spec.fixed_inputs.literals
    overridden = sorted(set(given.literals) & set(fixed))
    if overridden:
        raise InvalidArgument(f"fixed input {overridden[0]} of {what} cannot be overridden "
                              f"(its fixed inputs: {sorted(fixed)})")  # fmt: skip
    merged = literals_pb2.LiteralMap()
    params = lp.spec.default_inputs.parameters
    missing = []
    for name in sorted(params):
        param = params[name]
        if name in given.literals:
            continue
        if param.HasField("default"):
            merged.literals[name].CopyFrom(param.default)
        elif param.required:
            missing.append(f"{name} ({type_name(param.var.type)})")
    if missing:
        raise InvalidArgument(f"missing required input(s) {', '.join(missing)} for {what}")
    for name, lit in given.literals.items():
        merged.literals[name].CopyFrom(lit)
    for name, lit in fixed.items():
        merged.literals[name].CopyFrom(lit)
    return merged


async def resolve_launch(store: Store, target: identifier_pb2.Identifier, given: literals_pb2.LiteralMap) -> Launch:
    """The task or workflow ``target`` launches, with the inputs checked; NOT_FOUND / INVALID_ARGUMENT naming it."""
    if target.resource_type == identifier_pb2.TASK:
        template = task_pb2.Task.FromString(await _row(store, identifier_pb2.TASK, target)).closure.compiled_task
        inputs = check_inputs(given, template.template.interface, describe(target))
        return Launch(inputs, task=template.template)
    lp = launch_plan_pb2.LaunchPlan.FromString(await _row(store, identifier_pb2.LAUNCH_PLAN, target))
    workflow = workflow_pb2.Workflow.FromString(await _row(store, identifier_pb2.WORKFLOW, lp.spec.workflow_id))
    closure = workflow.closure.compiled_workflow
    inputs = merge_inputs(lp, given)
    missing = await resolve_queries(
        store, lp.spec.default_inputs.parameters, inputs, lp.id.project, lp.id.domain, describe(lp.id)
    )
    if missing:
        raise InvalidArgument(f"cannot resolve the artifact queries of input(s) {'; '.join(missing)} for "
                              f"{describe(lp.id)}")  # fmt: skip
    inputs = check_inputs(inputs, closure.primary.template.interface, describe(lp.id))
    return Launch(inputs, closure=closure, launch_plan=lp)
