"""Per-type codecs between Python values and msgpack-ready data (dataclasses and typed dicts on the wire).

The encoding is flytekit's (mashumaro's msgpack dialect): dataclasses are maps in field order, enums their
value, datetimes/dates/times ISO strings, timedeltas seconds, sets and tuples arrays, ``Any`` passes through.
Encoders check types as they go; decoders rebuild the declared types. Both are compiled once per type.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime
import enum
import sys
import types
import typing
from typing import Any, AsyncIterator, Callable, Collection

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.types.engine import type_name, value_repr

Codec = Callable[[Any], Any]
_NoneType = type(None)
_MISSING = dataclasses.MISSING


class CodecError(TypeTransformerFailedError):
    """A value does not fit its declared type; ``path`` says where (``.field``, ``[0]``, ``['key']``)."""

    def __init__(self, reason: str, path: tuple[str, ...] = (), *, no_schema: bool = False) -> None:
        self.reason = reason
        self.path = path
        self.no_schema = no_schema  # the type has no JSON schema, so a record holding it has none either
        where = "".join(path)
        super().__init__(f"{where.lstrip('.')}: {reason}" if where else reason)

    def at(self, step: str) -> CodecError:
        return CodecError(self.reason, (step, *self.path))

    def under(self, root: str) -> TypeTransformerFailedError:
        """The error as seen from a named root (``Outer.inner.a: expected int, got str ('x')``)."""
        return TypeTransformerFailedError(f"{root}{''.join(self.path)}: {self.reason}")


def _wrong(t: Any, v: Any) -> CodecError:
    return CodecError(f"expected {type_name(t)}, got {type(v).__name__} ({value_repr(v)})")


def strip(t: Any) -> Any:
    """Look through ``Annotated`` and ``NewType``."""
    while True:
        if typing.get_origin(t) is typing.Annotated:
            t = typing.get_args(t)[0]
        elif hasattr(t, "__supertype__"):
            t = t.__supertype__
        else:
            return t


def is_union(t: Any) -> bool:
    origin = typing.get_origin(t)
    return origin is typing.Union or origin is types.UnionType


def field_types(cls: type) -> list[tuple[dataclasses.Field[Any], Any]]:
    """The fields of a dataclass with their resolved types (string annotations evaluated)."""
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as e:
        hints = {}
        unresolved: Exception | None = e
    else:
        unresolved = None
    out = []
    for f in dataclasses.fields(cls):
        t = hints.get(f.name, f.type)
        if isinstance(t, str):
            raise TypeTransformerFailedError(
                f"cannot resolve the type {t!r} of {cls.__qualname__}.{f.name}: {unresolved}"
            )
        out.append((f, t))
    return out


# ---------------------------------------------------------------------------------------------------- Any


def _plain_key(k: Any) -> Any:
    if type(k) in (str, int, float, bool, bytes) or k is None:
        return k
    raise CodecError(f"dict key {value_repr(k)} ({type(k).__name__}) cannot be stored; use str or int keys")


def plain(v: Any) -> Any:
    """A fresh msgpack-ready copy of an untyped value (tuples become lists); anything else is an error."""
    tv = type(v)
    if tv is str or tv is int or tv is float or tv is bool or v is None or tv is bytes:
        return v
    if tv is list or tv is tuple:
        return [plain(x) for x in v]
    if tv is dict:
        return {_plain_key(k): plain(x) for k, x in v.items()}
    # Subclasses (str/int enums included) are stored as their plain value, as msgpack itself would.
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, int):
        return bool(v) if isinstance(v, bool) else int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {_plain_key(k): plain(x) for k, x in v.items()}
    raise CodecError(
        f"a {tv.__name__} ({value_repr(v)}) cannot be stored untyped; declare its type (e.g. in a dataclass)"
    )


def _identity(v: Any) -> Any:
    return v


# ---------------------------------------------------------------------------------------------------- scalars


def _check(t: type, ok: Callable[[Any], bool], conv: Codec) -> Codec:
    def codec(v: Any) -> Any:
        if ok(v):
            return conv(v)
        raise _wrong(t, v)

    return codec


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_date(v: Any) -> bool:
    return isinstance(v, datetime.date) and not isinstance(v, datetime.datetime)


def _from_iso(t: type, parse: Callable[[str], Any]) -> Codec:
    def codec(v: Any) -> Any:
        if isinstance(v, str):
            try:
                return parse(v)
            except ValueError as e:
                raise CodecError(f"expected an ISO {t.__name__} string, got {v!r}: {e}") from None
        raise _wrong(t, v)

    return codec


_SCALAR_ENC: dict[Any, Codec] = {
    int: _check(int, _is_int, int),
    float: _check(float, _is_number, float),
    str: _check(str, lambda v: isinstance(v, str), str.__str__),  # a str enum member gives its value
    bool: _check(bool, lambda v: isinstance(v, bool), bool),
    _NoneType: _check(_NoneType, lambda v: v is None, lambda v: None),
    bytes: _check(bytes, lambda v: isinstance(v, (bytes, bytearray, memoryview)), bytes),
    datetime.datetime: _check(datetime.datetime, lambda v: isinstance(v, datetime.datetime), lambda v: v.isoformat()),
    datetime.date: _check(datetime.date, _is_date, lambda v: v.isoformat()),
    datetime.time: _check(datetime.time, lambda v: isinstance(v, datetime.time), lambda v: v.isoformat()),
    datetime.timedelta: _check(
        datetime.timedelta, lambda v: isinstance(v, datetime.timedelta), lambda v: v.total_seconds()
    ),
}
_SCALAR_DEC: dict[Any, Codec] = {
    **{t: _SCALAR_ENC[t] for t in (int, float, str, bool, _NoneType, bytes)},
    datetime.datetime: _from_iso(datetime.datetime, datetime.datetime.fromisoformat),
    datetime.date: _from_iso(datetime.date, datetime.date.fromisoformat),
    datetime.time: _from_iso(datetime.time, datetime.time.fromisoformat),
    datetime.timedelta: _check(datetime.timedelta, _is_number, lambda v: datetime.timedelta(seconds=v)),
}

_ENC_CACHE: dict[Any, Codec] = {}
_DEC_CACHE: dict[Any, Codec] = {}


def encoder(t: Any) -> Codec:
    """The (cached) function turning a value of type ``t`` into msgpack-ready data, checking its type."""
    return _cached(_ENC_CACHE, t, True)


def decoder(t: Any) -> Codec:
    """The (cached) function turning msgpack data back into a value of type ``t``, checking its shape."""
    return _cached(_DEC_CACHE, t, False)


def _cached(cache: dict[Any, Codec], t: Any, enc: bool) -> Codec:
    try:
        return cache[t]
    except (KeyError, TypeError):
        pass
    fn = _build(t, enc, cache)
    try:
        cache[t] = fn
    except TypeError:
        pass
    return fn


def _build(t: Any, enc: bool, cache: dict[Any, Codec], strategies: Strategies | None = None) -> Codec:
    t = strip(t)
    if strategies:
        own = _strategy_codec(strategies.get(t), enc)
        if own is not None:
            return own
    if t is Any or t is object:
        return plain if enc else _identity
    table = _SCALAR_ENC if enc else _SCALAR_DEC
    if t in table:
        return table[t]
    sub: Callable[[Any], Codec] = encoder if enc else decoder
    if strategies:  # a dataclass's own strategies reach into containers of its fields, not into other records

        def sub(a: Any) -> Codec:
            return _build(a, enc, cache, strategies) if not _is_record(a) else _cached(cache, strip(a), enc)

    origin, args = typing.get_origin(t), typing.get_args(t)
    if is_union(t):
        return _union(t, [(a, sub(a)) for a in args])
    if origin is typing.Literal:
        return _literal(t, args, enc)
    if t in (list, tuple, set, frozenset) or origin in (list, tuple, set, frozenset):
        return _sequence(t, origin or t, args, sub, enc)
    if t is dict or origin is dict:
        key_t, val_t = args or (Any, Any)
        key = _plain_key if enc and strip(key_t) in (Any, object) else sub(key_t)
        return _mapping(t, key, sub(val_t))
    if isinstance(t, type):
        if _is_record_type(t):
            return _record_type(t, enc)
        if is_serializable_type(t):
            return _serializable_type(t, enc)
        if dataclasses.is_dataclass(t):
            return _dataclass(t, enc, cache)
        if issubclass(t, enum.Enum):
            return _enum(t, enc)
    raise CodecError(f"type {type_name(t)} has no msgpack form; use dataclasses, primitives, or containers")


def _union(t: Any, variants: list[tuple[Any, Codec]]) -> Codec:
    def codec(v: Any) -> Any:
        tv = type(v)
        ordered = [c for a, c in variants if a is tv] + [c for a, c in variants if a is not tv]
        for c in ordered:
            try:
                return c(v)
            except CodecError:
                continue
        raise _wrong(t, v)

    return codec


def _literal(t: Any, values: tuple[Any, ...], enc: bool) -> Codec:
    wire = [(x, x.value if isinstance(x, enum.Enum) else x) for x in values]

    def codec(v: Any) -> Any:
        for x, w in wire:
            if (v is x or (v == x and type(v) is type(x))) if enc else (v == w and type(v) is type(w)):
                return plain(w) if enc else x
        raise CodecError(f"expected one of {list(values)!r}, got {value_repr(v)}")

    return codec


def _sequence(t: Any, origin: Any, args: tuple[Any, ...], sub: Callable[[Any], Codec], enc: bool) -> Codec:
    if not enc:
        accepted: tuple[type[Collection[Any]], ...] = (list, tuple)
    elif origin is tuple:
        accepted = (tuple, list)
    else:
        accepted = (set, frozenset) if origin in (set, frozenset) else (list,)
    build: Callable[[Any], Any] = list if enc else origin
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis) and args != ((),):
        items = [sub(a) for a in args]

        def fixed(v: Any) -> Any:
            if not isinstance(v, accepted) or len(v) != len(items):
                raise _wrong(t, v)
            return build(_each(items, v))

        return fixed
    item = sub(args[0]) if args and args[0] != () else (plain if enc else _identity)

    def codec(v: Any) -> Any:
        if not isinstance(v, accepted):
            raise _wrong(t, v)
        return build(_each([item] * len(v), v))

    return codec


def _each(codecs: list[Codec], v: Any) -> list[Any]:
    out = []
    for i, (c, x) in enumerate(zip(codecs, v, strict=True)):
        try:
            out.append(c(x))
        except CodecError as e:
            raise e.at(f"[{i}]") from None
    return out


def _mapping(t: Any, key: Codec, val: Codec) -> Codec:
    def codec(v: Any) -> Any:
        if not isinstance(v, dict):
            raise _wrong(t, v)
        out = {}
        for k, x in v.items():
            try:
                out[key(k)] = val(x)
            except CodecError as e:
                raise e.at(f"[{k!r}]") from None
        return out

    return codec


def _enum(t: type[enum.Enum], enc: bool) -> Codec:
    def codec(v: Any) -> Any:
        if isinstance(v, t):
            return plain(v.value) if enc else v
        if not isinstance(v, enum.Enum):
            try:
                member = t(v)
            except (ValueError, TypeError):
                raise CodecError(f"{value_repr(v)} is not a value of enum {t.__qualname__}") from None
            return plain(member.value) if enc else member
        raise _wrong(t, v)

    return codec


def _dataclass(cls: type, enc: bool, cache: dict[Any, Codec]) -> Codec:
    # A forwarding stub in the cache lets recursive dataclasses (trees) refer to themselves while being built.
    cell: list[Codec] = []
    before = set(cache)
    cache[cls] = lambda v: cell[0](v)
    strategies = class_strategies(cls)
    try:
        spec = []
        for f, ft in field_types(cls):
            try:
                own = _strategy_codec(field_strategy(f), enc)
                if own is None:
                    if strategies and not _is_record(ft):
                        own = _build(ft, enc, cache, strategies)
                    else:
                        own = (encoder if enc else decoder)(ft)
                spec.append((f.name, own, f))
            except CodecError as e:
                raise e.at("." + f.name).under(cls.__qualname__) from None
    except BaseException:
        for key in set(cache) - before:  # nothing built on the unfinished stub may stay cached
            del cache[key]
        raise
    fn = _dataclass_encoder(cls, spec) if enc else _dataclass_decoder(cls, spec)
    cell.append(fn)
    return fn


def _dataclass_encoder(cls: type, spec: list[tuple[str, Codec, dataclasses.Field[Any]]]) -> Codec:
    names = {name for name, _, _ in spec}

    def codec(v: Any) -> Any:
        if not isinstance(v, cls):
            # A look-alike (the same dataclass guessed from a remote interface) is accepted by its fields.
            if not (dataclasses.is_dataclass(v) and {f.name for f in dataclasses.fields(v)} == names):
                raise _wrong(cls, v)
        out = {}
        for name, c, _ in spec:
            try:
                out[name] = c(getattr(v, name))
            except CodecError as e:
                raise e.at("." + name) from None
        return out

    return codec


def _dataclass_decoder(cls: type, spec: list[tuple[str, Codec, dataclasses.Field[Any]]]) -> Codec:
    def codec(d: Any) -> Any:
        if type(d) is not dict:
            raise CodecError(f"expected a map for {cls.__name__}, got {type(d).__name__} ({value_repr(d)})")
        init: dict[str, Any] = {}
        late: dict[str, Any] = {}
        for name, c, f in spec:
            if name in d:
                try:
                    value = c(d[name])
                except CodecError as e:
                    raise e.at("." + name) from None
                (init if f.init else late)[name] = value
            elif f.default is _MISSING and f.default_factory is _MISSING:
                raise CodecError(f"missing required field {name!r}")
        try:
            obj = cls(**init)
        except (TypeError, ValueError) as e:
            raise CodecError(f"{cls.__qualname__}(...) failed: {e}") from e
        for name, value in late.items():
            object.__setattr__(obj, name, value)
        return obj

    return codec


# ---------------------------------------------------------------------------------------------------- mashumaro options
# Dataclasses written for mashumaro (flytekit encodes every dataclass with it) may say how values are stored:
# ``class Config: serialization_strategy = {type: strategy}`` for the class's fields of that type (also inside their
# containers, not inside other dataclasses), a field's own ``metadata`` (``serialize`` / ``deserialize`` callables
# or a ``serialization_strategy``, as ``mashumaro.field_options`` writes it), and ``SerializableType`` classes
# (``_serialize`` / ``_deserialize``). A strategy is an object with ``serialize`` / ``deserialize`` methods or a dict
# of those two callables. mashumaro itself is not needed: these are read from the classes.

Strategies = dict[Any, Any]


def class_strategies(cls: type) -> Strategies:
    """The ``Config.serialization_strategy`` of a dataclass, by (stripped) type."""
    config = cls.__dict__.get("Config") or getattr(cls, "Config", None)
    found = getattr(config, "serialization_strategy", None)
    return {strip(k): v for k, v in found.items()} if isinstance(found, dict) else {}


def field_strategy(f: dataclasses.Field[Any]) -> Any:
    """A field's own strategy from its metadata (None: the class's, or the type's, applies)."""
    meta = f.metadata
    strategy = meta.get("serialization_strategy")
    if strategy is not None:
        return strategy
    if meta.get("serialize") is not None or meta.get("deserialize") is not None:
        return {"serialize": meta.get("serialize"), "deserialize": meta.get("deserialize")}
    return None


