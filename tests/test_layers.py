"""The layering rules of docs/architecture.md, checked on the source: every import, at any depth (inside
functions and ``TYPE_CHECKING`` blocks too), from one layer of ``aioflyte`` into another."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aioflyte"

#: layer -> layers it must never import ("top" is the package itself: ``from aioflyte import X`` of a public name)
FORBIDDEN: dict[str, set[str]] = {
    "core": {"engine", "remote", "server", "cli", "top"},
    "sensor": {"engine", "remote", "server", "cli", "top"},
    "engine": {"remote", "server", "cli", "top"},
    "types": {"engine", "core", "remote", "server", "cli", "top"},
    "io": {"types", "core", "engine", "remote", "server", "cli", "top"},
    "remote": {"server", "cli", "top"},
    "server": {"remote", "cli", "top"},
    "configuration": {"core", "io", "types", "engine", "remote", "server", "cli", "top"},
    "models": {"core", "io", "types", "engine", "remote", "server", "cli", "configuration", "top"},
    "runscope": {"core", "io", "types", "engine", "remote", "server", "cli", "configuration", "top"},
    "exceptions": {"core", "io", "types", "engine", "remote", "server", "cli", "configuration", "models", "top"},
    "extras": {"engine", "remote", "server", "cli", "top"},
    "loggers": {"core", "io", "types", "engine", "remote", "server", "cli", "configuration", "models", "top"},
    "plugins": {"core", "io", "types", "engine", "remote", "server", "cli", "configuration", "models", "top"},
    "lazy_import": {"core", "io", "types", "engine", "remote", "server", "cli", "configuration", "models", "top"},
}


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "top"
    return parts[1]


def _module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import of an aioflyte module in ``path``."""
    module = _module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base == "aioflyte":  # from aioflyte import x: the submodule x, or a public name of the package
                for alias in node.names:
                    sub = PACKAGE / alias.name
                    is_module = sub.with_suffix(".py").exists() or (sub / "__init__.py").exists()
                    yield node.lineno, f"aioflyte.{alias.name}" if is_module else "aioflyte"
            else:
                yield node.lineno, base


def _violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _layer(_module_of(path))
        banned = FORBIDDEN.get(own, set())
        for line, imported in _imports(path):
            if imported != "aioflyte" and not imported.startswith("aioflyte."):
                continue
            target = _layer(imported)
            if target != own and target in banned:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {own} imports {imported}")
    return found


def test_no_layer_imports_what_the_rules_forbid():
    assert _violations() == []


def test_the_scan_sees_imports_inside_functions(tmp_path, monkeypatch):
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from aioflyte.engine import local\n    import aioflyte.remote\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path.parent)
    got = [m for _, m in _imports(f)]
    assert got == ["aioflyte.engine", "aioflyte.remote"]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_every_ruled_layer_exists(layer):
    assert (PACKAGE / layer).is_dir() or (PACKAGE / f"{layer}.py").exists()
