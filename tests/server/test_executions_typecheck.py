"""Execution inputs checked against a task interface (in process): names, optional inputs, nested types."""

from __future__ import annotations

import pytest
from flyteidl.core import interface_pb2, literals_pb2, types_pb2

from aioflyte.server.errors import InvalidArgument
from aioflyte.server.executions.typecheck import check_inputs, matches, type_name

S = types_pb2.SimpleType
INT = types_pb2.LiteralType(simple=S.INTEGER)
STR = types_pb2.LiteralType(simple=S.STRING)
NONE = types_pb2.LiteralType(simple=S.NONE)
OPT_INT = types_pb2.LiteralType(union_type=types_pb2.UnionType(variants=[INT, NONE]))
LIST_INT = types_pb2.LiteralType(collection_type=INT)
MAP_STR = types_pb2.LiteralType(map_value_type=STR)


def _int(v: int) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=v)))


def _str(v: str) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(string_value=v)))


def _none() -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(none_type=literals_pb2.Void()))


def _interface(**types: types_pb2.LiteralType) -> interface_pb2.TypedInterface:
    variables = {k: interface_pb2.Variable(type=t) for k, t in types.items()}
    return interface_pb2.TypedInterface(inputs=interface_pb2.VariableMap(variables=variables))


def test_nested_types():
    ints = literals_pb2.Literal(collection=literals_pb2.LiteralCollection(literals=[_int(1), _int(2)]))
    mixed = literals_pb2.Literal(collection=literals_pb2.LiteralCollection(literals=[_int(1), _str("x")]))
    assert matches(ints, LIST_INT) and not matches(mixed, LIST_INT) and not matches(_int(1), LIST_INT)
    strs = literals_pb2.Literal(map=literals_pb2.LiteralMap(literals={"a": _str("x")}))
    assert matches(strs, MAP_STR) and not matches(ints, MAP_STR)
    wrapped = literals_pb2.Literal(scalar=literals_pb2.Scalar(union=literals_pb2.Union(value=_int(3), type=INT)))
    assert matches(wrapped, OPT_INT) and matches(_int(3), OPT_INT) and matches(_none(), OPT_INT)
    assert not matches(_str("3"), OPT_INT) and not matches(_none(), INT)
    assert type_name(OPT_INT) == "union[integer, none]" and type_name(LIST_INT) == "list[integer]"


def test_missing_optional_inputs_become_none_and_required_ones_fail():
    interface = _interface(a=INT, b=OPT_INT)
    filled = check_inputs(literals_pb2.LiteralMap(literals={"a": _int(1)}), interface, "task t")
    assert filled.literals["b"] == _none() and filled.literals["a"] == _int(1)
    with pytest.raises(InvalidArgument, match=r"missing input a \(integer\) for task t"):
        check_inputs(literals_pb2.LiteralMap(), interface, "task t")
    with pytest.raises(InvalidArgument, match="invalid input zz: task t has no input named zz"):
        check_inputs(literals_pb2.LiteralMap(literals={"a": _int(1), "zz": _int(2)}), interface, "task t")
    with pytest.raises(InvalidArgument, match="invalid input b: task t expects union"):
        check_inputs(literals_pb2.LiteralMap(literals={"a": _int(1), "b": _str("x")}), interface, "task t")
