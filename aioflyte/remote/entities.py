"""Entities fetched from a Flyte backend: ``FlyteTask``, ``FlyteWorkflow``, ``FlyteLaunchPlan``.

Each keeps the flyteidl messages it was made from (``template``, ``closure``, ``spec``) and exposes flytekit's
properties (``id``, ``name``, ``interface``, ...) plus ``python_interface``: an :class:`aioflyte.core.interface.
Interface` whose types are guessed from the literal types with ``TypeEngine.guess_python_type`` (a
``register_*`` call replaces it with the local entity's own interface, as flytekit does).
"""

from __future__ import annotations

import logging
from typing import Any

from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, interface_pb2, tasks_pb2
from flyteidl.core import workflow_pb2 as core_workflow_pb2

from aioflyte.core.entity import Entity
from aioflyte.core.interface import NO_DEFAULT, Interface
from aioflyte.core.reference_entity import (
    LaunchPlanReference,
    Reference,
    ReferenceLaunchPlan,
    ReferenceTask,
    ReferenceWorkflow,
    TaskReference,
    WorkflowReference,
)

log = logging.getLogger("aioflyte.remote")

_TYPE_TEXT = {
    identifier_pb2.TASK: "Task",
    identifier_pb2.WORKFLOW: "Workflow",
    identifier_pb2.LAUNCH_PLAN: "Launch Plan",
}


def _guess(var: interface_pb2.Variable, name: str) -> Any:
    from aioflyte.types.engine import TypeEngine

    try:
        return TypeEngine.guess_python_type(var.type)
    except Exception as e:  # a type no transformer recognises: keep the interface usable
        log.debug("cannot guess a Python type for %s: %s", name, e)
        return Any


def guess_interface(
    typed: interface_pb2.TypedInterface, default_inputs: interface_pb2.ParameterMap | None = None
) -> Interface:
    """A Python ``Interface`` for a flyteidl ``TypedInterface``; inputs with a default in ``default_inputs`` are
    optional (their default value is left as ``None``: the backend supplies it)."""
    params = default_inputs.parameters if default_inputs is not None else {}
    inputs: dict[str, tuple[Any, Any]] = {}
    for name, var in typed.inputs.variables.items():
        p = params.get(name)
        optional = p is not None and (p.HasField("default") or not p.required)
        inputs[name] = (_guess(var, name), None if optional else NO_DEFAULT)
    outputs = {name: _guess(var, name) for name, var in _in_order(typed.outputs.variables)}
    return Interface(inputs, outputs)


def _in_order(variables: Any) -> list[tuple[str, Any]]:
    """A variable map's items; unnamed outputs (``o0``, ``o1``, ...) by their number (a protobuf map keeps no
    order, and a tuple of outputs unpacks by position)."""
    items = list(variables.items())
    if all(n[:1] == "o" and n[1:].isdigit() for n, _ in items):
        items.sort(key=lambda item: int(item[0][1:]))
    return items


class _RemoteEntity:
    """What every fetched entity has: an id, a typed interface and a guessed Python interface.

    Fetched entities are reference entities (:mod:`aioflyte.core.reference_entity`): called in a workflow body they
    become nodes referring to the registered entity by id, and awaited (in an ``@eager`` body run on a backend,
    or under a ``RemoteController``) they run as executions there.
    """

    _reference_class: type[Reference] = TaskReference

    def __init__(self, id: identifier_pb2.Identifier, interface: interface_pb2.TypedInterface) -> None:
        self._id = id
        self._name = id.name
        self._typed_interface = interface
        self._python_interface: Interface | None = None
        self._bound_interface: Interface | None = None

    @property
    def id(self) -> identifier_pb2.Identifier:
        return self._id

    @property
    def name(self) -> str:
        return self._id.name

    @property
    def version(self) -> str:
        return self._id.version

    @property
    def resource_type(self) -> int:
        return self._id.resource_type

    @property
    def reference(self) -> Reference:
        """The registered entity's place as a core reference (``TaskReference``, ...)."""
        i = self._id
        return self._reference_class(i.project, i.domain, i.name, i.version)

    @property
    def entity_type_text(self) -> str:
        return _TYPE_TEXT.get(self._id.resource_type, "Entity")

    @property
    def interface(self) -> interface_pb2.TypedInterface:
        return self._typed_interface

    def _guessed_interface(self) -> Interface:
        return guess_interface(self._typed_interface)

    @property
    def python_interface(self) -> Interface:
        if self._python_interface is None:
            self._python_interface = self._guessed_interface()
        return self._python_interface

    @python_interface.setter
    def python_interface(self, value: Interface | None) -> None:
        self._python_interface = value

    @property
    def guessed_python_interface(self) -> Interface:
        """The interface guessed from the literal types, whatever ``python_interface`` was set to."""
        return self._guessed_interface()

    def describe(self) -> str:
        i = self._id
        return f"{self.entity_type_text.lower()} {i.project}/{i.domain}/{i.name}@{i.version}"

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        iface = self.python_interface
        if self._bound_interface is not iface:  # the interface is guessed on first use, or replaced
            Entity._init_binding(self, iface)  # type: ignore[arg-type]  # the subclasses are Entities
            self._bound_interface = iface
        return Entity.bind(self, args, kwargs)  # type: ignore[arg-type]  # the subclasses are Entities

    def __repr__(self) -> str:
        i = self._id
        return f"{type(self).__name__}({i.project}/{i.domain}/{i.name}@{i.version})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._id == other._id

    def __hash__(self) -> int:
        i = self._id
        return hash((type(self).__name__, i.project, i.domain, i.name, i.version))


