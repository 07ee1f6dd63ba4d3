"""A task with ``enable_deck=True`` run by ``aioflyte serve``: its container entrypoint writes ``deck.html`` under
the attempt's output prefix, and the server records it as the node execution's ``deck_uri`` (as Flyte reports it),
which FlyteRemote, the data proxy and a console read."""

from __future__ import annotations

import re
from pathlib import Path

import deck_entities as E
import pytest
import pytest_asyncio
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import fresh_project, task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.client import AdminClient
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

D = "development"
NodePhase = core_execution_pb2.NodeExecution
HERE = Path(__file__).parent


def _tabs(page: str) -> list[str]:
    return re.findall(r'<li data-deck="[^"]*" id="deck-tab-\d+">([^<]*)</li>', page)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("decks") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, D) as r:
        yield r


async def test_node_execution_records_the_deck(remote):
    ex = await remote.execute(E.decked, inputs={"name": "<b>ann</b>", "n": 1}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    nodes, _ = await remote.client.list_node_executions(ex.id)
    by_id = {n.id.node_id: n for n in nodes}
    deck_node, plain_node = by_id["n0"], by_id["n1"]
    assert plain_node.closure.deck_uri == ""  # no deck for a task without enable_deck
    uri = deck_node.closure.deck_uri
    assert uri.endswith("/attempt-0/deck.html") and Path(uri).is_file()
    assert ex.node_executions["n0"].closure.deck_uri == uri  # FlyteRemote's view (flytekit's path to it)
    page = Path(uri).read_text(encoding="utf-8")
    assert _tabs(page) == ["Timeline", "report", "default", "Source Code", "Dependencies", "Input", "Output"]
    assert "<h1>Report for &lt;b&gt;ann&lt;/b&gt;</h1>" in page
    assert "<p>from the default deck</p>" in page
    assert "<pre>hello &lt;b&gt;ann&lt;/b&gt;</pre>" in page and "<b>ann</b>" not in page
    assert "Execute user level code" in page

    # the same page through the data proxy's flyte:// URL of the node's deck
    fetched = await remote.get(f"flyte://v1/{ex.id.project}/{D}/{ex.id.name}/n0/d")
    assert fetched == page.encode("utf-8")


async def test_a_failed_task_has_its_deck_too(remote):
    ex = await remote.execute(E.decked_failure, inputs={"n": 1}, version="v1", wait=True, timeout=120)
    assert not ex.is_successful
    nodes, _ = await remote.client.list_node_executions(ex.id)
    node = {n.id.node_id: n for n in nodes}["n0"]
    assert node.closure.phase == NodePhase.FAILED
    page = Path(node.closure.deck_uri).read_text(encoding="utf-8")
    assert _tabs(page) == ["before the failure", "Input"]


async def test_a_task_launched_directly_has_its_deck_through_the_data_proxy(remote):
    ex = await remote.execute(E.report, inputs={"name": "bo"}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    page = await remote.get(f"flyte://v1/{ex.id.project}/{D}/{ex.id.name}/n0/d")
    assert isinstance(page, bytes)
    assert _tabs(page.decode("utf-8"))[:3] == ["Timeline", "report", "default"]


async def test_a_dynamic_task_has_its_deck(remote):
    ex = await remote.execute(E.decked_dynamic, inputs={"n": 3}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == [1, 2, 3]
    nodes, _ = await remote.client.list_node_executions(ex.id)
    node = {n.id.node_id: n for n in nodes}["n0"]
    page = Path(node.closure.deck_uri).read_text(encoding="utf-8")
    # the page is written when the dynamic workflow is made: its outputs are the nodes' to make
    assert _tabs(page) == ["Timeline", "plan", "Source Code", "Dependencies", "Input"]
    assert "Compile the dynamic workflow" in page and "<p>3 nodes</p>" in page


async def test_a_process_body_s_decks_are_in_the_node_s_deck(remote):
    ex = await remote.execute(E.decked_in_process, inputs={"name": "cy"}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    nodes, _ = await remote.client.list_node_executions(ex.id)
    page = Path({n.id.node_id: n for n in nodes}["n0"].closure.deck_uri).read_text(encoding="utf-8")
    assert _tabs(page) == ["Timeline", "report", "default", "Source Code", "Dependencies", "Input", "Output"]
    assert "<h1>Report for cy</h1>" in page and "<p>from the default deck</p>" in page

    ex = await remote.execute(E.decked_failure_in_process, inputs={"n": 1}, version="v1", wait=True, timeout=120)
    assert not ex.is_successful
    nodes, _ = await remote.client.list_node_executions(ex.id)
    node = {n.id.node_id: n for n in nodes}["n0"]
    assert node.closure.phase == NodePhase.FAILED
    page = Path(node.closure.deck_uri).read_text(encoding="utf-8")
    assert _tabs(page) == ["before the failure", "Input"]
    assert "<p>seen</p>" in page
