"""The behaviour of the model classes beyond their wire form: properties, flytekit's readings, equality, helpers."""

from __future__ import annotations

import dataclasses
import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from flyteidl.core import interface_pb2, literals_pb2, types_pb2
from google.protobuf.timestamp_pb2 import Timestamp

import aioflyte
from aioflyte.exceptions import FlyteValidationException
from aioflyte.models import annotation, common, interface, literals, task, types
from aioflyte.models.core import execution, identifier
from aioflyte.models.core.types import BlobType, EnumType
from aioflyte.models.literals import Blob, BlobMetadata, Literal, Primitive, Scalar
from aioflyte.models.types import LiteralType, SimpleType

UTC = datetime.timezone.utc
INT = LiteralType(simple=SimpleType.INTEGER)


def lit(**primitive: Any) -> Literal:
    return Literal(scalar=Scalar(primitive=Primitive(**primitive)))


# ---- the model base ----


def test_a_model_equals_its_copy_and_its_own_message_and_hashes_by_content():
    a, b = lit(integer=1), lit(integer=1)
    assert a == b and not (a != b) and hash(a) == hash(b) and len({a, b}) == 1
    assert a != lit(integer=2)
    assert a == a.to_flyte_idl() and a.to_flyte_idl() == a  # either side
    assert a != literals_pb2.Literal() and a != "x"


def test_models_are_frozen_except_where_flytekit_has_setters():
    blob = Blob(BlobMetadata(BlobType("csv", BlobType.BlobDimensionality.SINGLE)), "s3://b/f")
    with pytest.raises(dataclasses.FrozenInstanceError):
        blob.uri = "s3://other"  # type: ignore[misc]  # writing a frozen field is the point
    literal = lit(integer=1)
    literal.hash = "h"
    literal.set_metadata({"k": "v"})
    assert literal.to_flyte_idl().hash == "h" and dict(literal.to_flyte_idl().metadata) == {"k": "v"}
    lt = LiteralType(simple=SimpleType.STRING)
    lt.metadata = {"a": 1}
    lt.annotation = annotation.TypeAnnotation({"x": "y"})
    assert LiteralType.from_flyte_idl(lt.to_flyte_idl()) == lt
    sdt = types.StructuredDatasetType()
    sdt.format, sdt.columns = "csv", [types.StructuredDatasetType.DatasetColumn("a", INT)]
    assert sdt.to_flyte_idl().format == "csv"
    ref = types.OutputReference("n0", "o0")
    ref.var = "o1"
    assert ref.to_flyte_idl().var == "o1"


def test_str_is_a_short_outline_repr_names_the_fields_set_and_the_flytekit_helpers_work():
    literal = lit(string_value="hi")
    assert str(literal) == literal.short_string()
    assert literal.short_string().splitlines() == [
        "Flyte Serialized object (Literal):",
        "  scalar:",
        "    primitive:",
        "      string_value: 'hi'",
    ]
    assert repr(literal) == "Literal(scalar=Scalar(primitive=Primitive(string_value='hi')))"
    assert literal.serialize_to_string() == literal.to_flyte_idl().SerializeToString()
    assert not literal.is_empty and Literal().is_empty and literals.Void().is_empty
    assert "<h4>Literal</h4>" in literal._repr_html_()
    outline = LiteralType(
        blob=BlobType("", BlobType.BlobDimensionality.MULTIPART), metadata={"k": [1, 2]}
    ).short_string()
    assert "dimensionality: MULTIPART" in outline and "values:" in outline


def test_a_flyteidl_message_can_stand_in_for_a_nested_model():
    scalar = literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=5))
    literal = Literal(scalar=scalar)  # type: ignore[arg-type]  # a message where a model is declared
    assert literal.to_flyte_idl() == lit(integer=5).to_flyte_idl()


