"""flytekit's ``flytekit.core.*`` module paths under ``aioflyte.core``: each module has flytekit 1.16's public names,
and they are the objects aioflyte itself uses."""

from __future__ import annotations

import importlib

import pytest

import aioflyte

# Taken from flytekit 1.16.31: dir() of each module, the public names it defines (or re-exports for users), less
# the exclusions listed under it with the reason.
NAMES = {
    "aioflyte.core.base_task": [
        "DATA_CARD", "DYNAMIC_PARTITIONS", "IgnoreOutputs", "Interface", "MODEL_CARD", "PythonTask", "T", "Task",
        "TaskMetadata", "TaskResolverMixin", "UNSET_CARD", "kwtypes",
    ],
    "aioflyte.core.artifact": [
        "Artifact", "ArtifactIDSpecification", "ArtifactQuery", "ArtifactSerializationHandler", "DYNAMIC_INPUT_BINDING",
        "DefaultArtifactSerializationHandler", "Granularity", "Inputs", "InputsBase", "MAX_PARTITIONS", "Op",
        "OutputMetadata", "Partition", "Partitions", "Serializer", "TIME_PARTITION_KWARG", "TimePartition",
    ],
    # left out: O (a TypeVar), flytekit's imports (FlyteContextManager, SerializableToString, logger, ...)
    "aioflyte.core.environment": ["Environment", "inherit"],
    # left out: forge (copies @task's signature onto the methods), flytekit's imports
    "aioflyte.core.python_function_task": [
        "AsyncPythonFunctionTask", "EagerAsyncPythonFunctionTask", "Interface", "PythonFunctionTask",
        "PythonInstanceTask", "TaskMetadata", "transform_function_to_interface",
    ],
    # left out: EagerFailureHandlerTask, EagerFailureTaskResolver, eager_failure_task_resolver (the container's
    # resolvers: aioflyte.entrypoint.eager_failure_task_resolver), CLEANUP_LOOP_DELAY_SECONDS (flytekit's eager
    # clean-up loop), EAGER_ROOT_ENV_NAME (in aioflyte.core.constants), T
    "aioflyte.core.workflow": [
        "ImperativeWorkflow", "P", "PythonFunctionWorkflow", "WorkflowBase", "WorkflowFailurePolicy",
        "WorkflowMetadata", "WorkflowMetadataDefaults", "workflow",
    ],
    # left out: ReferenceWorkflow, reference_workflow (aioflyte has no reference entities yet),
    # construct_input_promises, get_promise, get_promise_map (flytekit's compiler internals; aioflyte compiles in
    # core.compile), FuncOut, T
    "aioflyte.core.launch_plan": ["LaunchPlan"],
    # left out: ReferenceLaunchPlan, reference_launch_plan (no reference entities yet)
    "aioflyte.core.task": [
        "AsyncPythonFunctionTask", "Cache", "EagerAsyncPythonFunctionTask", "Interface", "P", "PythonFunctionTask",
        "PythonTask", "Resources", "TaskMetadata", "TaskPlugins", "TaskResolverMixin", "eager", "task",
    ],
    # left out: ReferenceTask, reference_task (no reference entities yet), Echo (not in aioflyte),
    # FLYTE_ENABLE_VSCODE_KEY, decorate_function (flytekit's VS Code debugging), FuncOut, T
    "aioflyte.core.promise": ["ComparisonExpression", "ConjunctionExpression", "NodeOutput", "Promise", "VoidPromise"],
    # left out: flytekit's local-execution and binding internals (create_native_named_tuple, translate_inputs_to_*,
    # create_and_link_node*, binding_*from_python_std, flyte_entity_call_handler, resolve_attr_path_*, to_binding,
    # get_primitive_val, create_task_output, extract_obj_name, HasFlyteInterface, LocallyExecutable,
    # SupportsNodeCreation): aioflyte's promises never hold values (a local run returns Python values) and bindings
    # are made by core.compile; ComparisonOps, ConjunctionOps (aioflyte's expressions keep the operator), T
    "aioflyte.core.interface": [
        "Interface", "default_output_name", "extract_return_annotation", "output_name_generator",
        "transform_function_to_interface",
    ],
    # left out: transform_interface_to_typed_interface, transform_inputs_to_parameters, transform_variable_map,
    # transform_type (flyteidl forms: aioflyte.remote.translator), transform_interface_to_list_interface,
    # transform_types_to_list_of_type (map task internals), detect_artifact, verify_outputs_artifact_bindings
    # (artifacts), remap_shared_output_descriptions, repr_kv, repr_type_signature (docstring helpers), T
    "aioflyte.core.type_engine": [
        "AsyncTypeTransformer", "BatchSize", "BoolTransformer", "CACHE_KEY_METADATA", "DEFINITIONS",
        "DataclassTransformer", "DateTransformer", "DatetimeTransformer", "DictTransformer", "EnumTransformer",
        "FLYTE_USE_OLD_DC_FORMAT", "FloatTransformer", "HashMethod", "IntTransformer", "ListTransformer", "Literal",
        "LiteralType", "MESSAGEPACK", "NoneTransformer", "ProtobufTransformer", "SERIALIZATION_FORMAT",
        "SimpleTransformer",
        "StrTransformer", "T", "TITLE", "TimedeltaTransformer", "TypeEngine", "TypeTransformer",
        "TypeTransformerFailedError", "UnionTransformer", "get_batch_size", "get_underlying_type", "is_annotated",
    ],
    # left out: LiteralsResolver (aioflyte.remote.data.LiteralsResolver: core does not import remote),
    # BinaryIOTransformer, TextIOTransformer, RestrictedTypeTransformer, RestrictedTypeError,
    # LiteralTypeTransformer (no such transformers in aioflyte), and flytekit's helpers for its own dataclass and
    # JSON schema handling (convert_*_json_schema_to_python_class, generate_attribute_list_from_dataclass_json*,
    # dataclass_from_dict, strict_type_hint_matching, display_pickle_warning, modify_literal_uris)
    "aioflyte.core.data_persistence": [
        "DataConfig", "FileAccessProvider", "FlyteAssertion", "FlyteDataNotFoundException",
        "FlyteDownloadDataException", "FlyteUploadDataException", "azure_setup_args",
        "default_local_file_access_provider", "flyte_tmp_dir", "get_fsspec_storage_options", "s3_setup_args",
    ],
    # left out: get_additional_fsspec_call_kwargs (fsspec call tuning), FlyteLocalFileSystem (aioflyte uses
    # fsspec's local filesystem)
    "aioflyte.core.checkpointer": ["Checkpoint", "SyncCheckpoint"],
    "aioflyte.core.schedule": ["CronSchedule", "FixedRate", "LaunchPlanTriggerBase", "OnSchedule"],
    "aioflyte.core.notification": ["Email", "Notification", "PagerDuty", "Slack"],
    "aioflyte.core.resources": ["ResourceSpec", "Resources", "SHARED_MEMORY_MOUNT_NAME", "SHARED_MEMORY_MOUNT_PATH"],
    # left out: construct_extended_resources, convert_resources_to_resource_model, pod_spec_from_resources
    # (flyteidl forms: aioflyte.remote.translator)
    "aioflyte.core.constants": [
        "CACHE_KEY_METADATA", "CONTAINER_ARRAY_TASK", "DEFAULT_FAILURE_NODE_ID", "EAGER_ROOT_ENV_NAME",
        "EAGER_TAG_KEY", "EAGER_TAG_ROOT_KEY", "END_NODE_ID", "ERROR_FILE_NAME", "FLYTE_FAIL_ON_ERROR",
        "FLYTE_INTERNAL_IMAGE_ENV_VAR", "FLYTE_USE_OLD_DC_FORMAT", "FUTURES_FILE_NAME", "GLOBAL_INPUT_NODE_ID",
        "INPUT_FILE_NAME", "MESSAGEPACK", "OUTPUT_FILE_NAME", "REQUIREMENTS_FILE_NAME", "RUNTIME_PACKAGES_ENV_NAME",
        "SERIALIZATION_FORMAT", "SHARED_MEMORY_MOUNT_NAME", "SHARED_MEMORY_MOUNT_PATH", "SOURCE_CODE",
        "START_NODE_ID",
    ],
}  # fmt: skip


