"""The base of flytekit's model classes: ``FlyteIdlEntity`` (``aioflyte.models.common`` exports it, as flytekit does).

A model class is a frozen dataclass over one flyteidl message. It declares its fields in flytekit's constructor
order and names its message; ``to_flyte_idl`` and ``from_flyte_idl`` are derived from the two:

    class Blob(FlyteIdlEntity, idl="flyteidl.core.literals_pb2:Blob"):
        metadata: BlobMetadata
        uri: str

Each field is converted by what its annotation and the message's field say: a model class converts through its own
``to_flyte_idl``/``from_flyte_idl`` (a flyteidl message given in its place is used as is), ``datetime`` and
``timedelta`` through ``Timestamp`` and ``Duration``, ``dict`` over a ``Struct`` through JSON, ``dict[str, str]``
over repeated ``KeyValuePair`` as pairs, an ``IntEnum`` by number; anything else passes through unchanged (so does
a field whose annotation names something imported only for type checking, such as a flyteidl class). Lists and
maps follow the message's repeated and map fields. An unset message field (or an unset ``oneof``/``optional``
scalar) reads as ``None``. The class keywords adjust that to flytekit's reading of a few fields: ``rename``
(attribute -> message field), ``always`` (an unset message field reads as its empty model, not ``None``),
``none_if_empty`` (an empty value reads as ``None``), ``unset_if_empty`` (an empty value is not written) and
``custom`` (fields the class converts itself). ``frozen=False`` for the classes flytekit gives setters.

The messages are named as ``"module:Qualified.Name"`` strings and imported on first use, so importing a model
module does not import protobuf.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import importlib
import inspect
import os
import sys
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, NamedTuple, Self, dataclass_transform


def _check_type(owner: str, name: str, value: Any, expected: type, optional: bool = True) -> None:
    """Raise TypeError naming the class, the parameter, the expected and the actual type."""
    if (value is None and optional) or isinstance(value, expected):
        return
    want = expected.__name__ + (" or None" if optional else "")
    raise TypeError(f"{owner}: parameter {name!r} expects {want}, got {type(value).__name__} ({value!r})")


# ---- conversions of one element (a field's value, or one item of a list or map field) ----


def _model_to(value: Any) -> Any:
    """A model's message; anything with ``to_flyte_idl`` converts itself, and a message is used as is."""
    to_idl = getattr(value, "to_flyte_idl", None)
    return to_idl() if to_idl is not None else value


def _timestamp_to(value: Any) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    if not isinstance(value, _dt.datetime):
        return value
    if value.tzinfo is not None:  # naive datetimes are UTC already
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def _timestamp_from(pb: Any) -> _dt.datetime:
    return pb.ToDatetime().replace(tzinfo=_dt.timezone.utc)


def _duration_to(value: Any) -> Any:
    from google.protobuf.duration_pb2 import Duration

    if not isinstance(value, _dt.timedelta):
        return value
    d = Duration()
    d.FromTimedelta(value)
    return d


def _duration_from(pb: Any) -> _dt.timedelta:
    return typing.cast(_dt.timedelta, pb.ToTimedelta())


def _struct_to(value: Any) -> Any:
    """A JSON-able dict as a ``Struct`` (through JSON text, so numbers become doubles as Struct keeps them)."""
    import json

    from google.protobuf import json_format, struct_pb2

    if not isinstance(value, dict):
        return value
    return json_format.Parse(json.dumps(value), struct_pb2.Struct())