def test_a_number_newer_than_an_enum_is_kept():
    pb = types_pb2.BlobType(format="", dimensionality=1)
    assert BlobType.from_flyte_idl(pb).dimensionality is BlobType.BlobDimensionality.MULTIPART
    assert LiteralType.from_flyte_idl(types_pb2.LiteralType(simple=3)).simple is SimpleType.STRING
    assert execution.WorkflowExecutionPhase.enum_to_string(4) == "SUCCEEDED"
    assert execution.NodeExecutionPhase.enum_to_string(99) == "99"


def test_a_plugin_model_written_for_flytekit_keeps_its_own_init():
    class MyJob(common.FlyteIdlEntity):
        def __init__(self, n: int) -> None:
            self._n = n

        def to_flyte_idl(self) -> Any:
            return literals_pb2.RetryStrategy(retries=self._n)

        @classmethod
        def from_flyte_idl(cls, pb: Any) -> MyJob:
            return cls(pb.retries)

    job = MyJob(2)
    assert job == MyJob(2) and hash(job) == hash(MyJob(2)) and job != MyJob(3)
    assert "retries: 2" in str(job) and MyJob.from_flyte_idl(job.to_flyte_idl()) == job


def test_a_custom_entity_is_a_struct_of_its_dict():
    class Config(common.FlyteCustomIdlEntity):
        def __init__(self, size: int) -> None:
            self.size = size

        def to_dict(self) -> dict[str, Any]:
            return {"size": self.size}

        @classmethod
        def from_dict(cls, idl_dict: dict[str, Any]) -> Config:
            return cls(int(idl_dict["size"]))

    pb = Config(3).to_flyte_idl()
    assert pb.fields["size"].number_value == 3 and Config.from_flyte_idl(pb).size == 3


# ---- literals ----


def test_primitive_datetimes_are_utc_aware_and_written_in_utc():
    naive = Primitive(datetime=datetime.datetime(2024, 1, 2, 3, 4, 5))
    assert naive.datetime == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC) and naive.value == naive.datetime
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    aware = Primitive(datetime=datetime.datetime(2024, 1, 2, 5, 4, 5, tzinfo=plus2))
    assert aware.to_flyte_idl() == naive.to_flyte_idl()
    back = Primitive.from_flyte_idl(aware.to_flyte_idl()).datetime
    assert back == aware.datetime and back is not None and back.tzinfo is UTC
    from_timestamp = Primitive(datetime=Timestamp(seconds=60))  # type: ignore[arg-type]  # flytekit takes one too
    assert from_timestamp.datetime == datetime.datetime(1970, 1, 1, 0, 1, tzinfo=UTC)


def test_primitive_value_is_the_field_set_even_when_falsy():
    for kwargs, value in [
        ({"integer": 0}, 0),
        ({"float_value": 0.0}, 0.0),
        ({"string_value": ""}, ""),
        ({"boolean": False}, False),
        ({"duration": datetime.timedelta(0)}, datetime.timedelta(0)),
    ]:
        read = Primitive.from_flyte_idl(Primitive(**kwargs).to_flyte_idl())
        assert read.value == value and read == Primitive(**kwargs)
    assert Primitive.from_flyte_idl(literals_pb2.Primitive()).value is None


def test_literal_reads_as_flytekit_does():
    read = Literal.from_flyte_idl(lit(integer=1).to_flyte_idl())
    assert read.hash is None and read.metadata is None and read.collection is None and read.map is None
    assert read.value == read.scalar and read.scalar is not None and read.scalar.value == Primitive(integer=1)
    collection = Literal(collection=literals.LiteralCollection([lit(integer=1)]))
    assert collection.value == collection.collection
    sd = literals.StructuredDataset.from_flyte_idl(literals_pb2.StructuredDataset(uri="s3://b/df"))
    assert sd.metadata is not None and sd.metadata.structured_dataset_type is not None  # always set on reading
    union = literals.Union(lit(integer=1), INT)
    assert union.stored_type == INT and union.to_flyte_idl().type == INT.to_flyte_idl()


