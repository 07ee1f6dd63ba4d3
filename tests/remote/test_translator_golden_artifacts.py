"""Artifact-annotated outputs (``artifact_partial_id``) and launch plans whose defaults are artifact queries
(``artifact_query``) serialize as flytekit 1.16 serializes them (``serialization_artifacts.py``; expected
messages in ``golden_artifacts/``, written by ``make_golden_area.py artifacts``). Compared modulo what
``test_translator_golden`` normalizes, nothing else."""

from __future__ import annotations

import asyncio
import os
import warnings

import pytest
from google.protobuf import text_format
from test_translator_golden import _KINDS, assert_same, file_name, settings

from aioflyte.remote.translator import registrable_entities

GOLDEN = os.path.join(os.path.dirname(__file__), "golden_artifacts")


def _golden_files() -> list[str]:
    return sorted(f for f in os.listdir(GOLDEN) if f[0].isdigit())


def _load(fname: str) -> object:
    msg = _KINDS[fname.rsplit("_", 1)[1].split(".")[0]]()
    with open(os.path.join(GOLDEN, fname)) as f:
        text_format.Parse(f.read(), msg)
    return msg


@pytest.fixture(scope="module")
def ours():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import serialization_artifacts
    msgs = asyncio.run(registrable_entities(list(vars(serialization_artifacts).values()), settings()))
    width = len(str(len(msgs) - 1))
    return {file_name(i, width, m): m for i, m in enumerate(msgs)}


def test_same_entities_in_the_same_order_as_pyflyte_package(ours):
    assert list(ours) == _golden_files()


@pytest.mark.parametrize("fname", _golden_files())
def test_message_equals_flytekits(ours, fname):
    assert_same(ours[fname], _load(fname), fname)
