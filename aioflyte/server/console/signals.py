"""The console's signals: the pending signals of an execution's gate nodes with a form each (Approve / Reject for
``approve``; for ``wait_for_input``, a field for simple types and a JSON or YAML text area for the others), and
the value typed into the form made into a literal of the signal's type.

A value is read as the signal's literal type says (``int``, ``float``, ``str``, ``bool``; ISO 8601 for datetimes
and dates; seconds or an ISO 8601 duration such as ``PT1H30M`` for durations; JSON or YAML for lists, dicts,
dataclasses and pydantic models, their items read the same way; a URI for files, directories and dataframes; an
enum's value; ``null`` for none) and then checked by the type engine against the Python type the literal type
describes (a dataclass's fields and their types), so a wrong value is refused with an error naming the signal,
the type it expects and what was given, and never reaches the waiting node.
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import msgpack
from aiohttp import web
from flyteidl.core import literals_pb2, types_pb2

from aioflyte.server.console import render as rd
from aioflyte.server.console.auth import form_value
from aioflyte.server.console.render import ROOT
from aioflyte.server.console.values import esc, render_literal, type_text
from aioflyte.server.dataproxy import UPLOADS
from aioflyte.server.errors import AdminError
from aioflyte.server.signedurls import relative
from aioflyte.types.durations import parse_duration

if TYPE_CHECKING:
    from aioflyte.server.console.app import Console

_URI_KINDS = ("blob", "structured_dataset_type")
_SIMPLE_FIELD = {types_pb2.INTEGER, types_pb2.FLOAT, types_pb2.STRING, types_pb2.DATETIME, types_pb2.DURATION}


class _Bad(ValueError):
    """A value that is not of the type: ``where`` in the value, what was expected, what was given."""


def _is_simple_field(lt: types_pb2.LiteralType) -> bool:
    return lt.WhichOneof("type") == "simple" and lt.simple in _SIMPLE_FIELD


def _datetime(value: Any) -> datetime.datetime:
    if not isinstance(value, (str, datetime.date)):
        raise ValueError(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time())
    dt = (
        value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    )
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def _jsonable(value: Any) -> Any:
    """YAML's dates and times as ISO text, so a struct's msgpack holds what JSON would."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def literal_of(value: Any, lt: types_pb2.LiteralType, where: str = "value") -> literals_pb2.Literal:
    """``value`` (as JSON or YAML reads it) as a literal of ``lt``; ``_Bad`` when it is not of that type."""
    lit = literals_pb2.Literal()
    kind = lt.WhichOneof("type")
    bad = _Bad(f"{where}: expected {type_text(lt)}, got {value!r}")
    try:
        if kind == "simple":
            p = lit.scalar.primitive
            s = lt.simple
            if s == types_pb2.NONE:
                if value is not None:
                    raise bad
                lit.scalar.none_type.SetInParent()
            elif s == types_pb2.BOOLEAN:
                if not isinstance(value, bool):
                    raise bad
                p.boolean = value
            elif s == types_pb2.INTEGER:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise bad
                p.integer = value
            elif s == types_pb2.FLOAT:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise bad
                p.float_value = float(value)
            elif s == types_pb2.STRING:
                if not isinstance(value, str):
                    raise bad
                p.string_value = value
            elif s == types_pb2.DATETIME:
                p.datetime.FromDatetime(_datetime(value))
            elif s == types_pb2.DURATION:
                p.duration.FromTimedelta(parse_duration(value))
            elif s == types_pb2.STRUCT:  # dataclasses, pydantic models, dicts: msgpack, as flytekit writes them
                if not isinstance(value, (dict, list)):
                    raise bad
                lit.scalar.binary.value = msgpack.packb(_jsonable(value))
                lit.scalar.binary.tag = "msgpack"
            else:
                raise bad
        elif kind == "collection_type":
            if not isinstance(value, list):
                raise bad
            coll = lit.collection
            coll.SetInParent()
            for i, item in enumerate(value):
                coll.literals.append(literal_of(item, lt.collection_type, f"{where}[{i}]"))
        elif kind == "map_value_type":
            if not isinstance(value, dict):
                raise bad
            m = lit.map
            m.SetInParent()
            for k, item in value.items():
                m.literals[str(k)].CopyFrom(literal_of(item, lt.map_value_type, f"{where}[{k!r}]"))
        elif kind == "blob":
            if not isinstance(value, str) or not value.strip():
                raise bad
            lit.scalar.blob.uri = value.strip()
            lit.scalar.blob.metadata.type.CopyFrom(lt.blob)
        elif kind == "structured_dataset_type":
            if not isinstance(value, str) or not value.strip():
                raise bad
            lit.scalar.structured_dataset.uri = value.strip()
            lit.scalar.structured_dataset.metadata.structured_dataset_type.CopyFrom(lt.structured_dataset_type)
        elif kind == "enum_type":
            if value not in lt.enum_type.values:
                raise _Bad(f"{where}: expected one of {list(lt.enum_type.values)}, got {value!r}")
            lit.scalar.primitive.string_value = value
        elif kind == "union_type":
            for variant in lt.union_type.variants:
                try:
                    inner = literal_of(value, variant, where)
                except _Bad:
                    continue
                lit.scalar.union.value.CopyFrom(inner)
                lit.scalar.union.type.CopyFrom(variant)
                break
            else:
                raise bad
        else:
            raise bad
    except _Bad:
        raise
    except (ValueError, TypeError, OverflowError):
        raise bad from None
    return lit


