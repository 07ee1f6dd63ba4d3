"""Flyte's raw-container data protocol (what flytepropeller and its copilot sidecar do around a ``ContainerTask``),
on flyteidl literals, shared by the local engine and ``aioflyte serve``:

* ``render``: ``{{.inputs.x}}`` in the command and arguments becomes the input's value as propeller writes it
  (integers and booleans as Go prints them, floats as Go's ``%v``, datetimes in RFC 3339, a blob as its URI, a list
  as ``[a,b]``);
* ``write_inputs``: the input directory gets one file per input named after it (a primitive as text, a blob
  copied in, a list as a folder of ``0``, ``1``, ...), ``inputs.pb`` (the literal map, blobs pointing at their
  copies) and ``inputs.json`` or ``inputs.yaml`` per the metadata format, as copilot's downloader writes them;
* ``read_outputs``: each output is read from the file named after it in the output directory (a primitive as text,
  whitespace-trimmed, parsed per its type; a blob output is the file or directory there); a ``_ERROR`` file there
  fails the task with its text, as copilot's uploader does.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import functools
import json
import math
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from flyteidl.core import literals_pb2, types_pb2
from google.protobuf import json_format, struct_pb2

from aioflyte.exceptions import ContainerProtocolError as ContainerProtocolError
from aioflyte.exceptions import ContainerUserError as ContainerUserError
from aioflyte.io.provider import run_blocking

#: The file in the output directory whose text fails the task (copilot's ``_ERROR``).
ERROR_FILE = "_ERROR"
#: Copilot refuses primitive output files larger than this.
MAX_PRIMITIVE_SIZE = 1024

_INPUT_VAR = re.compile(r"(?i){{\s*[\.$]Inputs\.(?P<name>[^}\s]+)\s*}}")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


# --- values as text ----------------------------------------------------------------------------------------------


def _float_digits(x: float) -> tuple[int, tuple[int, ...], int]:
    """(sign, shortest round-tripping digits, exponent) of a finite float."""
    d = decimal.Decimal(repr(x)).normalize()
    sign, digits, exp = d.as_tuple()
    return sign, digits, int(exp)


def go_float_f(x: float) -> str:
    """Go's ``strconv.FormatFloat(x, 'f', -1, 64)``: the shortest digits, never an exponent (copilot's files)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return format(decimal.Decimal(repr(x)).normalize(), "f")


def go_float_v(x: float) -> str:
    """Go's ``fmt.Sprintf("%v", x)``: the shortest digits, an exponent below 1e-4 and from 1e6 (propeller's
    templates)."""
    if math.isnan(x) or math.isinf(x):
        return go_float_f(x)
    sign, digits, exp = _float_digits(x)
    if digits == (0,):
        return "-0" if sign else "0"
    nd = len(digits)
    point = nd + exp  # the decimal point's position in the digits
    e = point - 1
    neg = "-" if sign else ""
    if e < -4 or e >= 6:
        mant = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if nd > 1 else "")
        return f"{neg}{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"
    return neg + format(decimal.Decimal((0, digits, exp)), "f")


def go_timestamp(ts: Any) -> str:
    """A protobuf ``Timestamp`` in RFC 3339 with nanoseconds, trailing zeros trimmed, in UTC (Go's RFC3339Nano)."""
    dt = _EPOCH + datetime.timedelta(seconds=ts.seconds)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if ts.nanos:
        text += "." + f"{ts.nanos:09d}".rstrip("0")
    return text + "Z"


def _frac(v: int, prec: int) -> str:
    whole, part = divmod(v, 10**prec)
    digits = f"{part:0{prec}d}".rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


def go_duration(total_ns: int) -> str:
    """Go's ``time.Duration.String()``: ``1h2m3.5s``, ``250ms``, ``0s``."""
    if total_ns == 0:
        return "0s"
    neg = "-" if total_ns < 0 else ""
    u = abs(total_ns)
    if u < 1_000_000_000:
        if u < 1_000:
            return f"{neg}{u}ns"
        if u < 1_000_000:
            return f"{neg}{_frac(u, 3)}µs"
        return f"{neg}{_frac(u, 6)}ms"
    minutes, secs_ns = divmod(u, 60_000_000_000)
    text = _frac(secs_ns, 9) + "s"
    if minutes:
        hours, mins = divmod(minutes, 60)
        text = f"{mins}m" + text
        if hours:
            text = f"{hours}h" + text
    return neg + text


