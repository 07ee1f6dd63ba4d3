"""flytekit's ``get_serializable(entity_mapping, settings, entity, options=None)`` (``flytekit.extend``), which plugin
tests call to see what a task serializes to, over aioflyte's translator.

A task's result is flytekit's model class (``aioflyte.models.task.TaskSpec``: ``.template.custom``,
``.template.container.args``, ``.template.config``, ...); a workflow's or launch plan's is flyteidl's message
(``WorkflowSpec``, ``LaunchPlan``), which has the same fields (aioflyte has no model classes for those two).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from flyteidl.admin import task_pb2

from aioflyte.remote.translator import get_serializable as _serialize
from aioflyte.remote.translator import run_sync


def get_serializable(entity_mapping: MutableMapping[Any, Any], settings: Any, entity: Any, options: Any = None) -> Any:
    """The registrable form of ``entity`` (also kept in ``entity_mapping[entity]``, as flytekit does). Sync: in async
    code, ``await aioflyte.remote.translator.get_serializable(entity, settings, options)``."""
    if entity in entity_mapping:
        return entity_mapping[entity]
    message = run_sync(_serialize(entity, settings, options))
    if isinstance(message, task_pb2.TaskSpec):
        from aioflyte.models.task import TaskSpec

        result: Any = TaskSpec.from_flyte_idl(message)
    else:
        result = message
    entity_mapping[entity] = result
    return result


__all__ = ["get_serializable"]
