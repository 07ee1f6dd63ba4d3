"""Reference entities: pointers to a task, workflow or launch plan already registered on a Flyte backend.

``@reference_task(project=..., domain=..., name=..., version=...)`` (and ``reference_workflow``,
``reference_launch_plan``) turn a function's signature into the interface of a registered entity; its body never
runs. Inside a workflow a reference compiles to a node that refers to the registered entity by id (a task node's
``reference_id``, a workflow node's ``sub_workflow_ref`` or ``launchplan_ref``), as flytekit serializes it; nothing
of it is registered.

Called outside a workflow body, a reference runs through the current ``Controller``: the local engine cannot run
it (it says to mock it with ``aioflyte.testing.patch`` / ``task_mock``, which answer it as any entity, or to run
through a remote); the ``RemoteController`` launches the registered entity as an execution.

Entities fetched with ``FlyteRemote.fetch_*`` (``aioflyte.remote.entities``) are references too: they subclass
these classes, with the interface the backend reports.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

from aioflyte.core.entity import Entity
from aioflyte.core.interface import Interface, transform_function_to_interface
from aioflyte.exceptions import FlyteValidationException
from aioflyte.models.core.identifier import Identifier, ResourceType

__all__ = [
    "LaunchPlanReference",
    "Reference",
    "ReferenceEntity",
    "ReferenceLaunchPlan",
    "ReferenceSpec",
    "ReferenceTask",
    "ReferenceTemplate",
    "ReferenceWorkflow",
    "TaskReference",
    "WorkflowReference",
    "reference_launch_plan",
    "reference_task",
    "reference_workflow",
]

_KIND_TEXT = {ResourceType.TASK: "task", ResourceType.WORKFLOW: "workflow", ResourceType.LAUNCH_PLAN: "launch plan"}


def _check_str(what: str, field: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise FlyteValidationException(
            f"{what}: parameter {field!r} expects a non-empty str, got {type(value).__name__} ({value!r})"
        )


@dataclasses.dataclass
class Reference(abc.ABC):
    """Where a registered entity is: project, domain, name and version (``id`` is the full identifier)."""

    project: str
    domain: str
    name: str
    version: str

    def __post_init__(self) -> None:
        what = type(self).__name__
        for f in ("project", "domain", "name", "version"):
            _check_str(what, f, getattr(self, f))
        self._id = Identifier(self.resource_type, self.project, self.domain, self.name, self.version)

    @property
    def id(self) -> Identifier:
        return self._id

    @property
    @abc.abstractmethod
    def resource_type(self) -> int: ...


@dataclasses.dataclass
class TaskReference(Reference):
    """Points to a registered task."""

    @property
    def resource_type(self) -> int:
        return ResourceType.TASK


@dataclasses.dataclass
class WorkflowReference(Reference):
    """Points to a registered workflow."""

    @property
    def resource_type(self) -> int:
        return ResourceType.WORKFLOW


@dataclasses.dataclass
class LaunchPlanReference(Reference):
    """Points to a registered launch plan."""

    @property
    def resource_type(self) -> int:
        return ResourceType.LAUNCH_PLAN


class ReferenceTemplate:
    """flytekit's serialized form of a reference: its id and resource type (nothing is registered for it)."""

    def __init__(self, id: Identifier, resource_type: int) -> None:
        self._id = id
        self._resource_type = resource_type

    @property
    def id(self) -> Identifier:
        return self._id

    @property
    def resource_type(self) -> int:
        return self._resource_type


class ReferenceSpec:
    """Wraps a :class:`ReferenceTemplate` (flytekit's shape)."""

    def __init__(self, template: ReferenceTemplate) -> None:
        self._template = template

    @property
    def template(self) -> ReferenceTemplate:
        return self._template


def _interface(inputs: dict[str, Any] | None, outputs: dict[str, Any] | None) -> Interface:
    outs = dict(outputs or {})
    # several outputs come back as a NamedTuple, as flytekit's Interface makes them
    return Interface(dict(inputs or {}), outs, output_tuple_name="DefaultNamedTupleOutput" if len(outs) > 1 else None)


