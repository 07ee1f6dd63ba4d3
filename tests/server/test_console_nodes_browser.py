"""The console's node pages and signal forms in a real browser (headless Chromium, Playwright) against the server
as a subprocess: a workflow with a deck-writing task, a map task whose items write decks and a gate waiting for a
dataclass and a list; each node's page (from the node list or the graph) shows its inputs and outputs, its attempts
and the map items; the complex signals are set from the page (a wrong value shows the error) and the run finishes
with them. Also the node page of a task launched directly.

Skipped (with the reason) only when no Chromium is installed; failures leave a screenshot in tmp/artifacts.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import node_io_entities as E
import pytest
import pytest_asyncio
from browser import docs_screenshot, require_chromium
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import fresh_project, task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.client import AdminClient
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.executions.singletask import task_node_id
from aioflyte.server.testing import ServerProcess

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

HERE = Path(__file__).parent
D = "development"
WAIT = 90_000  # ms: a guard against a hang on a loaded machine, not a timing assertion
Phase = core_execution_pb2.WorkflowExecution


@pytest.fixture(scope="module", autouse=True)
def _chromium():
    require_chromium()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("consolenodes") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, D) as r:
        yield r


def _execution_url(server, remote, name: str) -> str:
    return f"{server.console_url}/projects/{remote.default_project}/domains/{D}/executions/{name}"


async def test_node_pages_and_complex_signals(server, remote, page):
    from playwright.async_api import expect

    ex = await remote.execute(E.node_io_wf, inputs={"name": "ann", "xs": [1, 2, 3]}, version="n1")
    await page.goto(_execution_url(server, remote, ex.id.name))
    limits = page.locator('#signals tr[data-signal="limits"] textarea[name=value]')
    await expect(limits).to_be_visible()
    await expect(page.locator('#nodes tr[data-node="n1"]')).to_contain_text("SUCCEEDED")

    # the deck-writing task's node, from the node list: inputs, outputs, the attempt, the deck
    await page.locator('#nodes tr[data-node="n0"] a.node-link').click()
    await expect(page.locator("h1")).to_contain_text("n0")
    await expect(page.locator("#node-inputs")).to_contain_text("ann")
    await expect(page.locator('#node-inputs tr:has(th:text-is("times"))')).to_contain_text("2")
    await expect(page.locator("#node-outputs")).to_contain_text("hi ann hi ann")
    await expect(page.locator('#attempts .attempt[data-attempt="0"]')).to_contain_text("SUCCEEDED")
    await expect(page.locator("#attempts ul.logs a")).to_have_text("Local process log")
    await expect(page.locator("a.deck")).to_be_visible()
    await docs_screenshot(page, "console-node")

    # the map node, from the graph: its items, and the deck gathering theirs
    await page.locator("#back").click()
    await page.locator('#graph g.node[data-node-id="n1"] a').click()
    await expect(page.locator("h1")).to_contain_text("n1")
    await expect(page.locator("#node-outputs")).to_contain_text("10")
    await expect(page.locator("#node-outputs")).to_contain_text("30")
    await expect(page.locator("#attempts table.items tbody tr")).to_have_count(3)
    await expect(page.locator("#attempts table.items a.item-deck")).to_have_count(3)  # each item's own deck
    deck = await page.locator("a.deck").get_attribute("href")
    assert deck is not None and "signature=" in deck

    # the dataclass signal: a wrong value shows the error on the page, a right one is taken
    await page.locator("#back").click()
    await limits.fill('{"low": "fifteen", "high": 30, "label": "w"}')
    await page.click('#signals tr[data-signal="limits"] button')
    error = page.locator(".flash.bad")
    await expect(error).to_contain_text("signal limits: expected")
    await expect(error).to_contain_text("fifteen")
    await expect(error).to_contain_text("low: expected int")
    await page.locator('#signals tr[data-signal="limits"] textarea[name=value]').fill(
        '{"low": 15, "high": 30, "label": "w"}'
    )
    await page.click('#signals tr[data-signal="limits"] button')
    await expect(page.locator(".flash").first).to_contain_text("signal limits set")
    # the list signal, in YAML
    extra = page.locator('#signals tr[data-signal="extra"] textarea[name=value]')
    await expect(extra).to_be_visible()
    await extra.fill("- 1\n- 2")
    await page.click('#signals tr[data-signal="extra"] button')
    await expect(page.locator("#live-execution")).to_have_attribute("data-phase", "SUCCEEDED")
    await expect(page.locator("#outputs")).to_contain_text("w:50+3")  # 20 + 30 kept, 1 + 2 extra
    done = await remote.wait(ex, timeout=datetime.timedelta(seconds=60))
    assert done.closure.phase == Phase.SUCCEEDED and done.outputs["o0"] == "w:50+3"

    # the gate node's page shows the value it was given
    await page.locator('#nodes tr[data-node="n2"] a.node-link').click()
    await expect(page.locator("#node-outputs")).to_contain_text("15")
    await expect(page.locator("#node-outputs")).to_contain_text('"label": "w"')


async def test_the_node_page_of_a_task_launched_directly(server, remote, page):
    from playwright.async_api import expect

    ex = await remote.execute(E.greet, inputs={"name": "bo", "times": 1}, version="n1", wait=True)
    assert ex.closure.phase == Phase.SUCCEEDED
    await page.goto(_execution_url(server, remote, ex.id.name))
    node_id = task_node_id(E.greet.name)
    await expect(page.locator(f'#nodes tr[data-node="{node_id}"]')).to_contain_text("SUCCEEDED")
    await page.locator("#graph g.node a").click()  # the one node of its graph
    await expect(page.locator("h1")).to_contain_text(node_id)
    await expect(page.locator("#node-inputs")).to_contain_text("bo")
    await expect(page.locator("#node-outputs")).to_contain_text("hi bo")
    await expect(page.locator("a.deck")).to_be_visible()


async def test_a_node_that_does_not_exist_is_a_404_page(server, remote, page):
    ex = await remote.execute(E.greet, inputs={"name": "cy", "times": 1}, version="n1", wait=True)
    response = await page.goto(_execution_url(server, remote, ex.id.name) + "/nodes/nope")
    assert response is not None and response.status == 404
    assert "has no node nope" in await page.locator(".flash.bad").inner_text()


async def test_a_file_signal_is_uploaded_from_the_page(server, remote, page, tmp_path):
    from playwright.async_api import expect

    ex = await remote.execute(E.file_gate_wf, inputs={}, version="n1")
    await page.goto(_execution_url(server, remote, ex.id.name))
    row = page.locator('#signals tr[data-signal="report"]')
    await expect(row.locator("input[type=file]")).to_be_visible()
    upload = tmp_path / "report.txt"
    upload.write_text("uploaded from the console\n")
    await row.locator("input[type=file]").set_input_files(str(upload))
    await row.locator("button").click()
    await expect(page.locator(".flash").first).to_contain_text("signal report set")
    await expect(page.locator("#live-execution")).to_have_attribute("data-phase", "SUCCEEDED")
    await expect(page.locator("#outputs")).to_contain_text("uploaded from the console")
    stored = await remote.client.get_execution(ex.id)
    assert stored.closure.phase == Phase.SUCCEEDED
