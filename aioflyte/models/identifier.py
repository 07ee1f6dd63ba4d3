"""Identifiers of entities and executions, convertible to their flyteidl messages."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, cast


class ResourceType(enum.IntEnum):
    UNSPECIFIED = 0
    TASK = 1
    WORKFLOW = 2
    LAUNCH_PLAN = 3
    DATASET = 4


@dataclass(frozen=True)
class Identifier:
    """An entity id: resource type, project, domain, name, version (flyteidl ``core.Identifier``)."""

    resource_type: ResourceType
    project: str
    domain: str
    name: str
    version: str

    def to_flyte_idl(self) -> Any:
        from flyteidl.core import identifier_pb2

        return identifier_pb2.Identifier(
            resource_type=cast(identifier_pb2.ResourceType, int(self.resource_type)),  # the same numbers
            project=self.project,
            domain=self.domain,
            name=self.name,
            version=self.version,
        )


@dataclass(frozen=True)
class WorkflowExecutionIdentifier:
    """A run's id (flyteidl ``core.WorkflowExecutionIdentifier``)."""

    project: str
    domain: str
    name: str

    def to_flyte_idl(self) -> Any:
        from flyteidl.core import identifier_pb2

        return identifier_pb2.WorkflowExecutionIdentifier(project=self.project, domain=self.domain, name=self.name)

    def __str__(self) -> str:
        return f"{self.project}:{self.domain}:{self.name}"
