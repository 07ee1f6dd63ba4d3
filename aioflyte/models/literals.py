"""flytekit's ``flytekit.models.literals``: values on the wire (flyteidl ``core.literals``), and literal map files."""

from __future__ import annotations

import asyncio
import datetime as _dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aioflyte.exceptions import FlyteValidationException
from aioflyte.models._base import FlyteIdlEntity
from aioflyte.models.core.types import BlobType
from aioflyte.models.types import Error, LiteralType, OutputReference, SchemaType, StructuredDatasetType

if TYPE_CHECKING:
    from flyteidl.core import literals_pb2
    from google.protobuf.struct_pb2 import Struct

_LIT = "flyteidl.core.literals_pb2"


def _first_set(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


class RetryStrategy(FlyteIdlEntity, idl=f"{_LIT}:RetryStrategy"):
    """How many times a recoverable failure is retried (0: one attempt)."""

    retries: int


class Primitive(FlyteIdlEntity, idl=f"{_LIT}:Primitive"):
    """One primitive value; set exactly one field. A naive ``datetime`` is taken as UTC."""

    integer: int | None = None
    float_value: float | None = None
    string_value: str | None = None
    boolean: bool | None = None
    datetime: _dt.datetime | None = None
    duration: _dt.timedelta | None = None

    def __post_init__(self) -> None:
        value = self.datetime
        if value is not None and not isinstance(value, _dt.datetime):  # a protobuf Timestamp
            value = value.ToDatetime()
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        object.__setattr__(self, "datetime", value)

    @property
    def value(self) -> int | float | str | bool | _dt.datetime | _dt.timedelta | None:
        """Whichever field is set."""
        return _first_set(self.integer, self.float_value, self.string_value, self.boolean, self.datetime, self.duration)


class Binary(FlyteIdlEntity, idl=f"{_LIT}:Binary"):
    """Bytes with a tag naming their encoding (``msgpack`` for dataclasses and dicts)."""

    value: bytes
    tag: str


class BlobMetadata(FlyteIdlEntity, idl=f"{_LIT}:BlobMetadata"):
    """What a blob is: its ``BlobType``."""

    type: BlobType


class Blob(FlyteIdlEntity, idl=f"{_LIT}:Blob"):
    """A file or directory in storage: its metadata and its URI."""

    metadata: BlobMetadata
    uri: str


class Void(FlyteIdlEntity, idl=f"{_LIT}:Void"):
    """No value (``None``)."""


class BindingDataMap(FlyteIdlEntity, idl=f"{_LIT}:BindingDataMap"):
    bindings: dict[str, BindingData]


class BindingDataCollection(FlyteIdlEntity, idl=f"{_LIT}:BindingDataCollection"):
    bindings: list[BindingData]


class BindingData(FlyteIdlEntity, idl=f"{_LIT}:BindingData"):
    """A node input: a value, a promise of another node's output, or a list or map of these. Set one."""

    scalar: Scalar | None = None
    collection: BindingDataCollection | None = None
    promise: OutputReference | None = None
    map: BindingDataMap | None = None

    @property
    def value(self) -> Scalar | BindingDataCollection | OutputReference | BindingDataMap | None:
        """Whichever field is set."""
        return _first_set(self.scalar, self.collection, self.promise, self.map)

    def to_literal_model(self) -> Literal:
        """The ``Literal`` of binding data without promises (raises ``FlyteValidationException`` on a promise)."""
        if self.promise is not None:
            raise FlyteValidationException(f"BindingData: cannot make a Literal of a promise ({self.promise})")
        if self.scalar is not None:
            return Literal(scalar=self.scalar)
        if self.collection is not None:
            return Literal(collection=LiteralCollection([b.to_literal_model() for b in self.collection.bindings]))
        if self.map is not None:
            return Literal(map=LiteralMap({k: b.to_literal_model() for k, b in self.map.bindings.items()}))
        return Literal()


class Binding(FlyteIdlEntity, idl=f"{_LIT}:Binding"):
    """Binds input or output ``var`` of a node to ``binding``."""

    var: str
    binding: BindingData


class Schema(FlyteIdlEntity, idl=f"{_LIT}:Schema"):
    """A (legacy) ``FlyteSchema`` value: where it is stored and its columns."""

    uri: str
    type: SchemaType


class Union(FlyteIdlEntity, idl=f"{_LIT}:Union", rename={"stored_type": "type"}):
    """A value of a ``typing.Union``, with the variant type it was stored as."""

    value: Literal
    stored_type: LiteralType


class StructuredDatasetMetadata(
    FlyteIdlEntity, idl=f"{_LIT}:StructuredDatasetMetadata", always=("structured_dataset_type",)
):
    """The type a structured dataset was written with (read back, it is always set, as in flytekit)."""

    structured_dataset_type: StructuredDatasetType | None = None


class StructuredDataset(FlyteIdlEntity, idl=f"{_LIT}:StructuredDataset", always=("metadata",)):
    """A dataframe in storage: its URI and metadata (read back, metadata is always set, as in flytekit)."""

    uri: str
    metadata: StructuredDatasetMetadata | None = None


class LiteralCollection(FlyteIdlEntity, idl=f"{_LIT}:LiteralCollection"):
    literals: list[Literal]


class LiteralMap(FlyteIdlEntity, idl=f"{_LIT}:LiteralMap"):
    """Named literals: the inputs or outputs of a task or workflow."""

    literals: dict[str, Literal]


class Scalar(FlyteIdlEntity, idl=f"{_LIT}:Scalar"):
    """A single value of one of the scalar kinds; set exactly one field."""

    primitive: Primitive | None = None
    blob: Blob | None = None
    binary: Binary | None = None
    schema: Schema | None = None
    union: Union | None = None
    none_type: Void | None = None
    error: Error | None = None
    generic: Struct | None = None
    structured_dataset: StructuredDataset | None = None

    @property
    def value(self) -> Any:
        """Whichever field is set."""
        return _first_set(
            self.primitive,
            self.blob,
            self.binary,
            self.schema,
            self.union,
            self.none_type,
            self.error,
            self.generic,
            self.structured_dataset,
        )


class LiteralOffloadedMetadata(FlyteIdlEntity, idl=f"{_LIT}:LiteralOffloadedMetadata"):
    """Where an offloaded literal is, its size, and the type inferred for it."""

    uri: str | None = None
    size_bytes: int | None = None
    inferred_type: LiteralType | None = None


class Literal(FlyteIdlEntity, idl=f"{_LIT}:Literal", frozen=False, none_if_empty=("hash", "metadata")):
    """A value on the wire: a scalar, a collection or a map, with an optional cache ``hash`` and ``metadata``."""

    scalar: Scalar | None = None
    collection: LiteralCollection | None = None
    map: LiteralMap | None = None
    hash: str | None = None
    metadata: dict[str, str] | None = None
    offloaded_metadata: LiteralOffloadedMetadata | None = None

    @property
    def value(self) -> Scalar | LiteralCollection | LiteralMap | None:
        """Whichever of ``scalar``, ``collection`` and ``map`` is set."""
        return _first_set(self.scalar, self.collection, self.map)

    def set_metadata(self, metadata: dict[str, str]) -> None:
        """Replace the metadata (in place)."""
        self.metadata = metadata


async def read_literal_map_file(path: str | os.PathLike[str]) -> literals_pb2.LiteralMap:
    """The LiteralMap in a local file (a path, or a ``file://`` URI), read in a worker thread.

    Raises ``FileNotFoundError`` when there is no such file.
    """
    from flyteidl.core import literals_pb2

    local = Path(os.fspath(path).removeprefix("file://"))
    return literals_pb2.LiteralMap.FromString(await asyncio.to_thread(local.read_bytes))


__all__ = [
    "Binary",
    "Binding",
    "BindingData",
    "BindingDataCollection",
    "BindingDataMap",
    "Blob",
    "BlobMetadata",
    "Literal",
    "LiteralCollection",
    "LiteralMap",
    "LiteralOffloadedMetadata",
    "Primitive",
    "RetryStrategy",
    "Scalar",
    "Schema",
    "StructuredDataset",
    "StructuredDatasetMetadata",
    "Union",
    "Void",
    "read_literal_map_file",
]
