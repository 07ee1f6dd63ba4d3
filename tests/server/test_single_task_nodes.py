"""A task launched directly on ``aioflyte serve`` has the node executions flyteadmin gives it (``start-node``, the
task's node named after the task, ``end-node``), with task executions, inputs/outputs, logs, error and the deck; a
map task's items are reported on its task execution (``external_resources``) and their decks gathered in the map
node's deck. Read through aioflyte's FlyteRemote here; flytekit 1.16's FlyteRemote in
``test_single_task_nodes_flytekit.py``."""

from __future__ import annotations

import re
from pathlib import Path

import node_io_entities as E
import pytest
import pytest_asyncio
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import fresh_project, task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.client import AdminClient
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.executions.singletask import task_node_id
from aioflyte.server.testing import ServerProcess

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

D = "development"
HERE = Path(__file__).parent
NodePhase = core_execution_pb2.NodeExecution
TaskPhase = core_execution_pb2.TaskExecution


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("single") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, D) as r:
        yield r


async def test_node_ids_are_flyteadmins():
    assert task_node_id("node_io_entities.greet") == "nodeioentitiesgreet"
    # the values flyteadmin's own tests expect of its generateNodeNameFromTask
    assert task_node_id("foo@`!=+- 1,2$3(4)5") == "foo-12345"
    # longer than 30 characters: "f" and the FNV-1a hash of the kept name in Flyte's base32 alphabet
    assert task_node_id("app.long.path.name.to.a.defined.task.somewhere.in.code.very.very.nested.crazy") == "fch4xs5i"


async def test_a_task_launched_directly_has_its_node_and_task_executions(remote):
    ex = await remote.execute(E.greet, inputs={"name": "ann", "times": 2}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    node_id = task_node_id(E.greet.name)
    ex = await remote.sync_execution(ex, sync_nodes=True)
    assert set(ex.node_executions) == {"start-node", node_id, "end-node"}
    node = ex.node_executions[node_id]
    assert node.phase == NodePhase.SUCCEEDED
    assert node.inputs == {"name": "ann", "times": 2}
    assert node.outputs == {"o0": "hi ann hi ann"}
    assert node.closure.HasField("started_at") and node.closure.duration.ToNanoseconds() > 0
    deck = node.closure.deck_uri
    assert deck.endswith("/attempt-0/deck.html") and "<p>greeting ann x2</p>" in Path(deck).read_text()
    [attempt] = node.task_executions
    assert attempt.phase == TaskPhase.SUCCEEDED and attempt.id.retry_attempt == 0
    assert attempt.inputs == {"name": "ann", "times": 2} and attempt.outputs == {"o0": "hi ann hi ann"}
    assert [entry.name for entry in attempt.logs] == ["Local process log"]
    assert ex.node_executions["end-node"].inputs == {"o0": "hi ann hi ann"}
    # the raw records, as any Flyte client lists them
    nodes, _ = await remote.client.list_node_executions(ex.id)
    assert sorted(n.id.node_id for n in nodes) == sorted(["start-node", node_id, "end-node"])
    tasks, _ = await remote.client.list_task_executions(node.id)
    assert [t.id.task_id.name for t in tasks] == [E.greet.name]
    # the data proxy finds the deck by the node's id too
    page = await remote.get(f"flyte://v1/{ex.id.project}/{D}/{ex.id.name}/{node_id}/d")
    assert b"greeting ann x2" in page


async def test_a_failed_task_launched_directly_reports_the_error_on_its_node(remote):
    ex = await remote.execute(E.explode, inputs={"n": 7}, version="v1", wait=True, timeout=120)
    assert not ex.is_successful
    ex = await remote.sync_execution(ex, sync_nodes=True)
    node = ex.node_executions[task_node_id(E.explode.name)]
    assert node.phase == NodePhase.FAILED
    assert "exploded on 7" in node.error.message
    [attempt] = node.task_executions
    assert attempt.phase == TaskPhase.FAILED and "exploded on 7" in attempt.error.message
    log = Path(attempt.logs[0].uri.removeprefix("file://")).read_text()
    assert "explode got n=7" in log
    assert "end-node" not in ex.node_executions


async def test_map_items_are_reported_and_their_decks_gathered(remote):
    ex = await remote.execute(E.mapped, inputs={"xs": [1, 2, 3]}, version="v1", wait=True, timeout=180)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == [10, 20, 30]
    nodes, _ = await remote.client.list_node_executions(ex.id)
    [array] = [n for n in nodes if n.metadata.is_array]
    tasks, _ = await remote.client.list_task_executions(array.id)
    [te] = tasks
    items = te.closure.metadata.external_resources
    assert [(r.index, r.phase, r.retry_attempt) for r in items] == [(i, TaskPhase.SUCCEEDED, 0) for i in range(3)]
    assert [r.logs[0].name for r in items] == ["Item 0 log", "Item 1 log", "Item 2 log"]
    page = Path(array.closure.deck_uri).read_text()
    assert re.findall(r'<li data-deck="[^"]*" id="deck-tab-\d+">([^<]*)</li>', page) == ["item 0", "item 1", "item 2"]
    for x in (1, 2, 3):  # each item's own page, embedded (escaped) in its frame
        assert f"&lt;p&gt;item value {x}&lt;/p&gt;" in page
    fetched = await remote.get(f"flyte://v1/{ex.id.project}/{D}/{ex.id.name}/{array.id.node_id}/d")
    assert fetched == page.encode()