_GO_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9}
_GO_UNITS["h"] = 3600 * 10**9
_GO_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_PY_TIMEDELTA = re.compile(
    r"^(-?\d+) days?, (\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$|^(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$"
)


def parse_duration(text: str) -> datetime.timedelta:
    """Go's ``time.ParseDuration`` (``1h30m``, ``-1.5h``, ``300ms``), or Python's ``str(timedelta)`` form."""
    m = _PY_TIMEDELTA.match(text)
    if m:
        days, h, mi, s, f = (m.group(1), m.group(2), m.group(3), m.group(4), m.group(5))
        if days is None:
            h, mi, s, f = m.group(6), m.group(7), m.group(8), m.group(9)
        us = int((f or "0").ljust(6, "0"))
        return datetime.timedelta(days=int(days or 0), hours=int(h), minutes=int(mi), seconds=int(s), microseconds=us)
    body, neg = text, False
    if body[:1] in "+-":
        neg, body = body[0] == "-", body[1:]
    if body == "0":
        return datetime.timedelta(0)
    total, pos = decimal.Decimal(0), 0
    for m2 in _GO_DURATION.finditer(body):
        if m2.start() != pos or m2.group(1) in ("", "."):
            break
        total += decimal.Decimal(m2.group(1)) * _GO_UNITS[m2.group(2)]
        pos = m2.end()
    if pos != len(body) or not body:
        raise ValueError(f"not a duration: {text!r} (write e.g. 300ms, 1.5h, 2h45m, or H:MM:SS)")
    ns = int(total)
    return datetime.timedelta(microseconds=(-ns if neg else ns) / 1000)


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$"
)


def parse_datetime(text: str) -> tuple[int, int]:
    """(seconds, nanos) since the epoch of an RFC 3339 time (no offset: UTC, as Python's ``isoformat`` writes)."""
    m = _RFC3339.match(text)
    if not m:
        raise ValueError(f"not an RFC 3339 date-time: {text!r} (write e.g. 2024-01-02T03:04:05Z)")
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    nanos = int((m.group(7) or "0").ljust(9, "0"))
    tz = datetime.timezone.utc
    if m.group(9):
        off = datetime.timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        tz = datetime.timezone(off if m.group(9) == "+" else -off)
    dt = datetime.datetime(y, mo, d, h, mi, s, tzinfo=tz)
    return int((dt - _EPOCH).total_seconds()), nanos


def _unwrap(lit: literals_pb2.Literal) -> literals_pb2.Literal:
    while lit.WhichOneof("value") == "scalar" and lit.scalar.WhichOneof("value") == "union":
        lit = lit.scalar.union.value
    return lit


def render_literal(lit: literals_pb2.Literal) -> str:
    """An input's value in a command line, as propeller renders ``{{.inputs.x}}``."""
    lit = _unwrap(lit)
    kind = lit.WhichOneof("value")
    if kind == "collection":
        return "[" + ",".join(render_literal(x) for x in lit.collection.literals) + "]"
    if kind == "scalar":
        sc = lit.scalar
        sk = sc.WhichOneof("value")
        if sk == "primitive":
            p = sc.primitive
            pk = p.WhichOneof("value")
            if pk == "integer":
                return str(p.integer)
            if pk == "boolean":
                return "true" if p.boolean else "false"
            if pk == "float_value":
                return go_float_v(p.float_value)
            if pk == "string_value":
                return p.string_value
            if pk == "datetime":
                return go_timestamp(p.datetime)
            if pk == "duration":
                return go_duration(p.duration.seconds * 10**9 + p.duration.nanos)
        if sk == "blob":
            return sc.blob.uri
        if sk == "schema":
            return sc.schema.uri
        raise ValueError(f"a {sk or 'empty'} value cannot be written into a command line")
    raise ValueError(f"a {kind or 'empty'} literal cannot be written into a command line (only values and lists)")


