"""Identifiers of Admin's entities and executions: building them, and naming them in messages."""

from __future__ import annotations

from typing import TypeAlias

from flyteidl.admin import common_pb2
from flyteidl.core import identifier_pb2

Identifier: TypeAlias = identifier_pb2.Identifier
NamedEntityIdentifier: TypeAlias = common_pb2.NamedEntityIdentifier
ExecutionIdentifier: TypeAlias = identifier_pb2.WorkflowExecutionIdentifier
ResourceType: TypeAlias = identifier_pb2.ResourceType

_KINDS: dict[int, str] = {
    identifier_pb2.TASK: "task",
    identifier_pb2.WORKFLOW: "workflow",
    identifier_pb2.LAUNCH_PLAN: "launch plan",
}


def make_id(kind: ResourceType, project: str, domain: str, name: str, version: str) -> Identifier:
    return Identifier(resource_type=kind, project=project, domain=domain, name=name, version=version)


def task_id(project: str, domain: str, name: str, version: str) -> Identifier:
    return make_id(identifier_pb2.TASK, project, domain, name, version)


def workflow_id(project: str, domain: str, name: str, version: str) -> Identifier:
    return make_id(identifier_pb2.WORKFLOW, project, domain, name, version)


def launch_plan_id(project: str, domain: str, name: str, version: str) -> Identifier:
    return make_id(identifier_pb2.LAUNCH_PLAN, project, domain, name, version)


def execution_id(project: str, domain: str, name: str) -> ExecutionIdentifier:
    return ExecutionIdentifier(project=project, domain=domain, name=name)


def describe_execution(id: ExecutionIdentifier) -> str:
    return f"execution {id.project}/{id.domain}/{id.name}"


def describe_node(id: identifier_pb2.NodeExecutionIdentifier) -> str:
    return f"node execution {id.node_id} of {describe_execution(id.execution_id)}"


def describe_task_execution(id: identifier_pb2.TaskExecutionIdentifier) -> str:
    return f"task execution (attempt {id.retry_attempt}) of {describe_node(id.node_execution_id)}"


def sort_by(key: str = "created_at", *, ascending: bool = False) -> common_pb2.Sort:
    direction = common_pb2.Sort.ASCENDING if ascending else common_pb2.Sort.DESCENDING
    return common_pb2.Sort(key=key, direction=direction)


def describe(id: Identifier) -> str:
    """``task flytesnacks/development/my.task@v1``."""
    kind = _KINDS.get(id.resource_type, "entity")
    return f"{kind} {id.project}/{id.domain}/{id.name}@{id.version}"
