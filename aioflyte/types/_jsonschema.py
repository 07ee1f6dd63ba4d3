"""JSON schemas of dataclasses in the shape flytekit emits (mashumaro's), and dataclasses rebuilt from schemas."""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime
import enum
import json
import types
import typing
from typing import Any

from aioflyte.types import _codec

_FORMATS = {
    datetime.datetime: "date-time",
    datetime.date: "date",
    datetime.time: "time",
}
_SIMPLE: dict[Any, dict[str, Any]] = {
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    bytes: {"type": "string", "format": "base64"},
    bytearray: {"type": "string", "format": "base64"},
    datetime.timedelta: {"type": "number", "format": "time-delta"},
    **{t: {"type": "string", "format": f} for t, f in _FORMATS.items()},
}


def schema_of(cls: type) -> dict[str, Any] | None:
    """The JSON schema of a dataclass: nested dataclasses inlined, ``$defs``/``$ref`` only for recursion (None when
    a field's type has no schema)."""
    defs: dict[str, Any] = {}
    try:
        schema = _schema(cls, defs, set())
    except _codec.CodecError as e:
        if e.no_schema:  # a SerializableType field: the record has no schema, as in flytekit (no metadata)
            return None
        raise
    if defs:
        schema = {**schema, "$defs": defs}
    return schema


def _strategy_schema(strategy: Any, defs: dict[str, Any], building: set[type]) -> dict[str, Any]:
    """What a serialization strategy writes, by the return annotation of its ``serialize`` (else anything)."""
    fn = _codec.strategy_function(strategy, True)
    try:
        ret = typing.get_type_hints(fn).get("return") if fn is not None else None
    except Exception:  # an annotation that does not resolve: say nothing about the value
        ret = None
    return _schema(ret, defs, building) if ret is not None else {}


def _schema(
    t: Any, defs: dict[str, Any], building: set[type], strategies: _codec.Strategies | None = None
) -> dict[str, Any]:
    t = _codec.strip(t)
    if strategies and t in strategies:
        return _strategy_schema(strategies[t], defs, building)
    if strategies and not (isinstance(t, type) and dataclasses.is_dataclass(t)):
        inner = strategies

        def sub(a: Any, defs: dict[str, Any], building: set[type]) -> dict[str, Any]:
            return _schema(a, defs, building, inner)

    else:

        def sub(a: Any, defs: dict[str, Any], building: set[type]) -> dict[str, Any]:
            return _schema(a, defs, building)

    if t is Any or t is object:
        return {}
    if t in _SIMPLE:
        return dict(_SIMPLE[t])
    origin, args = typing.get_origin(t), typing.get_args(t)
    if _codec.is_union(t):
        return {"anyOf": [sub(a, defs, building) for a in args]}
    if origin is typing.Literal:
        values = [_codec.plain(a.value if isinstance(a, enum.Enum) else a) for a in args]
        return {"const": values[0]} if len(values) == 1 else {"enum": values}
    if t is list or origin is list:
        return _array(sub(args[0] if args else Any, defs, building))
    if t in (set, frozenset) or origin in (set, frozenset):
        return {**_array(sub(args[0] if args else Any, defs, building)), "uniqueItems": True}
    if t is tuple or origin is tuple:
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return _array(sub(args[0] if args else Any, defs, building))
        n = len(args)
        items = [sub(a, defs, building) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": n, "maxItems": n}
    if t is dict or origin is dict:
        out: dict[str, Any] = {"type": "object"}
        if args:
            value, key = sub(args[1], defs, building), sub(args[0], defs, building)
            if value:
                out["additionalProperties"] = value
            if key:
                out["propertyNames"] = key
        return out
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return {"enum": [_codec.plain(m.value) for m in t]}
    if isinstance(t, type) and hasattr(t, "_record_schema"):  # FlyteFile, FlyteDirectory: their own record form
        return t._record_schema()
    if _codec.is_serializable_type(t):
        raise _codec.CodecError(f"{type_repr(t)} (a SerializableType) has no JSON schema", no_schema=True)
    if isinstance(t, type) and dataclasses.is_dataclass(t):
        return _record(t, defs, building)
    raise _codec.CodecError(f"type {t!r} has no JSON schema")


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items} if items else {"type": "array"}


def type_repr(t: Any) -> str:
    return getattr(t, "__qualname__", None) or repr(t)


def _record(cls: type, defs: dict[str, Any], building: set[type]) -> dict[str, Any]:
    name = cls.__name__
    if cls in building:
        defs.setdefault(name, {})
        return {"$ref": f"#/$defs/{name}"}
    building.add(cls)
    strategies = _codec.class_strategies(cls)
    try:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for f, ft in _codec.field_types(cls):
            own = _codec.field_strategy(f)
            if own is not None:
                fs = _strategy_schema(own, defs, building)
            else:
                fs = _schema(ft, defs, building, strategies)
            if f.default is not dataclasses.MISSING:
                fs["default"] = json_default(ft, f.default, strategies)  # by the class's strategies, as mashumaro
            if f.metadata.get("description"):
                fs["description"] = f.metadata["description"]
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
            properties[f.name] = fs
    finally:
        building.discard(cls)
    schema: dict[str, Any] = {"type": "object", "title": name, "additionalProperties": False}
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    if name in defs:  # it refers to itself: keep the body in $defs
        defs[name] = schema
        return {"$ref": f"#/$defs/{name}"}
    return schema


