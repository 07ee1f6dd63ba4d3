"""Resolving a node's input bindings to literals, and evaluating a branch's boolean expressions.

A :class:`Scope` holds the outputs of the nodes that finished so far (the workflow inputs under ``""`` and
``start-node``); ``resolve`` turns ``BindingData`` (scalars, promises with ``attr_path``, collections, maps,
unions) into a ``Literal``, as flytepropeller does before it starts a node.
"""

from __future__ import annotations

import datetime
from typing import Any

import msgpack
from flyteidl.core import condition_pb2, literals_pb2, types_pb2
from google.protobuf import json_format, struct_pb2

START_NODE = "start-node"
_INPUT_NODES = ("", START_NODE)
_OPS = condition_pb2.ComparisonExpression


class BindingError(Exception):
    """A binding cannot be resolved (an output that does not exist, a bad attribute path)."""


class Scope:
    """Outputs by node id, visible to the nodes of one workflow (or subworkflow / dynamic job)."""

    def __init__(self, inputs: literals_pb2.LiteralMap) -> None:
        self.outputs: dict[str, literals_pb2.LiteralMap] = {START_NODE: inputs}

    def set(self, node_id: str, outputs: literals_pb2.LiteralMap) -> None:
        self.outputs[node_id] = outputs

    def output(self, node_id: str, var: str) -> literals_pb2.Literal:
        node_id = START_NODE if node_id in _INPUT_NODES else node_id
        outputs = self.outputs.get(node_id)
        if outputs is None:
            raise BindingError(f"node {node_id} has not produced outputs yet")
        if var not in outputs.literals:
            raise BindingError(f"node {node_id} has no output {var!r} (its outputs: {sorted(outputs.literals)})")
        return outputs.literals[var]


def _primitive_literal(value: Any) -> literals_pb2.Literal | None:
    lit = literals_pb2.Literal()
    p = lit.scalar.primitive
    if isinstance(value, bool):
        p.boolean = value
    elif isinstance(value, int):
        p.integer = value
    elif isinstance(value, float):
        p.float_value = value
    elif isinstance(value, str):
        p.string_value = value
    elif value is None:
        lit.scalar.none_type.SetInParent()
    else:
        return None
    return lit


def _step(value: Any, attr: types_pb2.PromiseAttribute) -> Any:
    kind = attr.WhichOneof("value")
    key: Any = attr.int_value if kind == "int_value" else attr.string_value
    try:
        return value[key]
    except (KeyError, IndexError, TypeError) as e:
        raise BindingError(f"attribute {key!r} not found: {type(e).__name__}") from e


def attr_path(lit: literals_pb2.Literal, path: Any) -> literals_pb2.Literal:
    """The part of ``lit`` that ``path`` (list indices, map keys, dataclass fields) selects."""
    for i, attr in enumerate(path):
        kind = lit.WhichOneof("value")
        if kind == "collection":
            lit = _step(list(lit.collection.literals), attr)
            continue
        if kind == "map":
            lit = _step(dict(lit.map.literals), attr)
            continue
        scalar = lit.scalar.WhichOneof("value") if kind == "scalar" else None
        if scalar == "binary" and lit.scalar.binary.tag == "msgpack":
            value = msgpack.unpackb(lit.scalar.binary.value, strict_map_key=False)
            for a in path[i:]:
                value = _step(value, a)
            out = _primitive_literal(value)
            if out is None:
                out = literals_pb2.Literal()
                out.scalar.binary.value = msgpack.packb(value)
                out.scalar.binary.tag = "msgpack"
            return out
        if scalar == "generic":
            value = json_format.MessageToDict(lit.scalar.generic)
            for a in path[i:]:
                value = _step(value, a)
            out = _primitive_literal(value)
            if out is None:
                out = literals_pb2.Literal()
                s = struct_pb2.Struct()
                s.update(value if isinstance(value, dict) else {"value": value})
                out.scalar.generic.CopyFrom(s)
            return out
        raise BindingError(f"cannot select attribute path on a {kind} literal")
    return lit


