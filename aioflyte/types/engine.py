"""TypeEngine: finds the transformer for a Python type and converts values to and from literals.

Transformers are async (``to_literal`` / ``to_python_value`` may stream blobs). Each transformer may also
offer a *local converter*: a plain function that returns the value exactly as a literal round trip would
(checked, coerced, copied) without building protobufs. The engine uses it for local runs, so that they pay no
serialization yet see the very values a run on a backend would.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import typing
from typing import Any, Callable, ClassVar, Generic, TypeVar

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError as TypeTransformerFailedError

T = TypeVar("T")

Literal = _lit.Literal
LiteralType = _types.LiteralType
LocalConverter = Callable[[Any], Any]


class HashMethod(Generic[T]):
    """``Annotated[T, HashMethod(fn)]``: the literal carries ``fn(value)`` as its hash (used for cache keys)."""

    def __init__(self, function: Callable[[T], str]) -> None:
        self._function = function

    def calculate(self, obj: T) -> str:
        return self._function(obj)


def type_name(t: Any) -> str:
    """A short readable name for a Python type (``int``, ``list[int]``, ``Optional[str]``)."""
    if isinstance(t, type) and not typing.get_args(t):
        return t.__qualname__
    s = repr(t)
    return s.replace("typing.", "")


def value_repr(v: Any, limit: int = 60) -> str:
    try:
        r = repr(v)
    except Exception:
        r = object.__repr__(v)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def mismatch(expected: Any, value: Any) -> TypeTransformerFailedError:
    return TypeTransformerFailedError(
        f"expected {type_name(expected)}, got {type(value).__name__} ({value_repr(value)})"
    )


class TypeTransformer(Generic[T]):
    """Base class of transformers. Subclasses implement ``get_literal_type``, ``to_literal``, ``to_python_value``.

    The signatures follow flytekit's (``ctx`` first), except that conversions are coroutines.
    """

    #: Receive ``Annotated[T, ...]`` types whole instead of ``T`` (for transformers whose annotations carry
    #: meaning, e.g. a dataset's columns and format); the engine still applies ``HashMethod`` itself.
    accepts_annotated: bool = False

    def __init__(self, name: str, t: type[T] | Any, enable_type_assertions: bool = True) -> None:
        self._name = name
        self._t = t
        self._type_assertions_enabled = enable_type_assertions

    @property
    def name(self) -> str:
        return self._name

    @property
    def python_type(self) -> Any:
        return self._t

    @property
    def type_assertions_enabled(self) -> bool:
        return self._type_assertions_enabled

    def assert_type(self, t: Any, v: Any) -> None:
        if not isinstance(v, t if isinstance(t, type) else self._t):
            raise mismatch(t, v)

    def get_literal_type(self, t: Any) -> LiteralType:
        raise NotImplementedError(f"{type(self).__name__} does not define get_literal_type")

    async def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: LiteralType) -> Literal:
        raise NotImplementedError(f"{type(self).__name__} does not define to_literal")

    async def to_python_value(self, ctx: Any, lv: Literal, expected_python_type: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define to_python_value")

    def guess_python_type(self, literal_type: LiteralType) -> Any:
        raise ValueError(f"{self._name} cannot guess a Python type for {literal_type}")

    def local_converter(self, t: Any) -> LocalConverter | None:
        """A sync function equivalent to a literal round trip of a value of type ``t``, or None (round trip).

        A converter that returns values of exactly one type unchanged may say so with an ``exact_type`` attribute
        (the engine then skips calling it for such values).
        """
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"


def _strip_annotated(t: Any) -> tuple[Any, tuple[Any, ...]]:
    if typing.get_origin(t) is typing.Annotated:
        args = typing.get_args(t)
        return args[0], tuple(args[1:])
    return t, ()


def _is_union(t: Any) -> bool:
    origin = typing.get_origin(t)
    if origin is typing.Union:
        return True
    uniontype = getattr(sys.modules.get("types"), "UnionType", None)
    return uniontype is not None and origin is uniontype


class TypeEngine:
    """Registry of transformers and the entry points for conversions (flytekit's names, async)."""

    _REGISTRY: ClassVar[dict[Any, TypeTransformer[Any]]] = {}
    _CACHE: ClassVar[dict[Any, TypeTransformer[Any]]] = {}
    _CONVERTERS: ClassVar[dict[Any, LocalConverter | None]] = {}
    _LT_CACHE: ClassVar[dict[Any, LiteralType]] = {}
    _defaults_loaded = False

    @classmethod
    def register(cls, transformer: TypeTransformer[Any], additional_types: list[Any] | None = None) -> None:
        """Register a transformer for its python type (and ``additional_types``); the newest one wins."""
        for t in [transformer.python_type, *(additional_types or [])]:
            cls._REGISTRY[t] = transformer
        cls._CACHE.clear()
        cls._CONVERTERS.clear()
        cls._LT_CACHE.clear()

    @classmethod
    def _load_defaults(cls) -> None:
        if cls._defaults_loaded:
            return
        cls._defaults_loaded = True
        from aioflyte.types import _builtin  # noqa: F401  (registers the built-in transformers)

    @classmethod
    def get_transformer(cls, python_type: Any) -> TypeTransformer[Any]:
        """The transformer for a Python type (Annotated is looked through; unknown types fall back to pickle)."""
        try:
            return cls._CACHE[python_type]
        except (KeyError, TypeError):
            pass
        cls._load_defaults()
        tr = cls._find(python_type)
        try:
            cls._CACHE[python_type] = tr
        except TypeError:
            pass
        return tr

    @classmethod
    def _find(cls, python_type: Any) -> TypeTransformer[Any]:
        from aioflyte.types import _builtin

        t, _ = _strip_annotated(python_type)
        try:
            found = cls._REGISTRY.get(t)
        except TypeError:  # unhashable, e.g. list[Annotated[pd.DataFrame, kwtypes(a=int)]]
            found = None
        if found is not None:
            return found
        if _is_union(t):
            return _builtin.UNION
        origin = typing.get_origin(t)
        if origin is not None:
            if origin in cls._REGISTRY:
                return cls._REGISTRY[origin]
            if origin is typing.Literal:
                return _builtin.pickle_for(t)
        if isinstance(t, type):
            if dataclasses.is_dataclass(t):
                return cls._REGISTRY.get("dataclass") or _builtin.DATACLASS
            if issubclass(t, enum.Enum):
                return _builtin.ENUM
            pyd = sys.modules.get("pydantic")
            if pyd is not None and issubclass(t, pyd.BaseModel):
                return _builtin.pydantic_transformer()
            for base in t.__mro__[1:]:
                if base in cls._REGISTRY and base is not object:
                    return cls._REGISTRY[base]
        if t is typing.Any:
            return _builtin.pickle_for(t)
        return _builtin.pickle_for(t)

    @classmethod
    def to_literal_type(cls, python_type: Any) -> LiteralType:
        """The literal type of a Python type (a fresh message: callers may modify it)."""
        try:
            cached = cls._LT_CACHE[python_type]
        except (KeyError, TypeError):
            tr = cls.get_transformer(python_type)
            t, _ = _strip_annotated(python_type)
            cached = tr.get_literal_type(python_type if tr.accepts_annotated else t)
            try:
                cls._LT_CACHE[python_type] = cached
            except TypeError:
                pass
        lt = LiteralType()
        lt.CopyFrom(cached)
        return lt

    @classmethod
    async def to_literal(
        cls, ctx: Any, python_val: Any, python_type: Any, expected: LiteralType | None = None
    ) -> Literal:
        """Convert a Python value to a literal of ``python_type`` (a ``TypeTransformerFailedError`` if it can't)."""
        t, meta = _strip_annotated(python_type)
        tr = cls.get_transformer(t)
        target = python_type if tr.accepts_annotated else t
        if expected is None:
            expected = cls.to_literal_type(target)
        lit = await tr.to_literal(ctx, python_val, target, expected)
        for m in meta:
            if isinstance(m, HashMethod):
                lit.hash = m.calculate(python_val)
        return lit

    @classmethod
    async def to_python_value(cls, ctx: Any, lv: Literal, expected_python_type: Any) -> Any:
        t, _ = _strip_annotated(expected_python_type)
        tr = cls.get_transformer(t)
        return await tr.to_python_value(ctx, lv, expected_python_type if tr.accepts_annotated else t)

    @classmethod
    def local_converter(cls, python_type: Any) -> LocalConverter | None:
        """A sync converter equivalent to a literal round trip for this type, or None if it needs the trip."""
        try:
            return cls._CONVERTERS[python_type]
        except (KeyError, TypeError):
            pass
        t, meta = _strip_annotated(python_type)
        conv = None if meta else cls.get_transformer(t).local_converter(t)
        try:
            cls._CONVERTERS[python_type] = conv
        except TypeError:
            pass
        return conv

    @classmethod
    async def local_round_trip(cls, ctx: Any, value: Any, python_type: Any) -> Any:
        """The value as the receiving side of a literal round trip sees it (fast path where provably equal)."""
        conv = cls.local_converter(python_type)
        if conv is not None:
            return conv(value)
        lit = await cls.to_literal(ctx, value, python_type)
        return await cls.to_python_value(ctx, lit, python_type)

    @classmethod
    def guess_python_type(cls, flyte_type: LiteralType) -> Any:
        """A Python type for a literal type (for entities fetched from a backend)."""
        cls._load_defaults()
        from aioflyte.types import _builtin

        return _builtin.guess_python_type(flyte_type)

    @classmethod
    async def dict_to_literal_map(
        cls, ctx: Any, d: dict[str, Any], type_hints: dict[str, Any] | None = None
    ) -> _lit.LiteralMap:
        type_hints = type_hints or {}
        out = _lit.LiteralMap()
        for k, v in d.items():
            t = type_hints.get(k) or type(v)
            out.literals[k].CopyFrom(await cls.to_literal(ctx, v, t))
        return out

    @classmethod
    async def literal_map_to_kwargs(cls, ctx: Any, lm: _lit.LiteralMap, python_types: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for k, t in python_types.items():
            if k in lm.literals:
                out[k] = await cls.to_python_value(ctx, lm.literals[k], t)
        return out
