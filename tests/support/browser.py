"""Headless Chromium for browser tests (Playwright's sync API driving Debian's ``chromium``).

``requires_chromium`` skips a test, with the reason, only when no Chromium is installed (CI installs it).
``chromium_page(shots)`` yields a page with every request that leaves the machine refused and recorded in
``page.external_requests``; when the block raises, a screenshot is saved in ``shots``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_path() -> str | None:
    """The Chromium to launch: ``$AIOFLYTE_CHROMIUM``, else the first of the usual paths, else one on PATH."""
    given = os.environ.get("AIOFLYTE_CHROMIUM")
    if given:
        return given
    for c in CANDIDATES:
        if os.path.exists(c):
            return c
    return shutil.which("chromium") or shutil.which("chromium-browser")


requires_chromium = pytest.mark.skipif(
    chromium_path() is None,
    reason="no Chromium installed (apt-get install chromium, or set AIOFLYTE_CHROMIUM); .ci/run installs it",
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
