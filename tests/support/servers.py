"""Helpers of the tests that run the server as a subprocess (``aioflyte.server.testing.ServerProcess``)."""

from __future__ import annotations

import os
from pathlib import Path

SUPPORT = Path(__file__).resolve().parent


def task_env(*dirs: str | Path) -> dict[str, str]:
    """The environment of a server whose task processes import test modules by name: ``dirs`` (usually the
    test's own folder), then ``tests/support`` (shared task modules such as ``executions_tasks``), then the
    inherited ``PYTHONPATH`` (which points at the checkout under test)."""
    paths = [str(d) for d in (*dirs, SUPPORT)]
    inherited = os.environ.get("PYTHONPATH", "")
    return {"PYTHONPATH": os.pathsep.join([*paths, inherited] if inherited else paths)}
