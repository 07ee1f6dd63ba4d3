"""The console's rendering without a browser: literals as readable, escaped HTML; tracebacks with aioflyte's frames
folded; the layered DAG layout; signal values parsed from form fields with clear errors."""

from __future__ import annotations

import datetime

import pytest
from flyteidl.core import literals_pb2, types_pb2

from aioflyte.server.console.graph import GraphNode, layers, svg
from aioflyte.server.console.render import parse_value as _parse_value
from aioflyte.server.console.values import render_error, render_literal, render_map, type_text


async def _no_link(uri: str) -> str | None:
    return None


async def _link(uri: str) -> str | None:
    return "/data/x?sig=1&t=2"


def _str(v: str) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(string_value=v)))


def _int(v: int) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=v)))


async def test_values_are_readable_and_escaped():
    lm = literals_pb2.LiteralMap(
        literals={
            "<b>name</b>": _str("<script>alert(1)</script>"),
            "n": _int(42),
            "xs": literals_pb2.Literal(collection=literals_pb2.LiteralCollection(literals=[_int(1), _int(2)])),
            "none": literals_pb2.Literal(scalar=literals_pb2.Scalar(none_type=literals_pb2.Void())),
        }
    )
    html = await render_map(lm, _no_link)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;name&lt;/b&gt;" in html
    assert '<span class="v-num">42</span>' in html
    assert html.count("<li>") == 2
    assert "None" in html


async def test_files_link_through_the_signed_url_and_times_read_as_iso():
    stored = literals_pb2.Blob(uri='file:///d/"a".csv', metadata=literals_pb2.BlobMetadata())
    blob = literals_pb2.Literal(scalar=literals_pb2.Scalar(blob=stored))
    html = await render_literal(blob, _link)
    assert 'href="/data/x?sig=1&amp;t=2"' in html
    assert "&quot;a&quot;.csv" in html
    assert "<a " not in await render_literal(blob, _no_link)
    when = literals_pb2.Literal()
    when.scalar.primitive.datetime.FromDatetime(datetime.datetime(2026, 1, 2, 3, 4, 5))
    assert "2026-01-02T03:04:05+00:00" in await render_literal(when, _no_link)


def test_tracebacks_fold_library_frames_and_keep_the_users():
    message = (
        "Traceback (most recent call last):\n"
        '  File "/x/site-packages/aioflyte/engine/task_runner.py", line 10, in run\n'
        "    return body()\n"
        '  File "/home/me/project/wf.py", line 5, in boom\n'
        '    raise ValueError("<bad>")\n'
        "ValueError: <bad>"
    )
    html = render_error(message)
    assert '<details class="frames"><summary>1 aioflyte / Python frame</summary>' in html
    assert '<span class="user-frame">  File &quot;/home/me/project/wf.py&quot;, line 5, in boom</span>' in html
    assert "ValueError: &lt;bad&gt;" in html


def test_layers_follow_the_longest_path_and_survive_cycles():
    nodes = [
        GraphNode("a", "a"),
        GraphNode("b", "b", upstream=["a"]),
        GraphNode("c", "c", upstream=["a", "b"]),
        GraphNode("d", "d", upstream=["missing"]),
    ]
    assert layers(nodes) == {"a": 0, "b": 1, "c": 2, "d": 0}
    cyclic = [GraphNode("x", "x", upstream=["y"]), GraphNode("y", "y", upstream=["x"])]
    assert set(layers(cyclic)) == {"x", "y"}
    drawn = svg([GraphNode("n0", "<i>t</i>", phase="FAILED")])
    assert 'data-node-id="n0" data-phase="FAILED"' in drawn and "<i>" not in drawn


def test_signal_values_parse_by_type_with_clear_errors():
    assert _parse_value("true", types_pb2.LiteralType(simple=types_pb2.BOOLEAN), "ok").scalar.primitive.boolean
    assert _parse_value(" 7 ", types_pb2.LiteralType(simple=types_pb2.INTEGER), "n").scalar.primitive.integer == 7
    with pytest.raises(ValueError, match=r"signal n: expected integer, got 'seven'"):
        _parse_value("seven", types_pb2.LiteralType(simple=types_pb2.INTEGER), "n")
    listed = types_pb2.LiteralType(collection_type=types_pb2.LiteralType(simple=types_pb2.INTEGER))
    with pytest.raises(ValueError, match=r"this one expects list\[integer\]"):  # other types: console.signals
        _parse_value("[1]", listed, "xs")
    assert type_text(listed) == "list[integer]"
