"""Headless Chromium for the console's browser tests: Playwright (a dev dependency) driving Debian's ``chromium``
package (``scripts/install-test-deps.sh`` installs it), launched with ``executable_path``, so no browser is downloaded.

- :func:`chromium_path` / :func:`require_chromium`: the browser binary, or a skip that says how to install it;
- :func:`launched_browser`: a headless browser for a module (``--no-sandbox``: CI runs as root);
- :func:`screenshots_on_failure`: saves a screenshot and the page's HTML under :data:`ARTIFACTS` when the block
  fails, and re-raises; for a page fixture, :func:`record_outcome` (called by ``tests/server/conftest.py``'s
  ``pytest_runtest_makereport``) and :func:`call_failed` tell whether its test failed, then :func:`save_failure`;
- :func:`docs_screenshot`: a named screenshot into ``$AIOFLYTE_DOCS_SCREENSHOTS`` (when set), for docs/;
- :data:`requires_chromium` (a skip marker) and :func:`chromium_page`: a sync-API page for static files (the deck
  tests) with every request that leaves the machine refused and recorded in ``page.external_requests``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
#: where failure screenshots go (``$AIOFLYTE_TEST_ARTIFACTS``, else ``tmp/artifacts`` in the checkout)
ARTIFACTS = Path(os.environ.get("AIOFLYTE_TEST_ARTIFACTS") or REPO / "tmp" / "artifacts")
#: how long ``expect`` waits for a page to show something (ms): a guard against a hang, never a timing assertion
EXPECT_TIMEOUT = 90_000
_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_path() -> str | None:
    """``$AIOFLYTE_CHROMIUM``, else Debian's chromium, else one on PATH; None when there is none."""
    for candidate in (os.environ.get("AIOFLYTE_CHROMIUM"), *_CANDIDATES):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium installed: apt-get install -y chromium (or set AIOFLYTE_CHROMIUM to its binary)")
    return path


@contextlib.asynccontextmanager
async def launched_browser() -> AsyncIterator[Any]:
    """A headless Chromium (Playwright's async API) for the duration of the block."""
    from playwright.async_api import async_playwright, expect

    executable = require_chromium()
    expect.set_options(timeout=EXPECT_TIMEOUT)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            await browser.close()


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


@contextlib.asynccontextmanager
async def screenshots_on_failure(page: Any, name: str) -> AsyncIterator[None]:
    """On any failure inside the block: ``ARTIFACTS/<name>.png`` and ``.html`` of the page as it is, then re-raise."""
    try:
        yield
    except BaseException:
        await save_failure(page, name)
        raise


async def save_failure(page: Any, name: str) -> None:
    """``ARTIFACTS/<name>.png`` and ``.html``: the page as it is when a test failed."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(Exception):
        await page.screenshot(path=str(ARTIFACTS / f"{_slug(name)}.png"), full_page=True)
    with contextlib.suppress(Exception):
        (ARTIFACTS / f"{_slug(name)}.html").write_text(await page.content())


def record_outcome(item: Any, report: Any) -> None:
    """For a ``pytest_runtest_makereport`` hook: keeps each phase's report on the item (``item.rep_call``), so a
    page fixture can tell, after its test, whether the test failed (pytest never raises a test's failure into its
    fixtures)."""
    setattr(item, f"rep_{report.when}", report)


def call_failed(request: Any) -> bool:
    report = getattr(request.node, "rep_call", None)
    return report is None or report.failed


async def docs_screenshot(page: Any, name: str) -> None:
    """Save ``<name>.png`` into ``$AIOFLYTE_DOCS_SCREENSHOTS`` when set (how docs/images/console-*.png are made)."""
    folder = os.environ.get("AIOFLYTE_DOCS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


requires_chromium = pytest.mark.skipif(
    chromium_path() is None,
    reason="no Chromium installed (apt-get install chromium, or set AIOFLYTE_CHROMIUM); "
    "scripts/install-test-deps.sh installs it",
)


@contextlib.contextmanager
def chromium_page(shots: Path | None = None, name: str = "failure") -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.external_requests = []

            def refuse(route: Any) -> None:
                page.external_requests.append(route.request.url)
                route.abort()

            page.route(lambda url: not url.startswith(("file:", "data:", "about:")), refuse)
            try:
                yield page
            except BaseException:
                if shots is not None:
                    shots.mkdir(parents=True, exist_ok=True)
                    with contextlib.suppress(Exception):
                        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                raise
        finally:
            browser.close()