class ReferenceEntity(Entity):
    """A registered entity used by reference: its id and the interface it is declared (or fetched) with.

    ``inputs`` are name -> type (or ``(type, default)``), ``outputs`` name -> type; or give ``interface``.
    """

    _expected_reference: ClassVar[tuple[type, ...]] = (TaskReference, WorkflowReference, LaunchPlanReference)

    def __init__(
        self,
        reference: Reference,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
        *,
        interface: Interface | None = None,
    ) -> None:
        if not isinstance(reference, self._expected_reference):
            want = " or ".join(t.__name__ for t in self._expected_reference)
            raise FlyteValidationException(
                f"{type(self).__name__}: parameter 'reference' expects {want}, got {type(reference).__name__}"
            )
        self._reference = reference
        self._name = reference.name
        self._interface = interface if interface is not None else _interface(inputs, outputs)
        self._init_binding(self._interface)

    @property
    def reference(self) -> Reference:
        return self._reference

    @property
    def id(self) -> Any:
        """The registered entity's identifier (``aioflyte.models.core.identifier.Identifier``)."""
        return self._reference.id

    @property
    def python_interface(self) -> Interface:
        return self._interface

    @property
    def interface(self) -> Interface:
        return self._interface

    @property
    def resource_type(self) -> int:
        return self._reference.resource_type

    @property
    def short_name(self) -> str:
        return self._name.rsplit(".", 1)[-1]

    def describe(self) -> str:
        """``reference task project/domain/name@version`` (what error messages call it)."""
        r = self._reference
        kind = _KIND_TEXT.get(ResourceType(r.resource_type), "entity")
        return f"reference {kind} {r.project}/{r.domain}/{r.name}@{r.version}"

    def local_run_error(self) -> str:
        return (
            f"{self.describe()} is registered on a Flyte backend and cannot run locally: mock it in tests with "
            "aioflyte.testing.patch(...) / task_mock(...), or run it on the backend (FlyteRemote.execute, an @eager "
            "workflow run with FlyteRemote.run_eager, or aioflyte.use_controller(RemoteController(remote)))"
        )

    def execute(self, **kwargs: Any) -> Any:
        """A reference has no body to run here (flytekit's method): raise, saying what to do instead."""
        raise NotImplementedError(self.local_run_error())

    def __repr__(self) -> str:
        r = self._reference
        return f"{type(self).__name__}({r.project}/{r.domain}/{r.name}@{r.version})"


class ReferenceTask(ReferenceEntity):
    """A registered task, used by reference (``@reference_task``)."""

    node_kind = "task"
    _expected_reference = (TaskReference,)

    def __init__(
        self,
        project: str,
        domain: str,
        name: str,
        version: str,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
        *,
        interface: Interface | None = None,
    ) -> None:
        super().__init__(TaskReference(project, domain, name, version), inputs, outputs, interface=interface)


class ReferenceWorkflow(ReferenceEntity):
    """A registered workflow, used by reference (``@reference_workflow``)."""

    node_kind = "workflow"
    _expected_reference = (WorkflowReference,)

    def __init__(
        self,
        project: str,
        domain: str,
        name: str,
        version: str,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
        *,
        interface: Interface | None = None,
    ) -> None:
        super().__init__(WorkflowReference(project, domain, name, version), inputs, outputs, interface=interface)

    @property
    def interruptible(self) -> bool:
        return False


class ReferenceLaunchPlan(ReferenceEntity):
    """A registered launch plan, used by reference (``@reference_launch_plan``)."""

    node_kind = "launch_plan"
    _expected_reference = (LaunchPlanReference,)

    def __init__(
        self,
        project: str,
        domain: str,
        name: str,
        version: str,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
        *,
        interface: Interface | None = None,
    ) -> None:
        super().__init__(LaunchPlanReference(project, domain, name, version), inputs, outputs, interface=interface)

    @property
    def fixed_inputs(self) -> dict[str, Any]:
        return {}

    @property
    def workflow(self) -> ReferenceLaunchPlan:
        return self

    @property
    def interruptible(self) -> bool:
        return False


def _decorator(cls: Any, kind: str, project: str, domain: str, name: str, version: str) -> Any:
    what = f"reference_{kind}"
    for f, v in (("project", project), ("domain", domain), ("name", name), ("version", version)):
        _check_str(what, f, v)

    def wrapper(fn: Callable[..., Any]) -> Any:
        if not callable(fn):
            raise TypeError(f"@{what}({name!r}) decorates a function, got {type(fn).__name__}")
        interface = transform_function_to_interface(fn, f"reference {kind}")
        entity = cls(project, domain, name, version, interface=interface)
        entity.__doc__ = fn.__doc__
        entity.__wrapped__ = fn  # as functools.wraps exposes it
        return entity

    return wrapper


def reference_task(project: str, domain: str, name: str, version: str) -> Callable[[Callable[..., Any]], ReferenceTask]:
    """A pointer to a task registered on a Flyte backend; the decorated function gives its interface (its body
    never runs). Inside a workflow it becomes a task node referring to ``project/domain/name@version``."""
    return _decorator(ReferenceTask, "task", project, domain, name, version)


def reference_workflow(
    project: str, domain: str, name: str, version: str
) -> Callable[[Callable[..., Any]], ReferenceWorkflow]:
    """A pointer to a workflow registered on a Flyte backend; the decorated function gives its interface."""
    return _decorator(ReferenceWorkflow, "workflow", project, domain, name, version)


def reference_launch_plan(
    project: str, domain: str, name: str, version: str
) -> Callable[[Callable[..., Any]], ReferenceLaunchPlan]:
    """A pointer to a launch plan registered on a Flyte backend; the decorated function gives its interface."""
    return _decorator(ReferenceLaunchPlan, "launch_plan", project, domain, name, version)
