"""The async core of talking to Flyte Admin over grpc.aio: :class:`AdminClient` and the exceptions it raises.

``FlyteRemote`` (``aioflyte.remote``) is built on this; use it directly for raw registration and lookup.
"""

from aioflyte.exceptions import (
    FlyteEntityAlreadyExistsException,
    FlyteEntityExistsDifferentStructureException,
    FlyteEntityNotExistException,
    FlyteInvalidInputException,
    FlytePermissionDeniedException,
    FlyteRemoteError,
    FlyteRemoteTimeoutException,
    FlyteRemoteUnavailableException,
    FlyteRemoteUnimplementedException,
)
from aioflyte.remote.client.admin import AdminClient, describe, launch_plan_id, sort_by, task_id, workflow_id

__all__ = [
    "AdminClient",
    "FlyteEntityAlreadyExistsException",
    "FlyteEntityExistsDifferentStructureException",
    "FlyteEntityNotExistException",
    "FlyteInvalidInputException",
    "FlytePermissionDeniedException",
    "FlyteRemoteError",
    "FlyteRemoteTimeoutException",
    "FlyteRemoteUnavailableException",
    "FlyteRemoteUnimplementedException",
    "describe",
    "launch_plan_id",
    "sort_by",
    "task_id",
    "workflow_id",
]
