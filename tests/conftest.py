"""Test isolation: every test gets its own aioflyte home (cache, raw outputs) under a temp dir."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _aioflyte_home(tmp_path, monkeypatch):
    home = tmp_path / "aioflyte-home"
    monkeypatch.setenv("AIOFLYTE_HOME", str(home))
    monkeypatch.setenv("AIOFLYTE_CACHE_DIR", str(home / "cache"))
    monkeypatch.delenv("AIOFLYTE_RAW_OUTPUT_PREFIX", raising=False)
    yield home
