"""``lazy_module(name)``: a module that is imported on its first attribute access (flytekit's helper, used by plugins
so that ``pd = lazy_module("pandas")`` costs nothing until pandas is used).

A module that is not installed gives a stand-in whose every attribute access raises ``ImportError`` naming it,
so the error comes where the module is used, not where the plugin is imported.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any


class _MissingModule(types.ModuleType):
    """Stands for a module that is not installed: using it raises ``ImportError``."""

    def __getattribute__(self, attr: str) -> Any:
        if attr in ("__class__", "__name__", "__dict__", "__spec__", "__repr__"):
            return super().__getattribute__(attr)
        name = super().__getattribute__("__name__")
        raise ImportError(f"module {name!r} is not installed (it was asked for {attr!r})")


def lazy_module(fullname: str) -> types.ModuleType:
    """The module ``fullname``, executed only when one of its attributes is first used (already imported: as is)."""
    found = sys.modules.get(fullname)
    if found is not None:
        return found
    try:
        spec = importlib.util.find_spec(fullname)
    except ModuleNotFoundError:  # its parent package is not installed
        spec = None
    if spec is None or spec.loader is None:
        return _MissingModule(fullname)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[fullname] = module
    loader.exec_module(module)
    return module


def is_imported(module_name: str) -> bool:
    """Whether ``module_name`` has been imported and executed (a lazy module not yet used is not)."""
    module = sys.modules.get(module_name)
    if module is None:
        return False
    cls = object.__getattribute__(module, "__class__")  # not module.__class__: that would run a lazy module
    return cls is not _MissingModule and cls.__name__ != "_LazyModule"


__all__ = ["is_imported", "lazy_module"]
