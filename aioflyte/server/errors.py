"""The errors the Admin service raises, each carrying the explicit gRPC status code it is answered with."""

from __future__ import annotations

from typing import Any

import grpc
from flyteidl.core import identifier_pb2
from google.protobuf.message import Message

_KINDS: dict[int, str] = {
    identifier_pb2.TASK: "task",
    identifier_pb2.WORKFLOW: "workflow",
    identifier_pb2.LAUNCH_PLAN: "launch plan",
}


class AdminError(Exception):
    """A request failed with ``code``; ``details`` are protobuf messages sent as ``grpc-status-details-bin``."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str, *, details: tuple[Message, ...] = (), outcome: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        #: how the server's log describes the answer when it is no failure (e.g. "already registered")
        self.outcome = outcome


class InvalidArgument(AdminError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(AdminError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(AdminError):
    code = grpc.StatusCode.ALREADY_EXISTS


class Internal(AdminError):
    code = grpc.StatusCode.INTERNAL


class FailedPrecondition(AdminError):
    code = grpc.StatusCode.FAILED_PRECONDITION


def enum_name(enum: Any, value: int) -> str:
    """The name of ``value`` in a protobuf enum, or ``<value> (not a <Enum> value)`` for a number it does not have
    (clients may send any number: proto3 enums are open)."""
    try:
        return str(enum.Name(value))
    except ValueError:
        return f"{value} (not a {enum.DESCRIPTOR.name} value)"


def kind_name(resource_type: int) -> str:
    """``task``, ``workflow`` or ``launch plan`` for a ``core.ResourceType``."""
    known = _KINDS.get(resource_type)
    if known is not None:
        return known
    try:
        return str(identifier_pb2.ResourceType.Name(resource_type)).lower()
    except ValueError:
        return enum_name(identifier_pb2.ResourceType, resource_type)


def describe(id: identifier_pb2.Identifier) -> str:
    """``task flytesnacks/development/my.task@v1``: how error messages name an entity version."""
    return f"{kind_name(id.resource_type)} {id.project}/{id.domain}/{id.name}@{id.version}"


def not_found(id: identifier_pb2.Identifier) -> NotFound:
    return NotFound(f"{describe(id)} does not exist")


def missing(field: str) -> InvalidArgument:
    """flyteadmin's wording for a required field left empty."""
    return InvalidArgument(f"missing {field}")
