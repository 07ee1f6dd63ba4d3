"""Literals as a person reads them: primitives as values, collections as lists, maps as tables, files, directories
and dataframes as links (signed download URLs from the data proxy when the data is under the server's raw prefix).

Every piece of text goes through :func:`esc`; nothing a user wrote reaches the page unescaped.
"""

from __future__ import annotations

import datetime
import html
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from flyteidl.core import literals_pb2

#: at most this many items of a collection or map are shown
MAX_ITEMS = 100
#: text longer than this is cut (with a note)
MAX_TEXT = 4000

#: makes a signed download link for a URI (None when the data is not reachable through the data proxy)
Linker = Callable[[str], Awaitable[str | None]]


def esc(value: object) -> str:
    """HTML-escaped text (quotes too, so the result is safe in attribute values)."""
    return html.escape(str(value), quote=True)


def _cut(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return esc(text)
    return esc(text[:MAX_TEXT]) + f'<span class="muted"> … ({len(text) - MAX_TEXT} more characters)</span>'


def _primitive(p: literals_pb2.Primitive) -> str:
    which = p.WhichOneof("value")
    if which == "integer":
        return f'<span class="v-num">{p.integer}</span>'
    if which == "float_value":
        return f'<span class="v-num">{p.float_value!r}</span>'
    if which == "string_value":
        return f'<span class="v-str">{_cut(chr(34) + p.string_value + chr(34))}</span>'
    if which == "boolean":
        return f'<span class="v-bool">{p.boolean}</span>'
    if which == "datetime":
        dt = p.datetime.ToDatetime(tzinfo=datetime.timezone.utc)
        return f'<span class="v-time">{esc(dt.isoformat())}</span>'
    if which == "duration":
        return f'<span class="v-time">{esc(datetime.timedelta(seconds=p.duration.ToNanoseconds() / 1e9))}</span>'
    return '<span class="muted">(empty)</span>'


async def _link(uri: str, linker: Linker, label: str) -> str:
    url = await linker(uri) if uri else None
    text = f'<code class="uri">{esc(uri)}</code>'
    if url is None:
        return f'<span class="v-file">{esc(label)} {text}</span>'
    return f'<span class="v-file">{esc(label)} <a href="{esc(url)}" download>{text}</a></span>'


def _msgpack(value: bytes) -> str:
    try:
        import msgpack

        decoded = msgpack.unpackb(value, raw=False, strict_map_key=False)
        return f'<span class="v-json">{_cut(json.dumps(decoded, ensure_ascii=False, default=str))}</span>'
    except Exception:
        return f'<span class="muted">({len(value)} bytes)</span>'


async def render_literal(lit: literals_pb2.Literal, linker: Linker, depth: int = 0) -> str:
    """One literal as HTML."""
    which = lit.WhichOneof("value")
    if which == "collection":
        items = lit.collection.literals
        parts = [f"<li>{await render_literal(i, linker, depth + 1)}</li>" for i in items[:MAX_ITEMS]]
        more = f'<li class="muted">… {len(items) - MAX_ITEMS} more</li>' if len(items) > MAX_ITEMS else ""
        return f'<ol class="v-list" start="0">{"".join(parts)}{more}</ol>' if items else "[]"
    if which == "map":
        return await render_map(lit.map, linker, depth + 1)
    if which == "offloaded_metadata":
        return await _link(lit.offloaded_metadata.uri, linker, "offloaded literal")
    if which != "scalar":
        return '<span class="muted">(no value)</span>'
    s = lit.scalar
    kind = s.WhichOneof("value")
    if kind == "primitive":
        return _primitive(s.primitive)
    if kind == "none_type":
        return '<span class="v-none">None</span>'
    if kind == "blob":
        multipart = s.blob.metadata.type.dimensionality == 1
        fmt = s.blob.metadata.type.format
        label = ("directory" if multipart else "file") + (f" ({fmt})" if fmt else "")
        return await _link(s.blob.uri, linker, label)
    if kind == "structured_dataset":
        fmt = s.structured_dataset.metadata.structured_dataset_type.format
        return await _link(s.structured_dataset.uri, linker, f"dataframe ({fmt or 'parquet'})")
    if kind == "schema":
        return await _link(s.schema.uri, linker, "schema")
    if kind == "generic":
        from google.protobuf import json_format

        text = json.dumps(json_format.MessageToDict(s.generic), ensure_ascii=False)
        return f'<span class="v-json">{_cut(text)}</span>'
    if kind == "binary":
        return _msgpack(s.binary.value)
    if kind == "union":
        return await render_literal(s.union.value, linker, depth)
    if kind == "error":
        return f'<span class="v-error">error from {esc(s.error.failed_node_id)}: {_cut(s.error.message)}</span>'
    return f'<span class="muted">({esc(kind or "empty")})</span>'


async def render_map(lm: literals_pb2.LiteralMap, linker: Linker, depth: int = 0) -> str:
    """A literal map as a two-column table (name, value)."""
    if not lm.literals:
        return '<span class="muted">none</span>'
    rows = []
    for name in sorted(lm.literals)[:MAX_ITEMS]:
        value = await render_literal(lm.literals[name], linker, depth)
        rows.append(f'<tr><th class="v-name">{esc(name)}</th><td>{value}</td></tr>')
    return f'<table class="values">{"".join(rows)}</table>'


def type_text(lt: Any) -> str:
    """A literal type, short (``int``, ``list[str]``, ``FlyteFile``...)."""
    which = lt.WhichOneof("type")
    if which == "simple":
        from flyteidl.core import types_pb2

        return types_pb2.SimpleType.Name(lt.simple).lower()
    if which == "collection_type":
        return f"list[{type_text(lt.collection_type)}]"
    if which == "map_value_type":
        return f"dict[str, {type_text(lt.map_value_type)}]"
    if which == "blob":
        return "directory" if lt.blob.dimensionality == 1 else "file"
    if which == "structured_dataset_type":
        return "dataframe"
    if which == "union_type":
        return " | ".join(type_text(v) for v in lt.union_type.variants)
    if which == "enum_type":
        return "enum(" + ", ".join(lt.enum_type.values) + ")"
    return which or "none"


_FRAME = re.compile(r'^(\s*)File "([^"]+)", line \d+, in ')
_INTERNAL = ("/aioflyte/", "/site-packages/", "/dist-packages/", "/lib/python3")


def render_error(message: str) -> str:
    """An error message with its traceback: the user's frames shown, aioflyte's and Python's own frames folded
    into ``<details>`` (one per run of consecutive such frames)."""
    lines = message.splitlines()
    out: list[str] = []
    folded: list[str] = []
    i = 0

    def flush() -> None:
        if folded:
            n = sum(1 for line in folded if _FRAME.match(line))
            out.append(
                f'<details class="frames"><summary>{n} aioflyte / Python frame{"s" if n != 1 else ""}</summary>'
                f"{esc(chr(10).join(folded))}</details>"
            )
            folded.clear()

    while i < len(lines):
        m = _FRAME.match(lines[i])
        if m is None:
            flush()
            out.append(esc(lines[i]))
            i += 1
            continue
        indent = len(m.group(1))
        frame = [lines[i]]
        i += 1
        while i < len(lines) and not _FRAME.match(lines[i]) and len(lines[i]) - len(lines[i].lstrip()) > indent:
            frame.append(lines[i])
            i += 1
        if any(part in m.group(2) for part in _INTERNAL):
            folded.extend(frame)
        else:
            flush()
            out.extend(f'<span class="user-frame">{esc(line)}</span>' for line in frame)
    flush()
    return f'<pre class="error">{chr(10).join(out)}</pre>'
