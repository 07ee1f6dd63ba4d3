"""The server tests' hooks: each test's outcome kept on its item, so the console's browser tests can save a
screenshot of the page when they fail (tests/support/browser.py)."""

from __future__ import annotations

import pytest
from browser import record_outcome


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    record_outcome(item, outcome.get_result())
