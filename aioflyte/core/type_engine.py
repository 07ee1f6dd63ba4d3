"""flytekit's ``flytekit.core.type_engine``: ``TypeEngine``, the transformer base classes and the built-in
transformers, under flytekit's names. They live in ``aioflyte.types``, one module per type family.

A transformer may be written in flytekit's sync form (``TypeTransformer`` with ``def to_literal``), in flytekit's
async form (``AsyncTypeTransformer`` with ``async def async_to_literal``) or in aioflyte's (``async def to_literal``);
see ``aioflyte.types.engine.TypeTransformer``.
"""

from __future__ import annotations

import typing
from typing import Any

from aioflyte.exceptions import TypeTransformerFailedError as TypeTransformerFailedError
from aioflyte.types.containers import DictTransformer as DictTransformer
from aioflyte.types.containers import ListTransformer as ListTransformer
from aioflyte.types.dataclass import DataclassTransformer as DataclassTransformer
from aioflyte.types.directory import BatchSize as BatchSize
from aioflyte.types.directory import batch_size_of
from aioflyte.types.engine import AsyncTypeTransformer as AsyncTypeTransformer
from aioflyte.types.engine import HashMethod as HashMethod
from aioflyte.types.engine import Literal as Literal
from aioflyte.types.engine import LiteralType as LiteralType
from aioflyte.types.engine import T as T
from aioflyte.types.engine import TypeEngine as TypeEngine
from aioflyte.types.engine import TypeTransformer as TypeTransformer
from aioflyte.types.enum_ import EnumTransformer as EnumTransformer
from aioflyte.types.generic import MSGPACK
from aioflyte.types.primitives import BOOL as BoolTransformer
from aioflyte.types.primitives import DATE as DateTransformer
from aioflyte.types.primitives import DATETIME as DatetimeTransformer
from aioflyte.types.primitives import FLOAT as FloatTransformer
from aioflyte.types.primitives import INT as IntTransformer
from aioflyte.types.primitives import NONE as NoneTransformer
from aioflyte.types.primitives import STR as StrTransformer
from aioflyte.types.primitives import TIMEDELTA as TimedeltaTransformer
from aioflyte.types.primitives import SimpleTransformer as SimpleTransformer
from aioflyte.types.protobuf import ProtobufTransformer as ProtobufTransformer
from aioflyte.types.union import UnionTransformer as UnionTransformer

MESSAGEPACK = MSGPACK
CACHE_KEY_METADATA = "cache-key-metadata"
SERIALIZATION_FORMAT = "serialization-format"
FLYTE_USE_OLD_DC_FORMAT = "FLYTE_USE_OLD_DC_FORMAT"
# keys of the JSON schemas flytekit attaches to dataclass literal types
TITLE = "title"
DEFINITIONS = "definitions"


def is_annotated(t: Any) -> bool:
    """Whether ``t`` is ``Annotated[...]``."""
    return typing.get_origin(t) is typing.Annotated


def get_underlying_type(t: Any) -> Any:
    """``T`` for ``Annotated[T, ...]``, else ``t``."""
    return typing.get_args(t)[0] if is_annotated(t) else t


def get_batch_size(t: Any) -> int | None:
    """The ``BatchSize`` an ``Annotated[..., BatchSize(n)]`` type carries, or None."""
    return batch_size_of(t)


__all__ = [
    "CACHE_KEY_METADATA",
    "DEFINITIONS",
    "FLYTE_USE_OLD_DC_FORMAT",
    "MESSAGEPACK",
    "SERIALIZATION_FORMAT",
    "TITLE",
    "AsyncTypeTransformer",
    "BatchSize",
    "BoolTransformer",
    "DataclassTransformer",
    "DateTransformer",
    "DatetimeTransformer",
    "DictTransformer",
    "EnumTransformer",
    "FloatTransformer",
    "HashMethod",
    "IntTransformer",
    "ListTransformer",
    "Literal",
    "LiteralType",
    "NoneTransformer",
    "ProtobufTransformer",
    "SimpleTransformer",
    "StrTransformer",
    "T",
    "TimedeltaTransformer",
    "TypeEngine",
    "TypeTransformer",
    "TypeTransformerFailedError",
    "UnionTransformer",
    "get_batch_size",
    "get_underlying_type",
    "is_annotated",
]
