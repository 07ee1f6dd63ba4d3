"""Typed interfaces: inputs from a function's signature, outputs from its return annotation."""

from __future__ import annotations

import collections
import inspect
import typing
from typing import Any, Callable

from aioflyte.exceptions import FlyteInterfaceException, FlyteMissingTypeException, FlyteTypeException


class _NoDefault:
    def __repr__(self) -> str:
        return "<required>"


NO_DEFAULT: Any = _NoDefault()


def kwtypes(**kwargs: Any) -> collections.OrderedDict[str, Any]:
    """Named types, in order: ``kwtypes(a=int, b=str)`` (for interfaces and dataset columns)."""
    return collections.OrderedDict(kwargs)


def is_optional(t: Any) -> bool:
    origin = typing.get_origin(t)
    if origin is typing.Annotated:
        return is_optional(typing.get_args(t)[0])
    return _is_union(origin) and type(None) in typing.get_args(t)


def _is_union(origin: Any) -> bool:
    import types as _types

    return origin is typing.Union or (hasattr(_types, "UnionType") and origin is _types.UnionType)


def _named_tuple(name: str, fields: dict[str, Any]) -> type:
    made: Any = typing.NamedTuple(name, list(fields.items()))  # type: ignore[misc]  # a class made at run time
    return typing.cast(type, made)


def _is_named_tuple(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, tuple) and hasattr(t, "_fields") and hasattr(t, "__annotations__")


class Interface:
    """Inputs (name -> (type, default)) and outputs (name -> type) of an entity, in declaration order.

    ``output_tuple`` is the NamedTuple class for named outputs, or None; ``positional_outputs`` marks a plain
    tuple return (outputs ``o0, o1, ...`` returned as a tuple).
    """

    __slots__ = ("docstring", "inputs", "output_tuple", "outputs", "positional_outputs")

    def __init__(
        self,
        inputs: dict[str, Any] | None = None,
        outputs: dict[str, Any] | None = None,
        output_tuple: type | None = None,
        positional_outputs: bool = False,
        docstring: str | None = None,
        *,
        output_tuple_name: str | None = None,
    ) -> None:
        # flytekit's forms too: an input may be a bare type (required) and the outputs' NamedTuple may be named
        self.inputs: dict[str, tuple[Any, Any]] = {
            k: v if isinstance(v, tuple) and len(v) == 2 else (v, NO_DEFAULT) for k, v in (inputs or {}).items()
        }
        self.outputs: dict[str, Any] = dict(outputs or {})
        if output_tuple is None and output_tuple_name and self.outputs:
            output_tuple = _named_tuple(output_tuple_name, self.outputs)
        self.output_tuple = output_tuple
        self.positional_outputs = positional_outputs
        self.docstring = docstring

    @property
    def input_types(self) -> dict[str, Any]:
        return {k: v[0] for k, v in self.inputs.items()}

    @property
    def defaults(self) -> dict[str, Any]:
        return {k: v[1] for k, v in self.inputs.items() if v[1] is not NO_DEFAULT}

    @property
    def required_inputs(self) -> list[str]:
        return [k for k, v in self.inputs.items() if v[1] is NO_DEFAULT]

    @property
    def single_output(self) -> bool:
        """True when the entity returns its one output bare (not in a tuple or NamedTuple)."""
        return len(self.outputs) == 1 and self.output_tuple is None and not self.positional_outputs

    def pack_outputs(self, values: dict[str, Any]) -> Any:
        """Python return value for output values by name: None, a single value, a tuple or a NamedTuple."""
        if not self.outputs:
            return None
        if self.output_tuple is not None:
            return self.output_tuple(**values)
        if self.single_output:
            return next(iter(values.values()))
        return tuple(values[k] for k in self.outputs)

    def unpack_outputs(self, result: Any, entity: str) -> dict[str, Any]:
        """Output values by name from what the function returned; a clear error when the shape is wrong."""
        n = len(self.outputs)
        if n == 0:
            if result is not None:
                raise FlyteInterfaceException(
                    f"{entity} declares no outputs but returned a value of type {type(result).__name__}"
                )
            return {}
        if self.single_output:
            return {next(iter(self.outputs)): result}
        if self.output_tuple is not None and n == 1 and not isinstance(result, tuple):
            return {next(iter(self.outputs)): result}
        if not isinstance(result, tuple) or len(result) != n:
            got = f"{len(result)} values" if isinstance(result, tuple) else type(result).__name__
            raise FlyteInterfaceException(
                f"{entity} declares {n} outputs ({', '.join(self.outputs)}) but returned {got}"
            )
        return dict(zip(self.outputs, result))

    def __repr__(self) -> str:
        return f"Interface(inputs={self.input_types}, outputs={self.outputs})"


