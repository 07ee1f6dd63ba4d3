"""The public names of flytekit's model modules are in aioflyte's, with flytekit's constructor parameters.

The lists were taken from flytekit 1.16.31 (``dir()`` of each class, less what ``FlyteIdlEntity`` defines, and
``inspect.signature`` of each constructor). Left out, on purpose:

- ``common.FlyteABCMeta`` and ``common.FlyteType``: flytekit's metaclasses (a class ``repr`` and an ``isinstance``
  hook); aioflyte's models are plain dataclasses.
- ``task.K8sPod.to_pod_template``: it builds a ``PodTemplate``, which lives in ``aioflyte.core``, a layer above
  ``aioflyte.models`` (docs/architecture.md); ``K8sPod.from_pod_template`` is there.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest

EXCLUDED = {"common.FlyteABCMeta", "common.FlyteType", "task.K8sPod.to_pod_template"}

# flytekit 1.16.31: module (under flytekit.models) -> class -> its public attributes
FLYTEKIT = {
    "common": {
        "FlyteIdlEntity": "",
        "FlyteCustomIdlEntity": "from_dict from_flyte_idl to_dict",
        "NamedEntityIdentifier": "domain from_flyte_idl name project",
        "EmailNotification": "from_flyte_idl recipients_email",
        "SlackNotification": "from_flyte_idl recipients_email",
        "PagerDutyNotification": "from_flyte_idl recipients_email",
        "Notification": "email from_flyte_idl pager_duty phases slack",
        "Labels": "from_flyte_idl values",
        "Annotations": "from_flyte_idl values",
        "UrlBlob": "bytes from_flyte_idl url",
        "AuthRole": "assumable_iam_role from_flyte_idl kubernetes_service_account",
        "RawOutputDataConfig": "from_flyte_idl output_location_prefix",
        "Envs": "envs from_flyte_idl",
    },
    "literals": {
        "RetryStrategy": "from_flyte_idl retries",
        "Primitive": "boolean datetime duration float_value from_flyte_idl integer string_value value",
        "Binary": "from_flyte_idl tag value",
        "BlobMetadata": "from_flyte_idl type",
        "Blob": "from_flyte_idl metadata uri",
        "Void": "from_flyte_idl",
        "BindingDataMap": "bindings from_flyte_idl",
        "BindingDataCollection": "bindings from_flyte_idl",
        "BindingData": "collection from_flyte_idl map promise scalar to_literal_model value",
        "Binding": "binding from_flyte_idl var",
        "Schema": "from_flyte_idl type uri",
        "Union": "from_flyte_idl stored_type value",
        "StructuredDatasetMetadata": "from_flyte_idl structured_dataset_type",
        "StructuredDataset": "from_flyte_idl metadata uri",
        "LiteralCollection": "from_flyte_idl literals",
        "LiteralMap": "from_flyte_idl literals",
        "Scalar": "binary blob error from_flyte_idl generic none_type primitive schema structured_dataset union value",
        "LiteralOffloadedMetadata": "from_flyte_idl inferred_type size_bytes uri",
        "Literal": "collection from_flyte_idl hash map metadata offloaded_metadata scalar set_metadata value",
    },
    "types": {
        "SimpleType": "BINARY BOOLEAN DATETIME DURATION ERROR FLOAT INTEGER NONE STRING STRUCT",
        "SchemaType": "SchemaColumn columns from_flyte_idl",
        "UnionType": "from_flyte_idl variants",
        "TypeStructure": "dataclass_type from_flyte_idl tag",
        "StructuredDatasetType": (
            "DatasetColumn columns external_schema_bytes external_schema_type format from_flyte_idl"
        ),
        "LiteralType": (
            "annotation blob collection_type enum_type from_flyte_idl map_value_type metadata schema "
            "simple structure structured_dataset_type union_type"
        ),
        "OutputReference": "attr_path from_flyte_idl node_id var",
        "Error": "failed_node_id from_flyte_idl message",
    },
    "annotation": {
        "TypeAnnotation": "annotations from_flyte_idl merge_annotations",
    },
    "interface": {
        "Variable": "artifact_partial_id artifact_tag description from_flyte_idl to_flyte_idl_list type",
        "VariableMap": "from_flyte_idl variables",
        "TypedInterface": "from_flyte_idl inputs outputs transform_interface_to_list",
        "Parameter": "artifact_id artifact_query behavior default from_flyte_idl required var",
        "ParameterMap": "from_flyte_idl parameters",
    },
    "security": {
        "Secret": "MountType env_var from_flyte_idl group group_version key mount_requirement",
        "OAuth2Client": "client_id client_secret from_flyte_idl",
        "Identity": "execution_identity from_flyte_idl iam_role k8s_service_account oauth2_client",
        "OAuth2TokenRequest": "Type client from_flyte_idl idp_discovery_endpoint name token_endpoint type_",
        "SecurityContext": "from_flyte_idl run_as secrets tokens",
    },
    "documentation": {
        "Description": "DescriptionFormat format from_flyte_idl icon_link uri value",
        "SourceCode": "from_flyte_idl link",
        "Documentation": "from_flyte_idl long_description short_description source_code",
    },
    "task": {
        "Resources": "ResourceEntry ResourceName from_flyte_idl limits requests",
        "RuntimeMetadata": "RuntimeType flavor from_flyte_idl type version",
        "TaskMetadata": (
            "cache_ignore_input_vars cache_serializable deprecated_error_message discoverable "
            "discovery_version from_flyte_idl generates_deck interruptible is_eager k8s_object_metadata "
            "pod_template_name retries runtime timeout"
        ),
        "TaskTemplate": (
            "config container custom extended_resources from_flyte_idl id interface k8s_pod metadata "
            "security_context sql task_type_version type"
        ),
        "TaskExecutionMetadata": (
            "annotations environment_variables from_flyte_idl identity k8s_service_account labels "
            "namespace task_execution_id"
        ),
        "TaskSpec": "docs from_flyte_idl template",
        "Task": "closure from_flyte_idl id short_description",
        "TaskClosure": "compiled_task from_flyte_idl",
        "CompiledTask": "from_flyte_idl template",
        "IOStrategy": (
            "DOWNLOAD_MODE_EAGER DOWNLOAD_MODE_NO_DOWNLOAD DOWNLOAD_MODE_STREAM UPLOAD_MODE_EAGER "
            "UPLOAD_MODE_NO_UPLOAD UPLOAD_MODE_ON_EXIT from_flyte_idl"
        ),
        "DataLoadingConfig": "LITERALMAP_FORMAT_JSON LITERALMAP_FORMAT_PROTO LITERALMAP_FORMAT_YAML from_flyte_idl",
        "Container": "add_env args command config data_loading_config env from_flyte_idl image resources",
        "K8sObjectMetadata": "annotations from_flyte_idl labels",
        "K8sPod": (
            "data_config from_flyte_idl from_pod_template metadata pod_spec primary_container_name to_pod_template"
        ),
        "Sql": "Dialect dialect from_flyte_idl statement",
    },
    "core.types": {
        "EnumType": "from_flyte_idl values",
        "BlobType": "BlobDimensionality dimensionality format from_flyte_idl",
    },
    "core.identifier": {
        "ResourceType": "LAUNCH_PLAN TASK UNSPECIFIED WORKFLOW",
        "Identifier": "domain from_flyte_idl name project resource_type resource_type_name version",
        "WorkflowExecutionIdentifier": "domain from_flyte_idl name project",
        "NodeExecutionIdentifier": "execution_id from_flyte_idl node_id",
        "TaskExecutionIdentifier": "from_flyte_idl node_execution_id retry_attempt task_id",
        "SignalIdentifier": "execution_id from_flyte_idl signal_id",
    },
    "core.execution": {
        "WorkflowExecutionPhase": (
            "ABORTED ABORTING FAILED FAILING QUEUED RUNNING SUCCEEDED SUCCEEDING TIMED_OUT UNDEFINED enum_to_string"
        ),
        "NodeExecutionPhase": (
            "ABORTED DYNAMIC_RUNNING FAILED FAILING QUEUED RECOVERED RUNNING SKIPPED SUCCEEDED TIMED_OUT "
            "UNDEFINED enum_to_string"
        ),
        "TaskExecutionPhase": (
            "ABORTED FAILED INITIALIZING QUEUED RUNNING SUCCEEDED UNDEFINED WAITING_FOR_RESOURCES enum_to_string"
        ),
        "ExecutionError": "ErrorKind code error_uri from_flyte_idl kind message",
        "TaskLog": "MessageFormat from_flyte_idl message_format name ttl uri",
    },
    "core.errors": {
        "ContainerError": "Kind code from_flyte_idl kind message origin timestamp worker",
        "ErrorDocument": "error from_flyte_idl",
    },
}

# flytekit 1.16.31: the constructor parameters of each class, in order
SIGNATURES = {
    "common.NamedEntityIdentifier": "project domain name",
    "common.EmailNotification": "recipients_email",
    "common.SlackNotification": "recipients_email",
    "common.PagerDutyNotification": "recipients_email",
    "common.Notification": "phases email pager_duty slack",
    "common.Labels": "values",
    "common.Annotations": "values",
    "common.UrlBlob": "url bytes",
    "common.AuthRole": "assumable_iam_role kubernetes_service_account",
    "common.RawOutputDataConfig": "output_location_prefix",
    "common.Envs": "envs",
    "literals.RetryStrategy": "retries",
    "literals.Primitive": "integer float_value string_value boolean datetime duration",
    "literals.Binary": "value tag",
    "literals.BlobMetadata": "type",
    "literals.Blob": "metadata uri",
    "literals.Void": "",
    "literals.BindingDataMap": "bindings",
    "literals.BindingDataCollection": "bindings",
    "literals.BindingData": "scalar collection promise map",
    "literals.Binding": "var binding",
    "literals.Schema": "uri type",
    "literals.Union": "value stored_type",
    "literals.StructuredDatasetMetadata": "structured_dataset_type",
    "literals.StructuredDataset": "uri metadata",
    "literals.LiteralCollection": "literals",
    "literals.LiteralMap": "literals",
    "literals.Scalar": "primitive blob binary schema union none_type error generic structured_dataset",
    "literals.LiteralOffloadedMetadata": "uri size_bytes inferred_type",
    "literals.Literal": "scalar collection map hash metadata offloaded_metadata",
    "types.SchemaType": "columns",
    "types.SchemaType.SchemaColumn": "name type",
    "types.UnionType": "variants",
    "types.TypeStructure": "tag dataclass_type",
    "types.StructuredDatasetType": "columns format external_schema_type external_schema_bytes",
    "types.StructuredDatasetType.DatasetColumn": "name literal_type",
    "types.LiteralType": (
        "simple schema collection_type map_value_type blob enum_type union_type structured_dataset_type metadata "
        "structure annotation"
    ),
    "types.OutputReference": "node_id var attr_path",
    "types.Error": "failed_node_id message",
    "annotation.TypeAnnotation": "annotations",
    "interface.Variable": "type description artifact_partial_id artifact_tag",
    "interface.VariableMap": "variables",
    "interface.TypedInterface": "inputs outputs",
    "interface.Parameter": "var default required artifact_query artifact_id",
    "interface.ParameterMap": "parameters",
    "security.Secret": "group key group_version mount_requirement env_var",
    "security.OAuth2Client": "client_id client_secret",
    "security.Identity": "iam_role k8s_service_account oauth2_client execution_identity",
    "security.OAuth2TokenRequest": "name client idp_discovery_endpoint token_endpoint type_",
    "security.SecurityContext": "run_as secrets tokens",
    "documentation.Description": "value uri icon_link format",
    "documentation.SourceCode": "link",
    "documentation.Documentation": "short_description long_description source_code",
    "task.Resources": "requests limits",
    "task.Resources.ResourceEntry": "name value",
    "task.RuntimeMetadata": "type version flavor",
    "task.TaskMetadata": (
        "discoverable runtime timeout retries interruptible discovery_version deprecated_error_message "
        "cache_serializable pod_template_name cache_ignore_input_vars is_eager generates_deck k8s_object_metadata"
    ),
    "task.TaskTemplate": (
        "id type metadata interface custom container task_type_version security_context config k8s_pod sql "
        "extended_resources"
    ),
    "task.TaskExecutionMetadata": (
        "task_execution_id namespace labels annotations k8s_service_account environment_variables identity"
    ),
    "task.TaskSpec": "template docs",
    "task.Task": "id closure short_description",
    "task.TaskClosure": "compiled_task",
    "task.CompiledTask": "template",
    "task.IOStrategy": "download_mode upload_mode",
    "task.DataLoadingConfig": "input_path output_path enabled format io_strategy",
    "task.Container": "image command args resources env config data_loading_config",
    "task.K8sObjectMetadata": "labels annotations",
    "task.K8sPod": "metadata pod_spec data_config primary_container_name",
    "task.Sql": "statement dialect",
    "core.types.EnumType": "values",
    "core.types.BlobType": "format dimensionality",
    "core.identifier.Identifier": "resource_type project domain name version",
    "core.identifier.WorkflowExecutionIdentifier": "project domain name",
    "core.identifier.NodeExecutionIdentifier": "node_id execution_id",
    "core.identifier.TaskExecutionIdentifier": "task_id node_execution_id retry_attempt",
    "core.identifier.SignalIdentifier": "signal_id execution_id",
    "core.execution.ExecutionError": "code message error_uri kind",
    "core.execution.TaskLog": "uri name message_format ttl",
    "core.errors.ContainerError": "code message kind origin timestamp worker",
    "core.errors.ErrorDocument": "error",
}


def _resolve(dotted: str):
    module, _, qualname = dotted.partition(".")
    if module == "core":
        sub, _, qualname = qualname.partition(".")
        module = f"core.{sub}"
    obj = importlib.import_module(f"aioflyte.models.{module}")
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _has(cls: type, name: str) -> bool:
    fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    return name in fields or hasattr(cls, name)


@pytest.mark.parametrize("module", sorted(FLYTEKIT))
def test_every_public_class_and_attribute_of_flytekits_module_is_here(module):
    missing = []
    for cls_name, names in FLYTEKIT[module].items():
        if f"{module}.{cls_name}" in EXCLUDED:
            continue
        try:
            cls = _resolve(f"{module}.{cls_name}")
        except AttributeError:
            missing.append(cls_name)
            continue
        missing += [
            f"{cls_name}.{n}" for n in names.split() if f"{module}.{cls_name}.{n}" not in EXCLUDED and not _has(cls, n)
        ]
    assert not missing


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_constructor_parameters_are_flytekits_in_flytekits_order(name):
    parameters = list(inspect.signature(_resolve(name)).parameters)
    assert parameters == SIGNATURES[name].split()


def test_the_model_base_has_flytekits_methods():
    from aioflyte.models.common import FlyteIdlEntity

    for name in ("to_flyte_idl", "from_flyte_idl", "serialize_to_string", "short_string", "is_empty", "_repr_html_"):
        assert hasattr(FlyteIdlEntity, name), name
