"""The serializer that authoring code may need at run time: a connector task run locally hands its connector the
task's flyteidl ``TaskTemplate``, and ``LaunchPlan.parameters`` is a ``ParameterMap``; the translator
(``aioflyte.remote``, above core) makes both.
``aioflyte/__init__.py`` registers it here, as it registers the default controller; this module imports nothing,
so that registering it keeps ``import aioflyte`` cheap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_FACTORY: list[Callable[[Any], Any]] = []
_PARAMETERS: list[Callable[[dict[str, tuple[Any, Any]]], Any]] = []


def set_task_template_factory(factory: Callable[[Any], Any]) -> None:
    """Install what turns a task into its flyteidl ``TaskTemplate``."""
    _FACTORY[:] = [factory]


def task_template_pb(task: Any) -> Any:
    """The task's flyteidl ``TaskTemplate``, made by the installed factory."""
    if not _FACTORY:  # pragma: no cover - aioflyte/__init__.py always installs one
        raise RuntimeError("no task serializer is installed (import aioflyte first)")
    return _FACTORY[0](task)


def set_parameter_map_factory(factory: Callable[[dict[str, tuple[Any, Any]]], Any]) -> None:
    """Install what turns inputs (name -> (type, default or NO_DEFAULT)) into a flyteidl ``ParameterMap`` (a
    coroutine function: defaults may need the data plane)."""
    _PARAMETERS[:] = [factory]


async def parameter_map_pb(inputs: dict[str, tuple[Any, Any]]) -> Any:
    """Launch plan parameters as flyteidl's ``ParameterMap``, made by the installed factory."""
    if not _PARAMETERS:  # pragma: no cover - aioflyte/__init__.py always installs one
        raise RuntimeError("no parameter serializer is installed (import aioflyte first)")
    return await _PARAMETERS[0](inputs)