def render(args: list[str], inputs: literals_pb2.LiteralMap, entity: str) -> list[str]:
    """``args`` with every ``{{.inputs.x}}`` (any case, spaces inside the braces allowed) replaced by x's value."""
    out = []
    for arg in args:

        def value(m: re.Match[str]) -> str:
            name = m.group("name")
            if name not in inputs.literals:
                raise ContainerProtocolError(
                    f"{entity}: the command refers to input {name!r} ({m.group(0)}), which the task does not have"
                    f" (inputs: {', '.join(sorted(inputs.literals)) or 'none'})"
                )
            try:
                return render_literal(inputs.literals[name])
            except ValueError as e:
                raise ContainerProtocolError(f"{entity}: input {name!r} in {m.group(0)}: {e}") from None

        out.append(_INPUT_VAR.sub(value, arg))
    return out


# --- inputs: literals -> files ----------------------------------------------------------------------------------

#: ``fetch(uri, local_path, is_dir)``: copy a blob's data to a local path.
Fetch = Callable[[str, str, bool], Awaitable[None]]


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _primitive_text_and_value(p: literals_pb2.Primitive) -> tuple[str, Any]:
    pk = p.WhichOneof("value")
    if pk == "string_value":
        return p.string_value, p.string_value
    if pk == "boolean":
        return ("true" if p.boolean else "false"), p.boolean
    if pk == "integer":
        return str(p.integer), p.integer
    if pk == "float_value":
        return go_float_f(p.float_value), p.float_value
    if pk == "datetime":
        t = go_timestamp(p.datetime)
        return t, t
    if pk == "duration":
        ns = p.duration.seconds * 10**9 + p.duration.nanos
        return go_duration(ns), ns
    return "null", None


class _Writer:
    def __init__(self, fetch: Fetch, visible: Callable[[str], str], entity: str) -> None:
        self.fetch = fetch
        self.visible = visible  # a host path as the command sees it
        self.entity = entity

    async def literal(self, lit: literals_pb2.Literal, path: str, name: str) -> tuple[Any, literals_pb2.Literal]:
        """(the JSON value, the literal as ``inputs.pb`` holds it) of one input, its file(s) written at ``path``."""
        lit = _unwrap(lit)
        kind = lit.WhichOneof("value")
        if kind == "collection":
            await run_blocking(functools.partial(os.makedirs, path, exist_ok=True))
            values, out = [], literals_pb2.Literal()
            out.collection.SetInParent()
            for i, item in enumerate(lit.collection.literals):
                v, li = await self.literal(item, os.path.join(path, str(i)), name)
                values.append(v)
                out.collection.literals.append(li)
            return values, out
        if kind == "map":
            await run_blocking(functools.partial(os.makedirs, path, exist_ok=True))
            obj, out = {}, literals_pb2.Literal()
            out.map.SetInParent()
            for k, item in lit.map.literals.items():
                v, li = await self.literal(item, os.path.join(path, k), name)
                obj[k] = v
                out.map.literals[k].CopyFrom(li)
            return obj, out
        if kind != "scalar":
            raise ContainerProtocolError(f"{self.entity}: input {name!r}: a {kind or 'empty'} value cannot be a file")
        sc = lit.scalar
        sk = sc.WhichOneof("value")
        if sk == "primitive":
            text, value = _primitive_text_and_value(sc.primitive)
            await run_blocking(_write, path, text.encode())
            return value, lit
        if sk in ("blob", "schema"):
            uri = sc.blob.uri if sk == "blob" else sc.schema.uri
            is_dir = sk == "schema" or sc.blob.metadata.type.dimensionality == types_pb2.BlobType.MULTIPART
            await self.fetch(uri, path, is_dir)
            out = literals_pb2.Literal()
            out.CopyFrom(lit)
            if sk == "blob":
                out.scalar.blob.uri = self.visible(path)
            else:
                out.scalar.schema.uri = self.visible(path)
            return self.visible(path), out
        if sk == "binary":
            await run_blocking(_write, path, sc.binary.value)
            return base64.b64encode(sc.binary.value).decode(), lit
        if sk == "error":
            await run_blocking(_write, path, sc.error.message.encode())
            return sc.error.message, lit
        if sk == "generic":
            text = json_format.MessageToJson(sc.generic, indent=None)
            await run_blocking(_write, path, text.encode())
            return json.loads(text), lit
        if sk == "none_type":
            await run_blocking(_write, path, b"null")
            return None, lit
        raise ContainerProtocolError(
            f"{self.entity}: input {name!r}: a {sk or 'empty'} value cannot be passed to a raw container "
            "(values, files, directories, lists and dicts of them can)"
        )


