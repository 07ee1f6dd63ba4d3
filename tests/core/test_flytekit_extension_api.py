"""flytekit-style extension code runs on aioflyte: task plugins (``TaskPlugins``), class-based tasks
(``PythonInstanceTask``, ``PythonTask[Config]``), flytekit's ``Interface`` arguments, task resolvers
(``TaskResolverMixin``), and the small flytekit classes of core modules (workflow metadata, ``OnSchedule``)."""

from __future__ import annotations

import dataclasses
import sys

import pytest

import aioflyte
from aioflyte import kwtypes
from aioflyte.core.base_task import PythonTask, TaskResolverMixin
from aioflyte.core.interface import Interface, extract_return_annotation, output_name_generator
from aioflyte.core.python_function_task import PythonFunctionTask, PythonInstanceTask
from aioflyte.core.task import TaskPlugins


@dataclasses.dataclass
class Scale:
    factor: int


class ScaleTask(PythonFunctionTask[Scale]):  # flytekit's plugins name their config type so
    """A plugin: ``@task(task_config=Scale(n))`` makes one; it scales the function's result."""

    def __init__(self, task_config: Scale, task_function, **kwargs):
        super().__init__(task_config=task_config, task_function=task_function, task_type="scale", **kwargs)

    async def execute(self, **kwargs):
        return (await super().execute(**kwargs)) * self.task_config.factor


TaskPlugins.register_pythontask_plugin(Scale, ScaleTask)


@aioflyte.task(task_config=Scale(10))
def plus_one(x: int) -> int:
    return x + 1


class Power(PythonInstanceTask[Scale]):
    """A class-based task: its body is ``execute``."""

    def __init__(self, name: str, config: Scale, **kwargs):
        iface = Interface(inputs=kwtypes(x=int), outputs=kwtypes(o0=int))  # flytekit's form: bare types
        super().__init__(name=name, task_config=config, task_type="power", interface=iface, **kwargs)

    def execute(self, **kwargs):
        return kwargs["x"] ** self.task_config.factor


square = Power("square", Scale(2))


@aioflyte.workflow
def wf(x: int) -> int:
    return plus_one(x=square(x=x))


def test_a_registered_plugin_is_what_task_makes_for_its_config():
    assert type(plus_one) is ScaleTask and plus_one.task_type == "scale"
    assert TaskPlugins.find_pythontask_plugin(Scale) is ScaleTask
    assert TaskPlugins.find_pythontask_plugin(dict) is PythonFunctionTask
    assert aioflyte.run(plus_one, x=1) == 20
    TaskPlugins.register_pythontask_plugin(Scale, ScaleTask)  # the same one again: fine
    with pytest.raises(TypeError, match="collides"):
        TaskPlugins.register_pythontask_plugin(Scale, PythonFunctionTask)


def test_class_based_tasks_run_alone_and_in_workflows():
    assert square.task_type == "power" and square.name == "square"
    assert aioflyte.run(square, x=3) == 9
    assert aioflyte.run(wf, x=3) == 100


async def test_a_python_task_subclass_with_flytekits_constructor_arguments():
    class Echo(PythonTask[dict]):
        def __init__(self, name: str, **kwargs):
            super().__init__(task_type="echo", name=name, interface=Interface({"a": str}, {"o0": str}), **kwargs)

        async def execute(self, **kwargs):
            return kwargs["a"]

    t = Echo("echo")
    assert t.metadata == aioflyte.TaskMetadata() and t.task_config is None
    assert await t(a="hi") == "hi"


def test_interface_takes_flytekits_forms():
    iface = Interface(inputs={"a": int, "b": (str, "x")}, outputs={"x": int, "y": str}, output_tuple_name="Out")
    assert iface.inputs["b"] == (str, "x") and iface.required_inputs == ["a"]
    assert iface.output_tuple.__name__ == "Out" and iface.output_tuple._fields == ("x", "y")
    assert list(output_name_generator(3)) == ["o0", "o1", "o2"]  # flytekit 1.16.31's answers
    assert extract_return_annotation(int) == {"o0": int}
    assert extract_return_annotation(None) == {}
    assert dict(extract_return_annotation(tuple[int, str])) == {"o0": int, "o1": str}


class ByName(TaskResolverMixin):
    """A resolver that finds tasks in this module by name."""

    @property
    def location(self) -> str:
        return f"{__name__}.by_name"

    def name(self) -> str:
        return "by-name"

    def load_task(self, loader_args: list[str]) -> PythonTask:
        return getattr(sys.modules[__name__], loader_args[0])

    def loader_args(self, settings, t: PythonTask) -> list[str]:
        return [t.name]

    def get_all_tasks(self) -> list[PythonTask]:
        return [square]


by_name = ByName()


def test_a_task_resolver_is_what_the_container_loads():
    from aioflyte._entrypoint.resolver import load_resolver

    with pytest.raises(TypeError):
        TaskResolverMixin()  # type: ignore[abstract]
    resolver = load_resolver(by_name.location)
    assert resolver is by_name and resolver.load_task(by_name.loader_args(None, square)) is square
    assert by_name.task_name(square) is None


def test_workflow_metadata_and_triggers():
    from flyteidl.core import workflow_pb2

    from aioflyte.core.schedule import LaunchPlanTriggerBase, OnSchedule
    from aioflyte.core.workflow import WorkflowFailurePolicy, WorkflowMetadata, WorkflowMetadataDefaults

    @aioflyte.workflow(failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE, interruptible=True)
    def lenient(x: int) -> int:
        return square(x=x)

    assert lenient.workflow_metadata == WorkflowMetadata(WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
    assert lenient.workflow_metadata_defaults == WorkflowMetadataDefaults(interruptible=True)
    assert wf.workflow_metadata.to_flyte_idl() == workflow_pb2.WorkflowMetadata()
    with pytest.raises(aioflyte.exceptions.FlyteValidationException):
        WorkflowMetadata(on_failure=7)  # type: ignore[arg-type]

    cron = aioflyte.CronSchedule(schedule="0 * * * *")
    trigger = OnSchedule(cron)
    assert isinstance(trigger, LaunchPlanTriggerBase) and isinstance(cron, LaunchPlanTriggerBase)
    assert trigger.to_flyte_idl() == cron.to_flyte_idl() and trigger.schedule is cron
    with pytest.raises(aioflyte.exceptions.FlyteValidationException):
        OnSchedule("0 * * * *")  # type: ignore[arg-type]