def strategy_function(strategy: Any, enc: bool) -> Callable[[Any], Any] | None:
    """The function of a strategy for one direction (None when it has none for it)."""
    name = "serialize" if enc else "deserialize"
    fn = strategy.get(name) if isinstance(strategy, dict) else getattr(strategy, name, None)
    return fn if callable(fn) else None


def _strategy_codec(strategy: Any, enc: bool) -> Codec | None:
    if strategy is None:
        return None
    fn = strategy_function(strategy, enc)
    if fn is None:
        return None

    def codec(v: Any) -> Any:
        try:
            out = fn(v)
        except (TypeError, ValueError) as e:
            raise CodecError(f"the serialization strategy failed on {value_repr(v)}: {e}") from None
        return plain(out) if enc else out

    return codec


def is_serializable_type(t: Any) -> bool:
    """A ``mashumaro.types.SerializableType`` subclass (only defined when the user's code imported mashumaro)."""
    mashumaro_types = sys.modules.get("mashumaro.types")
    base = getattr(mashumaro_types, "SerializableType", None)
    return base is not None and isinstance(t, type) and issubclass(t, base) and t is not base


def _serializable_type(t: Any, enc: bool) -> Codec:
    if enc:

        def encode(v: Any) -> Any:
            if not isinstance(v, t):
                raise _wrong(t, v)
            return plain(v._serialize())

        return encode

    def decode(d: Any) -> Any:
        try:
            return t._deserialize(d)
        except (TypeError, ValueError) as e:
            raise CodecError(f"{t.__qualname__}._deserialize failed on {value_repr(d)}: {e}") from None

    return decode


