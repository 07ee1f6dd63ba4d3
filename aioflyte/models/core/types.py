"""flytekit's ``flytekit.models.core.types``: ``BlobType`` and ``EnumType`` (flyteidl ``core.types``)."""

from __future__ import annotations

import enum

from aioflyte.models._base import FlyteIdlEntity

_TYPES = "flyteidl.core.types_pb2"


class EnumType(FlyteIdlEntity, idl=f"{_TYPES}:EnumType"):
    """The type of a Python ``Enum`` on the wire: its values, as strings."""

    values: list[str]


class BlobType(FlyteIdlEntity, idl=f"{_TYPES}:BlobType"):
    """The type of a file (``SINGLE``) or a directory (``MULTIPART``), with its format (``""`` for any)."""

    class BlobDimensionality(enum.IntEnum):
        SINGLE = 0
        MULTIPART = 1

    format: str
    dimensionality: BlobType.BlobDimensionality | int


__all__ = ["BlobType", "EnumType"]
