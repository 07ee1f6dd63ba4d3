"""``aioflyte serve`` records the artifacts its executions produce and resolves a launch plan's artifact-query
inputs when an execution is created: a workflow produces an artifact, then a launch plan whose input queries
it runs end to end (the server as a real process)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import artifact_entities as ents
import pytest
import pytest_asyncio
from servers import fresh_project, task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.client import AdminClient, FlyteInvalidInputException
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

HERE = Path(__file__).parent
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("artifacts") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, "development") as r:
        yield r


async def test_a_launch_plan_input_queries_the_artifact_a_workflow_produced(remote):
    for region, price in (("eu", 1.5), ("us", 9.0)):
        ex = await remote.execute(ents.publish, inputs={"region": region, "price": price}, version="v1", wait=True)
        assert ex.is_successful, ex.error
    ex = await remote.execute(ents.eu_lp, inputs={}, version="v1", wait=True)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == 15.0
    assert ex.inputs["price"] == 1.5  # the resolved value is the execution's input
    # a newer artifact of the partition is what the next execution finds
    await remote.execute(ents.publish, inputs={"region": "eu", "price": 2.0}, version="v1", wait=True)
    again = await remote.execute(ents.eu_lp, inputs={"factor": 3}, version="v1", wait=True)
    assert again.outputs["o0"] == 6.0
    # an input given explicitly wins over the query
    given = await remote.execute(ents.eu_lp, inputs={"price": 4.0}, version="v1", wait=True)
    assert given.outputs["o0"] == 40.0


async def test_a_workflow_output_that_is_an_artifact_is_recorded_and_queried(remote):
    ex = await remote.execute(ents.publish_as_workflow, inputs={"region": "eu", "price": 1.5}, version="v1", wait=True)
    assert ex.is_successful, ex.error
    lp_ex = await remote.execute(ents.published_lp, inputs={}, version="v1", wait=True)
    assert lp_ex.is_successful, lp_ex.error
    assert lp_ex.inputs["price"] == 3.0 and lp_ex.outputs["o0"] == 30.0


async def test_partitions_set_by_the_task_body_with_create_from(remote):
    ex = await remote.execute(ents.publish_from_body, inputs={"region": "asia", "price": 0.5}, version="v1", wait=True)
    assert ex.is_successful, ex.error
    lp_ex = await remote.execute(ents.asia_lp, inputs={}, version="v1", wait=True)
    assert lp_ex.is_successful, lp_ex.error
    assert lp_ex.outputs["o0"] == 5.0


async def test_time_partitioned_artifact_is_found_by_its_period(remote):
    for day, total in ((datetime(2024, 5, 1, 3), 11), (datetime(2024, 5, 2, 3), 22)):
        ex = await remote.execute(ents.daily_total, inputs={"day": day, "total": total}, version="v1", wait=True)
        assert ex.is_successful, ex.error
    ex = await remote.execute(ents.may_first_lp, inputs={}, version="v1", wait=True)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == 11  # same day as the query's 08:00, not the later artifact of May 2nd


async def test_a_query_nothing_matches_is_an_invalid_argument_naming_it(remote):
    with pytest.raises(FlyteInvalidInputException, match=r"price \(no artifact .*pricing \(region=mars\)"):
        await remote.execute(ents.mars_lp, inputs={}, version="v1", wait=True)