@pytest.mark.parametrize(("module", "names"), sorted(NAMES.items()))
def test_every_flytekit_name_is_there(module, names):
    mod = importlib.import_module(module)
    assert [n for n in names if not hasattr(mod, n)] == []


def test_names_are_the_objects_aioflyte_uses():
    from aioflyte.core import (
        base_task,
        checkpointer,
        interface,
        launch_plan,
        notification,
        promise,
        python_function_task,
        resources,
        schedule,
        task,
        type_engine,
        workflow,
    )
    from aioflyte.exceptions import IgnoreOutputs
    from aioflyte.io import FileAccessProvider

    same = [
        (base_task.PythonTask, aioflyte.PythonTask),
        (base_task.Task, aioflyte.PythonTask),
        (base_task.TaskMetadata, aioflyte.TaskMetadata),
        (base_task.kwtypes, aioflyte.kwtypes),
        (base_task.IgnoreOutputs, IgnoreOutputs),
        (base_task.Interface, aioflyte.Interface),
        (python_function_task.PythonFunctionTask, aioflyte.PythonFunctionTask),
        (workflow.workflow, aioflyte.workflow),
        (workflow.WorkflowBase, aioflyte.WorkflowBase),
        (workflow.PythonFunctionWorkflow, aioflyte.PythonFunctionWorkflow),
        (workflow.ImperativeWorkflow, aioflyte.ImperativeWorkflow),
        (workflow.WorkflowFailurePolicy, aioflyte.WorkflowFailurePolicy),
        (launch_plan.LaunchPlan, aioflyte.LaunchPlan),
        (task.task, aioflyte.task),
        (task.eager, aioflyte.eager),
        (task.Resources, aioflyte.Resources),
        (promise.Promise, aioflyte.Promise),
        (promise.VoidPromise, aioflyte.VoidPromise),
        (promise.NodeOutput, aioflyte.NodeOutput),
        (interface.transform_function_to_interface, python_function_task.transform_function_to_interface),
        (type_engine.TypeEngine, aioflyte.TypeEngine),
        (type_engine.TypeTransformer, aioflyte.TypeTransformer),
        (type_engine.AsyncTypeTransformer, importlib.import_module("aioflyte.types.engine").AsyncTypeTransformer),
        (type_engine.TypeTransformerFailedError, aioflyte.TypeTransformerFailedError),
        (type_engine.HashMethod, aioflyte.HashMethod),
        (type_engine.BatchSize, aioflyte.BatchSize),
        (type_engine.IntTransformer, aioflyte.TypeEngine.get_transformer(int)),
        (type_engine.StrTransformer, aioflyte.TypeEngine.get_transformer(str)),
        (type_engine.ListTransformer, type(aioflyte.TypeEngine.get_transformer(list[int]))),
        (checkpointer.Checkpoint, aioflyte.Checkpoint),
        (schedule.CronSchedule, aioflyte.CronSchedule),
        (schedule.FixedRate, aioflyte.FixedRate),
        (notification.Email, aioflyte.Email),
        (notification.Slack, aioflyte.Slack),
        (notification.PagerDuty, aioflyte.PagerDuty),
        (resources.Resources, aioflyte.Resources),
    ]
    assert [(a, b) for a, b in same if a is not b] == []
    from aioflyte.core.data_persistence import FileAccessProvider as FlytekitStyleProvider

    assert issubclass(FlytekitStyleProvider, FileAccessProvider)
    assert (
        aioflyte.FlyteRecoverableException
        is importlib.import_module("aioflyte.exceptions.user").FlyteRecoverableException
    )


