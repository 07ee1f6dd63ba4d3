"""Executions on the local server: tasks, launch plans and workflows run as local processes (see ``docs/server.md``)."""

from aioflyte.server.executions.manager import ExecutionManager
from aioflyte.server.executions.service import ExecutionAdminService

__all__ = ["ExecutionAdminService", "ExecutionManager"]