def _json_safe(v: Any) -> Any:
    if isinstance(v, bytes):
        return base64.encodebytes(v).decode()
    if isinstance(v, list):
        return [_json_safe(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    return v


def json_default(t: Any, value: Any, strategies: _codec.Strategies | None = None) -> Any:
    """A field default as JSON (ISO dates, enum values, base64 bytes, nested dataclasses as objects)."""
    try:
        if strategies:
            return _json_safe(_codec._build(t, True, _codec._ENC_CACHE, strategies)(value))
        return _json_safe(_codec.encoder(t)(value))
    except _codec.CodecError:
        try:
            return _json_safe(_codec.plain(value))
        except _codec.CodecError:
            return None


# ---------------------------------------------------------------------------------------------- schema -> type

_GUESSED: dict[str, type] = {}


def dataclass_from_schema(schema: dict[str, Any]) -> type:
    """A dataclass with the fields a schema describes (one class per distinct schema, so repeated guesses agree)."""
    key = json.dumps(schema, sort_keys=True, default=str)
    cls = _GUESSED.get(key)
    if cls is None:
        try:
            t = _guess(schema, schema.get("$defs") or schema.get("definitions") or {}, {})
        except (TypeError, ValueError) as e:  # e.g. property names that are not identifiers
            raise ValueError(f"no dataclass can be built from the schema: {e}") from e
        if not (isinstance(t, type) and dataclasses.is_dataclass(t)):
            raise ValueError("the schema does not describe an object with properties")
        cls = _GUESSED[key] = t
    return cls


def _guess(s: dict[str, Any], defs: dict[str, Any], seen: dict[str, Any]) -> Any:
    if "$ref" in s:
        name = s["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen[name] = Any  # a recursive reference resolves to Any
            seen[name] = _guess(defs.get(name, {}), defs, seen)
        return seen[name]
    for key in ("anyOf", "oneOf"):
        if key in s:
            variants = tuple(dict.fromkeys(_guess(v, defs, seen) for v in s[key]))
            return typing.Union[variants] if len(variants) > 1 else variants[0]
    if "enum" in s:
        values = s["enum"]
        if all(isinstance(v, str) for v in values):
            try:
                return enum.Enum(str(s.get("title", "GuessedEnum")), [(v, v) for v in values])
            except (ValueError, TypeError):  # values that cannot be member names (e.g. "_x"): plain strings
                return str
        return typing.Literal.__getitem__(tuple(values))  # Literal[values], the values known at run time only
    if "const" in s:
        return type(s["const"])
    kind, fmt = s.get("type"), s.get("format")
    if isinstance(kind, list):
        return _guess({"anyOf": [{**s, "type": k} for k in kind]}, defs, seen)
    if kind == "integer":
        return int
    if kind == "number":
        return datetime.timedelta if fmt == "time-delta" else float
    if kind == "boolean":
        return bool
    if kind == "null":
        return type(None)
    if kind == "string":
        by_format = {v: k for k, v in _FORMATS.items()}
        return bytes if fmt == "base64" else by_format.get(fmt or "", str)
    if kind == "array":
        if "prefixItems" in s:
            # tuple[...] and list[...] of types known at run time only
            return types.GenericAlias(tuple, tuple(_guess(x, defs, seen) for x in s["prefixItems"]))
        return types.GenericAlias(list, (_guess(s.get("items", {}), defs, seen),))
    if kind == "object":
        stored = _stored_class(s)
        if stored is not None:
            return stored
        if "properties" in s or ("title" in s and not isinstance(s.get("additionalProperties"), dict)):
            return _make_dataclass(s, defs, seen)
        if isinstance(s.get("additionalProperties"), dict):
            key = _guess(s.get("propertyNames", {"type": "string"}), defs, seen)
            return types.GenericAlias(dict, (key, _guess(s["additionalProperties"], defs, seen)))
        return dict
    return Any


def _stored_class(s: dict[str, Any]) -> Any:
    """FlyteFile / FlyteDirectory for their record schemas (flytekit's titles and ``path`` property)."""
    title, props = s.get("title"), set(s.get("properties", {}))
    if title == "FlyteFile" and "path" in props and props <= {"path", "metadata"}:
        from aioflyte.types.file import FlyteFile

        return FlyteFile
    if title == "FlyteDirectory" and props == {"path"}:
        from aioflyte.types.directory import FlyteDirectory

        return FlyteDirectory
    if title == "StructuredDataset" and props == {"uri", "file_format"}:
        from aioflyte.types.structured import StructuredDataset

        return StructuredDataset
    return None


def _make_dataclass(s: dict[str, Any], defs: dict[str, Any], seen: dict[str, Any]) -> type:
    required = set(s.get("required", []))
    specs: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, fs in s.get("properties", {}).items():
        ft = _guess(fs, defs, seen)
        if name in required:
            specs.append((name, ft))
        elif "default" in fs:
            specs.append((name, ft, _default_field(ft, fs["default"])))
        else:  # not required and no default (a default factory upstream): an empty value or None
            origin = typing.get_origin(ft) or ft
            if origin in (list, dict):
                specs.append((name, ft, dataclasses.field(default_factory=origin)))
            else:
                specs.append((name, typing.Union[ft, None], dataclasses.field(default=None)))
    title = str(s.get("title") or "GuessedDataclass")
    name = title if title.isidentifier() else "GuessedDataclass"
    cls = dataclasses.make_dataclass(name, specs, kw_only=True)
    cls.__module__ = "aioflyte.types.guessed"
    return cls


def _default_field(t: Any, raw: Any) -> Any:
    try:
        value = _codec.decoder(t)(_codec.plain(raw))
    except _codec.CodecError:
        value = raw
    if isinstance(value, (list, dict, set)) or dataclasses.is_dataclass(value):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(value))
    return dataclasses.field(default=value)
