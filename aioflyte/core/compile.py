"""Compiling entity calls into graph nodes while a workflow (or dynamic) body runs with promises."""

from __future__ import annotations

import typing
from typing import Any

from aioflyte.core.context import _COMPILATION
from aioflyte.core.graph import Coll, Const, MapB, Node
from aioflyte.core.promise import NodeHandle, Promise, PromiseTuple, VoidPromise, compile_error


class CompilationState:
    """Collects the nodes created while a body is compiled. Node ids are ``<prefix>n<i>`` in call order."""

    def __init__(self, prefix: str = "", name: str = "") -> None:
        self.prefix = prefix
        self.name = name
        self.nodes: list[Node] = []
        self._count = 0
        # Where new nodes go: the graph itself, or a conditional branch being built (a stack of lists).
        self._capture: list[list[Node]] = []

    def next_id(self) -> str:
        nid = f"{self.prefix}n{self._count}"
        self._count += 1
        return nid

    def push_capture(self, nodes: list[Node]) -> None:
        self._capture.append(nodes)

    def pop_capture(self) -> list[Node]:
        return self._capture.pop()

    def add_node(self, node: Node) -> None:
        (self._capture[-1] if self._capture else self.nodes).append(node)

    def add_call(self, entity: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        node = self.create(entity, args, kwargs)
        return outputs_of(node, entity)

    def create(self, entity: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Node:
        try:
            inputs = entity.bind(args, dict(kwargs))
        except TypeError as e:
            raise compile_error(str(e)) from None
        types = {n: t for n, (t, _) in entity.python_interface.inputs.items()}
        bindings = {n: to_binding(v, types.get(n), f"{entity.name} input {n!r}") for n, v in inputs.items()}
        node = Node(self.next_id(), entity, bindings)
        self.add_node(node)
        return node

    def __enter__(self) -> CompilationState:
        self._token = _COMPILATION.set(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _COMPILATION.reset(self._token)


def outputs_of(node: Node, entity: Any) -> Any:
    """What a call returns at compile time: a promise, a tuple of promises, or a void promise."""
    iface = entity.python_interface
    outs = iface.outputs
    if not outs:
        return VoidPromise(node)
    promises = [Promise(node, n, t) for n, t in outs.items()]
    if iface.single_output:
        return promises[0]
    return PromiseTuple(node, tuple(outs), promises)


def _is_simple(t: Any) -> bool:
    return t in (int, float, str, bool)


def _admits_none(t: Any) -> bool:
    if typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    return t is type(None) or (_is_union(t) and type(None) in typing.get_args(t))


def _is_union(t: Any) -> bool:
    import types

    return typing.get_origin(t) is typing.Union or isinstance(t, types.UnionType)


def _list_of_optional_into_list(src: Any, expected: Any) -> bool:
    """A list whose items may be None bound where items may not (e.g. a map task with ``min_success_ratio < 1``
    feeding a ``list[int]`` input): flytekit refuses it when compiling, as it does no other None mismatch."""
    while typing.get_origin(src) is list and typing.get_origin(expected) is list:
        (src,), (expected,) = typing.get_args(src) or (Any,), typing.get_args(expected) or (Any,)
        if expected is not Any and _admits_none(src) and not _admits_none(expected):
            return True
    return False


def _check_ref_type(p: Promise, expected: Any, where: str) -> None:
    src = p.python_type
    if _list_of_optional_into_list(src, expected):
        raise compile_error(
            f"{where}: expected type {expected!r} does not match upstream type {src!r} of {p!r} (its items may be None)"
        )
    if not (_is_simple(src) and _is_simple(expected)) or src is expected:
        return
    if src is int and expected is float:
        return
    raise compile_error(f"{where} expects {expected.__name__} but is bound to {p!r} of type {src.__name__}")


def to_binding(v: Any, expected: Any, where: str) -> Any:
    """A binding tree for a call argument: promises become references, other values constants."""
    if isinstance(v, Promise):
        if expected is not None:
            _check_ref_type(v, expected, where)
        return v.ref
    if isinstance(v, (VoidPromise, NodeHandle)):
        raise compile_error(f"{where} is bound to {v!r}, which has no outputs")
    if isinstance(v, PromiseTuple):
        raise compile_error(f"{where} is bound to a node with several outputs; pick one (e.g. res[0] or res.name)")
    if isinstance(v, (list, tuple)) and _has_promise(v):
        args = typing.get_args(expected)
        et = args[0] if typing.get_origin(expected) is list and args else None
        return Coll(tuple(to_binding(x, et, where) for x in v))
    if isinstance(v, dict) and _has_promise(v):
        args = typing.get_args(expected)
        vt = args[1] if typing.get_origin(expected) is dict and len(args) == 2 else None
        return MapB(tuple((k, to_binding(x, vt, where)) for k, x in v.items()))
    if expected is not None:
        _check_const(v, expected, where)
    return Const(v, expected)


def _has_promise(v: Any) -> bool:
    if isinstance(v, (Promise, VoidPromise, PromiseTuple)):
        return True
    if isinstance(v, (list, tuple)):
        return any(_has_promise(x) for x in v)
    if isinstance(v, dict):
        return any(_has_promise(x) for x in v.values())
    return False


def _check_const(v: Any, expected: Any, where: str) -> None:
    from aioflyte.types.engine import TypeEngine

    conv = TypeEngine.local_converter(expected)
    if conv is None:
        return
    try:
        conv(v)
    except Exception as e:
        raise compile_error(f"{where}: {e}") from None


def create_node(entity: Any, *args: Any, **kwargs: Any) -> NodeHandle:
    """flytekit's ``create_node``: add a node for ``entity`` and get a handle with its outputs by name."""
    state = _COMPILATION.get()
    if state is None:
        raise compile_error("create_node() can only be used inside a workflow body")
    node = state.create(entity, args, kwargs)
    outs = {n: Promise(node, n, t) for n, t in entity.python_interface.outputs.items()}
    return NodeHandle(node, outs)