def resolve(binding: literals_pb2.BindingData, scope: Scope) -> literals_pb2.Literal:
    """The literal a binding stands for, given the outputs in ``scope``."""
    kind = binding.WhichOneof("value")
    out = literals_pb2.Literal()
    if kind == "scalar":
        out.scalar.CopyFrom(binding.scalar)
    elif kind == "promise":
        ref = binding.promise
        lit = scope.output(ref.node_id, ref.var)
        out.CopyFrom(attr_path(lit, list(ref.attr_path)) if ref.attr_path else lit)
    elif kind == "collection":
        out.collection.SetInParent()
        out.collection.literals.extend(resolve(b, scope) for b in binding.collection.bindings)
    elif kind == "map":
        out.map.SetInParent()
        for k, b in binding.map.bindings.items():
            out.map.literals[k].CopyFrom(resolve(b, scope))
    elif kind == "union":
        inner = resolve(binding.union.value, scope)
        out.scalar.union.value.CopyFrom(inner)
        out.scalar.union.type.CopyFrom(binding.union.type)
    elif kind == "offloaded_metadata":
        out.offloaded_metadata.CopyFrom(binding.offloaded_metadata)
    else:
        raise BindingError(f"unsupported binding kind {kind!r}")
    return out


def resolve_all(bindings: Any, scope: Scope) -> literals_pb2.LiteralMap:
    """A node's inputs: each ``Binding`` resolved."""
    result = literals_pb2.LiteralMap()
    for b in bindings:
        result.literals[b.var].CopyFrom(resolve(b.binding, scope))
    return result


# --- conditions -------------------------------------------------------------------------------------------------


def _scalar_value(scalar: literals_pb2.Scalar) -> Any:
    kind = scalar.WhichOneof("value")
    if kind == "primitive":
        return _primitive_value(scalar.primitive)
    if kind == "none_type":
        return None
    if kind == "union":
        return _literal_value(scalar.union.value)
    raise BindingError(f"cannot compare a {kind} value")


def _primitive_value(p: literals_pb2.Primitive) -> Any:
    kind = p.WhichOneof("value")
    if kind == "datetime":
        return p.datetime.ToDatetime(tzinfo=datetime.timezone.utc)
    if kind == "duration":
        return p.duration.ToTimedelta()
    return getattr(p, kind) if kind else None


def _literal_value(lit: literals_pb2.Literal) -> Any:
    if lit.WhichOneof("value") != "scalar":
        raise BindingError(f"cannot compare a {lit.WhichOneof('value')} value")
    return _scalar_value(lit.scalar)


def _operand(op: condition_pb2.Operand, values: dict[str, literals_pb2.Literal], scope: Scope) -> Any:
    kind = op.WhichOneof("val")
    if kind == "primitive":
        return _primitive_value(op.primitive)
    if kind == "scalar":
        return _scalar_value(op.scalar)
    var = op.var
    if var in values:
        return _literal_value(values[var])
    node_id, _, name = var.partition(".")
    return _literal_value(scope.output(node_id, name))


def _compare(op: int, left: Any, right: Any) -> bool:
    if op == _OPS.EQ:
        return left == right
    if op == _OPS.NEQ:
        return left != right
    if left is None or right is None:
        raise BindingError(f"cannot order {left!r} and {right!r}")
    if op == _OPS.GT:
        return left > right
    if op == _OPS.GTE:
        return left >= right
    if op == _OPS.LT:
        return left < right
    if op == _OPS.LTE:
        return left <= right
    raise BindingError(f"unknown comparison operator {op}")


def evaluate(expr: condition_pb2.BooleanExpression, values: dict[str, literals_pb2.Literal], scope: Scope) -> bool:
    """A branch condition's truth; ``values`` are the branch node's resolved inputs (``n0.o0`` → literal)."""
    kind = expr.WhichOneof("expr")
    if kind == "comparison":
        c = expr.comparison
        return _compare(c.operator, _operand(c.left_value, values, scope), _operand(c.right_value, values, scope))
    if kind == "conjunction":
        c = expr.conjunction
        left = evaluate(c.left_expression, values, scope)
        if c.operator == condition_pb2.ConjunctionExpression.AND:
            return left and evaluate(c.right_expression, values, scope)
        return left or evaluate(c.right_expression, values, scope)
    raise BindingError(f"unsupported boolean expression {kind!r}")
