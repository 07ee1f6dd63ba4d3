"""Helpers of the tests that run the server as a subprocess (``aioflyte.server.testing.ServerProcess``)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

SUPPORT = Path(__file__).resolve().parent


def task_env(*dirs: str | Path) -> dict[str, str]:
    """The environment of a server whose task processes import test modules by name: ``dirs`` (usually the
    test's own folder), then ``tests/support`` (shared task modules such as ``executions_tasks``), then the
    inherited ``PYTHONPATH`` (which points at the checkout under test)."""
    paths = [str(d) for d in (*dirs, SUPPORT)]
    inherited = os.environ.get("PYTHONPATH", "")
    return {"PYTHONPATH": os.pathsep.join([*paths, inherited] if inherited else paths)}


async def fresh_project(client: Any) -> str:
    """Register a project of its own for one test on a server shared by a module (``client``: an AdminClient).

    Entity lists, execution lists and names are per project, so tests sharing a server do not see each other's.
    """
    project = f"t{uuid.uuid4().hex[:16]}"
    assert await client.register_project(project) is True
    return project
