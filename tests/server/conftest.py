"""The server tests' hooks: each test's outcome kept on its item, so the console's browser tests can save a
screenshot of the page when they fail (tests/support/browser.py); and the browser tests' shared fixtures: one
headless browser per module (``browser``) and a fresh page per test (``page``), screenshotted when its test
fails."""

from __future__ import annotations

import pytest
import pytest_asyncio
from browser import call_failed, launched_browser, record_outcome, save_failure

#: ms: a page's wait for anything, a guard against a hang on a loaded machine, not a timing assertion
WAIT = 90_000


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    record_outcome(item, outcome.get_result())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    async with launched_browser() as b:
        yield b


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser, request):
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    p = await context.new_page()
    p.set_default_timeout(WAIT)
    yield p
    if call_failed(request):
        await save_failure(p, request.node.name)
    await context.close()
