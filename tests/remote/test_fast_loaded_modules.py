"""``fast_package`` with ``copy_style`` LOADED_MODULES (``"auto"``, what ``run --remote`` uses): only the Python files
of the modules imported from the source tree are packaged, less what is ignored; other styles package the tree."""

from __future__ import annotations

import importlib
import sys
import tarfile
import uuid

import pytest

from aioflyte.image_spec import CopyFileDetection
from aioflyte.remote.fast import FastPackageOptions, fast_package


@pytest.fixture
def tree(tmp_path):
    """``<pkg>/{__init__,used,unused}.py``, a data file and a notebook folder; ``<pkg>.used`` is imported."""
    pkg = f"loadedpkg_{uuid.uuid4().hex[:8]}"
    src = tmp_path / "src"
    (src / pkg / "notes").mkdir(parents=True)
    (src / pkg / "__init__.py").write_text("")
    (src / pkg / "used.py").write_text("X = 1\n")
    (src / pkg / "unused.py").write_text("Y = 2\n")
    (src / pkg / "data.csv").write_text("a,b\n")
    (src / pkg / "notes" / "n.txt").write_text("n")
    sys.path.insert(0, str(src))
    try:
        importlib.import_module(f"{pkg}.used")
        yield src, pkg
    finally:
        sys.path.remove(str(src))
        for name in [m for m in sys.modules if m == pkg or m.startswith(pkg + ".")]:
            del sys.modules[name]


def _members(archive: str) -> list[str]:
    with tarfile.open(archive) as tar:
        return sorted(tar.getnames())


@pytest.mark.parametrize("style", ["auto", CopyFileDetection.LOADED_MODULES])
def test_loaded_modules_only(tree, tmp_path, style):
    src, pkg = tree
    archive = fast_package(src, tmp_path / "out", options=FastPackageOptions(copy_style=style))
    assert _members(archive) == [f"{pkg}/__init__.py", f"{pkg}/used.py"]


def test_loaded_modules_still_honour_ignores(tree, tmp_path):
    src, pkg = tree
    options = FastPackageOptions(ignores=["used.py"], copy_style="auto")
    assert _members(fast_package(src, tmp_path / "out", options=options)) == [f"{pkg}/__init__.py"]


@pytest.mark.parametrize("style", [None, "all", CopyFileDetection.ALL])
def test_other_styles_package_the_whole_tree(tree, tmp_path, style):
    src, pkg = tree
    archive = fast_package(src, tmp_path / "out", options=FastPackageOptions(copy_style=style))
    assert _members(archive) == sorted(
        f"{pkg}/{f}" for f in ("__init__.py", "used.py", "unused.py", "data.csv", "notes/n.txt")
    )
