"""Documentation of tasks, workflows and launch plans: ``Documentation``, ``Description``, ``SourceCode``."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from aioflyte.core._idl import IdlHelpers
from aioflyte.exceptions import FlyteValidationException


def _check_type(owner: str, name: str, value: Any, expected: type, optional: bool = True) -> None:
    """Raise TypeError naming the class, the parameter, the expected and the actual type."""
    if (value is None and optional) or isinstance(value, expected):
        return
    want = expected.__name__ + (" or None" if optional else "")
    raise TypeError(f"{owner}: parameter {name!r} expects {want}, got {type(value).__name__} ({value!r})")


@dataclass(frozen=True)
class Description(IdlHelpers):
    """A long description, inline (``value``) or by ``uri``, in a ``format`` clients can render."""

    class DescriptionFormat(enum.IntEnum):
        UNKNOWN = 0
        MARKDOWN = 1
        HTML = 2
        RST = 3

    value: str | None = None
    uri: str | None = None
    icon_link: str | None = None
    format: Description.DescriptionFormat = DescriptionFormat.RST

    def __post_init__(self) -> None:
        for name in ("value", "uri", "icon_link"):
            _check_type("Description", name, getattr(self, name), str)
        if isinstance(self.format, int) and not isinstance(self.format, bool):
            try:
                object.__setattr__(self, "format", Description.DescriptionFormat(self.format))
            except ValueError as e:
                raise FlyteValidationException(f"Description: unknown format {self.format!r}") from e
        _check_type("Description", "format", self.format, Description.DescriptionFormat, optional=False)
        # value= and uri= together are accepted, as in flytekit; the message holds one of them: the uri

    def to_flyte_idl(self) -> Any:
        """The ``flyteidl.admin.description_entity_pb2.Description`` message."""
        from flyteidl.admin import description_entity_pb2

        return description_entity_pb2.Description(
            value=self.value,
            uri=self.uri,
            format=int(self.format),  # type: ignore[arg-type]  # the enum's number
            icon_link=self.icon_link,
        )

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> Description:
        return cls(
            value=pb.value if pb.HasField("value") else None,
            uri=pb.uri if pb.HasField("uri") else None,
            icon_link=pb.icon_link or None,
            format=cls.DescriptionFormat(pb.format),
        )


@dataclass(frozen=True)
class SourceCode(IdlHelpers):
    """A link to the source code that defines the entity."""

    link: str | None = None

    def __post_init__(self) -> None:
        _check_type("SourceCode", "link", self.link, str)

    def to_flyte_idl(self) -> Any:
        """The ``flyteidl.admin.description_entity_pb2.SourceCode`` message."""
        from flyteidl.admin import description_entity_pb2

        return description_entity_pb2.SourceCode(link=self.link)

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> SourceCode:
        return cls(link=pb.link or None)


@dataclass(frozen=True)
class Documentation(IdlHelpers):
    """What a task, workflow or launch plan is for: a short line, a long ``Description``, a source link."""

    short_description: str | None = None
    long_description: Description | None = None
    source_code: SourceCode | None = None

    def __post_init__(self) -> None:
        _check_type("Documentation", "short_description", self.short_description, str)
        _check_type("Documentation", "long_description", self.long_description, Description)
        _check_type("Documentation", "source_code", self.source_code, SourceCode)

    def to_flyte_idl(self) -> Any:
        """The ``flyteidl.admin.description_entity_pb2.DescriptionEntity`` message."""
        from flyteidl.admin import description_entity_pb2

        return description_entity_pb2.DescriptionEntity(
            short_description=self.short_description,
            long_description=self.long_description.to_flyte_idl() if self.long_description else None,
            source_code=self.source_code.to_flyte_idl() if self.source_code else None,
        )

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> Documentation:
        return cls(
            short_description=pb.short_description or None,
            long_description=Description.from_flyte_idl(pb.long_description)
            if pb.HasField("long_description")
            else None,
            source_code=SourceCode.from_flyte_idl(pb.source_code) if pb.HasField("source_code") else None,
        )
