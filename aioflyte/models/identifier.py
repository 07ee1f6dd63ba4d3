"""Identifiers of entities and executions: ``aioflyte.models.core.identifier``'s classes, under their first path."""

from aioflyte.models.core.identifier import (
    Identifier,
    NodeExecutionIdentifier,
    ResourceType,
    SignalIdentifier,
    TaskExecutionIdentifier,
    WorkflowExecutionIdentifier,
)

__all__ = [
    "Identifier",
    "NodeExecutionIdentifier",
    "ResourceType",
    "SignalIdentifier",
    "TaskExecutionIdentifier",
    "WorkflowExecutionIdentifier",
]
