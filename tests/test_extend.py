"""``aioflyte.extend`` has what flytekit 1.16's ``flytekit.extend`` exports, as the objects aioflyte uses."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

import aioflyte
import aioflyte.extend as extend

# Taken from flytekit 1.16.31: dir(flytekit.extend), less the exclusions below.
NAMES = [
    "DictTransformer", "ExecutableTemplateShimTask", "FileAccessProvider", "IgnoreOutputs", "Image", "ImageConfig",
    "Interface", "Promise", "PythonCustomizedContainerTask", "PythonTask", "SQLTask", "SecretsManager",
    "SerializationSettings", "ShimTaskExecutor", "T", "TaskPlugins", "TaskResolverMixin", "TypeEngine",
    "TypeTransformer", "ClassStorageTaskResolver", "backend", "get_serializable",
]  # fmt: skip
# From aioflyte.core.context_manager (checked below when that module is there): "ExecutionState", "context_manager".


def test_every_flytekit_name_is_there_and_listed():
    assert [n for n in NAMES if not hasattr(extend, n)] == []
    assert set(NAMES) <= set(dir(extend))


def test_the_names_are_the_objects_aioflyte_uses():
    from aioflyte.configuration import Image, ImageConfig
    from aioflyte.core.base_task import IgnoreOutputs, TaskResolverMixin
    from aioflyte.core.class_based_resolver import ClassStorageTaskResolver
    from aioflyte.core.data_persistence import FileAccessProvider
    from aioflyte.core.python_customized_container_task import PythonCustomizedContainerTask
    from aioflyte.core.secrets import SecretsManager
    from aioflyte.core.shim_task import ExecutableTemplateShimTask, ShimTaskExecutor
    from aioflyte.core.task import TaskPlugins
    from aioflyte.core.type_engine import DictTransformer

    same = {
        "DictTransformer": DictTransformer,
        "FileAccessProvider": FileAccessProvider,
        "IgnoreOutputs": IgnoreOutputs,
        "Image": Image,
        "ImageConfig": ImageConfig,
        "Interface": aioflyte.Interface,
        "Promise": aioflyte.Promise,
        "PythonTask": aioflyte.PythonTask,
        "SecretsManager": SecretsManager,
        "SerializationSettings": aioflyte.SerializationSettings,
        "TaskPlugins": TaskPlugins,
        "TaskResolverMixin": TaskResolverMixin,
        "TypeEngine": aioflyte.TypeEngine,
        "TypeTransformer": aioflyte.TypeTransformer,
        "SQLTask": aioflyte.SQLTask,
        "PythonCustomizedContainerTask": PythonCustomizedContainerTask,
        "ExecutableTemplateShimTask": ExecutableTemplateShimTask,
        "ShimTaskExecutor": ShimTaskExecutor,
        "ClassStorageTaskResolver": ClassStorageTaskResolver,
    }
    assert [n for n, obj in same.items() if getattr(extend, n) is not obj] == []
    with pytest.raises(AttributeError):
        extend.NotAName  # noqa: B018


@pytest.mark.skipif(
    importlib.util.find_spec("aioflyte.core.context_manager") is None, reason="aioflyte.core.context_manager not yet"
)
def test_context_manager_names_come_from_their_module():
    module = importlib.import_module("aioflyte.core.context_manager")
    assert extend.context_manager is module
    assert extend.ExecutionState is module.ExecutionState


def test_get_serializable_gives_a_tasks_spec_as_flytekits_model_and_keeps_it_in_the_mapping():
    from collections import OrderedDict

    from aioflyte import task
    from aioflyte.configuration import ImageConfig, SerializationSettings
    from aioflyte.models.task import TaskSpec

    @task(retries=2)
    def plugin_like(x: int) -> int:
        return x

    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project="p", domain="d", version="v1"
    )
    mapping: OrderedDict = OrderedDict()
    spec = extend.get_serializable(mapping, settings, plugin_like)
    assert isinstance(spec, TaskSpec)
    assert spec.template.id.name.endswith("plugin_like") and spec.template.metadata.retries.retries == 2
    args = list(spec.template.container.args)
    assert args[0] == "aioflyte-execute" and args[args.index("--resolver") + 2 :][-1] == "plugin_like"
    assert mapping[plugin_like] is spec
    assert extend.get_serializable(mapping, settings, plugin_like) is spec  # kept, as flytekit's


def test_get_serializable_keeps_what_a_workflow_uses_in_the_mapping_as_flytekit_does():
    from collections import OrderedDict

    from flyteidl.admin import workflow_pb2

    from aioflyte import map_task, task, workflow
    from aioflyte.configuration import ImageConfig, SerializationSettings
    from aioflyte.models.task import TaskSpec

    @task
    def double(x: int) -> int:
        return 2 * x

    @task
    def total(xs: list[int]) -> int:
        return sum(xs)

    @workflow
    def wf(xs: list[int]) -> int:
        return total(xs=map_task(double)(x=xs))

    settings = SerializationSettings(
        image_config=ImageConfig.auto_default_image(), project="p", domain="d", version="v1"
    )
    mapping: OrderedDict = OrderedDict()
    mine = TaskSpec.from_flyte_idl(extend.get_serializable(OrderedDict(), settings, total).to_flyte_idl())
    mapping[total] = mine  # already there: kept, not made again
    spec = extend.get_serializable(mapping, settings, wf)
    assert isinstance(spec, workflow_pb2.WorkflowSpec) and mapping[wf] is spec
    assert mapping[total] is mine
    specs = [v for k, v in mapping.items() if k is not wf]
    assert all(isinstance(v, TaskSpec) for v in specs)
    names = sorted(v.template.id.name.rsplit(".", 1)[-1] for v in specs)
    assert names[-1] == "total" and names[0].startswith("map_double_") and names[0].endswith("-arraynode")
    assert list(mapping)[-1] is wf  # what a workflow uses comes before it, as in flytekit's mapping
