"""Task resolvers: how the container finds the task to run from the words after ``--`` on its command line.

The default resolver reads ``task-module M task-name T`` (flytekit's default resolver's arguments). The map
task resolver reads ``vars <bound inputs> resolver <resolver> <its arguments>`` (flytekit's array node map
task resolver's arguments) and wraps the task it finds in a map task with those inputs bound.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Protocol

from aioflyte.exceptions import FlyteResolverError as FlyteResolverError

DEFAULT_RESOLVER = "aioflyte.entrypoint.default_resolver"
MAP_TASK_RESOLVER = "aioflyte.entrypoint.map_task_resolver"
EAGER_FAILURE_RESOLVER = "aioflyte.entrypoint.eager_failure_task_resolver"

# Other names of the same resolvers: flytekit's (in the container args of tasks flytekit registered) and
# ``default_task_resolver`` (the name aioflyte.remote's serializer writes).
_ALIASES = {
    "aioflyte.entrypoint.default_task_resolver": DEFAULT_RESOLVER,
    "flytekit.core.python_auto_container.default_task_resolver": DEFAULT_RESOLVER,
    "flytekit.core.python_auto_container.DefaultTaskResolver": DEFAULT_RESOLVER,
    "flytekit.core.array_node_map_task.ArrayNodeMapTaskResolver": MAP_TASK_RESOLVER,
    "flytekit.core.python_function_task.eager_failure_task_resolver": EAGER_FAILURE_RESOLVER,
    "flytekit.core.python_customized_container_task.default_task_template_resolver": (
        "aioflyte.core.python_customized_container_task.default_task_template_resolver"
    ),
}


class Resolver(Protocol):
    def load_task(self, loader_args: list[str]) -> Any: ...


def _pairs(where: str, args: list[str], keys: tuple[str, ...]) -> dict[str, str]:
    """``[k1, v1, k2, v2, ...]`` as a dict, checked to hold exactly ``keys`` in order."""
    if len(args) < 2 * len(keys) or tuple(args[0 : 2 * len(keys) : 2]) != keys:
        expected = " ".join(f"{k} <{k.split('-')[-1]}>" for k in keys)
        raise FlyteResolverError(f"{where}: expected arguments '{expected}', got {args!r}")
    return dict(zip(args[0 : 2 * len(keys) : 2], args[1 : 2 * len(keys) : 2]))


def load_attribute(module: str, name: str) -> Any:
    """``module.name`` (``name`` may be dotted), importing the module; the cwd is importable, as in flytekit."""
    import os

    cwd = os.getcwd()
    if all(os.path.realpath(p or ".") != cwd for p in sys.path):
        sys.path.append(cwd)
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise FlyteResolverError(f"module {module!r} has no attribute {name!r}") from None
    return obj


class TaskResolver:
    """Finds a task by module and attribute name: ``task-module M task-name T``."""

    location = DEFAULT_RESOLVER

    def name(self) -> str:
        return self.location

    def load_task(self, loader_args: list[str]) -> Any:
        found = _pairs(self.location, list(loader_args), ("task-module", "task-name"))
        return load_attribute(found["task-module"], found["task-name"])

    def loader_args(self, settings: Any, task: Any) -> list[str]:
        """The arguments that find ``task`` again (for serializing its container args)."""
        fn = getattr(task, "task_function", None)
        module = getattr(fn, "__module__", None) or task.name.rpartition(".")[0]
        mod = sys.modules.get(module)
        for attr, value in vars(mod or object()).items():
            if value is task:
                return ["task-module", module, "task-name", attr]
        return ["task-module", module, "task-name", getattr(fn, "__name__", task.name.rpartition(".")[2])]


class MapTaskResolver:
    """Finds a mapped task: ``vars <a,b> resolver <resolver> <its args>``; the inputs named in vars are bound."""

    location = MAP_TASK_RESOLVER

    def name(self) -> str:
        return self.location

    def load_task(self, loader_args: list[str], max_concurrency: int | None = None) -> Any:
        """The map task; ``max_concurrency`` (flytekit's) does not matter in a container that runs one item."""
        from aioflyte.core.map_task import ArrayNodeMapTask, map_task

        args = list(loader_args)
        found = _pairs(self.location, args, ("vars", "resolver"))
        inner = load_resolver(found["resolver"]).load_task(args[4:])
        if isinstance(inner, ArrayNodeMapTask):
            return inner
        bound = [v for v in found["vars"].split(",") if v]
        return map_task(inner, bound_inputs=bound)

    def loader_args(self, settings: Any, mt: Any) -> list[str]:
        inner = default_resolver.loader_args(settings, mt.target)
        return ["vars", ",".join(sorted(mt.bound_inputs)), "resolver", DEFAULT_RESOLVER, *inner]


class EagerCleanupTask:
    """The failure handler of an eager workflow (``<name>-cleanup``): it stops what the failed eager run
    launched. Eager runs execute their calls inside their own container today (no remote executions), so
    there is nothing left to stop; it takes any inputs, ignores them and succeeds."""

    name = "eager_failure_handler"
    node_kind = "task"

    def __init__(self) -> None:
        from aioflyte.core.interface import Interface

        self.python_interface = Interface()

    async def execute(self, **kwargs: Any) -> None:
        import logging

        logging.getLogger("aioflyte.entrypoint").info("eager cleanup: the eager run launched no remote executions")


class EagerFailureTaskResolver:
    """Loads the eager failure handler (arguments ``eager failure handler``, as flytekit writes them)."""

    location = EAGER_FAILURE_RESOLVER

    def name(self) -> str:
        return self.location

    def load_task(self, loader_args: list[str]) -> EagerCleanupTask:
        return EagerCleanupTask()

    def loader_args(self, settings: Any, task: Any) -> list[str]:
        return ["eager", "failure", "handler"]


default_resolver = TaskResolver()
map_task_resolver = MapTaskResolver()
eager_failure_task_resolver = EagerFailureTaskResolver()
_BUILTIN: dict[str, Resolver] = {
    DEFAULT_RESOLVER: default_resolver,
    MAP_TASK_RESOLVER: map_task_resolver,
    EAGER_FAILURE_RESOLVER: eager_failure_task_resolver,
}


def load_resolver(location: str | None) -> Resolver:
    """The resolver object at ``location`` (``module.attr``); flytekit's names map to aioflyte's resolvers.

    A class found there is instantiated, as flytekit does for map task resolvers.
    """
    location = _ALIASES.get(location or DEFAULT_RESOLVER, location or DEFAULT_RESOLVER)
    if location in _BUILTIN:
        return _BUILTIN[location]
    module, _, attr = location.rpartition(".")
    if not module:
        raise FlyteResolverError(f"--resolver {location!r}: expected 'module.attribute'")
    obj = load_attribute(module, attr)
    if isinstance(obj, type):
        obj = obj()
    if not callable(getattr(obj, "load_task", None)):
        raise FlyteResolverError(f"--resolver {location!r} is not a task resolver (it has no load_task method)")
    return obj