def _is_record(t: Any) -> bool:
    t = strip(t)
    return isinstance(t, type) and dataclasses.is_dataclass(t)


# ---------------------------------------------------------------------------------------------------- stored objects
# Classes that say how they are stored in a record (FlyteFile, FlyteDirectory): ``_record_encode(v, uri)``,
# ``_record_decode(data)``, ``_record_schema()``, and ``await obj._record_publish()`` which uploads a local
# object and returns its URI. Records holding them are published (uploaded) before they are encoded.

_PUBLISHED: contextvars.ContextVar[dict[int, str] | None] = contextvars.ContextVar("aioflyte_published", default=None)
_NEEDS_IO: dict[Any, bool] = {}


def _is_record_type(t: type) -> bool:
    return hasattr(t, "_record_decode") and hasattr(t, "_record_encode")


def _record_type(t: Any, enc: bool) -> Codec:
    if enc:

        def encode(v: Any) -> Any:
            published = _PUBLISHED.get()
            try:
                return t._record_encode(v, published.get(id(v)) if published else None)
            except (TypeError, ValueError) as e:
                raise CodecError(str(e)) from None

        return encode

    def decode(d: Any) -> Any:
        try:
            return t._record_decode(d)
        except (TypeError, ValueError) as e:
            raise CodecError(str(e)) from None

    return decode


