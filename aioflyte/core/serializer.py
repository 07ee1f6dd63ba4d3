"""The serializer that authoring code may need at run time: a connector task run locally hands its connector the
task's flyteidl ``TaskTemplate``, which the translator (``aioflyte.remote``, above core) makes.
``aioflyte/__init__.py`` registers it here, as it registers the default controller; this module imports nothing,
so that registering it keeps ``import aioflyte`` cheap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_FACTORY: list[Callable[[Any], Any]] = []


def set_task_template_factory(factory: Callable[[Any], Any]) -> None:
    """Install what turns a task into its flyteidl ``TaskTemplate``."""
    _FACTORY[:] = [factory]


def task_template_pb(task: Any) -> Any:
    """The task's flyteidl ``TaskTemplate``, made by the installed factory."""
    if not _FACTORY:  # pragma: no cover - aioflyte/__init__.py always installs one
        raise RuntimeError("no task serializer is installed (import aioflyte first)")
    return _FACTORY[0](task)
