"""Plugin loading through entry points, with real distributions: a ``*.dist-info`` with ``entry_points.txt`` in a
temporary directory on ``sys.path`` (no mocks). An ``aioflyte.plugins`` plugin registers a task plugin and a
transformer; a ``flytekit.plugins`` plugin written against flytekit's public API registers with aioflyte. Loading
is lazy (``import aioflyte`` loads nothing; the first task definition does) and happens once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import aioflyte
from aioflyte import plugins

AIOFLYTE_PLUGIN = '''
import dataclasses

import aioflyte
from aioflyte.extend import TaskPlugins, TypeEngine, TypeTransformer
from aioflyte.models.literals import Literal, Primitive, Scalar
from aioflyte.models.types import LiteralType, SimpleType

LOADS = []
LOADS.append(1)


@dataclasses.dataclass
class Twice:
    """A task_config: tasks made with it return twice their function's result."""


class TwiceTask(aioflyte.PythonFunctionTask[Twice]):
    def __init__(self, task_config, task_function, **kwargs):
        super().__init__(task_config=task_config, task_function=task_function, task_type="twice", **kwargs)

    async def execute(self, **kwargs):
        return 2 * (await super().execute(**kwargs))


class Celsius(float):
    pass


class CelsiusTransformer(TypeTransformer[Celsius]):
    def __init__(self):
        super().__init__("celsius", Celsius)

    def get_literal_type(self, t):
        return LiteralType(simple=SimpleType.FLOAT)

    def to_literal(self, ctx, python_val, python_type, expected):
        return Literal(scalar=Scalar(primitive=Primitive(float_value=float(python_val))))

    def to_python_value(self, ctx, lv, expected_python_type):
        return Celsius(lv.scalar.primitive.float_value)


TaskPlugins.register_pythontask_plugin(Twice, TwiceTask)
TypeEngine.register(CelsiusTransformer())
'''

FLYTEKIT_PLUGIN = """
from flytekit import task
from flytekit.extend import TaskPlugins, PythonTask

import flytekit

LOADED_WITH = flytekit.__name__


@task
def shout(s: str) -> str:
    return s.upper() + "!"
"""


def distribution(root: Path, name: str, group: str, module_source: str) -> None:
    """An installed distribution ``name`` (its dist-info and its module) under ``root``."""
    info = root / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{name} = {name}_plugin\n")
    (root / f"{name}_plugin.py").write_text(module_source)


@pytest.fixture
def site(tmp_path, monkeypatch):
    root = tmp_path / "site"
    root.mkdir()
    distribution(root, "twiceplug", plugins.GROUP, AIOFLYTE_PLUGIN)
    distribution(root, "fkplug", plugins.FLYTEKIT_GROUP, FLYTEKIT_PLUGIN)
    monkeypatch.syspath_prepend(str(root))
    yield root
    for m in ("twiceplug_plugin", "fkplug_plugin"):
        sys.modules.pop(m, None)


def test_load_implicit_plugins_loads_both_groups(site):
    assert [ep.name for ep in aioflyte.entry_points(group=plugins.GROUP) if ep.name == "twiceplug"] == ["twiceplug"]
    aioflyte.load_implicit_plugins()
    mod = sys.modules["twiceplug_plugin"]
    assert mod.LOADS == [1]
    from aioflyte.core.task import TaskPlugins

    assert TaskPlugins.find_pythontask_plugin(mod.Twice) is mod.TwiceTask

    @aioflyte.task(task_config=mod.Twice())
    def three() -> int:
        return 3

    assert type(three) is mod.TwiceTask and aioflyte.run(three) == 6

    @aioflyte.task
    def warmer(c: mod.Celsius) -> mod.Celsius:
        return mod.Celsius(c + 1)

    assert aioflyte.TypeEngine.get_transformer(mod.Celsius).name == "celsius"
    assert aioflyte.run(warmer, c=mod.Celsius(20.5)) == 21.5

    fk = sys.modules["fkplug_plugin"]
    assert fk.LOADED_WITH == "aioflyte"  # flytekit's names resolved to aioflyte's while it loaded
    assert isinstance(fk.shout, aioflyte.PythonFunctionTask) and aioflyte.run(fk.shout, s="hi") == "HI!"
    assert "flytekit" not in sys.modules  # the aliases are gone again
    assert plugins.loaded[f"{plugins.FLYTEKIT_GROUP}:fkplug"] == "fkplug_plugin"

    aioflyte.load_implicit_plugins()  # again: the modules are imported already
    assert mod.LOADS == [1]


def test_a_broken_plugin_is_reported_and_skipped(tmp_path, monkeypatch, caplog):
    root = tmp_path / "broken"
    root.mkdir()
    distribution(root, "brokenplug", plugins.GROUP, "raise RuntimeError('no database driver')\n")
    monkeypatch.syspath_prepend(str(root))
    aioflyte.load_implicit_plugins()
    assert "no database driver" in str(plugins.failed[f"{plugins.GROUP}:brokenplug"])
    sys.modules.pop("brokenplug_plugin", None)


@pytest.mark.slow
def test_plugins_load_lazily_and_once_in_a_fresh_process(site, tmp_path):
    script = textwrap.dedent(
        """
        import sys
        import aioflyte
        assert "twiceplug_plugin" not in sys.modules, "loaded at import"
        assert aioflyte.SQLTask is not None and "twiceplug_plugin" not in sys.modules, "loaded by a name"

        @aioflyte.task
        def one() -> int:
            return 1

        mod = sys.modules["twiceplug_plugin"]  # the first task definition loaded it

        @aioflyte.task(task_config=mod.Twice())
        def two() -> int:
            return 1

        assert aioflyte.run(one) + aioflyte.run(two) == 3
        assert mod.LOADS == [1]
        print("ok")
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_lazy_module():
    from aioflyte.lazy_import.lazy_module import is_imported

    sys.modules.pop("colorsys", None)
    m = aioflyte.lazy_module("colorsys")
    assert not is_imported("colorsys")
    assert m.rgb_to_hsv(1.0, 0.0, 0.0)[0] == 0.0
    assert is_imported("colorsys")
    assert aioflyte.lazy_module("colorsys") is sys.modules["colorsys"]
    missing = aioflyte.lazy_module("no_such_package_zz.sub")
    with pytest.raises(ImportError, match=r"'no_such_package_zz\.sub' is not installed"):
        missing.anything  # noqa: B018