def _read_text(text: str) -> Any:
    """JSON, else YAML (a superset for most values); ValueError with the parser's complaint."""
    try:
        return json.loads(text)
    except ValueError as json_error:
        try:
            import yaml

            return yaml.safe_load(text)
        except Exception:
            raise ValueError(f"not JSON or YAML ({json_error})") from None


async def parse_signal(text: str, lt: types_pb2.LiteralType, signal_id: str) -> literals_pb2.Literal:
    """The text typed into a signal's form as a literal of the signal's type, checked by the type engine;
    ValueError naming the signal, the expected type and what was given."""
    if lt.WhichOneof("type") == "simple" and lt.simple in (*_SIMPLE_FIELD, types_pb2.BOOLEAN):
        return rd.parse_value(text, lt, signal_id)
    expected = type_text(lt)
    shown = text if len(text) <= 200 else text[:200] + "…"
    try:
        if lt.WhichOneof("type") in _URI_KINDS:  # a URI (or a path under the raw prefix), as typed
            value: Any = text.strip()
        else:
            value = _read_text(text) if text.strip() else None
        lit = literal_of(value, lt)
    except ValueError as e:
        raise ValueError(f"signal {signal_id}: expected {expected}, got {shown!r}: {e}") from None
    from aioflyte.types.engine import TypeEngine

    try:
        py_type = TypeEngine.guess_python_type(lt)
    except Exception:  # no Python type for it: the literal's shape was checked above
        return lit
    try:
        await TypeEngine.async_to_python_value(None, lit, py_type)
    except Exception as e:
        raise ValueError(f"signal {signal_id}: expected {expected}, got {shown!r}: {e}") from None
    return lit


def _form(sid: str, action: str, lt: types_pb2.LiteralType) -> str:
    label = f'aria-label="value of {esc(sid)}"'
    if _is_simple_field(lt):
        hint = {types_pb2.DATETIME: "ISO 8601, e.g. 2024-05-01T12:00:00Z",
                types_pb2.DURATION: "seconds, or ISO 8601 like PT1H30M"}.get(lt.simple, type_text(lt))  # fmt: skip
        field = f'<input name="value" required {label} placeholder="{esc(hint)}">'
    elif lt.WhichOneof("type") in _URI_KINDS:  # a URI, or a file uploaded from the browser
        field = (f'<input name="value" {label} placeholder="{esc(type_text(lt))}: a URI, or upload"> '
                 f'<input type="file" name="file" aria-label="upload for {esc(sid)}">')  # fmt: skip
        return (f'<form method="post" action="{action}" class="toolbar" enctype="multipart/form-data">{field}'
                '<button class="primary" type="submit">Set input</button></form>')  # fmt: skip
    else:
        field = (f'<textarea name="value" rows="4" cols="48" {label} class="signal-value" '
                 f'placeholder="{esc(type_text(lt))} as JSON or YAML"></textarea>')  # fmt: skip
    return (f'<form method="post" action="{action}" class="toolbar">{field}'
            '<button class="primary" type="submit">Set input</button></form>')  # fmt: skip


async def signals_section(console: Console, ex: Any, here: str) -> str:
    """The execution's signals: each pending one with its form, each set one with its value."""
    if console.signals is None:
        return ""
    signals = await console.signals.list(ex.id, limit=200)
    if not signals:
        return ""
    rows = []
    for s in signals:
        sid = s.id.signal_id
        action = f"{here}/signals/{quote(sid, safe='')}"
        if s.HasField("value"):
            state = f"set: {await render_literal(s.value, console._link)}"
        elif s.type.WhichOneof("type") == "simple" and s.type.simple == types_pb2.BOOLEAN:
            state = (
                f'<form method="post" action="{action}" class="toolbar">'
                f'<button class="primary" name="value" value="true" type="submit">Approve</button>'
                f'<button class="danger" name="value" value="false" type="submit">Reject</button></form>'
            )
        else:
            state = _form(sid, action, s.type)
        pending = "" if s.HasField("value") else ' class="pending"'
        rows.append(
            f'<tr data-signal="{esc(sid)}"{pending}><td><code>{esc(sid)}</code></td>'
            f"<td>{esc(type_text(s.type))}</td><td>{state}</td></tr>"
        )
    return (
        '<section class="card" id="signals"><h2>Signals</h2><table><thead><tr><th>Signal</th><th>Type</th>'
        f"<th>Value</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


async def set_signal(console: Console, request: web.Request) -> web.StreamResponse:
    """The form's POST: set the signal, back to the execution's page with a message, or with the error."""
    key, ex = await console._execution(request)
    here = f"{ROOT}/projects/{quote(key[0])}/domains/{quote(key[1])}/executions/{quote(key[2])}"
    signal_id = request.match_info["signal"]
    form = await request.post()
    text = form_value(form, "value")
    upload = form.get("file")
    try:
        signal = await console.signals.get(ex.id, signal_id)
        if isinstance(upload, web.FileField) and upload.filename and signal.type.WhichOneof("type") in _URI_KINDS:
            text = await _store(console, key, upload)
        value = await parse_signal(text, signal.type, signal_id)
        await console.signals.set(ex.id, signal_id, value)
    except AdminError as e:
        raise console._back(here, error=e.message) from None
    except ValueError as e:
        raise console._back(here, error=str(e)) from None
    raise console._back(here, msg=f"signal {signal_id} set")


async def _store(console: Console, key: tuple[str, str, str], upload: web.FileField) -> str:
    """Keep a file uploaded for a signal under the raw prefix (beside the data proxy's uploads); its URI."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]) or "upload"
    rel = relative(UPLOADS, key[0], key[1], "console", secrets.token_hex(10), name.lstrip(".") or "upload")
    return str(await console.locations.write(rel, upload.file))