def outputs_from_annotation(ret: Any) -> tuple[dict[str, Any], type | None, bool]:
    """(outputs, NamedTuple class or None, positional) for a return annotation."""
    if ret is inspect.Signature.empty or ret is None or ret is type(None):
        return {}, None, False
    if _is_named_tuple(ret):
        hints = typing.get_type_hints(ret, include_extras=True)
        return {f: hints[f] for f in ret._fields}, ret, False
    if isinstance(ret, tuple):  # ``-> (int, str)``: one output per element, as ``tuple[int, str]``
        if len(ret) == 1:
            raise FlyteInterfaceException(
                f"the return annotation {ret!r} is a tuple of one type: write the type alone for one output"
            )
        return {f"o{i}": a for i, a in enumerate(ret)}, None, bool(ret)
    origin = typing.get_origin(ret)
    if origin is tuple:
        args = typing.get_args(ret)
        if len(args) == 1 and args != ((),):
            raise FlyteInterfaceException(
                f"the return annotation {_type_repr(ret)} has one element: tuples declare several outputs, so write "
                "the type alone for one output"
            )
        if args and args[-1] is not Ellipsis and args != ((),):
            return {f"o{i}": a for i, a in enumerate(args)}, None, True
    return {"o0": ret}, None, False


def output_name_generator(length: int) -> typing.Generator[str, None, None]:
    """The names of ``length`` unnamed outputs: ``o0``, ``o1``, ..."""
    for i in range(length):
        yield default_output_name(i)


def default_output_name(index: int = 0) -> str:
    return f"o{index}"


def extract_return_annotation(return_annotation: Any) -> dict[str, Any]:
    """The outputs a return annotation declares, by name (``o0``, ... unless a NamedTuple names them)."""
    return outputs_from_annotation(return_annotation)[0]


def _type_repr(t: Any) -> str:
    return repr(t).replace("typing.", "")


def _caller_locals() -> dict[str, Any]:
    """Locals of the nearest frame outside aioflyte: where a nested function's string annotations live."""
    import sys

    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("aioflyte."):
        frame = frame.f_back  # type: ignore[assignment]
    return dict(frame.f_locals) if frame is not None else {}


def get_type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """``typing.get_type_hints``, also resolving names local to the function that declares the entity.

    A return annotation written as a tuple of types (``-> (int, str)``) is kept as that tuple, also when
    annotations are strings (``from __future__ import annotations``), which ``typing`` refuses to evaluate.
    """
    annotations = getattr(fn, "__annotations__", None) or {}
    ret = annotations.get("return")
    if isinstance(ret, str) and ret.lstrip().startswith("("):
        scope = _Annotations(fn, {k: v for k, v in annotations.items() if k != "return"})
        try:
            value = eval(ret, scope.__globals__, _caller_locals())  # what typing itself would do
        except Exception:
            value = None
        if isinstance(value, tuple):
            return {**_hints(scope), "return": value}
    return _hints(fn)


class _Annotations:
    """Stands in for a function with other annotations (``typing.get_type_hints`` reads these two attributes)."""

    def __init__(self, fn: Callable[..., Any], annotations: dict[str, Any]) -> None:
        self.__annotations__ = annotations
        self.__globals__ = getattr(inspect.unwrap(fn), "__globals__", {})


def _hints(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj, include_extras=True)
    except NameError:
        return typing.get_type_hints(obj, localns=_caller_locals(), include_extras=True)


def transform_function_to_interface(fn: Callable[..., Any], entity_kind: str = "task") -> Interface:
    """Build the typed interface of a function; errors name the function and the offending parameter."""
    qualname = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    try:
        hints = get_type_hints(fn)
    except Exception as e:  # unresolved forward references
        raise FlyteInterfaceException(f"Cannot resolve the type annotations of {entity_kind} {qualname}: {e}") from e
    sig = inspect.signature(fn)
    inputs: dict[str, tuple[Any, Any]] = {}
    for name, p in sig.parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise FlyteInterfaceException(
                f"{entity_kind} {qualname}: parameter {name!r} is *args/**kwargs; every input must be a named, "
                "annotated parameter"
            )
        if name not in hints:
            raise FlyteMissingTypeException(
                f"{entity_kind} {qualname}: parameter {name!r} has no type annotation; annotate it, e.g. '{name}: int'"
            )
        t = hints[name]
        default = p.default if p.default is not inspect.Parameter.empty else NO_DEFAULT
        if default is NO_DEFAULT and is_optional(t):
            default = None
        inputs[name] = (t, default)
    ret = hints.get("return", inspect.Signature.empty)
    outputs, nt, positional = outputs_from_annotation(ret)
    return Interface(inputs, outputs, nt, positional, inspect.getdoc(fn))


def raise_type_error(
    entity: str, kind: str, param: str, expected: Any, value: Any, err: Exception, *, secrets: Any = None
) -> None:
    """A type mismatch naming the entity, the input/output, the expected and the actual type.

    ``secrets``: the task's ``secret_requests``; their values are redacted from the message (the value shown may
    be a secret the task read)."""
    from aioflyte.types.engine import type_name, value_repr

    head = f"expected {type_name(expected)}, got {type(value).__name__} ({value_repr(value)})"
    detail = str(err)
    msg = f"{entity}: {kind} {param!r} {head}" + ("" if detail == head or not detail else f": {detail}")
    if secrets:
        from aioflyte.core.secrets import redact, requested_values

        msg = redact(msg, requested_values(secrets))
    raise FlyteTypeException(msg, entity=entity, parameter=param, expected=expected, actual=type(value)) from None
