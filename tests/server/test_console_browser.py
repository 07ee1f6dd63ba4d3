"""The web console (``/console`` on the server's HTTP port) in a real browser: headless Chromium driven by
Playwright, against the server as a subprocess. A workflow with a failing node, a map task and a gate runs; the
page shows it in the list, its graph marks the failed node, the error and the task's log are on the page, and
approving the gate from the page lets the run finish. Also: HTML escaping of inputs, filters, terminate and
relaunch, launch plan activation, console URLs from FlyteRemote, and the sign-in when the server's auth is on.

Skipped (with the reason) only when no Chromium is installed; failures leave a screenshot in tmp/artifacts.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import aiohttp
import console_entities as ce
import pytest
import pytest_asyncio
from browser import (
    docs_screenshot,
    require_chromium,
    screenshots_on_failure,
)
from flyteidl.core import execution_pb2 as core_execution_pb2
from servers import fresh_project, task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.client import AdminClient
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

HERE = Path(__file__).parent
D = "development"
WAIT = 90_000  # ms: a guard against a hang on a loaded machine, not a timing assertion
Phase = core_execution_pb2.WorkflowExecution
XSS = '<script>window.__xss = 1</script><img src="x" onerror="window.__xss = 2">'


@pytest.fixture(scope="module", autouse=True)
def _chromium():
    require_chromium()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("console") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def project(server):
    async with AdminClient(server.endpoint) as admin:
        return await fresh_project(admin)


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server, project):
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, D) as r:
        yield r


def _executions(server, project: str) -> str:
    return f"{server.console_url}/projects/{project}/domains/{D}/executions"


async def test_failing_node_map_task_and_gate_through_the_page(server, project, remote, page):
    from playwright.async_api import expect

    ex = await remote.execute(ce.console_wf, inputs={"n": 3}, version="c1")
    name = ex.id.name

    await page.goto(_executions(server, project))
    row = page.locator(f'#executions tr[data-execution="{name}"]')
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("console_wf")
    await row.locator("a", has_text=name).click()
    await expect(page.locator("h1")).to_contain_text(name)

    # live updates: the page polls while the run goes on, until the failed node, its error and its log appear
    failed = page.locator('#graph g.node[data-node-id="n4"]')
    await expect(failed).to_have_attribute("data-phase", "FAILED")
    await expect(page.locator('#nodes tr[data-node="n4"]')).to_contain_text("FAILED")
    await expect(page.locator("#nodes")).to_contain_text("console test failure for x=3")
    await expect(page.locator("#nodes pre#pre-log-n4-0-0")).to_contain_text("boom was given x=3 and is about to fail")
    # the map task ran its three items, listed under its expandable node
    await expect(page.locator('#graph g.node[data-node-id="n1"]')).to_have_attribute("data-phase", "SUCCEEDED")
    await expect(page.locator("#sub-n1")).to_contain_text("3 items")
    await expect(page.locator("#timeline .bar").first).to_be_visible()

    # the gate waits for its signal: approve it on the page, and the run finishes (FAILED, because of n4)
    approve = page.locator('#signals tr[data-signal="review"] button', has_text="Approve")
    await expect(approve).to_be_visible()
    await docs_screenshot(page, "console-execution")
    await approve.click()
    await expect(page.locator("#live-execution")).to_have_attribute("data-phase", "FAILED")
    await expect(page.locator('#graph g.node[data-node-id="n3"]')).to_have_attribute("data-phase", "SUCCEEDED")
    error = page.locator("#error")
    await expect(error).to_contain_text("USER")
    await expect(error).to_contain_text("console test failure for x=3")
    await expect(error.locator(".user-frame").first).to_contain_text("console_entities.py")
    done = await remote.wait(ex, timeout=datetime.timedelta(seconds=60))
    assert done.closure.phase == Phase.FAILED

    await page.goto(_executions(server, project))
    await expect(page.locator(f'#executions tr[data-execution="{name}"]')).to_contain_text("FAILED")
    await docs_screenshot(page, "console-executions")


async def test_user_text_is_escaped_everywhere(server, project, remote, page):
    from playwright.async_api import expect

    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    ex = await remote.execute(ce.echo, inputs={"text": XSS}, version="c1", wait=True)
    assert ex.closure.phase == Phase.SUCCEEDED
    await page.goto(f"{_executions(server, project)}/{ex.id.name}")
    await expect(page.locator("#inputs")).to_contain_text(XSS)
    await expect(page.locator("#outputs")).to_contain_text(XSS)
    await expect(page.locator("pre.log").first).to_contain_text(XSS)  # the task printed it
    assert await page.evaluate("window.__xss") is None
    assert await page.locator("#inputs script, #inputs img, #logs img").count() == 0
    # a filter value is echoed into the page too
    await page.goto(f"{_executions(server, project)}?name={XSS}")
    await expect(page.locator("#filters input[name=name]")).to_have_value(XSS)
    assert await page.evaluate("window.__xss") is None
    assert dialogs == []


async def test_filters_by_phase_and_name(server, project, remote, page):
    from playwright.async_api import expect

    first = await remote.execute(ce.echo, inputs={"text": "one"}, version="c1", wait=True)
    second = await remote.execute(ce.echo, inputs={"text": "two"}, version="c1", wait=True)
    await page.goto(_executions(server, project))
    rows = page.locator("#executions tbody tr[data-execution]")
    await expect(rows).to_have_count(2)
    await page.select_option("#filters select[name=phase]", "FAILED")
    await page.click("#filters button")
    await expect(page.locator("#executions")).to_contain_text("no executions")
    await page.select_option("#filters select[name=phase]", "SUCCEEDED")
    await page.fill("#filters input[name=name]", second.id.name[:12])
    await page.click("#filters button")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-execution", second.id.name)

    # pages, newest first (one execution a page here)
    await page.goto(f"{_executions(server, project)}?limit=1")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-execution", second.id.name)
    await page.click("a[rel=next]")
    await expect(rows.first).to_have_attribute("data-execution", first.id.name)
    await expect(page.locator("a[rel=next]")).to_have_count(0)
    await page.click("a[rel=prev]")
    await expect(rows.first).to_have_attribute("data-execution", second.id.name)

    # the project picker lists the server's projects
    await page.select_option("#picker select[name=project]", "flytesnacks")
    await page.click("#picker button")
    await expect(page.locator("header.top")).to_contain_text("flytesnacks / development")


async def test_nested_nodes_unfold_and_an_input_is_set_from_the_page(server, project, remote, page):
    from playwright.async_api import expect

    ex = await remote.execute(ce.nested_wf, inputs={"n": 3}, version="c1")
    await page.goto(f"{_executions(server, project)}/{ex.id.name}")
    field = page.locator('#signals tr[data-signal="extra"] input[name=value]')
    await expect(field).to_be_visible()
    # the subworkflow (n0) and the dynamic node (n1) unfold into their own graphs
    sub = page.locator("#sub-n0")
    await expect(sub).to_contain_text("subworkflow")
    await expect(sub.locator("g.node").first).to_have_attribute("data-phase", "SUCCEEDED")
    dyn = page.locator("#sub-n1")
    await expect(dyn).to_contain_text("dynamic")
    await expect(dyn.locator("g.node")).to_have_count(2)

    await field.fill("seven")
    await page.click('#signals tr[data-signal="extra"] button')
    await expect(page.locator(".flash.bad")).to_contain_text("signal extra: expected integer, got 'seven'")
    await page.locator('#signals tr[data-signal="extra"] input[name=value]').fill("7")
    await page.click('#signals tr[data-signal="extra"] button')
    await expect(page.locator("#live-execution")).to_have_attribute("data-phase", "SUCCEEDED")
    await expect(page.locator("#outputs")).to_contain_text("17")  # 3*3 + (0 + 1) + 7


async def test_terminate_and_relaunch_from_the_page(server, project, remote, page):
    from playwright.async_api import expect

    ex = await remote.execute(ce.console_wf, inputs={"n": 2}, version="c1")
    await page.goto(f"{_executions(server, project)}/{ex.id.name}")
    await expect(page.locator('#signals tr[data-signal="review"]')).to_be_visible()  # held at its gate
    await page.click("#terminate")
    await expect(page.locator("#live-execution")).to_have_attribute("data-phase", "ABORTED")
    await expect(page.locator("main")).to_contain_text("terminated from the console")
    assert (await remote.wait(ex, timeout=datetime.timedelta(seconds=30))).closure.phase == Phase.ABORTED

    await page.click("#relaunch")
    await expect(page.locator("main")).to_contain_text(f"relaunched {ex.id.name}")
    await expect(page.locator("dl.facts")).to_contain_text("RELAUNCH")
    relaunched = page.url.rsplit("/", 1)[-1].split("?")[0]
    assert relaunched != ex.id.name
    again = await remote.fetch_execution(name=relaunched)
    assert again.spec.launch_plan.name == ex.spec.launch_plan.name
    await page.click("#terminate")
    await expect(page.locator("#live-execution")).to_have_attribute("data-phase", "ABORTED")


async def test_a_running_tasks_log_is_followed(server, project, remote, page, tmp_path):
    from playwright.async_api import expect

    marker = tmp_path / "go"
    ex = await remote.execute(ce.tail_me, inputs={"marker": str(marker)}, version="c1")
    await page.goto(f"{_executions(server, project)}/{ex.id.name}")
    log = page.locator("#nodes pre.log").first
    await expect(log).to_contain_text("first line of the log")
    assert await page.locator("#live-execution").get_attribute("data-phase") == "RUNNING"
    assert "second line" not in await log.inner_text()
    marker.write_text("go")  # the task goes on: the page shows its next line without a reload
    await expect(page.locator("#nodes pre.log").first).to_contain_text("second line of the log")
    await expect(page.locator("#live-execution")).to_have_attribute("data-phase", "SUCCEEDED")


async def test_files_are_linked_through_signed_urls(server, project, remote, page):
    from playwright.async_api import expect

    ex = await remote.execute(ce.make_file, inputs={"text": "the report"}, version="c1", wait=True)
    assert ex.closure.phase == Phase.SUCCEEDED, ex.closure.error
    await page.goto(f"{_executions(server, project)}/{ex.id.name}")
    link = page.locator("#outputs a[download]")
    await expect(link).to_contain_text("report.txt")
    href = await link.get_attribute("href")
    assert href is not None and "signature=" in href
    async with aiohttp.ClientSession() as http, http.get(href) as r:
        assert r.status == 200 and await r.text() == "the report"


async def test_decks_are_linked_through_signed_urls(server, project, remote, page):
    from playwright.async_api import expect

    for entity in (ce.deck_wf, ce.with_deck):  # a workflow's node, and a task execution
        ex = await remote.execute(entity, inputs={"title": "Deck of the console"}, version="c1", wait=True)
        assert ex.closure.phase == Phase.SUCCEEDED
        await page.goto(f"{_executions(server, project)}/{ex.id.name}")
        link = page.locator("a.deck").first
        await expect(link).to_be_visible()
        href = await link.get_attribute("href")
        assert href is not None and "/data/" in href and "signature=" in href
        await page.goto(href if href.startswith("http") else server.http_url + href)
        await expect(page.locator("h1")).to_have_text("Deck of the console")
        # user HTML never runs with the console's origin: the data route serves it sandboxed
        assert await page.evaluate("window.origin") == "null"


async def test_console_urls_from_flyteremote_open_the_pages(server, project, remote, page):
    from playwright.async_api import expect

    ex = await remote.execute(ce.echo, inputs={"text": "linked"}, version="c1", wait=True)
    url = remote.generate_console_url(ex)
    assert url == f"{_executions(server, project)}/{ex.id.name}"
    await page.goto(url)
    await expect(page.locator("h1")).to_contain_text(ex.id.name)
    # a remote that has only fetched an entity knows where the console is too
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, D) as fresh:
        task = await fresh.fetch_task(name=ce.echo.name, version="c1")
        url = fresh.generate_console_url(task)
    assert url == f"{server.console_url}/projects/{project}/domains/{D}/task/{ce.echo.name}/version/c1"
    await page.goto(url)
    await expect(page.locator("#interface")).to_contain_text("text")
    await expect(page.locator("dl.facts")).to_contain_text("python-task")


async def test_launch_plans_activate_and_deactivate(server, project, remote, page):
    from playwright.async_api import expect

    await remote.register_workflow(ce.console_wf, version="c2")
    base = f"{server.console_url}/projects/{project}/domains/{D}"
    await page.goto(f"{base}/launch_plans")
    await page.click(f'#launch_plans a:text-is("{ce.console_wf.name}")')
    await page.click('main a:text-is("c2")')
    state = page.locator("dl.facts .badge")
    await expect(state).to_have_text("INACTIVE")
    await expect(page.locator("#interface")).to_contain_text("required")
    await page.click("#activate")
    await expect(state).to_have_text("ACTIVE")
    await expect(page.locator("#deactivate")).to_be_visible()
    lp = await remote.fetch_launch_plan(name=ce.console_wf.name, version="c2")
    assert lp.closure.state == 1
    await page.click("#deactivate")
    await expect(state).to_have_text("INACTIVE")
    await expect(page.locator("#activate")).to_be_visible()

    # a scheduled launch plan shows its schedule and fixed defaults
    await remote.register_launch_plan(ce.hourly, version="c2")
    await page.goto(f"{base}/launch_plan/console_hourly/version/c2")
    await expect(page.locator("dl.facts")).to_contain_text("cron 0 * * * *")
    await expect(page.locator('#interface tr:has(code:text-is("n")) td').nth(3)).to_have_text("2")  # its default


async def test_a_branch_unfolds_into_the_branch_taken(server, project, remote, page):
    from playwright.async_api import expect

    ex = await remote.execute(ce.branchy, inputs={"n": 3}, version="c1", wait=True)
    assert ex.closure.phase == Phase.SUCCEEDED, ex.closure.error
    await page.goto(f"{_executions(server, project)}/{ex.id.name}")
    branch = page.locator("#sub-n0")
    await expect(branch).to_contain_text("branch")
    await expect(branch.locator("g.node")).to_have_count(1)
    await expect(branch.locator("g.node")).to_have_attribute("data-phase", "SUCCEEDED")
    await expect(page.locator("#outputs")).to_contain_text("4")


async def test_console_requires_sign_in_when_auth_is_on(tmp_path, browser):
    from playwright.async_api import expect

    secret = tmp_path / "secret"
    secret.write_text("s3cret-for-console")
    args = ("--client-id", "console-client", "--client-secret-file", str(secret))
    async with ServerProcess(tmp_path / "state", env=task_env(HERE), args=args) as s:
        executions = f"{s.console_url}/projects/flytesnacks/domains/{D}/executions"
        async with aiohttp.ClientSession() as http:
            async with http.get(executions, allow_redirects=False) as r:
                assert r.status == 303 and "/console/login" in r.headers["Location"]
            async with http.get(executions, headers={"X-Console-Partial": "1"}) as r:
                assert r.status == 401
            async with http.post(f"{s.console_url}/login", data={"client_id": "console-client"}) as r:
                assert "Executions" not in await r.text()
        context = await browser.new_context()
        page = await context.new_page()
        page.set_default_timeout(WAIT)
        async with screenshots_on_failure(page, "console_sign_in"):
            await page.goto(executions)
            await expect(page.locator("h1")).to_have_text("Sign in")
            await page.fill("#client_id", "console-client")
            await page.fill("#client_secret", "wrong")
            await page.click(".login button[type=submit]")
            await expect(page.locator(".flash.bad")).to_contain_text("wrong client id or secret")
            await page.fill("#client_id", "console-client")
            await page.fill("#client_secret", "s3cret-for-console")
            await page.click(".login button[type=submit]")
            await expect(page.locator("h1")).to_have_text("Executions")
            assert page.url == executions
        await context.close()