def _struct_from(pb: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    return typing.cast(dict[str, Any], json_format.MessageToDict(pb))


def _enum_from(enum_cls: type[enum.IntEnum]) -> Callable[[int], int]:
    def read(value: int) -> int:
        try:
            return enum_cls(value)
        except ValueError:  # a number newer than this enum: keep it
            return value

    return read


class _Field(NamedTuple):
    """How one attribute maps to its message field."""

    attr: str
    pb: str
    shape: str  # "one", "list", "map" or "pairs" (dict[str, str] over repeated KeyValuePair)
    to: Callable[[Any], Any] | None  # one element to its message form (None: as is)
    read: Callable[[Any], Any] | None  # one element from its message form (None: as is)
    presence: bool  # a singular field that can be unset (message, oneof or optional scalar)
    always: bool
    none_if_empty: bool
    unset_if_empty: bool


def _resolve(path: str) -> Any:
    module, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _hint(cls: type, name: str) -> Any:
    """The evaluated annotation of field ``name``, or ``None`` when it names something not importable now."""
    for owner in cls.__mro__:
        annotation = inspect.get_annotations(owner).get(name)
        if annotation is None:
            continue
        if not isinstance(annotation, str):
            return annotation
        scope = {k: v for k, v in vars(owner).items() if isinstance(v, type)}  # nested classes, not defaults
        scope[owner.__name__] = owner
        try:
            return eval(annotation, vars(sys.modules[owner.__module__]), scope)  # our own classes' annotations
        except (NameError, AttributeError):
            return None
    return None


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if args else None
    return hint


def _element(hint: Any, shape: str) -> Any:
    """The type of one element: ``X`` of ``X | None``, ``list[X]``, ``dict[str, X]``."""
    hint = _strip_optional(hint)
    if shape in ("list", "map") and typing.get_origin(hint) in (list, dict, tuple):
        hint = _strip_optional(typing.get_args(hint)[-1])
    return hint


def _converters(hint: Any, message: str | None) -> tuple[Callable[[Any], Any] | None, Callable[[Any], Any] | None]:
    if isinstance(hint, type) and issubclass(hint, FlyteIdlEntity):
        return _model_to, hint.from_flyte_idl
    if isinstance(hint, type) and issubclass(hint, enum.IntEnum):
        return None, _enum_from(hint)
    if message == "google.protobuf.Timestamp" and hint is _dt.datetime:
        return _timestamp_to, _timestamp_from
    if message == "google.protobuf.Duration" and hint is _dt.timedelta:
        return _duration_to, _duration_from
    if message == "google.protobuf.Struct" and (hint is dict or typing.get_origin(hint) is dict):
        return _struct_to, _struct_from
    return None, None


# ---- the short rendering of a message (str() of a model) ----


def _scalar_text(fd: Any, value: Any) -> str:
    if fd.enum_type is not None:
        number = fd.enum_type.values_by_number.get(value)
        return number.name if number is not None else str(value)
    text = repr(value) if isinstance(value, (str, bytes)) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _render(message: Any, indent: int) -> list[str]:
    """A YAML-like outline of the fields set in ``message``."""
    pad = " " * indent
    lines: list[str] = []
    for fd, value in message.ListFields():
        entry = fd.message_type is not None and fd.message_type.GetOptions().map_entry
        if entry:
            value_fd = fd.message_type.fields_by_name["value"]
            lines.append(f"{pad}{fd.name}:")
            for key in sorted(value):
                item = value[key]
                if value_fd.message_type is not None:
                    lines += [f"{pad}  {key}:", *_render(item, indent + 4)]
                else:
                    lines.append(f"{pad}  {key}: {_scalar_text(value_fd, item)}")
        elif fd.is_repeated:
            lines.append(f"{pad}{fd.name}:")
            for item in value:
                if fd.message_type is not None:
                    inner = _render(item, indent + 4) or [f"{pad}    {{}}"]
                    lines += [f"{pad}  - {inner[0].lstrip()}", *inner[1:]]
                else:
                    lines.append(f"{pad}  - {_scalar_text(fd, item)}")
        elif fd.message_type is not None:
            lines += [f"{pad}{fd.name}:", *(_render(value, indent + 2) or [f"{pad}  {{}}"])]
        else:
            lines.append(f"{pad}{fd.name}: {_scalar_text(fd, value)}")
    return lines


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
class FlyteIdlEntity:
    """The base of the model classes: a Python object with ``to_flyte_idl()`` and ``from_flyte_idl()``.

    Two models are equal when their messages are, and a model also equals its own flyteidl message
    (``Literal(...) == literals_pb2.Literal(...)``). A model hashes by its deterministic serialization. ``str()``
    is ``short_string()``, an outline of the message; ``repr()`` names the fields that are set.
    A class that names no message (``idl=``) is a plain subclass: it writes its own ``__init__`` and
    ``to_flyte_idl``/``from_flyte_idl``, as plugin models written for flytekit do.
    """

    _idl_path: ClassVar[str] = ""
    _renamed: ClassVar[dict[str, str]] = {}
    _custom: ClassVar[frozenset[str]] = frozenset()
    _always: ClassVar[frozenset[str]] = frozenset()
    _none_if_empty: ClassVar[frozenset[str]] = frozenset()
    _unset_if_empty: ClassVar[frozenset[str]] = frozenset()
    _idl_class: ClassVar[Any] = None  # per class (read from the class's own __dict__): the resolved message class
    _field_plan: ClassVar[tuple[_Field, ...] | None] = None  # per class: how each field converts

    def __init_subclass__(
        cls,
        *,
        idl: str | None = None,
        frozen: bool = True,
        rename: dict[str, str] | None = None,
        custom: Iterable[str] = (),
        always: Iterable[str] = (),
        none_if_empty: Iterable[str] = (),
        unset_if_empty: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if idl is None:
            return
        cls._idl_path = idl
        cls._renamed = dict(rename or {})
        cls._custom = frozenset(custom)
        cls._always = frozenset(always)
        cls._none_if_empty = frozenset(none_if_empty)
        cls._unset_if_empty = frozenset(unset_if_empty)
        dataclasses.dataclass(cls, frozen=frozen, eq=False, repr=False)

    # ---- the message and the generic conversion ----

    @classmethod
    def _idl(cls) -> Any:
        """The flyteidl message class (imported on first use)."""
        found = cls.__dict__.get("_idl_class")
        if found is None:
            if not cls._idl_path:
                raise NotImplementedError(f"{cls.__name__} names no flyteidl message: define to_flyte_idl")
            found = _resolve(cls._idl_path)
            cls._idl_class = found
        return found

    @classmethod
    def _fields(cls) -> tuple[_Field, ...]:
        found = cls.__dict__.get("_field_plan")
        if found is not None:
            return typing.cast(tuple[_Field, ...], found)
        descriptor = cls._idl().DESCRIPTOR
        plan = []
        for f in dataclasses.fields(typing.cast(Any, cls)):
            if f.name in cls._custom:
                continue
            pb_name = cls._renamed.get(f.name, f.name)
            fd = descriptor.fields_by_name.get(pb_name)
            if fd is None:
                raise TypeError(f"{cls.__name__}.{f.name}: {descriptor.full_name} has no field {pb_name!r}")
            element_fd = fd
            if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
                shape, element_fd = "map", fd.message_type.fields_by_name["value"]
            elif fd.is_repeated:
                pairs = fd.message_type is not None and fd.message_type.full_name == "flyteidl.core.KeyValuePair"
                shape = "pairs" if pairs else "list"
            else:
                shape = "one"
            message = element_fd.message_type.full_name if element_fd.message_type is not None else None
            to, read = _converters(_element(_hint(cls, f.name), shape), message)
            plan.append(
                _Field(
                    f.name,
                    pb_name,
                    shape,
                    to,
                    read,
                    shape == "one" and fd.has_presence,
                    f.name in cls._always,
                    f.name in cls._none_if_empty,
                    f.name in cls._unset_if_empty,
                )
            )
        found = tuple(plan)
        cls._field_plan = found
        return found

    def _to_kwargs(self) -> dict[str, Any]:
        """The message constructor's keyword arguments for the declared fields (``None`` ones left out)."""
        out: dict[str, Any] = {}
        for f in self._fields():
            value = getattr(self, f.attr)
            if value is None or (f.unset_if_empty and not value):
                continue
            to = f.to
            if f.shape == "one":
                value = to(value) if to else value
            elif f.shape == "list":
                value = [to(v) for v in value] if to else list(value)
            elif f.shape == "map":
                value = {k: to(v) for k, v in value.items()} if to else dict(value)
            else:
                value = [{"key": k, "value": v} for k, v in value.items()]
            if value is not None:
                out[f.pb] = value
        return out

    @classmethod
    def _from_kwargs(cls, pb: Any) -> dict[str, Any]:
        """The constructor's keyword arguments read from message ``pb`` for the declared fields."""
        out: dict[str, Any] = {}
        for f in cls._fields():
            value = getattr(pb, f.pb)
            read = f.read
            if f.shape == "one":
                if f.presence and not f.always and not pb.HasField(f.pb):
                    value = None
                elif read is not None:
                    value = read(value)
            elif f.shape == "list":
                value = [read(v) for v in value] if read else list(value)
            elif f.shape == "map":
                value = {k: read(v) for k, v in value.items()} if read else dict(value)
            else:
                value = {kv.key: kv.value for kv in value}
            out[f.attr] = None if f.none_if_empty and not value else value
        return out

    def to_flyte_idl(self) -> Any:
        """The flyteidl message of this object."""
        return self._idl()(**self._to_kwargs())

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> Self:
        """The object of flyteidl message ``pb``."""
        return cls(**cls._from_kwargs(pb))

    # ---- flytekit's FlyteIdlEntity API ----

    def _serialized(self) -> bytes:
        pb = self.to_flyte_idl()
        return b"" if pb is None else typing.cast(bytes, pb.SerializeToString(deterministic=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FlyteIdlEntity):
            return bool(self.to_flyte_idl() == other.to_flyte_idl())
        from google.protobuf.message import Message

        if isinstance(other, Message):
            return bool(self.to_flyte_idl() == other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._serialized())

    def __repr__(self) -> str:
        if not dataclasses.is_dataclass(self):
            return object.__repr__(self)
        values = ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in values if v is not None)})"

    def __str__(self) -> str:
        return self.short_string()

    def short_string(self) -> str:
        """A header naming the class, then a YAML-like outline of the fields set in the message."""
        pb = self.to_flyte_idl()
        lines = _render(pb, 2) if pb is not None else []
        return os.linesep.join([f"Flyte Serialized object ({type(self).__name__}):", *lines])

    def serialize_to_string(self) -> bytes:
        """The serialized message (``bytes``; flytekit's annotation says ``str``, its value is bytes too)."""
        pb = self.to_flyte_idl()
        return b"" if pb is None else typing.cast(bytes, pb.SerializeToString())

    @property
    def is_empty(self) -> bool:
        """True when the message serializes to nothing (every field at its default)."""
        return len(self.serialize_to_string()) == 0

    def _repr_html_(self) -> str:
        pb = self.to_flyte_idl()
        body = "\n".join(_render(pb, 0)) if pb is not None else ""
        return f"<h4>{type(self).__name__}</h4><pre>{body}</pre>"


class FlyteCustomIdlEntity(FlyteIdlEntity):
    """A model whose message is a ``Struct``: subclasses define ``to_dict()`` and ``from_dict(idl_dict)``."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must define to_dict()")

    @classmethod
    def from_dict(cls, idl_dict: dict[str, Any]) -> Self:
        raise NotImplementedError(f"{cls.__name__} must define from_dict(idl_dict)")

    def to_flyte_idl(self) -> Any:
        return _struct_to(self.to_dict())

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> Self:
        return cls.from_dict(_struct_from(pb))


__all__ = ["FlyteCustomIdlEntity", "FlyteIdlEntity"]
