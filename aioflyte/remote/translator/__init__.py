"""The translator: aioflyte entities -> the flyteidl messages Flyte Admin registers, in flytekit 1.16's forms.

``await get_serializable(entity, settings)`` gives a ``TaskSpec``, ``WorkflowSpec`` or ``LaunchPlan``;
``await registrable_entities(entities, settings)`` everything to register for them (dependencies first, then
each workflow's default launch plan, as ``pyflyte package`` orders them). ``serialize`` / ``serialize_all`` are
the same for sync code (they run their own loop, and refuse to run inside one).
"""

from __future__ import annotations

import asyncio
from typing import Any, Coroutine, Iterable, TypeVar

from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2

from aioflyte.remote.translator import launch_plans as _lps
from aioflyte.remote.translator import tasks as _tasks
from aioflyte.remote.translator import workflows as _wfs

T = TypeVar("T")
Message = Any  # TaskSpec | WorkflowSpec | LaunchPlan


def entity_kind(entity: Any) -> str | None:
    """``task``, ``map_task``, ``workflow`` or ``launch_plan`` for what can be registered, else None."""
    from aioflyte.core.launch_plan import LaunchPlan
    from aioflyte.core.map_task import ArrayNodeMapTask
    from aioflyte.core.task import PythonTask
    from aioflyte.core.workflow import WorkflowBase

    if isinstance(entity, ArrayNodeMapTask):
        return "map_task"
    if isinstance(entity, PythonTask):
        return "task"
    if isinstance(entity, WorkflowBase):
        return "workflow"
    if isinstance(entity, LaunchPlan):
        return "launch_plan"
    return None


class Translator:
    """Serializes entities once each, remembering the order they were produced in (dependencies first)."""

    def __init__(self, settings: Any, options: Any = None) -> None:
        self.settings = settings
        self.options = options
        self._entries: dict[Any, tuple[Any, Message]] = {}

    def _remember(self, key: Any, entity: Any, message: Message) -> Message:
        self._entries[key] = (entity, message)
        return message

    async def get(self, entity: Any) -> Message:
        """The message for ``entity`` (serializing what it depends on first)."""
        key = id(entity)
        if key in self._entries:
            return self._entries[key][1]
        kind = entity_kind(entity)
        if kind == "map_task":
            if entity.target_kind == "launch_plan":
                return await self.get(entity.target)
            message = _tasks.map_task_spec(entity, self.settings)
        elif kind == "task":
            message = _tasks.task_spec(entity, self.settings)
        elif kind == "workflow":
            message = await _wfs.workflow_spec(self, entity)
        elif kind == "launch_plan":
            wf_spec = await self.get(entity.workflow)
            message = await _lps.launch_plan(self, entity, wf_spec.template.id)
        else:
            raise TypeError(f"cannot serialize {entity!r}: not a task, workflow or launch plan")
        return self._remember(key, entity, message)

    async def get_eager_cleanup(self, task: Any) -> task_pb2.TaskSpec:
        key = ("eager-cleanup", id(task))
        if key not in self._entries:
            self._remember(key, task, _tasks.eager_cleanup_spec(task, self.settings))
        return self._entries[key][1]

    async def get_eager_workflow(self, task: Any) -> workflow_pb2.WorkflowSpec:
        """The workflow Flyte runs for an eager task (the task, with a cleanup failure node)."""
        key = ("eager-workflow", id(task))
        if key not in self._entries:
            await self.get(task)
            self._remember(key, task, await _wfs.eager_workflow_spec(self, task))
        return self._entries[key][1]

    async def get_default_launch_plan(self, entity: Any) -> launch_plan_pb2.LaunchPlan:
        """The launch plan named like the workflow (or eager task), with no settings of its own."""
        from aioflyte.core.launch_plan import LaunchPlan

        key = ("default-lp", id(entity))
        if key in self._entries:
            return self._entries[key][1]
        if entity_kind(entity) == "task":  # an eager task
            wf_spec = await self.get_eager_workflow(entity)
            lp = LaunchPlan(entity.name, _Undocumented(entity))
            message = await _lps.launch_plan(self, lp, wf_spec.template.id)
            return self._remember(key, entity, message)
        return await self.get(LaunchPlan.get_default_launch_plan(None, entity))

    def messages(self) -> list[Message]:
        """Everything serialized so far that Admin registers, in the order it was produced."""
        return [m for _, m in self._entries.values() if isinstance(m, _REGISTRABLE)]

    def registrable(self) -> list[tuple[Any, Message]]:
        """(entity, message) of everything serialized so far that Admin registers, in the order it was produced."""
        return [(e, m) for e, m in self._entries.values() if isinstance(m, _REGISTRABLE)]

    def task_specs(self) -> list[task_pb2.TaskSpec]:
        return [m for _, m in self._entries.values() if isinstance(m, task_pb2.TaskSpec)]


_REGISTRABLE = (task_pb2.TaskSpec, workflow_pb2.WorkflowSpec, launch_plan_pb2.LaunchPlan)


class _Undocumented:
    """An entity seen through an interface without its docstring (a generated workflow's parameters are described
    by name only)."""

    def __init__(self, entity: Any) -> None:
        from aioflyte.core.interface import Interface

        iface = entity.python_interface
        self.name = entity.name
        self.python_interface = Interface(iface.inputs, iface.outputs, iface.output_tuple, iface.positional_outputs)


# --- public API ------------------------------------------------------------------------------------------------


async def get_serializable(entity: Any, settings: Any, options: Any = None) -> Message:
    """The ``TaskSpec`` / ``WorkflowSpec`` / ``LaunchPlan`` of one entity."""
    return await Translator(settings, options).get(entity)


async def registrable_entities(entities: Iterable[Any], settings: Any, options: Any = None) -> list[Message]:
    """Every message to register for ``entities``: each entity after what it uses, each workflow followed by its
    default launch plan, each eager task by the workflow and launch plan Flyte runs it through."""
    tr = Translator(settings, options)
    for e in entities:
        kind = entity_kind(e)
        if kind is None:
            continue
        await tr.get(e)
        if kind == "workflow":
            await tr.get_default_launch_plan(e)
        elif kind == "task" and _tasks.is_eager(e):
            await tr.get_default_launch_plan(e)
    return tr.messages()


async def dynamic_job_spec(task: Any, inputs: dict[str, Any], settings: Any) -> Any:
    """The ``DynamicJobSpec`` a dynamic task yields for ``inputs`` (a ``LiteralMap`` when it calls nothing)."""
    return await _wfs.dynamic_job_spec(Translator(settings), task, inputs)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a fresh loop; inside a running loop, say to ``await`` instead (never block the loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise RuntimeError("called from a running event loop: await the async form instead (e.g. get_serializable)")


def serialize(entity: Any, settings: Any, options: Any = None) -> Message:
    """Sync ``get_serializable``."""
    return run_sync(get_serializable(entity, settings, options))


def serialize_all(entities: Iterable[Any], settings: Any, options: Any = None) -> list[Message]:
    """Sync ``registrable_entities``."""
    return run_sync(registrable_entities(entities, settings, options))


__all__ = [
    "Translator",
    "dynamic_job_spec",
    "entity_kind",
    "get_serializable",
    "registrable_entities",
    "run_sync",
    "serialize",
    "serialize_all",
]