class FlyteTask(_RemoteEntity, ReferenceTask):
    """A task registered on the backend: its ``TaskTemplate`` and (when fetched) the admin ``Task``."""

    def __init__(self, template: tasks_pb2.TaskTemplate, admin_task: task_pb2.Task | None = None) -> None:
        super().__init__(template.id, template.interface)
        self._template = template
        self._admin_task = admin_task

    @classmethod
    def promote_from_model(cls, template: tasks_pb2.TaskTemplate) -> FlyteTask:
        return cls(template)

    @classmethod
    def from_admin(cls, task: task_pb2.Task) -> FlyteTask:
        template = tasks_pb2.TaskTemplate()
        template.CopyFrom(task.closure.compiled_task.template)
        template.id.CopyFrom(task.id)  # the registered id (the backend overrides the template's)
        return cls(template, task)

    @property
    def template(self) -> tasks_pb2.TaskTemplate:
        return self._template

    @property
    def admin_task(self) -> task_pb2.Task | None:
        return self._admin_task

    @property
    def type(self) -> str:
        return self._template.type

    @property
    def metadata(self) -> tasks_pb2.TaskMetadata:
        return self._template.metadata

    @property
    def container(self) -> tasks_pb2.Container | None:
        return self._template.container if self._template.HasField("container") else None

    @property
    def custom(self) -> Any:
        return self._template.custom

    @property
    def security_context(self) -> Any:
        return self._template.security_context


class FlyteWorkflow(_RemoteEntity, ReferenceWorkflow):
    """A workflow registered on the backend: its compiled closure (primary template, subworkflows, tasks)."""

    _reference_class = WorkflowReference

    def __init__(
        self, closure: compiler_pb2.CompiledWorkflowClosure, admin_workflow: workflow_pb2.Workflow | None = None
    ) -> None:
        wf_id = admin_workflow.id if admin_workflow is not None else closure.primary.template.id
        super().__init__(wf_id, closure.primary.template.interface)
        self._closure = closure
        self._admin_workflow = admin_workflow
        self._tasks = {_key(t.template.id): FlyteTask(t.template) for t in closure.tasks}
        self._sub_workflows = {_key(s.template.id): s.template for s in closure.sub_workflows}

    @classmethod
    def promote_from_closure(cls, closure: compiler_pb2.CompiledWorkflowClosure) -> FlyteWorkflow:
        return cls(closure)

    @classmethod
    def from_admin(cls, workflow: workflow_pb2.Workflow) -> FlyteWorkflow:
        return cls(workflow.closure.compiled_workflow, workflow)

    @property
    def template(self) -> core_workflow_pb2.WorkflowTemplate:
        return self._closure.primary.template

    @property
    def compiled_closure(self) -> compiler_pb2.CompiledWorkflowClosure:
        return self._closure

    @property
    def admin_workflow(self) -> workflow_pb2.Workflow | None:
        return self._admin_workflow

    @property
    def nodes(self) -> list[core_workflow_pb2.Node]:
        return list(self.template.nodes)

    flyte_nodes = nodes

    @property
    def outputs(self) -> list[Any]:
        return list(self.template.outputs)

    @property
    def sub_workflows(self) -> list[core_workflow_pb2.WorkflowTemplate]:
        return list(self._sub_workflows.values())

    @property
    def flyte_tasks(self) -> list[FlyteTask]:
        """The tasks the workflow (and its subworkflows) use, as compiled into its closure."""
        return list(self._tasks.values())

    @property
    def failure_node(self) -> core_workflow_pb2.Node | None:
        t = self.template
        return t.failure_node if t.HasField("failure_node") else None

    @property
    def should_generate_default_launch_plan(self) -> bool:  # flytekit's flag; always true for workflows
        return True


