"""flytekit's ``flytekit.models.core.execution``: execution phases, ``ExecutionError``, ``TaskLog``."""

from __future__ import annotations

import datetime as _dt
import enum

from aioflyte.models._base import FlyteIdlEntity

_EXEC = "flyteidl.core.execution_pb2"


class _Phase(enum.IntEnum):
    @classmethod
    def enum_to_string(cls, int_value: int) -> str:
        """The phase's name, or the number itself for a value this enum does not know."""
        try:
            return cls(int_value).name
        except ValueError:
            return str(int_value)


class WorkflowExecutionPhase(_Phase):
    """Phases of a workflow execution (flyteidl ``core.WorkflowExecution.Phase``)."""

    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDING = 3
    SUCCEEDED = 4
    FAILING = 5
    FAILED = 6
    ABORTED = 7
    TIMED_OUT = 8
    ABORTING = 9


class NodeExecutionPhase(_Phase):
    """Phases of a node execution (flyteidl ``core.NodeExecution.Phase``)."""

    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDED = 3
    FAILING = 4
    FAILED = 5
    ABORTED = 6
    SKIPPED = 7
    TIMED_OUT = 8
    DYNAMIC_RUNNING = 9
    RECOVERED = 10


class TaskExecutionPhase(_Phase):
    """Phases of a task execution (flyteidl ``core.TaskExecution.Phase``)."""

    UNDEFINED = 0
    QUEUED = 1
    RUNNING = 2
    SUCCEEDED = 3
    ABORTED = 4
    FAILED = 5
    INITIALIZING = 6
    WAITING_FOR_RESOURCES = 7
    RETRYABLE_FAILED = 8


class ExecutionError(FlyteIdlEntity, idl=f"{_EXEC}:ExecutionError"):
    """Why an execution failed: a code, a message, where the error document is, and whose fault it was."""

    class ErrorKind(enum.IntEnum):
        UNKNOWN = 0
        USER = 1
        SYSTEM = 2

    code: str
    message: str
    error_uri: str
    kind: ExecutionError.ErrorKind | int

    def _repr_html_(self) -> str:
        return f"<b>{self.code}</b> <pre>{self.message}</pre>"


class TaskLog(FlyteIdlEntity, idl=f"{_EXEC}:TaskLog"):
    """A link to a task's logs."""

    class MessageFormat(enum.IntEnum):
        UNKNOWN = 0
        CSV = 1
        JSON = 2

    uri: str
    name: str
    message_format: TaskLog.MessageFormat | int | None = None
    ttl: _dt.timedelta | None = None


__all__ = [
    "ExecutionError",
    "NodeExecutionPhase",
    "TaskExecutionPhase",
    "TaskLog",
    "WorkflowExecutionPhase",
]
