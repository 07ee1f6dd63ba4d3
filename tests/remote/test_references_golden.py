"""Workflows using reference entities serialize as flytekit 1.16 serializes them (``golden_references/``, written by
``make_golden_references.py``): reference nodes name the registered entity by id, and nothing is registered for the
references themselves. Compared with the normalization of ``test_translator_golden.py``."""

from __future__ import annotations

import os

import pytest
from flyteidl.core import workflow_pb2
from google.protobuf import text_format
from test_translator_golden import _KINDS, assert_same, file_name, settings

from aioflyte.exceptions import SerializationError
from aioflyte.remote.translator import Translator, registrable_entities
from aioflyte.remote.translator import nodes as _nodes

GOLDEN = os.path.join(os.path.dirname(__file__), "golden_references")


def golden_files() -> list[str]:
    return sorted(f for f in os.listdir(GOLDEN) if f[0].isdigit())


def load(fname: str):
    kind = fname.rsplit("_", 1)[1].split(".")[0]
    msg = _KINDS[kind]()
    with open(os.path.join(GOLDEN, fname)) as f:
        text_format.Parse(f.read(), msg)
    return msg


@pytest.fixture(scope="module")
def examples():
    import serialization_references

    return serialization_references


@pytest.fixture(scope="module")
def ours(examples):
    import asyncio

    msgs = asyncio.run(registrable_entities(list(vars(examples).values()), settings()))
    width = len(str(len(msgs) - 1))
    return {file_name(i, width, m): m for i, m in enumerate(msgs)}


def test_references_are_not_registered(ours):
    assert list(ours) == golden_files()
    assert not any("recipes" in name for name in ours)


@pytest.mark.parametrize("fname", golden_files())
def test_message_equals_flytekits(ours, fname):
    assert_same(ours[fname], load(fname), fname)


async def test_reference_workflow_nodes_equal_flytekits():
    import serialization_references_wf as rw

    wf = rw.wf_ref_wf
    tr = Translator(settings())
    ids = _nodes.assign_ids(wf.nodes, "", {})
    scope = _nodes.Scope(tr, ids)
    for i, n in enumerate(wf.nodes):
        ours = await _nodes.reference_node(scope, n, ids[n.id], allow_reference_workflow=True)
        theirs = workflow_pb2.Node()
        with open(os.path.join(GOLDEN, f"node_{i}.pbtxt")) as f:
            text_format.Parse(f.read(), theirs)
        a, b = workflow_pb2.Node(), workflow_pb2.Node()
        a.CopyFrom(ours)
        b.CopyFrom(theirs)
        _norm(a)
        _norm(b)
        assert a == b, f"node {i}:\n{a}\n!=\n{b}"
    assert not tr.messages()


def _norm(n: workflow_pb2.Node) -> None:
    ups = sorted(n.upstream_node_ids)
    del n.upstream_node_ids[:]
    n.upstream_node_ids.extend(ups)


async def test_a_workflow_calling_a_reference_workflow_is_refused_as_in_flytekit():
    import serialization_references_wf as rw

    with pytest.raises(
        SerializationError, match=r"reference workflow flytesnacks/development/recipes\.wf@v2.*launch plan"
    ):
        await registrable_entities([rw.wf_ref_wf], settings())


async def test_fetched_task_and_launch_plan_in_a_workflow_equal_flytekits():
    import serialization_references_fetched as rf
    from flyteidl.admin import workflow_pb2 as admin_workflow_pb2

    tr = Translator(settings())
    ours = await tr.get(rf.wf_fetched)
    theirs = admin_workflow_pb2.WorkflowSpec()
    with open(os.path.join(GOLDEN, "fetched_wf_fetched_2.pbtxt")) as f:
        text_format.Parse(f.read(), theirs)
    assert_same(ours, theirs, "wf_fetched")
    assert [type(m).__name__ for m in tr.messages()] == ["WorkflowSpec"]  # nothing registered for the fetched ones


def test_guessed_unnamed_outputs_keep_their_positions():
    from flyteidl.core import interface_pb2, types_pb2

    from aioflyte.remote.entities import guess_interface

    typed = interface_pb2.TypedInterface()
    for name, simple in (("o2", types_pb2.FLOAT), ("o10", types_pb2.BOOLEAN), ("o1", types_pb2.STRING)):
        typed.outputs.variables[name].type.simple = simple
    for i in (0, 3, 4, 5, 6, 7, 8, 9):
        typed.outputs.variables[f"o{i}"].type.simple = types_pb2.INTEGER
    assert list(guess_interface(typed).outputs) == [f"o{i}" for i in range(11)]