def test_scalar_error_reads_as_an_error_model():
    scalar = Scalar(error=types.Error("n0", "boom"))
    read = Scalar.from_flyte_idl(scalar.to_flyte_idl())
    assert read.error == types.Error("n0", "boom") and read.value == read.error and read == scalar


def test_binding_data_to_literal_model():
    data = literals.BindingData(
        collection=literals.BindingDataCollection(
            [
                literals.BindingData(scalar=Scalar(primitive=Primitive(integer=1))),
                literals.BindingData(
                    map=literals.BindingDataMap({"a": literals.BindingData(scalar=Scalar(none_type=literals.Void()))})
                ),
            ]
        )
    )
    assert data.value == data.collection
    assert data.to_literal_model() == Literal(
        collection=literals.LiteralCollection(
            [lit(integer=1), Literal(map=literals.LiteralMap({"a": Literal(scalar=Scalar(none_type=literals.Void()))}))]
        )
    )
    with pytest.raises(FlyteValidationException, match="promise"):
        literals.BindingData(promise=types.OutputReference("n0", "o0")).to_literal_model()


# ---- types ----


def test_literal_type_reads_as_flytekit_does():
    read = LiteralType.from_flyte_idl(LiteralType(collection_type=INT).to_flyte_idl())
    assert read.collection_type == INT and read.simple is None and read.metadata is None and read.annotation is None
    assert list(read.__rich_repr__()) == ["List[Simple]"]
    assert next(LiteralType(blob=BlobType("", 1)).__rich_repr__()) == "Directory"
    assert EnumType.from_flyte_idl(EnumType(["a", "b"]).to_flyte_idl()).values == ["a", "b"]
    assert annotation.TypeAnnotation.from_flyte_idl(types_pb2.TypeAnnotation()).annotations == {}
    merged = annotation.TypeAnnotation.merge_annotations(
        annotation.TypeAnnotation({"a": 1, "b": 2}), annotation.TypeAnnotation({"b": 3})
    )
    assert merged.annotations == {"a": 1, "b": 3}
    assert types.TypeStructure.from_flyte_idl(types_pb2.TypeStructure(tag="t")).dataclass_type == {}


def test_output_reference_attribute_paths():
    ref = types.OutputReference("n0", "o0")
    assert ref.attr_path == []
    read = types.OutputReference.from_flyte_idl(types.OutputReference("n0", "o0", ["", 0, "k", 3]).to_flyte_idl())
    assert read.attr_path == ["", 0, "k", 3]


# ---- interface ----


def test_interface_to_list_and_parameters():
    var = interface.Variable(INT, "an int")
    assert var.to_flyte_idl_list() == interface_pb2.Variable(
        type=types_pb2.LiteralType(collection_type=INT.to_flyte_idl()), description="an int"
    )
    iface = interface.TypedInterface({"a": var, "b": var, "c": var}, {"o0": var})
    mapped = iface.transform_interface_to_list(bound_inputs={"b"}, excluded_inputs={"c"})
    assert sorted(mapped.inputs) == ["a", "b"]
    assert mapped.inputs["a"].type == LiteralType(collection_type=INT) and mapped.inputs["b"].type == INT
    assert mapped.outputs["o0"].type == LiteralType(collection_type=INT)
    with_default = interface.Parameter(var, default=lit(integer=1), required=True)
    assert not with_default.to_flyte_idl().HasField("required")  # a default wins over required, as in flytekit
    assert with_default.behavior == with_default.default
    required = interface.Parameter.from_flyte_idl(interface.Parameter(var, required=True).to_flyte_idl())
    assert required.required is True and required.default is None and required.behavior is True


# ---- identifiers, phases ----


def test_identifiers_print_as_flytekit_and_aioflyte_did():
    tid = identifier.Identifier(identifier.ResourceType.TASK, "p", "d", "wf.t", "v1")
    assert str(tid) == repr(tid) == "TASK:p:d:wf.t:v1" and tid.resource_type_name() == "TASK"
    assert str(identifier.WorkflowExecutionIdentifier("p", "d", "x")) == "p:d:x"
    from aioflyte.models import identifier as first_path

    assert first_path.Identifier is identifier.Identifier
    assert first_path.WorkflowExecutionIdentifier is identifier.WorkflowExecutionIdentifier