class FlyteLaunchPlan(_RemoteEntity, ReferenceLaunchPlan):
    """A launch plan registered on the backend; ``flyte_workflow`` is filled in by ``FlyteRemote.fetch_*``."""

    _reference_class = LaunchPlanReference

    def __init__(
        self,
        id: identifier_pb2.Identifier,
        spec: launch_plan_pb2.LaunchPlanSpec,
        closure: launch_plan_pb2.LaunchPlanClosure | None = None,
    ) -> None:
        closure = closure if closure is not None else launch_plan_pb2.LaunchPlanClosure()
        interface = interface_pb2.TypedInterface()
        interface.inputs.CopyFrom(_variables(closure.expected_inputs))
        interface.outputs.CopyFrom(closure.expected_outputs)
        super().__init__(id, interface)
        self._spec = spec
        self._closure = closure
        self._flyte_workflow: FlyteWorkflow | None = None

    @classmethod
    def promote_from_model(cls, id: identifier_pb2.Identifier, spec: launch_plan_pb2.LaunchPlanSpec) -> FlyteLaunchPlan:
        return cls(id, spec)

    @classmethod
    def from_admin(cls, lp: launch_plan_pb2.LaunchPlan) -> FlyteLaunchPlan:
        return cls(lp.id, lp.spec, lp.closure)

    def _guessed_interface(self) -> Interface:
        return guess_interface(self.interface, self._spec.default_inputs)

    @property
    def interface(self) -> interface_pb2.TypedInterface:
        """The launch plan's inputs (its workflow's, less the fixed ones) and its workflow's outputs."""
        if self._flyte_workflow is not None and not self._typed_interface.inputs.variables:
            wf = self._flyte_workflow.interface
            fixed = set(self._spec.fixed_inputs.literals)
            typed = interface_pb2.TypedInterface(outputs=wf.outputs)
            for k, v in wf.inputs.variables.items():
                if k not in fixed:
                    typed.inputs.variables[k].CopyFrom(v)
            return typed
        return self._typed_interface

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The given inputs only: inputs with a default on the backend are left for the launch plan to fill."""
        iface = self.python_interface
        names = list(iface.inputs)
        if len(args) > len(names):
            raise TypeError(
                f"{self.describe()} takes {len(names)} inputs ({', '.join(names)}), got {len(args)} positional"
            )
        inputs = dict(kwargs)
        for n, a in zip(names, args):
            if n in inputs:
                raise TypeError(f"{self.describe()} got multiple values for input {n!r}")
            inputs[n] = a
        unknown = sorted(set(inputs) - set(names))
        if unknown:
            raise TypeError(f"{self.describe()} has no inputs {unknown}; its inputs: {names}")
        required = [n for n, (_, d) in iface.inputs.items() if d is NO_DEFAULT and n not in inputs]
        if required:
            raise TypeError(f"{self.describe()} missing required input(s): {', '.join(map(repr, required))}")
        return inputs

    @property
    def spec(self) -> launch_plan_pb2.LaunchPlanSpec:
        return self._spec

    @property
    def closure(self) -> launch_plan_pb2.LaunchPlanClosure:
        return self._closure

    @property
    def workflow_id(self) -> identifier_pb2.Identifier:
        return self._spec.workflow_id

    @property
    def default_inputs(self) -> interface_pb2.ParameterMap:
        return self._spec.default_inputs

    @property
    def fixed_inputs(self) -> Any:
        return self._spec.fixed_inputs

    @property
    def is_scheduled(self) -> bool:
        s = self._spec.entity_metadata.schedule
        return bool(s.cron_expression or s.HasField("rate") or s.HasField("cron_schedule"))

    @property
    def is_active(self) -> bool:
        return self._closure.state == launch_plan_pb2.ACTIVE

    @property
    def labels(self) -> Any:
        return self._spec.labels

    @property
    def annotations(self) -> Any:
        return self._spec.annotations

    @property
    def raw_output_data_config(self) -> Any:
        return self._spec.raw_output_data_config

    @property
    def security_context(self) -> Any:
        return self._spec.security_context

    @property
    def max_parallelism(self) -> int:
        return self._spec.max_parallelism

    @property
    def entity_metadata(self) -> Any:
        return self._spec.entity_metadata

    @property
    def flyte_workflow(self) -> FlyteWorkflow | None:
        return self._flyte_workflow

    @flyte_workflow.setter
    def flyte_workflow(self, wf: FlyteWorkflow | None) -> None:
        self._flyte_workflow = wf
        self._python_interface = None


def _variables(params: interface_pb2.ParameterMap) -> interface_pb2.VariableMap:
    return interface_pb2.VariableMap(variables={k: p.var for k, p in params.parameters.items()})


def _key(id: identifier_pb2.Identifier) -> tuple[str, str, str, str]:
    return (id.project, id.domain, id.name, id.version)


__all__ = ["FlyteLaunchPlan", "FlyteTask", "FlyteWorkflow", "guess_interface"]