async def write_inputs(
    inputs: literals_pb2.LiteralMap,
    directory: str,
    metadata_format: int,
    fetch: Fetch,
    entity: str,
    visible: Callable[[str], str] = lambda p: p,
) -> literals_pb2.LiteralMap:
    """Write ``inputs`` into ``directory`` as copilot does; the literal map written to ``inputs.pb``.

    ``visible`` maps a path in ``directory`` to the path the command sees (inside a container: under its
    ``input_data_dir``); blobs in ``inputs.pb`` and ``inputs.json`` point there.
    """
    from flyteidl.core import tasks_pb2

    await run_blocking(functools.partial(os.makedirs, directory, exist_ok=True))
    w = _Writer(fetch, visible, entity)
    values: dict[str, Any] = {}
    local = literals_pb2.LiteralMap()
    for name, lit in inputs.literals.items():
        v, li = await w.literal(lit, os.path.join(directory, name), name)
        values[name] = v
        local.literals[name].CopyFrom(li)
    files = {"inputs.pb": local.SerializeToString()}
    if metadata_format == tasks_pb2.DataLoadingConfig.JSON:
        files["inputs.json"] = json.dumps(values).encode()
    elif metadata_format == tasks_pb2.DataLoadingConfig.YAML:
        import yaml

        files["inputs.yaml"] = yaml.safe_dump(values).encode()
    for name, data in files.items():
        await run_blocking(_write, os.path.join(directory, name), data)
    return local


# --- outputs: files -> literals ---------------------------------------------------------------------------------

#: ``store(local_path, name, is_dir)``: where a blob output's data is kept; its URI.
Store = Callable[[str, str, bool], Awaitable[str]]

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def _simple(t: int, text: str) -> literals_pb2.Literal:
    """A simple type's literal from a file's text (copilot's ``MakeLiteralForSimpleType``; spaces trimmed)."""
    s = text.strip(" \n\t")
    lit = literals_pb2.Literal()
    sc = lit.scalar
    st = types_pb2.SimpleType
    if t == st.INTEGER:
        if not re.fullmatch(r"[+-]?\d+", s):
            raise ValueError(f"not an integer: {s!r}")
        sc.primitive.integer = int(s)
    elif t == st.FLOAT:
        sc.primitive.float_value = float(s)
    elif t == st.STRING:
        sc.primitive.string_value = s
    elif t == st.BOOLEAN:
        if s not in _TRUE | _FALSE:
            raise ValueError(f"not a boolean: {s!r} (write true or false)")
        sc.primitive.boolean = s in _TRUE
    elif t == st.DATETIME:
        secs, nanos = parse_datetime(s)
        sc.primitive.datetime.seconds, sc.primitive.datetime.nanos = secs, nanos
    elif t == st.DURATION:
        sc.primitive.duration.FromTimedelta(parse_duration(s))
    elif t == st.STRUCT:
        st_msg = struct_pb2.Struct()
        json_format.Parse(s, st_msg)
        sc.generic.CopyFrom(st_msg)
    elif t == st.BINARY:
        sc.binary.value = s.encode()
    elif t == st.NONE:
        sc.none_type.SetInParent()
    elif t == st.ERROR:
        sc.error.message = s
    else:
        raise ValueError(f"unsupported simple type {types_pb2.SimpleType.Name(t)}")
    return lit


def check_error_file(directory: str, entity: str) -> None:
    """Raise ``ContainerUserError`` with the text of ``_ERROR`` when the command wrote one."""
    path = os.path.join(directory, ERROR_FILE)
    if not os.path.lexists(path):
        return
    if os.path.isdir(path):
        raise ContainerProtocolError(f"{entity}: {path} is a directory (the error file must be a file)")
    with open(path, "rb") as f:
        text = f.read(1024 * 1024 + 1)
    if len(text) > 1024 * 1024:
        raise ContainerProtocolError(f"{entity}: the error file {path} is larger than 1 MiB")
    raise ContainerUserError(f"{entity} failed: {text.decode(errors='replace').strip()}")


