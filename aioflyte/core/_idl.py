"""What flytekit's model objects offer on top of ``to_flyte_idl()``: ``is_empty``, ``serialize_to_string``,
``short_string`` (a mixin for the authoring classes that have a flyteidl form)."""

from __future__ import annotations

from typing import Any


class IdlHelpers:
    """Mixed into a class with ``to_flyte_idl()``."""

    __slots__ = ()

    def to_flyte_idl(self) -> Any:  # pragma: no cover - every user of the mixin defines it
        raise NotImplementedError

    @property
    def is_empty(self) -> bool:
        """True when the message has no field set."""
        return bool(self.to_flyte_idl().ByteSize() == 0)

    def serialize_to_string(self) -> bytes:
        """The message's wire bytes."""
        return bytes(self.to_flyte_idl().SerializeToString())

    def short_string(self) -> str:
        return f"Flyte Serialized object ({type(self).__name__}):\n{self.to_flyte_idl()}"
