"""flytekit's ``flytekit.models.annotation``: ``TypeAnnotation``, free-form annotations of a literal type."""

from __future__ import annotations

from typing import Any

from aioflyte.models._base import FlyteIdlEntity


class TypeAnnotation(FlyteIdlEntity, idl="flyteidl.core.types_pb2:TypeAnnotation", always=("annotations",)):
    """JSON-able annotations carried by a ``LiteralType`` (an unset message reads as ``{}``)."""

    annotations: dict[str, Any]

    @classmethod
    def merge_annotations(cls, annotation: TypeAnnotation, other_annotation: TypeAnnotation) -> TypeAnnotation:
        """The annotations of both; ``other_annotation``'s win on a shared key."""
        return cls(annotations={**annotation.annotations, **other_annotation.annotations})


__all__ = ["TypeAnnotation"]