def test_execution_models():
    log = execution.TaskLog.from_flyte_idl(
        execution.TaskLog("u", "n", ttl=datetime.timedelta(minutes=1)).to_flyte_idl()
    )
    assert log.ttl == datetime.timedelta(minutes=1) and log.message_format == execution.TaskLog.MessageFormat.UNKNOWN
    assert execution.TaskLog.from_flyte_idl(execution.TaskLog("u", "n").to_flyte_idl()).ttl is None
    error = execution.ExecutionError("c", "m", "u", execution.ExecutionError.ErrorKind.SYSTEM)
    assert execution.ExecutionError.from_flyte_idl(error.to_flyte_idl()).kind == 2 and "<b>c</b>" in error._repr_html_()


# ---- task ----


def test_task_models_check_their_arguments_and_read_as_flytekit_does():
    with pytest.raises(ValueError, match="format"):
        task.DataLoadingConfig("/in", "/out", format=7)
    container = task.Container("img", [], [], task.Resources([], []), {}, {})
    container.add_env("A", "1")
    assert container.to_flyte_idl().env[0].key == "A"
    with pytest.raises(ValueError, match="at most one"):
        task.TaskTemplate(
            identifier.Identifier(1, "p", "d", "t", "v"),
            "python-task",
            None,  # type: ignore[arg-type]  # the one-of check fails before metadata matters
            interface.TypedInterface({}, {}),
            None,
            container=container,
            sql=task.Sql("SELECT 1"),
        )
    runtime = task.RuntimeMetadata(1, "v", "python")
    zero, retries = datetime.timedelta(0), literals.RetryStrategy(0)
    metadata = task.TaskMetadata(False, runtime, zero, retries, None, "", "", False, "", [])
    pb = metadata.to_flyte_idl()
    assert not pb.HasField("timeout") and pb.generates_deck.value is False
    read = task.TaskMetadata.from_flyte_idl(pb)
    assert read.timeout == datetime.timedelta(0) and read.interruptible is None and read == metadata
    template = SimpleNamespace(
        labels={"l": "1"}, annotations={}, pod_spec={"containers": []}, primary_container_name="p"
    )
    pod = task.K8sPod.from_pod_template(template)
    assert pod.pod_spec == {"containers": []} and pod.primary_container_name == "p"
    assert pod.metadata == task.K8sObjectMetadata(labels={"l": "1"}, annotations={})


# ---- where the rest of aioflyte meets them ----


def test_top_level_names_are_the_model_classes():
    assert aioflyte.Literal is Literal and aioflyte.Scalar is Scalar and aioflyte.LiteralType is LiteralType
    assert aioflyte.Blob is Blob and aioflyte.BlobMetadata is BlobMetadata and aioflyte.BlobType is BlobType
    assert aioflyte.Labels is common.Labels and aioflyte.Annotations is common.Annotations
    assert aioflyte.AuthRole is common.AuthRole and aioflyte.RawOutputDataConfig is common.RawOutputDataConfig
    assert aioflyte.WorkflowExecutionPhase is execution.WorkflowExecutionPhase
    from aioflyte.models import documentation

    assert aioflyte.Documentation is documentation.Documentation and aioflyte.Description is documentation.Description


async def test_type_engine_literals_equal_the_models_and_read_from_them():
    from aioflyte.types.engine import TypeEngine

    produced = await TypeEngine.to_literal(None, 3, int)
    assert produced == lit(integer=3) and Literal.from_flyte_idl(produced) == lit(integer=3)
    assert TypeEngine.to_literal_type(int) == INT
    assert await TypeEngine.to_python_value(None, lit(integer=4).to_flyte_idl(), int) == 4