def needs_io(t: Any) -> bool:
    """Whether values of ``t`` can hold objects that must be uploaded (files, directories) when stored."""
    try:
        return _NEEDS_IO[t]
    except (KeyError, TypeError):
        pass
    found = _needs_io(t, set())
    try:
        _NEEDS_IO[t] = found
    except TypeError:
        pass
    return found


def _needs_io(t: Any, seen: set[Any]) -> bool:
    t = strip(t)
    if isinstance(t, type) and hasattr(t, "_record_publish"):
        return True
    if typing.get_origin(t) is typing.Literal:
        return False
    args = typing.get_args(t)
    if args:
        return any(_needs_io(a, seen) for a in args if a is not Ellipsis and a != ())
    if isinstance(t, type) and dataclasses.is_dataclass(t):
        if t in seen:
            return False
        seen.add(t)
        return any(_needs_io(ft, seen) for _, ft in field_types(t))
    if isinstance(t, type) and _is_pydantic_model(t):
        if t in seen:
            return False
        seen.add(t)
        fields: dict[str, Any] = getattr(t, "model_fields", {})
        return any(_needs_io(info.annotation, seen) for info in fields.values())
    return False


def _is_pydantic_model(t: type) -> bool:
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and issubclass(t, pydantic.BaseModel)


