"""Promises: what entity calls return while a workflow body is compiled.

A promise stands for a node's output (or a workflow input). It supports what flytekit's does: attribute and
index access (dataclasses, NamedTuples, lists, dicts), ``>>`` ordering, ``with_overrides``, comparisons and
``is_true``/``is_false``/``is_none`` for conditions. Using it as a Python value (``if p:``, ``for x in p``,
``p + 1``, ``len(p)``) is a compile error that points at the line in the user's file.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import typing
from typing import Any

from aioflyte.core.graph import START_NODE, Node, Ref
from aioflyte.exceptions import FlyteCompileError as FlyteCompileError

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_location() -> str:
    """``file:line`` of the innermost frame outside aioflyte (the user's code)."""
    frame = sys._getframe(1)
    while frame is not None:
        fn = os.path.abspath(frame.f_code.co_filename)
        if not fn.startswith(_PKG_DIR) and "importlib" not in fn:
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "<unknown>"


def compile_error(message: str) -> FlyteCompileError:
    return FlyteCompileError(f"{message} (at {user_location()})")


def _attr_type(t: Any, name: str) -> Any:
    if t is None or t is Any:
        return Any
    if dataclasses.is_dataclass(t):
        hints = typing.get_type_hints(t, include_extras=True)
        if name in hints:
            return hints[name]
    elif isinstance(t, type) and issubclass(t, tuple) and hasattr(t, "_fields"):
        hints = typing.get_type_hints(t, include_extras=True)
        if name in hints:
            return hints[name]
    else:
        fields = getattr(t, "model_fields", None)  # pydantic
        if fields and name in fields:
            return fields[name].annotation
    raise compile_error(f"output of type {getattr(t, '__name__', t)} has no attribute {name!r}")


def _item_type(t: Any, key: Any) -> Any:
    if t is None or t is Any:
        return Any
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is list and args:
        if not isinstance(key, int):
            raise compile_error(f"a list output is indexed by int, got {type(key).__name__} ({key!r})")
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    if t is dict:
        return Any
    raise compile_error(f"output of type {t} cannot be indexed")


class _NotAValue:
    """Operations that would need the value at compile time: each is a clear compile error."""

    def _no(self, what: str) -> Any:
        raise compile_error(
            f"{self!r} is a promise of a value computed when the workflow runs; it cannot be used {what} "
            "while the workflow is compiled. Move this logic into a task, use conditional(), or use @eager"
        )

    def __bool__(self) -> bool:
        return self._no("as a bool (if/while/and/or/not)")

    def __iter__(self) -> Any:
        return self._no("in a for loop or unpacked")

    def __len__(self) -> int:
        return self._no("with len()")

    def __int__(self) -> int:
        return self._no("as an int")

    def __float__(self) -> float:
        return self._no("as a float")

    def __index__(self) -> int:
        return self._no("as an index")

    def __contains__(self, item: Any) -> bool:
        return self._no("with 'in'")

    def __add__(self, o: Any) -> Any:
        return self._no("in arithmetic")

    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __add__
    __floordiv__ = __mod__ = __pow__ = __add__

    def __neg__(self) -> Any:
        return self._no("in arithmetic")

    __pos__ = __abs__ = __invert__ = __neg__


class Promise(_NotAValue):
    """A node output (or workflow input) to be known when the workflow runs."""

    __slots__ = ("_node", "_path", "_type", "_val", "_var")

    def __init__(self, node: Any, var: Any, python_type: Any = None, path: tuple[Any, ...] = ()) -> None:
        if isinstance(node, str):  # flytekit's Promise(var, val[, type]): a promise already holding its value
            self._node, self._var, self._val = None, node, var
            self._type = python_type
            self._path: tuple[Any, ...] = ()
            return
        self._node = node
        self._var = var
        self._val = None
        self._type = python_type
        self._path = path

    @property
    def val(self) -> Any:
        """The value (a literal) of a promise made as ``Promise(var, val)``; None for a node's output."""
        return self._val

    @property
    def is_ready(self) -> bool:
        """Whether the promise holds its value already (``Promise(var, val)``), as in flytekit."""
        return self._val is not None

    @property
    def node(self) -> Node | None:
        return self._node

    @property
    def node_id(self) -> str:
        return self._node.id if self._node is not None else START_NODE

    @property
    def var(self) -> str:
        return self._var

    @property
    def python_type(self) -> Any:
        return self._type

    @property
    def attr_path(self) -> tuple[Any, ...]:
        return self._path

    @property
    def ref(self) -> Ref:
        return Ref(self.node_id, self._var, self._path, self._type)

    def __repr__(self) -> str:
        path = "".join(f".{p}" if isinstance(p, str) else f"[{p!r}]" for p in self._path)
        return f"Promise({self.node_id}.{self._var}{path})"

    def __getattr__(self, name: str) -> Promise:
        if name.startswith("_"):
            raise AttributeError(name)
        return Promise(self._node, self._var, _attr_type(self._type, name), (*self._path, name))

    def __getitem__(self, key: Any) -> Promise:
        return Promise(self._node, self._var, _item_type(self._type, key), (*self._path, key))

    def __rshift__(self, other: Any) -> Any:
        return _order(self._node, other)

    def with_overrides(self, **overrides: Any) -> Promise:
        if self._node is None:
            raise compile_error("with_overrides() applies to a node's output, not to a workflow input")
        apply_overrides(self._node, overrides)
        return self

    # conditions ---------------------------------------------------------------------------------
    def __eq__(self, other: Any) -> Any:
        from aioflyte.core.condition import ComparisonExpression

        return ComparisonExpression(self, "==", other)

    def __ne__(self, other: Any) -> Any:
        from aioflyte.core.condition import ComparisonExpression

        return ComparisonExpression(self, "!=", other)

    def __lt__(self, other: Any) -> Any:
        from aioflyte.core.condition import ComparisonExpression

        return ComparisonExpression(self, "<", other)

    def __le__(self, other: Any) -> Any:
        from aioflyte.core.condition import ComparisonExpression

        return ComparisonExpression(self, "<=", other)

    def __gt__(self, other: Any) -> Any:
        from aioflyte.core.condition import ComparisonExpression

        return ComparisonExpression(self, ">", other)

    def __ge__(self, other: Any) -> Any:
        from aioflyte.core.condition import ComparisonExpression

        return ComparisonExpression(self, ">=", other)

    __hash__ = object.__hash__

    def is_true(self) -> Any:
        from aioflyte.core.condition import ComparisonExpression

        return ComparisonExpression(self, "==", True)

    def is_false(self) -> Any:
        from aioflyte.core.condition import ComparisonExpression

        return ComparisonExpression(self, "==", False)

    def is_none(self) -> Any:
        from aioflyte.core.condition import ComparisonExpression

        return ComparisonExpression(self, "is_none", None)


class VoidPromise:
    """What a call to an entity without outputs returns: only ordering and overrides apply."""

    def __init__(self, node: Node) -> None:
        self._node = node

    @property
    def node(self) -> Node:
        return self._node

    def __rshift__(self, other: Any) -> Any:
        return _order(self._node, other)

    def with_overrides(self, **overrides: Any) -> VoidPromise:
        apply_overrides(self._node, overrides)
        return self

    def __repr__(self) -> str:
        return f"VoidPromise({self._node.id})"


class PromiseTuple(tuple):
    """The promises of a node with several outputs: unpack it, or read outputs by name."""

    _node: Node
    _names: tuple[str, ...]

    def __new__(cls, node: Node, names: tuple[str, ...], promises: list[Promise]) -> PromiseTuple:
        obj = super().__new__(cls, promises)
        obj._node = node
        obj._names = names
        return obj

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):
            names = tuple.__getattribute__(self, "__dict__").get("_names", ())
            if name in names:  # output names win over tuple methods (an output may be called "count")
                return self[names.index(name)]
        return super().__getattribute__(name)

    @property
    def node(self) -> Node:
        return self._node

    def __rshift__(self, other: Any) -> Any:
        return _order(self._node, other)

    def with_overrides(self, **overrides: Any) -> PromiseTuple:
        apply_overrides(self._node, overrides)
        return self


