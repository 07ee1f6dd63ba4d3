"""Reference entities as authored: decorators, ``get_reference_entity``, their interface and compiled nodes."""

from __future__ import annotations

import typing

import pytest

import aioflyte
from aioflyte import (
    LaunchPlanReference,
    ReferenceEntity,
    ReferenceLaunchPlan,
    ReferenceTask,
    ReferenceWorkflow,
    TaskReference,
    WorkflowReference,
    get_reference_entity,
    kwtypes,
    reference_launch_plan,
    reference_task,
    reference_workflow,
    workflow,
)
from aioflyte.exceptions import FlyteCompileError, FlyteValidationException
from aioflyte.models.core.identifier import ResourceType


@reference_task(project="proj", domain="dev", name="app.tasks.double", version="v1")
def double(x: int, label: str = "n") -> int: ...


@reference_workflow(project="proj", domain="dev", name="app.wf", version="v2")
def ref_wf(a: int) -> typing.Tuple[int, str]:
    return a, ""


@reference_launch_plan(project="proj", domain="dev", name="app.lp", version="v3")
def ref_lp(s: str) -> None: ...


def test_flytekit_module_paths():
    from aioflyte.core.launch_plan import ReferenceLaunchPlan as LP
    from aioflyte.core.launch_plan import reference_launch_plan as rlp
    from aioflyte.core.reference import get_reference_entity as gre
    from aioflyte.core.reference_entity import ReferenceEntity as RE
    from aioflyte.core.task import ReferenceTask as RT
    from aioflyte.core.task import reference_task as rt
    from aioflyte.core.workflow import ReferenceWorkflow as RW
    from aioflyte.core.workflow import reference_workflow as rw

    assert (LP, RT, RW, RE, gre) == (
        ReferenceLaunchPlan,
        ReferenceTask,
        ReferenceWorkflow,
        ReferenceEntity,
        get_reference_entity,
    )
    assert (rlp, rt, rw) == (reference_launch_plan, reference_task, reference_workflow)
    assert aioflyte.reference_task is reference_task


def test_decorated_reference_has_the_signature_as_interface_and_the_id():
    assert isinstance(double, ReferenceTask) and isinstance(double, ReferenceEntity)
    assert double.name == "app.tasks.double"
    assert double.python_interface.inputs == {"x": (int, aioflyte.core.interface.NO_DEFAULT), "label": (str, "n")}
    assert double.python_interface.outputs == {"o0": int}
    assert isinstance(double.reference, TaskReference)
    assert str(double.id) == "TASK:proj:dev:app.tasks.double:v1"
    assert double.id.resource_type == ResourceType.TASK
    assert isinstance(ref_wf.reference, WorkflowReference) and str(ref_wf.id) == "WORKFLOW:proj:dev:app.wf:v2"
    assert isinstance(ref_lp.reference, LaunchPlanReference) and ref_lp.python_interface.outputs == {}
    assert ref_wf.python_interface.outputs == {"o0": int, "o1": str}


def test_get_reference_entity_builds_each_kind():
    t = get_reference_entity(ResourceType.TASK, "p", "d", "a.t", "v", inputs=kwtypes(a=str), outputs=kwtypes(o0=int))
    w = get_reference_entity(ResourceType.WORKFLOW, "p", "d", "a.w", "v", inputs={}, outputs={})
    lp = get_reference_entity(ResourceType.LAUNCH_PLAN, "p", "d", "a.l", "v", inputs={}, outputs={})
    assert (type(t), type(w), type(lp)) == (ReferenceTask, ReferenceWorkflow, ReferenceLaunchPlan)
    assert t.python_interface.input_types == {"a": str}
    two = get_reference_entity(ResourceType.TASK, "p", "d", "a.t2", "v", inputs={}, outputs=kwtypes(a=int, b=str))
    assert two.python_interface.output_tuple._fields == ("a", "b")


def test_bad_input_names_the_parameter_and_types():
    with pytest.raises(FlyteValidationException, match=r"resource_type.*got str"):
        get_reference_entity("task", "p", "d", "n", "v", inputs={}, outputs={})  # type: ignore[arg-type]
    with pytest.raises(
        FlyteValidationException, match=r"reference_task: parameter 'version' expects a non-empty str, got int"
    ):
        reference_task(project="p", domain="d", name="n", version=3)  # type: ignore[arg-type]
    with pytest.raises(FlyteValidationException, match=r"parameter 'inputs' expects a dict"):
        get_reference_entity(ResourceType.TASK, "p", "d", "n", "v", inputs=[int], outputs={})  # type: ignore[arg-type]
    with pytest.raises(FlyteValidationException, match=r"TaskReference: parameter 'project'"):
        TaskReference("", "d", "n", "v")
    with pytest.raises(
        FlyteValidationException, match=r"parameter 'reference' expects TaskReference, got WorkflowReference"
    ):
        _bad_ref()


def _bad_ref():
    class OnlyTasks(ReferenceEntity):
        _expected_reference = (TaskReference,)

    OnlyTasks(WorkflowReference("p", "d", "n", "v"))


def test_in_a_workflow_a_reference_is_a_node_with_promises():
    @workflow
    def wf(a: int) -> typing.Tuple[int, str]:
        n = double(x=a)
        ref_lp(s="x")
        return ref_wf(a=n)

    kinds = [(n.kind, n.entity) for n in wf.nodes]
    assert kinds == [("task", double), ("launch_plan", ref_lp), ("workflow", ref_wf)]
    assert set(wf.nodes[0].bindings) == {"x", "label"}  # the default is bound, as for a task


def test_compile_errors_name_the_reference():
    with pytest.raises(FlyteCompileError, match=r"app\.tasks\.double\(\) got unexpected input\(s\) 'y'"):

        @workflow
        def wf(a: int) -> int:
            return double(y=a)

    with pytest.raises(FlyteCompileError, match=r"expects int but is bound to .* of type str"):

        @workflow
        def wf2(a: str) -> int:
            return double(x=a)


def test_execute_raises_with_what_to_do():
    with pytest.raises(
        NotImplementedError, match=r"reference task proj/dev/app\.tasks\.double@v1 .* aioflyte\.testing\.patch"
    ):
        double.execute(x=1)