def _collect(v: Any, out: list[Any], seen: set[int]) -> None:
    if id(v) in seen:
        return
    seen.add(id(v))
    if hasattr(type(v), "_record_publish"):
        out.append(v)
    elif isinstance(v, (list, tuple, set, frozenset)):
        for x in v:
            _collect(x, out, seen)
    elif isinstance(v, dict):
        for x in v.values():
            _collect(x, out, seen)
    elif dataclasses.is_dataclass(v) and not isinstance(v, type):
        for f in dataclasses.fields(v):
            _collect(getattr(v, f.name, None), out, seen)
    elif _is_pydantic_model(type(v)):
        for name in type(v).model_fields:
            _collect(getattr(v, name, None), out, seen)


@contextlib.asynccontextmanager
async def published(value: Any) -> AsyncIterator[None]:
    """Upload the local files and directories inside ``value`` (bounded), so encoding writes their URIs."""
    found: list[Any] = []
    _collect(value, found, set())
    if not found:
        yield
        return
    from aioflyte.types.containers import bounded_map

    uris = await bounded_map(lambda o: o._record_publish(), found)
    token = _PUBLISHED.set({**(_PUBLISHED.get() or {}), **{id(o): u for o, u in zip(found, uris)}})
    try:
        yield
    finally:
        _PUBLISHED.reset(token)
