"""flytekit's ``flytekit.extend.backend.base_agent``: the connectors under their older "agent" names (the same
classes as ``aioflyte.extend.backend.base_connector``)."""

from __future__ import annotations

from aioflyte.core.connector import AsyncConnectorBase as AsyncAgentBase
from aioflyte.core.connector import ConnectorBase as AgentBase
from aioflyte.core.connector import ConnectorRegistry as AgentRegistry
from aioflyte.core.connector import Resource as Resource
from aioflyte.core.connector import ResourceMeta as ResourceMeta
from aioflyte.core.connector import SyncConnectorBase as SyncAgentBase
from aioflyte.core.connector import TaskCategory as TaskCategory
from aioflyte.core.connector_exec import AsyncConnectorExecutorMixin as AsyncAgentExecutorMixin
from aioflyte.core.connector_exec import SyncConnectorExecutorMixin as SyncAgentExecutorMixin

__all__ = [
    "AgentBase",
    "AgentRegistry",
    "AsyncAgentBase",
    "AsyncAgentExecutorMixin",
    "Resource",
    "ResourceMeta",
    "SyncAgentBase",
    "SyncAgentExecutorMixin",
    "TaskCategory",
]
