"""Bindings and literals: the graph IR's binding trees as flyteidl ``BindingData``, defaults as ``Parameter``s.

Constants become literals through the (async) TypeEngine; lists and dicts of them become collection / map
bindings element by element, as flytekit writes them, so that the messages are the same.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from flyteidl.core import interface_pb2, literals_pb2, types_pb2

from aioflyte.core.artifact import Artifact, ArtifactQuery
from aioflyte.core.graph import START_NODE, Coll, Const, MapB, Ref
from aioflyte.core.interface import NO_DEFAULT, is_optional
from aioflyte.remote.translator._common import GLOBAL_INPUT_NODE_ID, input_descriptions, variable_map
from aioflyte.types.engine import TypeEngine

NodeIds = dict[str, str]


def _strip_annotated(t: Any) -> Any:
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    return t


def _list_item_type(t: Any) -> Any:
    t = _strip_annotated(t)
    if typing.get_origin(t) in (list, typing.List):
        args = typing.get_args(t)
        return args[0] if args else None
    return None


def _dict_value_type(t: Any) -> Any:
    t = _strip_annotated(t)
    if typing.get_origin(t) in (dict, typing.Dict):
        args = typing.get_args(t)
        return args[1] if len(args) == 2 else None
    return None


def _union_args(t: Any) -> tuple[Any, ...]:
    return typing.get_args(_strip_annotated(t)) if t is not None else ()


def output_reference(ref: Ref, ids: NodeIds) -> Any:
    """A ``Ref`` as an ``OutputReference``: node ids mapped to the serialized ones, workflow inputs to ``""``."""
    node_id = GLOBAL_INPUT_NODE_ID if ref.node_id == START_NODE else ids.get(ref.node_id, ref.node_id)
    path = [
        (
            types_pb2.PromiseAttribute(int_value=step)
            if isinstance(step, int)
            else types_pb2.PromiseAttribute(string_value=str(step))
        )
        for step in ref.attr_path
    ]
    return types_pb2.OutputReference(node_id=node_id, var=ref.var, attr_path=path)


async def literal(value: Any, python_type: Any, lt: Any = None) -> literals_pb2.Literal:
    """The literal of a Python value (``python_type`` None: the value's own type)."""
    return await TypeEngine.async_to_literal(None, value, python_type if python_type is not None else type(value), lt)


async def binding_data(b: Any, python_type: Any, lt: types_pb2.LiteralType | None, ids: NodeIds) -> Any:
    """``BindingData`` for a binding tree (``Const``, ``Ref``, ``Coll``, ``MapB``) of declared type ``python_type``."""
    if lt is None and python_type is not None:
        lt = TypeEngine.to_literal_type(python_type)
    if isinstance(b, Ref):
        return literals_pb2.BindingData(promise=output_reference(b, ids))
    value: Any = b.value if isinstance(b, Const) else None
    if isinstance(b, Const) and python_type is None:
        python_type = b.python_type
    is_list = isinstance(b, Coll) or (isinstance(b, Const) and isinstance(value, list))
    is_dict = isinstance(b, MapB) or (isinstance(b, Const) and isinstance(value, dict))
    if lt is not None and lt.HasField("union_type") and not (isinstance(b, Const) and value is None):
        if not (is_list or is_dict):
            lit = await literal(value, python_type, lt)
            return literals_pb2.BindingData(scalar=lit.scalar)
        errors = []
        args = _union_args(python_type)
        for i, variant in enumerate(lt.union_type.variants):
            try:
                return await binding_data(b, args[i] if i < len(args) else None, variant, ids)
            except Exception as e:  # try the next variant, as flytekit does
                errors.append(f"{variant}: {e}")
        raise TypeError(f"cannot bind {b!r} to any variant of {python_type}: {'; '.join(errors)}")
    if is_list and (lt is None or lt.HasField("collection_type")):
        items: Sequence[Any] = b.items if isinstance(b, Coll) else [Const(v) for v in value]
        sub = _list_item_type(python_type)
        sub_lt = lt.collection_type if lt is not None else None
        return literals_pb2.BindingData(
            collection=literals_pb2.BindingDataCollection(
                bindings=[await binding_data(x, sub if sub is not None else _own_type(x), sub_lt, ids) for x in items]
            )
        )
    if is_dict and lt is not None and lt.HasField("map_value_type"):
        pairs: Sequence[tuple[str, Any]] = b.items if isinstance(b, MapB) else [(k, Const(v)) for k, v in value.items()]
        sub = _dict_value_type(python_type)
        m = literals_pb2.BindingDataMap()
        for k, x in pairs:
            m.bindings[k].CopyFrom(
                await binding_data(x, sub if sub is not None else _own_type(x), lt.map_value_type, ids)
            )
        return literals_pb2.BindingData(map=m)
    if isinstance(b, tuple):
        raise TypeError(f"tuples cannot be bound as Flyte values: {b!r}")
    if isinstance(b, (Coll, MapB)):
        raise TypeError(f"cannot bind {b!r} to a value of type {python_type}")
    lit = await literal(value, python_type, lt)
    return literals_pb2.BindingData(scalar=lit.scalar)


def _own_type(x: Any) -> Any:
    return type(x.value) if isinstance(x, Const) else None


async def bindings(
    node_bindings: dict[str, Any], types: dict[str, Any], ids: NodeIds, skip: set[str] | None = None
) -> list[literals_pb2.Binding]:
    """A node's ``Binding`` list, sorted by input name as flytekit writes it."""
    out = []
    for name in sorted(node_bindings):
        if skip and name in skip:
            continue
        t = types.get(name)
        out.append(literals_pb2.Binding(var=name, binding=await binding_data(node_bindings[name], t, None, ids)))
    return out


async def literal_map(values: dict[str, Any], types: dict[str, Any]) -> literals_pb2.LiteralMap:
    """The literals of ``values`` (of ``types``, else of their own types)."""
    return await TypeEngine.dict_to_literal_map_pb(None, values, types)


async def parameter_map(inputs: dict[str, tuple[Any, Any]], docstring: str | None = None) -> interface_pb2.ParameterMap:
    """Inputs (name -> (type, default or NO_DEFAULT)) as launch plan parameters.

    No default: required. A default of None for an Optional input: a ``none`` literal, not required.
    """
    types = {k: t for k, (t, _) in inputs.items()}
    variables = variable_map(types, input_descriptions(docstring))
    pm = interface_pb2.ParameterMap()
    for name, (t, default) in inputs.items():
        var = variables.variables[name]
        if default is None and is_optional(t):
            p = interface_pb2.Parameter(
                var=var, default=literals_pb2.Literal(scalar=literals_pb2.Scalar(none_type=literals_pb2.Void()))
            )
        elif isinstance(default, (ArtifactQuery, Artifact)):
            p = interface_pb2.Parameter(var=var, required=False, **artifact_default(name, default))
        elif default is NO_DEFAULT or default is None:
            p = interface_pb2.Parameter(var=var, required=True)
        else:
            p = interface_pb2.Parameter(var=var, default=await literal(default, t, var.type))
        pm.parameters[name].CopyFrom(p)
    return pm


def artifact_default(name: str, default: Any) -> dict[str, Any]:
    """A default that is an artifact query (or an artifact: its query, or its id when it has a version), as
    flytekit writes it in a ``Parameter``."""
    if isinstance(default, ArtifactQuery):
        return {"artifact_query": default.to_flyte_idl()}
    if default.version:
        return {"artifact_id": default.concrete_artifact_id}
    q = default.query()
    if not q.bound:
        raise ValueError(
            f"input {name}: the default Artifact {default.name} leaves partitions unbound; "
            f"use {default.name}.query(...)"
        )
    return {"artifact_query": q.to_flyte_idl()}
