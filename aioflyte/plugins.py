"""Plugin loading: installed distributions that declare an entry point in the ``aioflyte.plugins`` group (or in
flytekit's ``flytekit.plugins`` group) are imported once, so that what they register (task plugins with
``TaskPlugins.register_pythontask_plugin``, transformers with ``TypeEngine.register``) is there when it is needed.

When: lazily, never at ``import aioflyte`` (which stays cheap). The first task definition (``PythonTask.__init__``,
so ``@task`` and class-based tasks), the first look-up of a task plugin for a ``task_config`` and the first type
engine look-up (when the built-in transformers load) each call :func:`ensure_plugins_loaded`, which loads them the
first time only. :func:`load_implicit_plugins` (flytekit's name) loads them now (again, if called again: importing
an already imported module is a no-op).

A ``flytekit.plugins`` entry point is loaded only when flytekit itself is not installed, with ``flytekit`` and
its submodules resolving to aioflyte's modules of the same path while it loads: a plugin that uses only the public
API flytekit and aioflyte share (``from flytekit import task``, ``from flytekit.extend import TypeEngine``, ...)
registers with aioflyte. When flytekit is installed, its plugins are flytekit's business and are left alone.

A plugin that fails to load is logged (with its traceback) and skipped: one broken distribution does not stop
every task definition in the process.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from importlib.metadata import EntryPoint
from importlib.metadata import entry_points as entry_points
from types import ModuleType
from typing import Any

#: aioflyte's entry-point group, and flytekit's.
GROUP = "aioflyte.plugins"
FLYTEKIT_GROUP = "flytekit.plugins"

_lock = threading.RLock()
_state = {"loaded": False, "loading": False}
#: name -> entry point value of the plugins loaded, and of those that failed (with the error).
loaded: dict[str, str] = {}
failed: dict[str, BaseException] = {}


def ensure_plugins_loaded() -> None:
    """Load the installed plugins the first time this is called (a dict look-up afterwards)."""
    if _state["loaded"]:
        return
    with _lock:
        if _state["loaded"] or _state["loading"]:  # a plugin that defines a task while it loads
            return
        _state["loading"] = True
        try:
            load_implicit_plugins()
        finally:
            _state["loading"] = False
            _state["loaded"] = True


def load_implicit_plugins() -> None:
    """Import every plugin declared in the ``aioflyte.plugins`` entry-point group, then those of flytekit's
    ``flytekit.plugins`` group (when flytekit is not installed; see the module docstring)."""
    with _lock:
        for ep in entry_points(group=GROUP):
            _load(ep)
        flytekit_eps = list(entry_points(group=FLYTEKIT_GROUP))
        if flytekit_eps and importlib.util.find_spec("flytekit") is None:
            with _flytekit_as_aioflyte():
                for ep in flytekit_eps:
                    _load(ep)


def _load(ep: EntryPoint) -> None:
    key = f"{ep.group}:{ep.name}"
    try:
        ep.load()
    except Exception as e:  # a broken plugin is reported, not fatal
        from aioflyte.loggers import logger

        failed[key] = e
        logger.warning("plugin %s (%s) failed to load: %s", key, ep.value, e, exc_info=True)
        return
    loaded[key] = ep.value


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``flytekit[.x]`` as the already imported (or importable) module ``aioflyte[.x]``."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "flytekit" and not fullname.startswith("flytekit."):
            return None
        try:
            target = importlib.util.find_spec("aioflyte" + fullname[len("flytekit") :])
        except ModuleNotFoundError:
            return None
        if target is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=target.submodule_search_locations is not None)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module("aioflyte" + spec.name[len("flytekit") :])

    def exec_module(self, module: ModuleType) -> None:
        pass  # the aioflyte module is already executed


class _flytekit_as_aioflyte:
    """While loading flytekit plugins: ``import flytekit...`` gives aioflyte's modules; afterwards the names are
    gone from ``sys.modules`` again (the plugin modules keep what they imported)."""

    def __enter__(self) -> None:
        self._finder = _Alias()
        self._before = {n for n in sys.modules if n == "flytekit" or n.startswith("flytekit.")}
        sys.meta_path.insert(0, self._finder)

    def __exit__(self, *exc: object) -> None:
        sys.meta_path.remove(self._finder)
        for n in [n for n in sys.modules if (n == "flytekit" or n.startswith("flytekit.")) and n not in self._before]:
            del sys.modules[n]


__all__ = ["FLYTEKIT_GROUP", "GROUP", "ensure_plugins_loaded", "entry_points", "load_implicit_plugins"]
