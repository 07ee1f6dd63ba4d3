"""Checking execution inputs against a task interface: missing, unknown and mistyped inputs, each named."""

from __future__ import annotations

from flyteidl.core import interface_pb2, literals_pb2, types_pb2

from aioflyte.server.errors import InvalidArgument

_SIMPLE = types_pb2.SimpleType
_PRIMITIVE_FIELD = {
    _SIMPLE.INTEGER: "integer",
    _SIMPLE.FLOAT: "float_value",
    _SIMPLE.STRING: "string_value",
    _SIMPLE.BOOLEAN: "boolean",
    _SIMPLE.DATETIME: "datetime",
    _SIMPLE.DURATION: "duration",
}


def type_name(lt: types_pb2.LiteralType) -> str:
    """A short, readable name for a literal type (``integer``, ``list[string]``, ``union[integer, none]``)."""
    kind = lt.WhichOneof("type")
    if kind == "simple":
        return _SIMPLE.Name(lt.simple).lower()
    if kind == "collection_type":
        return f"list[{type_name(lt.collection_type)}]"
    if kind == "map_value_type":
        return f"dict[string, {type_name(lt.map_value_type)}]"
    if kind == "union_type":
        return f"union[{', '.join(type_name(v) for v in lt.union_type.variants)}]"
    if kind == "enum_type":
        return f"enum{list(lt.enum_type.values)}"
    return kind or "unknown"


def _is_none(lit: literals_pb2.Literal) -> bool:
    return lit.WhichOneof("value") == "scalar" and lit.scalar.WhichOneof("value") == "none_type"


def accepts_none(lt: types_pb2.LiteralType) -> bool:
    kind = lt.WhichOneof("type")
    if kind == "simple":
        return lt.simple == _SIMPLE.NONE
    if kind == "union_type":
        return any(accepts_none(v) for v in lt.union_type.variants)
    return False


def matches(lit: literals_pb2.Literal, lt: types_pb2.LiteralType) -> bool:
    """Whether ``lit`` is a value of ``lt``. Kinds this check does not know are accepted (the task decides)."""
    value = lit.WhichOneof("value")
    if value == "offloaded_metadata":
        return True
    kind = lt.WhichOneof("type")
    if kind == "union_type":
        if value == "scalar" and lit.scalar.WhichOneof("value") == "union":
            lit = lit.scalar.union.value
        return any(matches(lit, v) for v in lt.union_type.variants)
    if _is_none(lit):
        return accepts_none(lt)
    if kind == "simple":
        if lt.simple in _PRIMITIVE_FIELD:
            return (
                value == "scalar"
                and lit.scalar.WhichOneof("value") == "primitive"
                and lit.scalar.primitive.WhichOneof("value") == _PRIMITIVE_FIELD[lt.simple]
            )
        if lt.simple == _SIMPLE.NONE:
            return False
        if lt.simple == _SIMPLE.STRUCT:
            return value == "scalar" and lit.scalar.WhichOneof("value") in ("generic", "binary")
        if lt.simple == _SIMPLE.BINARY:
            return value == "scalar" and lit.scalar.WhichOneof("value") == "binary"
        return True
    if kind == "collection_type":
        return value == "collection" and all(matches(item, lt.collection_type) for item in lit.collection.literals)
    if kind == "map_value_type":
        return value == "map" and all(matches(v, lt.map_value_type) for v in lit.map.literals.values())
    if kind == "enum_type":
        return (
            value == "scalar"
            and lit.scalar.primitive.WhichOneof("value") == "string_value"
            and lit.scalar.primitive.string_value in lt.enum_type.values
        )
    scalar_kind = {"blob": "blob", "structured_dataset_type": "structured_dataset", "schema": "schema"}.get(kind or "")
    if scalar_kind is not None:
        return value == "scalar" and lit.scalar.WhichOneof("value") == scalar_kind
    return True


def _literal_name(lit: literals_pb2.Literal) -> str:
    value = lit.WhichOneof("value")
    if value == "scalar":
        inner = lit.scalar.WhichOneof("value")
        if inner == "primitive":
            return lit.scalar.primitive.WhichOneof("value") or "primitive"
        return inner or "scalar"
    return value or "empty literal"


def check_inputs(
    inputs: literals_pb2.LiteralMap, interface: interface_pb2.TypedInterface, entity: str
) -> literals_pb2.LiteralMap:
    """The inputs, validated: unknown names, missing required inputs and wrong types raise ``InvalidArgument``.

    Optional inputs (unions with none) that are missing are filled with a none literal, as flytekit's launch plans
    default them.
    """
    declared = interface.inputs.variables
    unknown = sorted(set(inputs.literals) - set(declared))
    if unknown:
        raise InvalidArgument(f"invalid input {unknown[0]}: {entity} has no input named {unknown[0]} "
                              f"(its inputs: {sorted(declared)})")  # fmt: skip
    result = literals_pb2.LiteralMap()
    result.CopyFrom(inputs)
    for name in sorted(declared):
        var = declared[name]
        if name not in inputs.literals:
            if accepts_none(var.type):
                result.literals[name].scalar.none_type.SetInParent()
                continue
            raise InvalidArgument(f"missing input {name} ({type_name(var.type)}) for {entity}")
        lit = inputs.literals[name]
        if not matches(lit, var.type):
            raise InvalidArgument(
                f"invalid input {name}: {entity} expects {type_name(var.type)}, got {_literal_name(lit)}"
            )
    return result