def test_tasks_are_of_flytekits_classes():
    from aioflyte.core.python_function_task import (
        AsyncPythonFunctionTask,
        EagerAsyncPythonFunctionTask,
        PythonFunctionTask,
    )

    @aioflyte.task
    def sync_body(x: int) -> int:
        return x

    @aioflyte.task
    async def async_body(x: int) -> int:
        return x

    @aioflyte.eager
    async def eager_body(x: int) -> int:
        return await async_body(x=x)

    assert type(sync_body) is PythonFunctionTask
    assert type(async_body) is AsyncPythonFunctionTask and isinstance(async_body, PythonFunctionTask)
    assert type(eager_body) is EagerAsyncPythonFunctionTask and isinstance(eager_body, AsyncPythonFunctionTask)
    assert aioflyte.run(eager_body, x=4) == 4 and aioflyte.run(sync_body, x=5) == 5


def test_constants_have_flytekits_values():
    from aioflyte.core import constants

    # taken from flytekit 1.16.31's flytekit.core.constants
    assert {n: getattr(constants, n) for n in NAMES["aioflyte.core.constants"]} == {
        "CACHE_KEY_METADATA": "cache-key-metadata", "CONTAINER_ARRAY_TASK": "container_array",
        "DEFAULT_FAILURE_NODE_ID": "efn", "EAGER_ROOT_ENV_NAME": "_F_EE_ROOT", "EAGER_TAG_KEY": "eager-exec",
        "EAGER_TAG_ROOT_KEY": "eager-root-exec", "END_NODE_ID": "end-node", "ERROR_FILE_NAME": "error.pb",
        "FLYTE_FAIL_ON_ERROR": "FLYTE_FAIL_ON_ERROR", "FLYTE_INTERNAL_IMAGE_ENV_VAR": "FLYTE_INTERNAL_IMAGE",
        "FLYTE_USE_OLD_DC_FORMAT": "FLYTE_USE_OLD_DC_FORMAT", "FUTURES_FILE_NAME": "futures.pb",
        "GLOBAL_INPUT_NODE_ID": "", "INPUT_FILE_NAME": "inputs.pb", "MESSAGEPACK": "msgpack",
        "OUTPUT_FILE_NAME": "outputs.pb", "REQUIREMENTS_FILE_NAME": "requirements.txt",
        "RUNTIME_PACKAGES_ENV_NAME": "_F_RUNTIME_PACKAGES", "SERIALIZATION_FORMAT": "serialization-format",
        "SHARED_MEMORY_MOUNT_NAME": "flyte-shared-memory", "SHARED_MEMORY_MOUNT_PATH": "/dev/shm",
        "SOURCE_CODE": "source_code", "START_NODE_ID": "start-node",
    }  # fmt: skip
    from aioflyte.core import type_engine

    assert (type_engine.TITLE, type_engine.DEFINITIONS) == ("title", "definitions")
