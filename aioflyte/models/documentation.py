"""Documentation of tasks, workflows and launch plans: ``Documentation``, ``Description``, ``SourceCode``.

flytekit's ``flytekit.models.documentation`` (flyteidl ``admin.description_entity``).
"""

from __future__ import annotations

import enum

from aioflyte.exceptions import FlyteValidationException
from aioflyte.models._base import FlyteIdlEntity, _check_type

_DESC = "flyteidl.admin.description_entity_pb2"


class Description(FlyteIdlEntity, idl=f"{_DESC}:Description", none_if_empty=("icon_link",)):
    """A long description, inline (``value``) or by ``uri``, in a ``format`` clients can render.

    The message holds one of the two: given both, it keeps the ``uri`` (the field written last), as flytekit's does.
    """

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


class SourceCode(FlyteIdlEntity, idl=f"{_DESC}:SourceCode", none_if_empty=("link",)):
    """A link to the source code that defines the entity."""

    link: str | None = None

    def __post_init__(self) -> None:
        _check_type("SourceCode", "link", self.link, str)


class Documentation(FlyteIdlEntity, idl=f"{_DESC}:DescriptionEntity", none_if_empty=("short_description",)):
    """What a task, workflow or launch plan is for: a short line, a long ``Description``, a source link."""

    short_description: str | None = None
    long_description: Description | None = None
    source_code: SourceCode | None = None

    def __post_init__(self) -> None:
        _check_type("Documentation", "short_description", self.short_description, str)
        _check_type("Documentation", "long_description", self.long_description, Description)
        _check_type("Documentation", "source_code", self.source_code, SourceCode)


__all__ = ["Description", "Documentation", "SourceCode"]
