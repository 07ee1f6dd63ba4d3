"""flytekit's ``flytekit.models.types``: ``LiteralType`` and its parts (flyteidl ``core.types``)."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

from aioflyte.models._base import FlyteIdlEntity
from aioflyte.models.annotation import TypeAnnotation
from aioflyte.models.annotation import TypeAnnotation as TypeAnnotationModel  # flytekit's name for it here
from aioflyte.models.core.types import BlobType, EnumType

_TYPES = "flyteidl.core.types_pb2"


class SimpleType(enum.IntEnum):
    """The simple types (flyteidl ``core.SimpleType``); members are ints, as flytekit's constants are."""

    NONE = 0
    INTEGER = 1
    FLOAT = 2
    STRING = 3
    BOOLEAN = 4
    DATETIME = 5
    DURATION = 6
    BINARY = 7
    ERROR = 8
    STRUCT = 9


class SchemaType(FlyteIdlEntity, idl=f"{_TYPES}:SchemaType"):
    """The columns of a (legacy) ``FlyteSchema``."""

    class SchemaColumn(FlyteIdlEntity, idl=f"{_TYPES}:SchemaType.SchemaColumn"):
        class SchemaColumnType(enum.IntEnum):
            INTEGER = 0
            FLOAT = 1
            STRING = 2
            BOOLEAN = 3
            DATETIME = 4
            DURATION = 5

        name: str
        type: SchemaType.SchemaColumn.SchemaColumnType | int

    columns: list[SchemaType.SchemaColumn]


class UnionType(FlyteIdlEntity, idl=f"{_TYPES}:UnionType"):
    """The variants of a ``typing.Union`` (each with its ``structure.tag``)."""

    variants: list[LiteralType]


class TypeStructure(FlyteIdlEntity, idl=f"{_TYPES}:TypeStructure"):
    """A tag naming a type's structure (union variants), and a dataclass's field types."""

    tag: str
    dataclass_type: dict[str, LiteralType] | None = None


class StructuredDatasetType(
    FlyteIdlEntity,
    idl=f"{_TYPES}:StructuredDatasetType",
    frozen=False,
    unset_if_empty=("columns", "external_schema_type", "external_schema_bytes"),
    none_if_empty=("external_schema_type", "external_schema_bytes"),
):
    """A dataset's declared columns, storage format and external (e.g. arrow) schema."""

    class DatasetColumn(FlyteIdlEntity, idl=f"{_TYPES}:StructuredDatasetType.DatasetColumn"):
        name: str
        literal_type: LiteralType

    columns: list[StructuredDatasetType.DatasetColumn] | None = None
    format: str = ""
    external_schema_type: str | None = None
    external_schema_bytes: bytes | None = None


class LiteralType(FlyteIdlEntity, idl=f"{_TYPES}:LiteralType", frozen=False, none_if_empty=("metadata",)):
    """The type of a value on the wire: one of the kinds (``simple``, ``blob``, ``collection_type``, ...),
    with optional JSON ``metadata``, a ``structure`` and an ``annotation``."""

    simple: SimpleType | int | None = None
    schema: SchemaType | None = None
    collection_type: LiteralType | None = None
    map_value_type: LiteralType | None = None
    blob: BlobType | None = None
    enum_type: EnumType | None = None
    union_type: UnionType | None = None
    structured_dataset_type: StructuredDatasetType | None = None
    metadata: dict[str, Any] | None = None
    structure: TypeStructure | None = None
    annotation: TypeAnnotation | None = None

    def __rich_repr__(self) -> Iterator[str]:
        """A one-word summary of the kind (``List[...]``, ``File``, ...) for rich."""
        if self.simple:
            yield "Simple"
        elif self.schema:
            yield "Schema"
        elif self.collection_type:
            yield f"List[{next(self.collection_type.__rich_repr__())}]"
        elif self.map_value_type:
            yield f"Dict[str, {next(self.map_value_type.__rich_repr__())}]"
        elif self.blob:
            kinds = {BlobType.BlobDimensionality.SINGLE: "File", BlobType.BlobDimensionality.MULTIPART: "Directory"}
            yield kinds.get(self.blob.dimensionality, "Unknown Blob Type")  # type: ignore[call-overload]  # an int
        elif self.enum_type:
            yield "Enum"
        elif self.union_type:
            yield "Union"
        elif self.structured_dataset_type:
            yield f"StructuredDataset(format={self.structured_dataset_type.format})"
        else:
            yield "Unknown Type"


def _attr_to(item: str | int) -> dict[str, Any]:
    return {"string_value": item} if isinstance(item, str) else {"int_value": item}


class OutputReference(FlyteIdlEntity, idl=f"{_TYPES}:OutputReference", frozen=False, custom=("attr_path",)):
    """A promise: output ``var`` of node ``node_id``, optionally an item or attribute of it (``attr_path``)."""

    node_id: str
    var: str
    attr_path: list[str | int] | None = None

    def __post_init__(self) -> None:
        if self.attr_path is None:
            self.attr_path = []

    def to_flyte_idl(self) -> Any:
        return self._idl()(**self._to_kwargs(), attr_path=[_attr_to(p) for p in self.attr_path or ()])

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> OutputReference:
        path = [p.string_value if p.WhichOneof("value") == "string_value" else p.int_value for p in pb.attr_path]
        return cls(**cls._from_kwargs(pb), attr_path=path)


class Error(FlyteIdlEntity, idl=f"{_TYPES}:Error"):
    """A failure as a value: the node that failed and its message."""

    failed_node_id: str
    message: str


__all__ = [
    "Error",
    "LiteralType",
    "OutputReference",
    "SchemaType",
    "SimpleType",
    "StructuredDatasetType",
    "TypeAnnotationModel",
    "TypeStructure",
    "UnionType",
]
