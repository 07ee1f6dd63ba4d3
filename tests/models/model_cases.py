"""Model objects built through flytekit's constructors, for any implementation of its model modules.

``cases(m)`` takes a namespace of the model modules (``m.literals``, ``m.types``, ``m.core_types``, ...) and builds
the same objects with them; the golden test builds them once with flytekit 1.16.31 and once with aioflyte and
compares the serialized messages. Only positional and keyword arguments flytekit's signatures accept are used.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any


def cases(m: SimpleNamespace) -> dict[str, Any]:
    lit, typ, ct, iface = m.literals, m.types, m.core_types, m.interface
    ident, exe, err, com = m.identifier, m.execution, m.errors, m.common
    sec, task, doc, ann = m.security, m.task, m.documentation, m.annotation
    from google.protobuf import struct_pb2
    from google.protobuf.timestamp_pb2 import Timestamp

    def prim(**kw: Any) -> Any:
        return lit.Literal(scalar=lit.Scalar(primitive=lit.Primitive(**kw)))

    int_t = typ.LiteralType(simple=typ.SimpleType.INTEGER)
    str_t = typ.LiteralType(simple=typ.SimpleType.STRING, structure=typ.TypeStructure(tag="str"))
    csv_t = ct.BlobType("csv", ct.BlobType.BlobDimensionality.SINGLE)
    dir_t = ct.BlobType("", ct.BlobType.BlobDimensionality.MULTIPART)
    sd_t = typ.StructuredDatasetType(
        columns=[
            typ.StructuredDatasetType.DatasetColumn("a", int_t),
            typ.StructuredDatasetType.DatasetColumn("b", str_t),
        ],
        format="parquet",
    )
    schema_t = typ.SchemaType(
        [
            typ.SchemaType.SchemaColumn("x", typ.SchemaType.SchemaColumn.SchemaColumnType.INTEGER),
            typ.SchemaType.SchemaColumn("y", typ.SchemaType.SchemaColumn.SchemaColumnType.STRING),
        ]
    )
    generic = struct_pb2.Struct()
    generic.update({"a": 1, "b": [True, "x"]})
    wf_id = ident.WorkflowExecutionIdentifier("flytesnacks", "development", "f8a3b2c1")
    task_id = ident.Identifier(ident.ResourceType.TASK, "flytesnacks", "development", "wf.t1", "v1")
    node_id = ident.NodeExecutionIdentifier("n0", wf_id)
    variable = iface.Variable(int_t, "an int")
    interface = iface.TypedInterface({"a": variable, "b": iface.Variable(str_t, "")}, {"o0": variable})
    resources = task.Resources(
        requests=[task.Resources.ResourceEntry(task.Resources.ResourceName.CPU, "1")],
        limits=[task.Resources.ResourceEntry(task.Resources.ResourceName.MEMORY, "1Gi")],
    )
    metadata = task.TaskMetadata(
        True,
        task.RuntimeMetadata(task.RuntimeMetadata.RuntimeType.FLYTE_SDK, "1.16.31", "python"),
        datetime.timedelta(minutes=5),
        lit.RetryStrategy(3),
        True,
        "1.0",
        "",
        True,
        "",
        ["b"],
        generates_deck=True,
        k8s_object_metadata=task.K8sObjectMetadata(labels={"team": "a"}, annotations={"note": "b"}),
    )
    container = task.Container(
        "ghcr.io/flyteorg/flytekit:py3.11",
        ["pyflyte-execute"],
        ["--inputs", "{{.input}}"],
        resources,
        {"A": "1", "B": "2"},
        {"k": "v"},
        data_loading_config=task.DataLoadingConfig("/in", "/out", io_strategy=task.IOStrategy()),
    )
    template = task.TaskTemplate(
        task_id,
        "python-task",
        metadata,
        interface,
        {"plugin": {"x": 1}},
        container=container,
        task_type_version=1,
        security_context=sec.SecurityContext(run_as=sec.Identity(k8s_service_account="sa")),
        config={"c": "d"},
    )
    return {
        # flytekit.models.literals
        "int": prim(integer=42),
        "float": prim(float_value=1.5),
        "string": prim(string_value="hello"),
        "bool": prim(boolean=False),
        "datetime_aware": prim(
            datetime=datetime.datetime(
                2024, 5, 6, 7, 8, 9, 123000, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
            )
        ),
        "datetime_naive": prim(datetime=datetime.datetime(2024, 5, 6, 7, 8, 9)),
        "duration": prim(duration=datetime.timedelta(seconds=90, microseconds=5)),
        "blob": lit.Literal(scalar=lit.Scalar(blob=lit.Blob(lit.BlobMetadata(csv_t), "s3://bucket/a.csv"))),
        "dir": lit.Literal(scalar=lit.Scalar(blob=lit.Blob(lit.BlobMetadata(type=dir_t), uri="s3://bucket/d"))),
        "binary": lit.Literal(scalar=lit.Scalar(binary=lit.Binary(b"\x81\xa1a\x01", "msgpack"))),
        "void": lit.Literal(scalar=lit.Scalar(none_type=lit.Void())),
        "union": lit.Literal(scalar=lit.Scalar(union=lit.Union(prim(string_value="s"), str_t))),
        "error": lit.Literal(scalar=lit.Scalar(error=typ.Error("n1", "boom"))),
        "generic": lit.Literal(scalar=lit.Scalar(generic=generic)),
        "schema": lit.Literal(scalar=lit.Scalar(schema=lit.Schema("s3://bucket/schema", schema_t))),
        "structured_dataset": lit.Literal(
            scalar=lit.Scalar(
                structured_dataset=lit.StructuredDataset("s3://bucket/df", lit.StructuredDatasetMetadata(sd_t))
            )
        ),
        "collection": lit.Literal(collection=lit.LiteralCollection([prim(integer=1), prim(integer=2)])),
        "map_with_hash": lit.Literal(
            map=lit.LiteralMap({"a": prim(integer=1), "b": prim(string_value="x")}),
            hash="abc",
            metadata={"k": "v"},
        ),
        "offloaded": lit.Literal(
            offloaded_metadata=lit.LiteralOffloadedMetadata(
                "s3://bucket/off", 1024, typ.LiteralType(collection_type=int_t)
            )
        ),
        "literal_map": lit.LiteralMap({"x": prim(integer=7)}),
        "retry": lit.RetryStrategy(5),
        "binding": lit.Binding(
            "a",
            lit.BindingData(
                collection=lit.BindingDataCollection(
                    [
                        lit.BindingData(scalar=lit.Scalar(primitive=lit.Primitive(integer=1))),
                        lit.BindingData(promise=typ.OutputReference("n0", "o0", attr_path=["key", 2])),
                        lit.BindingData(
                            map=lit.BindingDataMap({"m": lit.BindingData(promise=typ.OutputReference("n1", "o1"))})
                        ),
                    ]
                )
            ),
        ),
        # flytekit.models.types, core.types, annotation
        "type_collection_of_map": typ.LiteralType(collection_type=typ.LiteralType(map_value_type=int_t)),
        "type_blob": typ.LiteralType(blob=csv_t),
        "type_enum": typ.LiteralType(enum_type=ct.EnumType(["red", "green"])),
        "type_union": typ.LiteralType(
            union_type=typ.UnionType(
                [int_t, typ.LiteralType(simple=typ.SimpleType.NONE, structure=typ.TypeStructure("none"))]
            )
        ),
        "type_sd": typ.LiteralType(structured_dataset_type=sd_t),
        "type_schema": typ.LiteralType(schema=schema_t),
        "type_with_metadata": typ.LiteralType(
            simple=typ.SimpleType.STRUCT,
            metadata={"$schema": "x", "properties": {"a": {"type": "integer"}}, "n": 3},
            structure=typ.TypeStructure("dc", dataclass_type={"a": int_t}),
            annotation=ann.TypeAnnotation({"cache-key": "abc", "n": 1}),
        ),
        "sd_type_external": typ.StructuredDatasetType(
            format="arrow", external_schema_type="arrow", external_schema_bytes=b"\x00\x01"
        ),
        "output_reference": typ.OutputReference("n2", "o0", ["a", 0, "b"]),
        # flytekit.models.interface
        "variable": variable,
        "variable_map": iface.VariableMap({"a": variable}),
        "typed_interface": interface,
        "parameter_default": iface.Parameter(variable, default=prim(integer=3)),
        "parameter_required": iface.Parameter(iface.Variable(str_t, "s"), required=True),
        "parameter_map": iface.ParameterMap({"a": iface.Parameter(variable, None, True)}),
        # flytekit.models.core.identifier
        "identifier": task_id,
        "lp_identifier": ident.Identifier(ident.ResourceType.LAUNCH_PLAN, "p", "d", "lp", "v2"),
        "wf_execution_id": wf_id,
        "node_execution_id": node_id,
        "task_execution_id": ident.TaskExecutionIdentifier(task_id, node_id, 2),
        "signal_id": ident.SignalIdentifier("approve", wf_id),
        # flytekit.models.core.execution, core.errors
        "execution_error": exe.ExecutionError(
            "USER:Boom", "it broke", "s3://bucket/error.pb", exe.ExecutionError.ErrorKind.USER
        ),
        "task_log": exe.TaskLog("https://logs/1", "Logs", exe.TaskLog.MessageFormat.JSON, datetime.timedelta(hours=1)),
        "task_log_plain": exe.TaskLog("https://logs/2", "Logs"),
        "container_error": err.ContainerError("USER:X", "m", err.ContainerError.Kind.RECOVERABLE, 1),
        "error_document": err.ErrorDocument(
            err.ContainerError("SYSTEM:Y", "n", 0, 2, timestamp=Timestamp(seconds=10), worker="w0")
        ),
        # flytekit.models.common
        "named_entity_id": com.NamedEntityIdentifier("p", "d", "wf"),
        "named_entity_id_no_name": com.NamedEntityIdentifier("p", "d"),
        "notification": com.Notification(
            [exe.WorkflowExecutionPhase.FAILED, exe.WorkflowExecutionPhase.TIMED_OUT],
            email=com.EmailNotification(["a@b.c"]),
        ),
        "notification_slack": com.Notification([4], slack=com.SlackNotification(["#c"])),
        "notification_pager_duty": com.Notification([6], pager_duty=com.PagerDutyNotification(["pd@x"])),
        "labels": com.Labels({"a": "b"}),
        "annotations": com.Annotations({"c": "d"}),
        "url_blob": com.UrlBlob("https://signed", 12),
        "auth_role": com.AuthRole("arn:role", "sa"),
        "raw_output": com.RawOutputDataConfig("s3://bucket/raw"),
        "envs": com.Envs({"A": "1", "B": "2"}),
        # flytekit.models.security
        "secret": sec.Secret(group="g", key="k", group_version="1", mount_requirement=sec.Secret.MountType.ENV_VAR),
        "identity": sec.Identity(iam_role="arn:r", k8s_service_account="sa", execution_identity="me"),
        "security_context": sec.SecurityContext(
            run_as=sec.Identity(k8s_service_account="sa"), secrets=[sec.Secret(group="g", key="k")]
        ),
        # flytekit.models.task
        "resources": resources,
        "task_metadata": metadata,
        "container": container,
        "k8s_pod": task.K8sPod(
            metadata=task.K8sObjectMetadata(labels={"l": "1"}),
            pod_spec={"containers": [{"name": "primary", "image": "i"}]},
            primary_container_name="primary",
        ),
        "sql": task.Sql("SELECT 1", 2),
        "io_strategy": task.IOStrategy(task.IOStrategy.DOWNLOAD_MODE_STREAM, task.IOStrategy.UPLOAD_MODE_EAGER),
        "data_loading_config": task.DataLoadingConfig(
            "/var/in", "/var/out", False, task.DataLoadingConfig.LITERALMAP_FORMAT_JSON
        ),
        "task_template": template,
        "task_spec": task.TaskSpec(template, doc.Documentation(short_description="short")),
        "task": task.Task(task_id, task.TaskClosure(task.CompiledTask(template)), short_description="short"),
        "task_execution_metadata": task.TaskExecutionMetadata(
            ident.TaskExecutionIdentifier(task_id, node_id, 0),
            "ns",
            {"l": "1"},
            {"a": "2"},
            "sa",
            {"E": "3"},
            sec.Identity(k8s_service_account="sa"),
        ),
        # flytekit.models.documentation
        "documentation": doc.Documentation(
            "short",
            doc.Description(value="# Long", format=doc.Description.DescriptionFormat.MARKDOWN),
            doc.SourceCode("https://src"),
        ),
    }


def flytekit_modules() -> SimpleNamespace:
    """flytekit's model modules under the names ``cases`` uses."""
    from flytekit.models import annotation, common, documentation, interface, literals, security, task, types
    from flytekit.models.core import errors, execution, identifier
    from flytekit.models.core import types as core_types

    return SimpleNamespace(
        literals=literals, types=types, core_types=core_types, interface=interface, identifier=identifier,
        execution=execution, errors=errors, common=common, security=security, task=task,
        documentation=documentation, annotation=annotation,
    )  # fmt: skip


if __name__ == "__main__":  # print the golden hex with flytekit: /tmp/fk/bin/python tests/models/model_cases.py
    for name, obj in cases(flytekit_modules()).items():
        print(f'    "{name}": "{obj.to_flyte_idl().SerializeToString(deterministic=True).hex()}",')
