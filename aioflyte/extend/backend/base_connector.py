"""flytekit's ``flytekit.extend.backend.base_connector``: connector base classes, the registry, and the mixins that
run a connector task locally (code in ``aioflyte.core.connector`` and ``aioflyte.core.connector_exec``)."""

from __future__ import annotations

from aioflyte.core.connector import AsyncConnectorBase as AsyncConnectorBase
from aioflyte.core.connector import ConnectorBase as ConnectorBase
from aioflyte.core.connector import ConnectorRegistry as ConnectorRegistry
from aioflyte.core.connector import Resource as Resource
from aioflyte.core.connector import ResourceMeta as ResourceMeta
from aioflyte.core.connector import SyncConnectorBase as SyncConnectorBase
from aioflyte.core.connector import TaskCategory as TaskCategory
from aioflyte.core.connector import mirror_async_methods as mirror_async_methods
from aioflyte.core.connector import render_task_template as render_task_template
from aioflyte.core.connector_exec import AsyncConnectorExecutorMixin as AsyncConnectorExecutorMixin
from aioflyte.core.connector_exec import SyncConnectorExecutorMixin as SyncConnectorExecutorMixin
from aioflyte.exceptions import FlyteConnectorNotFound as FlyteConnectorNotFound

__all__ = [
    "AsyncConnectorBase",
    "AsyncConnectorExecutorMixin",
    "ConnectorBase",
    "ConnectorRegistry",
    "FlyteConnectorNotFound",
    "Resource",
    "ResourceMeta",
    "SyncConnectorBase",
    "SyncConnectorExecutorMixin",
    "TaskCategory",
    "mirror_async_methods",
    "render_task_template",
]
