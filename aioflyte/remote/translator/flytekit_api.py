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

from aioflyte.remote.translator import Translator, run_sync


def get_serializable(entity_mapping: MutableMapping[Any, Any], settings: Any, entity: Any, options: Any = None) -> Any:
    """The registrable form of ``entity``; as flytekit does, it is kept in ``entity_mapping[entity]``, and so is the
    form of every task, workflow and launch plan it uses (each once: one already in the mapping is not made
    again). Sync: in async code, ``await aioflyte.remote.translator.get_serializable(entity, settings, options)``."""
    if entity in entity_mapping:
        return entity_mapping[entity]
    translator = Translator(settings, options)
    run_sync(translator.get(entity))
    result: Any = None
    for used, message in translator.registrable():
        if used is entity or used not in entity_mapping:
            entity_mapping[used] = _model(message)
        if used is entity:
            result = entity_mapping[used]
    if result is None:  # an entity whose message is not one Admin registers (e.g. a reference): as the translator
        result = entity_mapping[entity] = _model(run_sync(translator.get(entity)))
    return result


def _model(message: Any) -> Any:
    """A task's spec as flytekit's model class; the others as flyteidl's messages."""
    if isinstance(message, task_pb2.TaskSpec):
        from aioflyte.models.task import TaskSpec

        return TaskSpec.from_flyte_idl(message)
    return message


__all__ = ["get_serializable"]
