"""aioflyte: flytekit's authoring API on an asyncio-native engine.

Public names are imported lazily (PEP 562), so ``import aioflyte`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # authoring
    "task": "aioflyte.core.task",
    "PythonFunctionTask": "aioflyte.core.task",
    "PythonTask": "aioflyte.core.task",
    "TaskMetadata": "aioflyte.core.base_task",
    "kwtypes": "aioflyte.core.interface",
    "Interface": "aioflyte.core.interface",
    "Cache": "aioflyte.core.cache",
    "CachePolicy": "aioflyte.core.cache",
    "CacheFunctionBody": "aioflyte.core.cache",
    "VersionParameters": "aioflyte.core.cache",
    "Resources": "aioflyte.core.resources",
    "Secret": "aioflyte.core.secrets",
    "SecretsManager": "aioflyte.core.secrets",
    "workflow": "aioflyte.core.workflow",
    "Workflow": "aioflyte.core.workflow",
    "ImperativeWorkflow": "aioflyte.core.workflow",
    "PythonFunctionWorkflow": "aioflyte.core.workflow",
    "WorkflowBase": "aioflyte.core.workflow",
    "eager": "aioflyte.core.eager",
    "dynamic": "aioflyte.core.dynamic",
    "create_node": "aioflyte.core.compile",
    "Promise": "aioflyte.core.promise",
    "VoidPromise": "aioflyte.core.promise",
    "NodeOutput": "aioflyte.core.promise",
    "WorkflowFailurePolicy": "aioflyte.core.options",
    "Options": "aioflyte.core.options",
    "Labels": "aioflyte.core.options",
    "Annotations": "aioflyte.core.options",
    "AuthRole": "aioflyte.core.options",
    "RawOutputDataConfig": "aioflyte.core.options",
    "WorkflowExecutionPhase": "aioflyte.core.options",
    "CronSchedule": "aioflyte.core.schedule",
    "FixedRate": "aioflyte.core.schedule",
    "Email": "aioflyte.core.notification",
    "Slack": "aioflyte.core.notification",
    "PagerDuty": "aioflyte.core.notification",
    "SecurityContext": "aioflyte.models.security",
    "Identity": "aioflyte.models.security",
    "Description": "aioflyte.core.documentation",
    "Documentation": "aioflyte.core.documentation",
    "SourceCode": "aioflyte.core.documentation",
    "FlyteError": "aioflyte.exceptions",
    "start": "aioflyte.engine.handle",
    "LaunchPlan": "aioflyte.core.launch_plan",
    "SerializationSettings": "aioflyte.remote.serialization",
    "FlyteRemote": "aioflyte.remote.remote",
    "RemoteController": "aioflyte.remote.controller",
    "FlyteRemoteExecutionFailed": "aioflyte.remote.controller",
    "ImageSpec": "aioflyte.image_spec.image_spec",
    "PodTemplate": "aioflyte.core.pod_template",
    "FastSerializationSettings": "aioflyte.remote.serialization",
    "Checkpoint": "aioflyte.core.checkpoint",
    "map_task": "aioflyte.core.map_task",
    "MapTaskFailure": "aioflyte.core.map_task",
    "conditional": "aioflyte.core.conditional",
    "sleep": "aioflyte.core.gate",
    "approve": "aioflyte.core.gate",
    "wait_for_input": "aioflyte.core.gate",
    "RunHandle": "aioflyte.engine.handle",
    # context
    "current_context": "aioflyte.core.context",
    "new_context": "aioflyte.core.context",
    "ExecutionParameters": "aioflyte.core.context",
    "FlyteContext": "aioflyte.core.context",
    "FlyteContextManager": "aioflyte.core.context",
    # types
    "TypeEngine": "aioflyte.types.engine",
    "TypeTransformer": "aioflyte.types.engine",
    "TypeTransformerFailedError": "aioflyte.types.engine",
    "HashMethod": "aioflyte.types.engine",
    "FlytePickle": "aioflyte.types.pickle",
    "FlyteFile": "aioflyte.types.file",
    "FlyteDirectory": "aioflyte.types.directory",
    "BatchSize": "aioflyte.types.directory",
    "StructuredDataset": "aioflyte.types.structured",
    "StructuredDatasetType": "aioflyte.types.structured",
    "StructuredDatasetFormat": "aioflyte.types.structured",
    "StructuredDatasetTransformerEngine": "aioflyte.types.structured",
    "StructuredDatasetEncoder": "aioflyte.types.structured",
    "StructuredDatasetDecoder": "aioflyte.types.structured",
    # configuration
    "Config": "aioflyte.configuration.config",
    # engine
    "LocalController": "aioflyte.engine.local",
    # entry points
    "run": "aioflyte._run",
    # exceptions
    "FlyteRecoverableException": "aioflyte.exceptions",
    "FlyteTypeException": "aioflyte.exceptions",
    "FlyteTimeout": "aioflyte.exceptions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'aioflyte' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover
    from aioflyte._run import run
    from aioflyte.configuration.config import Config
    from aioflyte.core.base_task import TaskMetadata
    from aioflyte.core.cache import Cache, CacheFunctionBody, CachePolicy, VersionParameters
    from aioflyte.core.context import (
        ExecutionParameters,
        FlyteContext,
        FlyteContextManager,
        current_context,
        new_context,
    )
    from aioflyte.core.interface import Interface, kwtypes
    from aioflyte.core.resources import Resources
    from aioflyte.core.secrets import Secret, SecretsManager
    from aioflyte.core.task import PythonFunctionTask, PythonTask, task
    from aioflyte.engine.local import LocalController
    from aioflyte.exceptions import FlyteRecoverableException, FlyteTimeout, FlyteTypeException
    from aioflyte.types.directory import BatchSize, FlyteDirectory
    from aioflyte.types.engine import HashMethod, TypeEngine, TypeTransformer, TypeTransformerFailedError
    from aioflyte.types.file import FlyteFile
    from aioflyte.types.pickle import FlytePickle
    from aioflyte.types.structured import (
        StructuredDataset,
        StructuredDatasetDecoder,
        StructuredDatasetEncoder,
        StructuredDatasetFormat,
        StructuredDatasetTransformerEngine,
        StructuredDatasetType,
    )
