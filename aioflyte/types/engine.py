"""TypeEngine: finds the transformer for a Python type and converts values to and from literals.

Conversions are async underneath (they may stream blobs): each has an async form (``async_to_literal``) and
flytekit's sync one (``to_literal``: the result outside a running loop, the coroutine on a loop's thread).
Transformers may be written in flytekit's sync or async form or in aioflyte's (see ``TypeTransformer``; the
adapter for flytekit's model objects and context is ``_compat``). Each transformer may also offer a *local
converter*: a plain function that returns the value exactly as a literal round trip would (checked, coerced,
copied) without building protobufs. The engine uses it for local runs, so that they pay no serialization yet see
the very values a run on a backend would.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import sys
import typing
from typing import Any, Callable, ClassVar, Generic, TypeVar

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.exceptions import TypeTransformerFailedError as TypeTransformerFailedError
from aioflyte.types import _compat

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
    """Base class of transformers: ``get_literal_type``, ``to_literal`` and ``to_python_value`` (flytekit's names).

    Conversions come in either of flytekit's forms or in aioflyte's:

    - ``async def to_literal(...)`` / ``async def to_python_value(...)`` (aioflyte's form): they take and return
      flyteidl messages and run on the loop;
    - ``def to_literal(...)`` / ``def to_python_value(...)`` (flytekit's ``TypeTransformer``): they get flytekit's
      model objects and a ``FlyteContext``, run in a worker thread (they may block) and may return model objects;
    - ``async def async_to_literal(...)`` / ``async def async_to_python_value(...)`` (flytekit's
      ``AsyncTypeTransformer``): on the loop, with model objects and a context.

    Whichever form a class defines, both names work on it: ``await tr.async_to_literal(...)`` anywhere, and
    ``tr.to_literal(...)`` returns the literal when called outside a running loop (flytekit's sync form), or a
    coroutine to await when called on one.
    """

    #: Receive ``Annotated[T, ...]`` types whole instead of ``T`` (for transformers whose annotations carry
    #: meaning, e.g. a dataset's columns and format); the engine still applies ``HashMethod`` itself.
    accepts_annotated: bool = False

    # Whether each conversion is written in one of flytekit's forms (set per class by ``__init_subclass__``): the
    # engine then passes model objects, the full (Annotated) type and a context, and checks values first.
    _fk_to_literal: ClassVar[bool] = False
    _fk_to_python: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _adopt(cls, "to_literal", "async_to_literal", "_fk_to_literal")
        _adopt(cls, "to_python_value", "async_to_python_value", "_fk_to_python")
        if cls._fk_to_literal or cls._fk_to_python:
            cls.accepts_annotated = True  # flytekit hands transformers the annotated type as written

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

    @property
    def is_async(self) -> bool:
        """Whether ``to_literal`` runs on the loop (an async form) rather than in a worker thread."""
        return not _is_sync(type(self).async_to_literal)

    def isinstance_generic(self, obj: Any, generic_alias: Any) -> None:
        origin = typing.get_origin(generic_alias) or generic_alias
        if not isinstance(obj, origin):
            raise TypeTransformerFailedError(f"Value {value_repr(obj)} is not of container type {type_name(origin)}")

    def assert_type(self, t: Any, v: Any) -> None:
        t = _strip_annotated(t)[0]
        expected = t if isinstance(t, type) else typing.get_origin(t) or self._t
        if isinstance(expected, type) and not isinstance(v, expected):
            raise mismatch(t, v)

    def get_literal_type(self, t: Any) -> LiteralType:
        raise NotImplementedError(f"{type(self).__name__} does not define get_literal_type")

    def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> Any:
        """The literal of ``python_val``: returned off a loop, a coroutine to await on one (see the class)."""
        raise NotImplementedError(f"{type(self).__name__} does not define to_literal")

    async def async_to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define to_literal")

    def to_python_value(self, ctx: Any, lv: Any, expected_python_type: Any) -> Any:
        """The value of literal ``lv``: returned off a loop, a coroutine to await on one (see the class)."""
        raise NotImplementedError(f"{type(self).__name__} does not define to_python_value")

    async def async_to_python_value(self, ctx: Any, lv: Any, expected_python_type: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define to_python_value")

    def guess_python_type(self, literal_type: LiteralType) -> Any:
        raise ValueError(f"{self._name} cannot guess a Python type for {literal_type}")

    def to_html(self, ctx: Any, python_val: Any, expected_python_type: Any) -> str:
        """The value as HTML for a deck: its text, escaped (flytekit's default shows ``str(value)`` unescaped)."""
        import html

        return f"<pre>{html.escape(str(python_val))}</pre>"

    def local_converter(self, t: Any) -> LocalConverter | None:
        """A sync function equivalent to a literal round trip of a value of type ``t``, or None (round trip).

        A converter that returns values of exactly one type unchanged may say so with an ``exact_type`` attribute
        (the engine then skips calling it for such values).
        """
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"


def _dual(make: Callable[[], Any], view: Callable[[Any], Any], what: str, instead: str) -> Any:
    """flytekit's sync form of a conversion: its result off a loop; on a loop's thread, the coroutine itself."""
    if _compat.on_loop_thread():
        return make()
    return view(_compat.run_sync(make, what, f"'{instead}'"))


# The methods ``__init_subclass__`` installs. Each calls the function of the class it was made for (not the most
# derived one), so that ``super().to_literal(...)`` in a subclass reaches its parent's conversion.


def _sync_to_literal(fn: Callable[..., Any], idl: bool) -> Callable[..., Any]:
    """flytekit's sync ``to_literal`` over an async implementation (``idl``: it takes flyteidl messages)."""

    def to_literal(self: TypeTransformer[Any], ctx: Any, python_val: Any, python_type: Any, expected: Any) -> Any:
        if idl and expected is not None:
            expected = _compat.idl_literal_type(expected)
        return _dual(
            lambda: fn(self, ctx, python_val, python_type, expected),
            _compat.literal_view,
            f"{type(self).__name__}.to_literal",
            "await tr.async_to_literal(...)",
        )

    return to_literal


def _sync_to_python_value(fn: Callable[..., Any], idl: bool) -> Callable[..., Any]:
    def to_python_value(self: TypeTransformer[Any], ctx: Any, lv: Any, expected_python_type: Any) -> Any:
        if idl:
            lv = _compat.idl_literal(lv)
        return _dual(
            lambda: fn(self, ctx, lv, expected_python_type),
            lambda v: v,
            f"{type(self).__name__}.to_python_value",
            "await tr.async_to_python_value(...)",
        )

    return to_python_value


def _in_worker(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The async form of a sync (flytekit) conversion: a worker thread runs it, the loop stays free."""

    async def in_worker(self: TypeTransformer[Any], *args: Any) -> Any:
        return await _compat.in_worker(fn, self, *args)

    in_worker._aioflyte_sync = True  # type: ignore[attr-defined]  # marks a conversion written sync
    return in_worker


def _is_sync(method: Any) -> bool:
    return getattr(method, "_aioflyte_sync", False)


def _adopt(cls: type, sync_name: str, async_name: str, flag: str) -> None:
    """Give ``cls`` both names of one conversion, from the form its own body defines (see ``TypeTransformer``)."""
    own = cls.__dict__
    make_sync = _sync_to_literal if sync_name == "to_literal" else _sync_to_python_value
    if sync_name in own and inspect.iscoroutinefunction(own[sync_name]):  # aioflyte's form
        setattr(cls, async_name, own[sync_name])
        setattr(cls, sync_name, make_sync(own[sync_name], idl=True))
        setattr(cls, flag, False)
    elif sync_name in own:  # flytekit's sync form
        if async_name not in own:
            setattr(cls, async_name, _in_worker(own[sync_name]))
        setattr(cls, flag, True)
    elif async_name in own:  # flytekit's async form
        setattr(cls, sync_name, make_sync(own[async_name], idl=False))
        setattr(cls, flag, True)


class AsyncTypeTransformer(TypeTransformer[T]):
    """flytekit's base for transformers that define ``async_to_literal`` / ``async_to_python_value``."""


def strip_annotated(t: Any) -> Any:
    """``T`` for ``Annotated[T, ...]`` (any type else, as is)."""
    return typing.get_args(t)[0] if typing.get_origin(t) is typing.Annotated else t


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
    """Registry of transformers and the entry points for conversions: flytekit's names, sync and async forms."""

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
        from aioflyte.plugins import ensure_plugins_loaded
        from aioflyte.types import _builtin  # noqa: F401  (registers the built-in transformers)

        ensure_plugins_loaded()  # installed plugins' transformers (once; see aioflyte/plugins.py)

    @classmethod
    def to_html(cls, ctx: Any, python_val: Any, expected_python_type: Any) -> str:
        """The value as HTML (decks' input and output tabs): the renderer an ``Annotated`` type carries (any object
        with ``to_html``), else the type's transformer's ``to_html``."""
        if typing.get_origin(expected_python_type) is typing.Annotated:
            base, *extras = typing.get_args(expected_python_type)
            for arg in extras:
                render = getattr(arg, "to_html", None)
                if callable(render) and not isinstance(arg, type):
                    out: str = render(python_val)
                    return out
            expected_python_type = base
        return cls.get_transformer(expected_python_type).to_html(ctx, python_val, expected_python_type)

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

        t, meta = _strip_annotated(python_type)
        for m in meta:  # Annotated[T, SomeTransformer()]: that transformer, as in flytekit
            if isinstance(m, TypeTransformer):
                return m
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
    def register_additional_type(
        cls, transformer: TypeTransformer[Any], additional_type: Any, override: bool = False
    ) -> None:
        """Use ``transformer`` for ``additional_type`` too (unless that type has one, or ``override``)."""
        if override or additional_type not in cls._REGISTRY:
            cls.register(transformer, [additional_type])

    @classmethod
    def get_available_transformers(cls) -> typing.KeysView[Any]:
        """The Python types registered with a transformer."""
        cls._load_defaults()
        return cls._REGISTRY.keys()

    @classmethod
    def to_literal_type(cls, python_type: Any) -> LiteralType:
        """The literal type of a Python type (a fresh message: callers may modify it)."""
        try:
            cached = cls._LT_CACHE[python_type]
        except (KeyError, TypeError):
            tr = cls.get_transformer(python_type)
            t, _ = _strip_annotated(python_type)
            cached = _compat.idl_literal_type(
                tr.get_literal_type(python_type if tr.accepts_annotated else t),
                f"{type(tr).__name__}.get_literal_type's result",
            )
            try:
                cls._LT_CACHE[python_type] = cached
            except TypeError:
                pass
        lt = LiteralType()
        lt.CopyFrom(cached)
        return lt

    # --- conversions: flytekit's sync forms (a coroutine on a loop's thread) and the async forms ----------

    @classmethod
    def to_literal(cls, ctx: Any, python_val: Any, python_type: Any, expected: Any = None) -> Any:
        """flytekit's ``TypeEngine.to_literal``: the literal of ``python_val`` as a ``python_type``.

        Called outside a running loop it returns the literal (flytekit's model object where there is a model class,
        else the flyteidl message). Called on a loop's thread, where waiting would block, it returns the coroutine
        of ``async_to_literal`` (a flyteidl message) to await.
        """
        if _compat.on_loop_thread():
            return cls.async_to_literal(ctx, python_val, python_type, expected)
        tr = cls.get_transformer(python_type)
        if not tr.is_async:  # a sync transformer called from sync code: right here, as flytekit does
            target, ctx, fk_expected = cls._prepare(tr, ctx, python_val, python_type, expected)
            lit = cls._finish(tr, tr.to_literal(ctx, python_val, target, fk_expected), python_val, python_type)
        else:
            lit = _compat.run_sync(
                lambda: cls.async_to_literal(ctx, python_val, python_type, expected),
                "TypeEngine.to_literal",
                "'await TypeEngine.async_to_literal(...)'",
            )
        return _compat.literal_view(lit)

    @classmethod
    async def async_to_literal(cls, ctx: Any, python_val: Any, python_type: Any, expected: Any = None) -> Literal:
        """Convert a Python value to a literal of ``python_type`` (a ``TypeTransformerFailedError`` if it can't)."""
        tr = cls.get_transformer(python_type)
        target, ctx, fk_expected = cls._prepare(tr, ctx, python_val, python_type, expected)
        lit = await tr.async_to_literal(ctx, python_val, target, fk_expected)
        return cls._finish(tr, lit, python_val, python_type)

    @classmethod
    def _prepare(
        cls, tr: TypeTransformer[Any], ctx: Any, python_val: Any, python_type: Any, expected: Any
    ) -> tuple[Any, Any, Any]:
        """(the type to pass, the context, the expected literal type) for ``tr.to_literal``."""
        t = _strip_annotated(python_type)[0]
        target = python_type if tr.accepts_annotated else t
        expected = cls.to_literal_type(python_type) if expected is None else _compat.idl_literal_type(expected)
        if not tr._fk_to_literal:
            return target, ctx, expected
        # flytekit's contract: the engine checks the value first, and the transformer gets models and a context.
        if python_val is None and t is not type(None) and t is not typing.Any and not _is_union(t):
            raise TypeTransformerFailedError(f"expected {type_name(python_type)}, got None")
        if tr.type_assertions_enabled:
            tr.assert_type(python_type, python_val)
        return target, _compat.flyte_context(ctx), _compat.literal_type_view(expected)

    @staticmethod
    def _finish(tr: TypeTransformer[Any], lit: Any, python_val: Any, python_type: Any) -> Literal:
        lit = _compat.idl_literal(lit, f"{type(tr).__name__}.to_literal's result")
        for m in _strip_annotated(python_type)[1]:
            if isinstance(m, HashMethod):
                lit.hash = m.calculate(python_val)
        return lit

    @classmethod
    def to_python_value(cls, ctx: Any, lv: Any, expected_python_type: Any) -> Any:
        """flytekit's ``TypeEngine.to_python_value``: the value of ``lv`` as an ``expected_python_type``.

        Off a loop it returns the value; on a loop's thread, the coroutine of ``async_to_python_value`` to await.
        """
        if _compat.on_loop_thread():
            return cls.async_to_python_value(ctx, lv, expected_python_type)
        tr = cls.get_transformer(expected_python_type)
        if _is_sync(type(tr).async_to_python_value):  # sync code, sync transformer: right here
            target, ctx, arg = cls._prepare_read(tr, ctx, lv, expected_python_type)
            return tr.to_python_value(ctx, arg, target)
        return _compat.run_sync(
            lambda: cls.async_to_python_value(ctx, lv, expected_python_type),
            "TypeEngine.to_python_value",
            "'await TypeEngine.async_to_python_value(...)'",
        )

    @classmethod
    async def async_to_python_value(cls, ctx: Any, lv: Any, expected_python_type: Any) -> Any:
        """The Python value of a literal (a flyteidl message, or a model object) as ``expected_python_type``."""
        tr = cls.get_transformer(expected_python_type)
        target, ctx, arg = cls._prepare_read(tr, ctx, lv, expected_python_type)
        return await tr.async_to_python_value(ctx, arg, target)

    @staticmethod
    def _prepare_read(tr: TypeTransformer[Any], ctx: Any, lv: Any, expected_python_type: Any) -> tuple[Any, Any, Any]:
        lv = _compat.idl_literal(lv)
        target = expected_python_type if tr.accepts_annotated else _strip_annotated(expected_python_type)[0]
        if tr._fk_to_python:
            return target, _compat.flyte_context(ctx), _compat.literal_view(lv)
        return target, ctx, lv

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
        lit = await cls.async_to_literal(ctx, value, python_type)
        return await cls.async_to_python_value(ctx, lit, python_type)

    @classmethod
    def guess_python_type(cls, flyte_type: Any) -> Any:
        """A Python type for a literal type (for entities fetched from a backend)."""
        cls._load_defaults()
        from aioflyte.types import _builtin

        return _builtin.guess_python_type(_compat.idl_literal_type(flyte_type))

    @classmethod
    def guess_python_types(cls, variables: dict[str, Any]) -> dict[str, Any]:
        """Python types for named variables (objects with a ``type``, or literal types)."""
        return {k: cls.guess_python_type(getattr(v, "type", v)) for k, v in variables.items()}

    @classmethod
    def dict_to_literal_map(cls, ctx: Any, d: dict[str, Any], type_hints: dict[str, Any] | None = None) -> Any:
        """flytekit's sync form (a coroutine on a loop's thread): a literal map of Python values."""
        if _compat.on_loop_thread():
            return cls._dict_to_literal_map(ctx, d, type_hints)
        lm = _compat.run_sync(
            lambda: cls._dict_to_literal_map(ctx, d, type_hints),
            "TypeEngine.dict_to_literal_map",
            "'await TypeEngine.dict_to_literal_map_pb(...)'",
        )
        return _compat.literal_map_view(lm)

    @classmethod
    async def _dict_to_literal_map(
        cls, ctx: Any, d: dict[str, Any], type_hints: dict[str, Any] | None = None
    ) -> _lit.LiteralMap:
        type_hints = type_hints or {}
        out = _lit.LiteralMap()
        for k, v in d.items():
            t = type_hints.get(k) or type(v)
            out.literals[k].CopyFrom(await cls.async_to_literal(ctx, v, t))
        return out

    @classmethod
    async def dict_to_literal_map_pb(
        cls, ctx: Any, d: dict[str, Any], type_hints: dict[str, Any] | None = None
    ) -> _lit.LiteralMap:
        """The literal map of Python values, as a flyteidl message."""
        return await cls._dict_to_literal_map(ctx, d, type_hints)

    @classmethod
    def literal_map_to_kwargs(
        cls,
        ctx: Any,
        lm: Any,
        python_types: dict[str, Any] | None = None,
        literal_types: dict[str, Any] | None = None,
    ) -> Any:
        """flytekit's sync form (a coroutine on a loop's thread): Python values of a literal map's literals."""
        if _compat.on_loop_thread():
            return cls._literal_map_to_kwargs(ctx, lm, python_types, literal_types)
        return _compat.run_sync(
            lambda: cls._literal_map_to_kwargs(ctx, lm, python_types, literal_types),
            "TypeEngine.literal_map_to_kwargs",
            "'await TypeEngine.literal_map_to_kwargs(...)'",
        )

    @classmethod
    async def _literal_map_to_kwargs(
        cls,
        ctx: Any,
        lm: Any,
        python_types: dict[str, Any] | None = None,
        literal_types: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if python_types is None:
            if literal_types is None:
                raise ValueError("literal_map_to_kwargs needs python_types or literal_types")
            python_types = cls.guess_python_types(literal_types)
        literals = _compat.idl_literal_map(lm).literals
        out = {}
        for k, t in python_types.items():
            if k in literals:
                out[k] = await cls.async_to_python_value(ctx, literals[k], t)
        return out
