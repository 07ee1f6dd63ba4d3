"""The public API: one export list (the TYPE_CHECKING block of aioflyte/__init__.py) serves lazy imports at run time
and type checkers, every listed name imports, ``from aioflyte import *`` works, and the package is typed."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import aioflyte
import aioflyte._lazy

INIT = Path(aioflyte.__file__)


def _type_checking_names() -> dict[str, str]:
    """name -> module of every import in the TYPE_CHECKING block, read with the AST (not the run-time regex)."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", None) == "TYPE_CHECKING"]
    names = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom), ast.dump(node)
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name} must be imported 'as {alias.name}' (a re-export)"
            names[alias.name] = node.module
    return names


def test_the_run_time_export_list_is_the_type_checking_block():
    assert aioflyte._lazy.export_list(aioflyte.__file__) == _type_checking_names()
    assert sorted(aioflyte.__all__) == sorted(_type_checking_names())


@pytest.mark.parametrize("name", sorted(_type_checking_names()))
def test_every_exported_name_imports_from_where_the_list_says(name):
    value = getattr(aioflyte, name)
    assert value is getattr(importlib.import_module(_type_checking_names()[name]), name)


def test_star_import_gives_every_exported_name_in_a_fresh_interpreter():
    code = "from aioflyte import *\nimport aioflyte\nmissing = [n for n in aioflyte.__all__ if n not in globals()]\n"
    code += "assert not missing, missing\nprint(len(aioflyte.__all__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == len(_type_checking_names())


def test_an_unknown_name_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        _ = aioflyte.not_a_name


def test_the_package_is_marked_typed_and_ships_the_marker():
    assert (INIT.parent / "py.typed").exists()
    pyproject = (INIT.parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert 'aioflyte = ["py.typed"]' in pyproject


def test_import_stays_lazy():
    """Importing the authoring API loads neither the engine, the remote client, the type engine, nor asyncio."""
    code = (
        "import sys\nfrom aioflyte import task, workflow, eager, map_task\n"
        "print(sorted(m for m in sys.modules if m.startswith('aioflyte.') or m in ('asyncio', 'grpc')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)  # a list literal printed by the child
    assert "asyncio" not in loaded and "grpc" not in loaded, loaded
    assert not [m for m in loaded if m.split(".")[1:2] in (["engine"], ["remote"], ["server"], ["types"], ["cli"])]
