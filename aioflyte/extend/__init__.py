"""flytekit's ``flytekit.extend``: what code that extends aioflyte uses (task base classes and plugins, resolvers,
the type engine and transformers, the data plane, images and serialization settings).

Every name is imported on first use from where it lives (the ``TYPE_CHECKING`` block below is the list), so
``import aioflyte.extend`` stays cheap. ``context_manager`` (the module) and ``ExecutionState`` come from
``aioflyte.core.context_manager``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from aioflyte._lazy import lazy_exports

if TYPE_CHECKING:  # the export list
    from aioflyte.configuration.image import Image as Image
    from aioflyte.configuration.image import ImageConfig as ImageConfig
    from aioflyte.configuration.serialization import SerializationSettings as SerializationSettings
    from aioflyte.core.base_sql_task import SQLTask as SQLTask
    from aioflyte.core.base_task import IgnoreOutputs as IgnoreOutputs
    from aioflyte.core.base_task import PythonTask as PythonTask
    from aioflyte.core.base_task import TaskResolverMixin as TaskResolverMixin
    from aioflyte.core.class_based_resolver import ClassStorageTaskResolver as ClassStorageTaskResolver
    from aioflyte.core.interface import Interface as Interface
    from aioflyte.core.promise import Promise as Promise
    from aioflyte.core.python_customized_container_task import (
        PythonCustomizedContainerTask as PythonCustomizedContainerTask,
    )
    from aioflyte.core.secrets import SecretsManager as SecretsManager
    from aioflyte.core.shim_task import ExecutableTemplateShimTask as ExecutableTemplateShimTask
    from aioflyte.core.shim_task import ShimTaskExecutor as ShimTaskExecutor
    from aioflyte.core.task import TaskPlugins as TaskPlugins
    from aioflyte.core.type_engine import DictTransformer as DictTransformer
    from aioflyte.core.type_engine import T as T
    from aioflyte.core.type_engine import TypeEngine as TypeEngine
    from aioflyte.core.type_engine import TypeTransformer as TypeTransformer
    from aioflyte.io.data_persistence import FileAccessProvider as FileAccessProvider
    from aioflyte.remote.translator.flytekit_api import get_serializable as get_serializable

_exports_getattr, __dir__ = lazy_exports(__name__, __file__, globals())

#: Names that live in ``aioflyte.core.context_manager`` (the module itself, and what flytekit.extend takes from it).
_CONTEXT_MANAGER_NAMES = ("ExecutionState",)


def __getattr__(name: str) -> Any:
    if name == "backend":  # the connector module paths (a subpackage, imported on first use as flytekit has it)
        value = importlib.import_module(f"{__name__}.backend")
        globals()[name] = value
        return value
    if name == "context_manager" or name in _CONTEXT_MANAGER_NAMES:
        try:
            module = importlib.import_module("aioflyte.core.context_manager")
        except ModuleNotFoundError as e:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r} ({e})") from e
        value = module if name == "context_manager" else getattr(module, name)
        globals()[name] = value
        return value
    return _exports_getattr(name)
