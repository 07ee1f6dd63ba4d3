"""``Artifact`` authoring: construction, binding partitions for an output, queries, ``create_from``, and the
errors bad input gets (flytekit's names and serialized forms; the messages are checked against flytekit's in
``tests/remote/test_translator_golden_artifacts.py``)."""

from __future__ import annotations

import datetime
from typing import Annotated

import pytest
from flyteidl.core import artifact_id_pb2 as art_id

from aioflyte import Artifact, LaunchPlan, workflow
from aioflyte.core.artifact import (
    DYNAMIC_INPUT_BINDING,
    ArtifactIDSpecification,
    ArtifactQuery,
    Granularity,
    Inputs,
    Partitions,
    TimePartition,
    artifact_spec_of,
    partial_artifact_id,
)
from aioflyte.exceptions import FlyteValidationException


def test_inputs_name_an_input_binding():
    assert Inputs.region == art_id.InputBindingData(var="region")


def test_binding_partitions_for_an_output():
    a = Artifact(name="pricing", partition_keys=["region", "tier"])
    spec = a(region=Inputs.region, tier="gold")
    assert isinstance(spec, ArtifactIDSpecification)
    pid = spec.to_partial_artifact_id()
    assert pid.artifact_key.name == "pricing"
    assert pid.partitions.value["region"] == art_id.LabelValue(input_binding=art_id.InputBindingData(var="region"))
    assert pid.partitions.value["tier"] == art_id.LabelValue(static_value="gold")
    # unbound partitions are set at run time
    assert a().to_partial_artifact_id().partitions.value["tier"] == DYNAMIC_INPUT_BINDING


def test_time_partitions_bind_to_a_datetime_or_an_input():
    a = Artifact(name="daily", time_partitioned=True, time_partition_granularity=Granularity.HOUR)
    pid = a(time_partition=Inputs.day).to_partial_artifact_id()
    assert pid.time_partition.value.input_binding.var == "day"
    assert pid.time_partition.granularity == Granularity.HOUR
    when = datetime.datetime(2024, 5, 1, 8)
    assert a(time_partition=when).to_partial_artifact_id().time_partition.value.time_value.ToDatetime() == when
    assert a().to_partial_artifact_id().time_partition.value == DYNAMIC_INPUT_BINDING


def test_an_annotated_type_names_its_artifact():
    a = Artifact(name="model")
    assert artifact_spec_of(Annotated[int, a]).artifact is a
    assert artifact_spec_of(int) is None and partial_artifact_id(Annotated[int, "x"]) is None
    assert partial_artifact_id(Annotated[str, a]) == art_id.ArtifactID(artifact_key=art_id.ArtifactKey(name="model"))


def test_queries():
    a = Artifact(name="pricing", partition_keys=["region"])
    q = a.query(region="eu")
    assert isinstance(q, ArtifactQuery) and q.bound
    assert q.to_flyte_idl().artifact_id.partitions.value["region"].static_value == "eu"
    assert not a.query().bound  # region is unset
    assert a.query(partitions={"region": "us"}).partitions.partitions["region"].value.static_value == "us"
    t = Artifact(name="daily", time_partitioned=True)
    when = datetime.datetime(2024, 1, 2)
    assert t.query(time_partition=when).to_flyte_idl().artifact_id.time_partition.value.time_value.ToDatetime() == when
    shifted = t.time_partition - datetime.timedelta(days=1)
    assert isinstance(shifted, TimePartition) and shifted.other == datetime.timedelta(days=1)


def test_create_from_outside_a_task_returns_the_value():
    a = Artifact(name="pricing", partition_keys=["region"])
    assert a.create_from(3.5, region="eu") == 3.5


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: Artifact(), "parameter 'name' is required"),
        (lambda: Artifact(name="a", partition_keys="region"), "'partition_keys' expected a list of str"),
        (lambda: Artifact(name="a", partition_keys=[f"k{i}" for i in range(11)]), "at most 10 partition keys"),
        (lambda: Artifact(name="a", partitions=[1]), "'partitions' expected a dict or Partitions, got list"),
        (lambda: Artifact(name="a")(time_partition=Inputs.x), "Artifact a is not time partitioned"),
        (lambda: Artifact(name="a", partition_keys=["k"])(other="x"), "partition key 'other' is not one of"),
        (lambda: Artifact(name="a", partition_keys=["k"])(k=3), "partition 'k' expected a str or Inputs.<name>"),
        (lambda: Artifact(name="a", partition_keys=["k"]).query(j="x"), "'j' is not a partition key"),
        (lambda: Artifact(name="a", partition_keys=["k"]).query(k="x", partitions={"k": "y"}), "not both"),
        (lambda: Artifact(name="a").concrete_artifact_id, "needs name, project, domain and version"),
        (lambda: Partitions({"k": 1}), "partition 'k' expected a str or Inputs.<name>, got int"),
        (lambda: TimePartition("2024-01-01"), "must be a datetime or Inputs.<name>, not the str"),
    ],
)
def test_bad_input_is_a_clear_error(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        make()


def test_an_artifact_query_is_a_default_input_not_a_fixed_one():
    a = Artifact(name="n")

    @workflow
    def wf(x: int) -> int:
        return x

    lp = LaunchPlan(name="q_default", workflow=wf, default_inputs={"x": a.query()})
    assert isinstance(lp.default_inputs["x"], ArtifactQuery)
    with pytest.raises(FlyteValidationException, match=r"fixed_inputs\['x'\] is an artifact query"):
        LaunchPlan(name="q_fixed", workflow=wf, fixed_inputs={"x": a.query()})
