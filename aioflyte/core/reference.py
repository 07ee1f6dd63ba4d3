"""flytekit's ``flytekit.core.reference``: ``get_reference_entity``, a reference built from an id and a typed
interface given as dicts (the decorators in :mod:`aioflyte.core.reference_entity` read it from a signature)."""

from __future__ import annotations

from typing import Any

from aioflyte.core.reference_entity import ReferenceLaunchPlan, ReferenceTask, ReferenceWorkflow
from aioflyte.exceptions import FlyteValidationException
from aioflyte.models.core.identifier import ResourceType

__all__ = ["get_reference_entity"]

_CLASSES: dict[int, Any] = {
    ResourceType.TASK: ReferenceTask,
    ResourceType.WORKFLOW: ReferenceWorkflow,
    ResourceType.LAUNCH_PLAN: ReferenceLaunchPlan,
}


def get_reference_entity(
    resource_type: int,
    project: str,
    domain: str,
    name: str,
    version: str,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
) -> ReferenceTask | ReferenceWorkflow | ReferenceLaunchPlan:
    """A reference to the registered task, workflow or launch plan (``resource_type``, a ``ResourceType``) with
    ``inputs`` and ``outputs`` (name -> Python type, e.g. ``kwtypes(a=str)``) as its interface."""
    cls = _CLASSES.get(resource_type) if isinstance(resource_type, int) else None
    if cls is None:
        raise FlyteValidationException(
            f"get_reference_entity({name!r}): parameter 'resource_type' expects ResourceType.TASK, WORKFLOW or "
            f"LAUNCH_PLAN, got {type(resource_type).__name__} ({resource_type!r})"
        )
    for what, value in (("inputs", inputs), ("outputs", outputs)):
        if not isinstance(value, dict):
            raise FlyteValidationException(
                f"get_reference_entity({name!r}): parameter {what!r} expects a dict of name -> type, "
                f"got {type(value).__name__}"
            )
    return cls(project, domain, name, version, inputs, outputs)
