"""flytekit's ``flytekit.models.core.errors``: the error document a task writes when it fails."""

from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING, Any

from aioflyte.models._base import FlyteIdlEntity

if TYPE_CHECKING:
    from google.protobuf.timestamp_pb2 import Timestamp

_ERR = "flyteidl.core.errors_pb2"


def _epoch() -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    return Timestamp(seconds=0, nanos=0)


class ContainerError(FlyteIdlEntity, idl=f"{_ERR}:ContainerError", always=("timestamp",)):
    """A task container's failure: code, message, whether a retry may help, and who caused it.

    ``origin`` is an ``ExecutionError.ErrorKind``; ``timestamp`` is a protobuf ``Timestamp`` (as in flytekit).
    """

    class Kind(enum.IntEnum):
        NON_RECOVERABLE = 0
        RECOVERABLE = 1

    code: str
    message: str
    kind: ContainerError.Kind | int
    origin: int
    timestamp: Timestamp = dataclasses.field(default_factory=_epoch)
    worker: str = ""


class ErrorDocument(FlyteIdlEntity, idl=f"{_ERR}:ErrorDocument"):
    """The ``error.pb`` of a failed task: one ``ContainerError``."""

    error: ContainerError


__all__ = ["ContainerError", "ErrorDocument"]