def _read_output(name: str, lt: types_pb2.LiteralType, path: str, entity: str) -> literals_pb2.Literal | bool:
    """A simple output's literal read from ``path``; for a blob output, whether ``path`` is a directory."""
    kind = lt.WhichOneof("type")
    if kind == "blob":
        multipart = lt.blob.dimensionality == types_pb2.BlobType.MULTIPART
        if not os.path.exists(path):
            what = "a directory" if multipart else "a file"
            raise ContainerProtocolError(f"{entity}: output {name!r} expected {what} at {path}, found nothing")
        is_dir = os.path.isdir(path)
        if is_dir != multipart:
            raise ContainerProtocolError(
                f"{entity}: output {name!r} expected {'a directory' if multipart else 'a file'} at {path}, "
                f"found {'a directory' if is_dir else 'a file'}"
            )
        return is_dir
    if kind != "simple":
        raise ContainerProtocolError(
            f"{entity}: output {name!r}: a raw container's outputs are values (int, float, str, bool, datetime, "
            f"timedelta, JSON objects), files and directories; this one is a {kind or 'untyped'} type"
        )
    simple = types_pb2.SimpleType.Name(lt.simple)
    if not os.path.isfile(path):
        found = "a directory" if os.path.isdir(path) else "nothing"
        raise ContainerProtocolError(f"{entity}: output {name!r} ({simple}) expected a file at {path}, found {found}")
    size = os.path.getsize(path)
    if size > MAX_PRIMITIVE_SIZE:
        raise ContainerProtocolError(
            f"{entity}: output {name!r}: a value's file may hold at most {MAX_PRIMITIVE_SIZE} bytes, {path} has {size}"
        )
    text = Path(path).read_bytes().decode(errors="replace")
    try:
        return _simple(lt.simple, text)
    except (ValueError, json_format.ParseError) as e:
        raise ContainerProtocolError(
            f"{entity}: output {name!r} expected {simple}, the file {path} holds {text.strip()[:200]!r}: {e}"
        ) from None


async def read_outputs(
    outputs: dict[str, types_pb2.LiteralType], directory: str, store: Store, entity: str
) -> literals_pb2.LiteralMap:
    """The outputs the command left in ``directory`` (a ``_ERROR`` file there fails the task with its text)."""
    await run_blocking(check_error_file, directory, entity)
    out = literals_pb2.LiteralMap()
    for name, lt in outputs.items():
        path = os.path.join(directory, name)
        found = await run_blocking(_read_output, name, lt, path, entity)
        if isinstance(found, bool):  # a blob: its data goes where ``store`` keeps it
            lit = out.literals[name]
            lit.scalar.blob.uri = await store(path, name, found)
            lit.scalar.blob.metadata.type.CopyFrom(lt.blob)
        else:
            out.literals[name].CopyFrom(found)
    return out


# --- host paths and container paths -----------------------------------------------------------------------------


def rewrite_paths(args: list[str], mapping: dict[str, str]) -> list[str]:
    """``args`` with each container directory in ``mapping`` replaced by its host directory wherever it starts a
    path (followed by ``/``, the end, or a character that cannot be part of a path name)."""
    pairs = [(os.path.normpath(c), h) for c, h in mapping.items() if c]
    if not pairs:
        return list(args)
    pairs.sort(key=lambda p: -len(p[0]))  # the longest first: /var/inputs2 before /var/inputs
    pattern = re.compile("|".join(r"(?<![\w./-])" + re.escape(c) + r"(?=/|$|[^\w.-])" for c, _ in pairs))
    hosts = dict(pairs)
    return [pattern.sub(lambda m: hosts[m.group(0)], a) for a in args]


__all__ = [
    "ERROR_FILE",
    "ContainerProtocolError",
    "ContainerUserError",
    "check_error_file",
    "go_duration",
    "go_float_f",
    "go_float_v",
    "go_timestamp",
    "parse_datetime",
    "parse_duration",
    "read_outputs",
    "render",
    "render_literal",
    "rewrite_paths",
    "write_inputs",
]