class NodeOutput(Promise):
    """flytekit's name for a reference to a node's output."""


def node_of(x: Any) -> Node | None:
    if isinstance(x, (Promise, VoidPromise, PromiseTuple)):
        return x.node
    if isinstance(x, NodeHandle):
        return x.node
    return None


def _order(upstream: Node | None, other: Any) -> Any:
    down = node_of(other)
    if upstream is None or down is None:
        raise compile_error(">> orders two node calls, e.g. t1(...) >> t2(...)")
    if upstream.id not in down.upstream:
        down.upstream.append(upstream.id)
    return other


_OVERRIDES = {
    "name",
    "retries",
    "timeout",
    "cache",
    "cache_version",
    "cache_serialize",
    "requests",
    "limits",
    "resources",
    "interruptible",
    "container_image",
    "task_config",
    "accelerator",
    "shared_memory",
    "pod_template",
    "node_name",
    "concurrency",
    "min_success_ratio",
    "min_successes",
    "environment",
}


def apply_overrides(node: Node, overrides: dict[str, Any]) -> None:
    unknown = sorted(set(overrides) - _OVERRIDES)
    if unknown:
        raise compile_error(f"with_overrides() got unknown override(s) {unknown}; allowed: {sorted(_OVERRIDES)}")
    if "name" in overrides:
        node.metadata_name = overrides["name"]
    if "node_name" in overrides:
        node.metadata_name = overrides["node_name"]
    node.overrides.update(overrides)


class NodeHandle:
    """What ``create_node`` returns: the node, its outputs by name, ``>>`` and ``with_overrides``."""

    def __init__(self, node: Node, outputs: dict[str, Promise]) -> None:
        self.node = node
        self.outputs = outputs

    @property
    def id(self) -> str:
        return self.node.id

    def __getattr__(self, name: str) -> Promise:
        outs = self.__dict__.get("outputs", {})
        if name in outs:
            return outs[name]
        raise AttributeError(name)

    def __rshift__(self, other: Any) -> Any:
        return _order(self.node, other)

    def with_overrides(self, **overrides: Any) -> NodeHandle:
        apply_overrides(self.node, overrides)
        return self


def __getattr__(name: str) -> Any:
    """``ComparisonExpression`` and ``ConjunctionExpression`` (flytekit has them here; they live in core.condition,
    which imports this module)."""
    if name in ("ComparisonExpression", "ConjunctionExpression"):
        from aioflyte.core import condition

        return getattr(condition, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
