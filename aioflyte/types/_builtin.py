"""Registers the built-in transformers and resolves the families found by shape (dataclass, enum, ...)."""

from __future__ import annotations

import os
import typing
from typing import Any

from flyteidl.core import types_pb2 as _types

from aioflyte.types import _compat, primitives
from aioflyte.types.containers import DICT, LIST
from aioflyte.types.engine import TypeEngine, TypeTransformer
from aioflyte.types.enum_ import ENUM
from aioflyte.types.union import UNION

for _tr in primitives.ALL:
    TypeEngine.register(_tr)
TypeEngine.register(LIST)
TypeEngine.register(DICT)


def _register_late() -> None:
    from aioflyte.types.directory import DIRECTORY
    from aioflyte.types.file import FILE
    from aioflyte.types.iterator import ITERATOR
    from aioflyte.types.pickle import BYTES
    from aioflyte.types.protobuf import PROTOBUF

    TypeEngine.register(BYTES)
    # FlyteFile[fmt] classes are subclasses: found through the MRO. ``os.PathLike`` outputs are files, as in flytekit.
    TypeEngine.register(FILE, additional_types=[os.PathLike])
    TypeEngine.register(DIRECTORY)
    TypeEngine.register(ITERATOR, [typing.Iterator])  # Iterator[T]: found by its origin, collections.abc.Iterator
    TypeEngine.register(PROTOBUF)  # generated message classes: found through the MRO


_register_late()


def _dataclass() -> TypeTransformer[Any]:
    from aioflyte.types.dataclass import DATACLASS

    return DATACLASS


def __getattr__(name: str) -> Any:
    if name == "DATACLASS":
        return _dataclass()
    raise AttributeError(name)


def pydantic_transformer() -> TypeTransformer[Any]:
    from aioflyte.types.pydantic_ import PYDANTIC

    return PYDANTIC


_DATAFRAME_LIBRARIES = frozenset({"pandas", "pyarrow", "polars"})


def dataframe_transformer(t: Any) -> TypeTransformer[Any] | None:
    """StructuredDataset's transformer for a pandas/pyarrow/polars dataframe class (None for other types).

    Decided by module name, so these libraries are imported only by code that already uses them.
    """
    if not isinstance(t, type):
        return None
    if not any((getattr(c, "__module__", None) or "").partition(".")[0] in _DATAFRAME_LIBRARIES for c in t.__mro__):
        return None
    from aioflyte.types.structured.engine import transformer_for

    return transformer_for(t)


def pickle_for(t: Any) -> TypeTransformer[Any]:
    """The pickle fallback for a type with no transformer (warns once per type); dataframes go to datasets."""
    tr = dataframe_transformer(t)
    if tr is not None:
        return tr
    from aioflyte.types.pickle import pickle_transformer_for

    return pickle_transformer_for(t)


def guess_python_type(lt: _types.LiteralType) -> Any:
    """Ask each family in turn; the first that recognises the literal type answers."""
    kind = lt.WhichOneof("type")
    candidates: list[TypeTransformer[Any]] = []
    if kind == "simple":
        if lt.simple == _types.STRUCT:
            from aioflyte.types.generic import GENERIC_DICT
            from aioflyte.types.protobuf import PROTOBUF

            candidates = [PROTOBUF, _dataclass(), GENERIC_DICT]
        else:
            candidates = [
                primitives.INT,
                primitives.FLOAT,
                primitives.STR,
                primitives.BOOL,
                primitives.DATETIME,
                primitives.TIMEDELTA,
                primitives.NONE,
            ]
    elif kind == "collection_type":
        candidates = [LIST]
    elif kind == "map_value_type":
        candidates = [DICT]
    elif kind == "union_type":
        candidates = [UNION]
    elif kind == "enum_type":
        candidates = [ENUM]
    elif kind == "structured_dataset_type":
        from aioflyte.types.structured.engine import flyte_dataset_transformer

        candidates = [flyte_dataset_transformer]
    elif kind == "schema":  # FlyteSchema registers when its module is imported: import it to ask it
        from aioflyte.types.schema.types import FlyteSchema

        candidates = [TypeEngine.get_transformer(FlyteSchema)]
    else:
        candidates = [t for t in TypeEngine._REGISTRY.values() if isinstance(t, TypeTransformer)]
        from aioflyte.types.pickle import PICKLE_GUESS

        candidates.append(PICKLE_GUESS)
    # Then the transformers registered by users (flytekit asks every registered one, the built-ins first).
    users = [t for t in TypeEngine._REGISTRY.values() if not type(t).__module__.startswith("aioflyte.")]
    for tr in dict.fromkeys([*candidates, *users]):
        flytekit_style = tr._fk_to_literal or tr._fk_to_python
        try:
            return tr.guess_python_type(_compat.literal_type_view(lt) if flytekit_style else lt)
        except (ValueError, NotImplementedError, TypeError):
            continue
    raise ValueError(f"No Python type is known for the literal type {lt}")
