"""The one graph IR, which every runner and serializer consumes (no per-mode copies): nodes with typed bindings,
workflow outputs, failure node.

The local scheduler runs it, the remote translator serializes it. Bindings are small trees whose leaves are
constants or references to another node's output (optionally with an attribute/index path).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from aioflyte.exceptions import FlytePromiseAttributeResolveException

START_NODE = "start-node"
END_NODE = "end-node"


@dataclass(frozen=True)
class Const:
    """A constant input value, checked against the declared type when the workflow was compiled."""

    value: Any
    python_type: Any = None


@dataclass(frozen=True)
class Ref:
    """The output ``var`` of node ``node_id`` (``start-node`` for workflow inputs), then ``attr_path``."""

    node_id: str
    var: str
    attr_path: tuple[Any, ...] = ()
    python_type: Any = None


@dataclass(frozen=True)
class Coll:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class MapB:
    items: tuple[tuple[str, Any], ...]


BindingData = Any  # Const | Ref | Coll | MapB


def refs_of(b: BindingData) -> list[Ref]:
    """Every reference inside a binding tree."""
    if isinstance(b, Ref):
        return [b]
    if isinstance(b, Coll):
        return [r for x in b.items for r in refs_of(x)]
    if isinstance(b, MapB):
        return [r for _, x in b.items for r in refs_of(x)]
    return []


def follow_path(value: Any, path: tuple[Any, ...]) -> Any:
    """Apply an attribute / index path to a resolved value (dataclass fields, NamedTuple, list, dict).

    A step the value does not have is a ``FlytePromiseAttributeResolveException`` naming it (flytekit's error).
    """
    for i, step in enumerate(path):
        try:
            if isinstance(step, str) and not isinstance(value, dict):
                value = getattr(value, step)
            else:
                value = value[step]
        except (AttributeError, KeyError, IndexError, TypeError) as e:
            where = "".join(f".{s}" if isinstance(s, str) else f"[{s!r}]" for s in path[: i + 1])
            raise FlytePromiseAttributeResolveException(
                f"cannot resolve {where} of an output of type {type(value).__name__}: {type(e).__name__}: {e}"
            ) from e
    return value


def resolve(b: BindingData, results: dict[str, dict[str, Any]]) -> Any:
    """The Python value of a binding, given the outputs of finished nodes."""
    if isinstance(b, Ref):
        v = results[b.node_id][b.var]
        return follow_path(v, b.attr_path) if b.attr_path else v
    if isinstance(b, Const):
        return b.value
    if isinstance(b, Coll):
        return [resolve(x, results) for x in b.items]
    if isinstance(b, MapB):
        return {k: resolve(x, results) for k, x in b.items}
    raise TypeError(f"not a binding: {b!r}")


@dataclass
class Node:
    """One node: an entity (task, workflow, launch plan, branch, gate, array) with its input bindings."""

    id: str
    entity: Any
    bindings: dict[str, BindingData]
    upstream: list[str] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    metadata_name: str | None = None

    @property
    def name(self) -> str:
        return self.metadata_name or str(getattr(self.entity, "name", None) or self.id)

    @property
    def kind(self) -> str:
        return getattr(self.entity, "node_kind", "task")

    def upstream_ids(self) -> list[str]:
        ids = list(self.upstream)
        for b in self.bindings.values():
            for r in refs_of(b):
                if r.node_id not in ids and r.node_id != START_NODE:
                    ids.append(r.node_id)
        return ids


@dataclass
class WorkflowGraph:
    """A compiled workflow: its nodes in creation order, output bindings and optional failure node."""

    name: str
    interface: Any
    nodes: list[Node]
    outputs: dict[str, BindingData]
    failure_policy: Any = None
    failure_node: Node | None = None

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def replace(self, **kw: Any) -> WorkflowGraph:
        return dataclasses.replace(self, **kw)
