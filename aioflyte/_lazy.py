"""Lazy public names for a package whose export list is its ``TYPE_CHECKING`` block.

A package writes each public name once, as ``from <module> import Name as Name`` inside ``if TYPE_CHECKING:``
(type checkers read that as written), and sets ``__getattr__, __dir__ = lazy_exports(__name__, __file__,
globals())``: at run time the block is read on first attribute access and each name is imported when first used,
so importing the package stays cheap.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

# ``from M import N as N``, or the form a formatter wraps a long one in: ``from M import (\n N as N,\n)``
_EXPORT_LINE = re.compile(r"^    from (aioflyte[\w.]*) import (?:\(\s*)?(\w+) as \2(?:,\s*\))?$", re.MULTILINE)


def export_list(path: str) -> dict[str, str]:
    """Public name -> module, from the ``TYPE_CHECKING`` block of the file at ``path``."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    start = source.index("if TYPE_CHECKING:")
    end = source.find("\n\n", start)
    return {name: module for module, name in _EXPORT_LINE.findall(source[start : end if end > 0 else None])}


def lazy_exports(
    package: str, path: str, namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: names from its export list, imported on first use."""
    exports: dict[str, str] = {}

    def names() -> dict[str, str]:
        if not exports:
            exports.update(export_list(path))
        return exports

    def __getattr__(name: str) -> Any:
        if name == "__all__":
            value: Any = sorted(names())
        else:
            module = names().get(name)
            if module is None:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names()))

    return __getattr__, __dir__
