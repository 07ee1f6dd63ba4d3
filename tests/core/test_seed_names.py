"""Every top-level name of flytekit's API reference (the seed) imports from ``aioflyte``.

``seed_names.txt`` is the list read off ``../shared/reference/flytekit-api-reference.md`` (its ``## flytekit.X``
sections, its top-level functions and its index); when that file is beside the checkout, the list is checked
against it too, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import aioflyte

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parents[2] / "shared" / "reference" / "flytekit-api-reference.md"
#: names still to come, with the issue that brings them (the test fails once one arrives, so the list shrinks)
NOT_YET: dict[str, str] = {}


def seed_names() -> list[str]:
    lines = (HERE / "seed_names.txt").read_text().splitlines()
    return [n for n in lines if n and not n.startswith("#")]


def names_in_reference(text: str) -> set[str]:
    classes = set(re.findall(r"^## flytekit\.(\w+)", text, re.M))
    first = text.index("\n## flytekit.")
    functions = set(re.findall(r"^#### (\w+)\(\)", text[:first], re.M))
    index = set(re.findall(r"\[`?([A-Za-z_][A-Za-z_0-9]*)`?(?:\(\))?\]", text[:20000])) - {"int"}
    return classes | functions | index


def test_the_list_has_the_whole_seed():
    names = seed_names()
    assert len(names) == len(set(names)) >= 74
    if REFERENCE.exists():  # in a checkout beside the shared reference
        assert set(names) == names_in_reference(REFERENCE.read_text())


@pytest.mark.parametrize("name", seed_names())
def test_seed_name_imports_from_aioflyte(name):
    if name in NOT_YET:
        assert not hasattr(aioflyte, name), f"{name} has arrived: take it off NOT_YET"
        return
    value = getattr(aioflyte, name)
    assert value is not None
    assert name in aioflyte.__all__


def test_from_aioflyte_import_star_gives_the_seed():
    scope: dict[str, object] = {}
    exec("from aioflyte import *", scope)
    missing = [n for n in seed_names() if n not in scope and n not in NOT_YET]
    assert missing == []
