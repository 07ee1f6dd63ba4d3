"""flytekit's ``flytekit.models.core.identifier``: ids of entities and executions (flyteidl ``core.identifier``)."""

from __future__ import annotations

import enum

from aioflyte.models._base import FlyteIdlEntity

_ID = "flyteidl.core.identifier_pb2"


class ResourceType(enum.IntEnum):
    """The kind of entity an ``Identifier`` names (flyteidl ``core.ResourceType``)."""

    UNSPECIFIED = 0
    TASK = 1
    WORKFLOW = 2
    LAUNCH_PLAN = 3
    DATASET = 4


class Identifier(FlyteIdlEntity, idl=f"{_ID}:Identifier"):
    """An entity id (resource type, project, domain, name, version); str() is ``TASK:project:domain:name:version``."""

    resource_type: ResourceType | int
    project: str
    domain: str
    name: str
    version: str

    def resource_type_name(self) -> str:
        """The resource type's name (``TASK``, ...)."""
        try:
            return ResourceType(self.resource_type).name
        except ValueError:
            return str(self.resource_type)

    def __str__(self) -> str:
        return f"{self.resource_type_name()}:{self.project}:{self.domain}:{self.name}:{self.version}"

    __repr__ = __str__


class WorkflowExecutionIdentifier(FlyteIdlEntity, idl=f"{_ID}:WorkflowExecutionIdentifier"):
    """A run's id. ``str()`` is ``project:domain:name`` (flytekit prints the message's outline)."""

    project: str
    domain: str
    name: str

    def __str__(self) -> str:
        return f"{self.project}:{self.domain}:{self.name}"


class NodeExecutionIdentifier(FlyteIdlEntity, idl=f"{_ID}:NodeExecutionIdentifier"):
    """A node's execution within a run."""

    node_id: str
    execution_id: WorkflowExecutionIdentifier


class TaskExecutionIdentifier(FlyteIdlEntity, idl=f"{_ID}:TaskExecutionIdentifier"):
    """One attempt of a task in a node execution."""

    task_id: Identifier
    node_execution_id: NodeExecutionIdentifier
    retry_attempt: int


class SignalIdentifier(FlyteIdlEntity, idl=f"{_ID}:SignalIdentifier"):
    """A signal (gate input) of a run."""

    signal_id: str
    execution_id: WorkflowExecutionIdentifier


__all__ = [
    "Identifier",
    "NodeExecutionIdentifier",
    "ResourceType",
    "SignalIdentifier",
    "TaskExecutionIdentifier",
    "WorkflowExecutionIdentifier",
]
