"""The local artifact store: task outputs annotated with an Artifact are recorded, and a launch plan's
artifact-query defaults resolve to the latest matching artifact when it runs locally."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated

import artifact_entities as ents
import pytest

import aioflyte
from aioflyte import Artifact, LaunchPlan, task, workflow
from aioflyte.core.artifact import Inputs
from aioflyte.core.artifact_records import ArtifactError
from aioflyte.engine.artifacts import artifacts_path, list_artifacts


async def test_outputs_are_recorded_next_to_the_cache(_aioflyte_home):
    assert await ents.publish(region="eu", price=1.5) == 1.5
    assert await ents.price_for(region="us", price=2.0) == 2.0
    records = await list_artifacts("pricing")
    assert [(r.partitions, r.source) for r in records] == [
        ({"region": "eu"}, "task artifact_entities.price_for"),
        ({"region": "us"}, "task artifact_entities.price_for"),
    ]
    assert artifacts_path() == os.path.join(str(_aioflyte_home), "artifacts", "artifacts.db")
    assert os.path.exists(artifacts_path())


async def test_a_workflow_output_annotated_with_an_artifact_is_recorded_as_the_workflows():
    assert await ents.publish_as_workflow(region="eu", price=1.5) == 3.0
    records = await list_artifacts("published_price")
    assert [(r.partitions, r.source) for r in records] == [
        ({"region": "eu"}, "workflow artifact_entities.publish_as_workflow")
    ]
    assert await ents.published_lp() == 30.0  # a launch plan's query finds it


async def test_a_launch_plan_query_finds_the_latest_matching_artifact():
    await ents.publish(region="eu", price=1.5)
    await ents.publish(region="us", price=9.0)
    assert await ents.eu_lp() == 15.0
    await ents.publish(region="eu", price=2.0)
    assert await ents.eu_lp(factor=3) == 6.0
    assert await ents.eu_lp(price=4.0) == 40.0  # an input given wins over the query


def test_create_from_sets_partitions_in_sync_and_async_bodies():
    aioflyte.run(ents.publish_from_body, region="asia", price=0.5)
    assert aioflyte.run(ents.asia_lp) == 5.0

    Quote = Artifact(name="quote", partition_keys=["kind"])

    @task
    async def quote() -> Annotated[str, Quote]:
        return Quote.create_from("hello", kind="greeting")

    @workflow
    def read(q: str) -> str:
        return q

    lp = LaunchPlan(name="read_greeting", workflow=read, default_inputs={"q": Quote.query(kind="greeting")})
    assert aioflyte.run(quote) == "hello"
    assert aioflyte.run(lp) == "hello"


async def test_time_partitions_match_by_their_period():
    await ents.daily_total(day=datetime(2024, 5, 1, 3), total=11)
    await ents.daily_total(day=datetime(2024, 5, 2, 3), total=22)
    assert await ents.may_first_lp() == 11


async def test_a_query_bound_to_another_input_uses_its_value():
    @workflow
    def by_region(region: str, price: float) -> float:
        return ents.scaled(price=price, factor=1)

    lp = LaunchPlan(
        name="by_region", workflow=by_region, default_inputs={"price": ents.Pricing.query(region=Inputs.region)}
    )
    await ents.publish(region="eu", price=1.0)
    await ents.publish(region="us", price=3.0)
    assert await lp(region="us") == 3.0
    assert await lp(region="eu") == 1.0


async def test_nothing_matching_is_an_error_naming_the_launch_plan_input_and_query():
    with pytest.raises(
        ArtifactError, match=r"LaunchPlan use_mars_price: input price: no artifact pricing \(region=mars\)"
    ):
        await ents.mars_lp()


async def test_a_partition_left_to_the_body_and_never_set_is_an_error_naming_the_task():
    Unset = Artifact(name="unset", partition_keys=["k"])

    @task
    def forgot() -> Annotated[int, Unset]:
        return 1

    with pytest.raises(
        ArtifactError, match=r"task .*forgot: output o0: Artifact unset: partition 'k' is set at run time"
    ):
        await forgot()


async def test_an_unbound_workflow_partition_fails_serialization_as_in_flytekit():
    from aioflyte.remote.serialization import SerializationSettings, default_image_config
    from aioflyte.remote.translator import get_serializable

    @workflow
    def wf_dynamic(price: float) -> Annotated[float, ents.Pricing]:
        return ents.scaled(price=price, factor=1)

    settings = SerializationSettings(image_config=default_image_config(), project="p", domain="d", version="v")
    with pytest.raises(ValueError, match="partition 'region' of artifact pricing is not bound; a workflow cannot"):
        await get_serializable(wf_dynamic, settings)


async def test_a_workflow_input_whose_default_is_a_query():
    @workflow
    def wf(price: float = ents.Pricing.query(region="eu")) -> float:
        return ents.scaled(price=price, factor=2)

    await ents.publish(region="eu", price=2.5)
    assert await wf() == 5.0
    assert await wf(price=1.0) == 2.0


async def test_a_cache_hit_of_a_task_setting_partitions_in_its_body_runs_without_error():
    Cached = Artifact(name="cached_art", partition_keys=["k"])
    calls = []

    @task(cache=True, cache_version="1")
    def make(x: int) -> Annotated[int, Cached]:
        calls.append(x)
        return Cached.create_from(x, k=str(x))

    assert await make(x=1) == 1
    assert await make(x=1) == 1  # from the cache
    assert calls == [1]
    assert [r.partitions for r in await list_artifacts("cached_art")] == [{"k": "1"}]
