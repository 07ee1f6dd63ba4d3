"""Mapping ``grpc.aio.AioRpcError`` to the exceptions of :mod:`aioflyte.remote.client.exceptions`."""

from __future__ import annotations

import grpc

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

#: Status codes worth retrying: the call did not happen, or may succeed when the backend recovers.
TRANSIENT_CODES = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
)

_BY_CODE: dict[grpc.StatusCode, type[FlyteRemoteError]] = {
    grpc.StatusCode.NOT_FOUND: FlyteEntityNotExistException,
    grpc.StatusCode.ALREADY_EXISTS: FlyteEntityAlreadyExistsException,
    grpc.StatusCode.INVALID_ARGUMENT: FlyteInvalidInputException,
    grpc.StatusCode.UNAUTHENTICATED: FlytePermissionDeniedException,
    grpc.StatusCode.PERMISSION_DENIED: FlytePermissionDeniedException,
    grpc.StatusCode.UNAVAILABLE: FlyteRemoteUnavailableException,
    grpc.StatusCode.RESOURCE_EXHAUSTED: FlyteRemoteUnavailableException,
    grpc.StatusCode.DEADLINE_EXCEEDED: FlyteRemoteTimeoutException,
    grpc.StatusCode.UNIMPLEMENTED: FlyteRemoteUnimplementedException,
}

_DIFFERENT_STRUCTURE = "different structure already exists"


def is_transient(error: BaseException) -> bool:
    return isinstance(error, grpc.aio.AioRpcError) and error.code() in TRANSIENT_CODES


def translate(error: grpc.aio.AioRpcError, call: str, entity: str | None) -> FlyteRemoteError:
    """The exception for a failed call, its message naming the call and the entity."""
    code = error.code()
    detail = error.details() or code.name
    subject = f" for {entity}" if entity else ""
    cls = _BY_CODE.get(code, FlyteRemoteError)
    if code == grpc.StatusCode.INVALID_ARGUMENT and _DIFFERENT_STRUCTURE in detail:
        cls = FlyteEntityExistsDifferentStructureException
    if cls is FlyteEntityNotExistException and entity:
        message = f"{entity} does not exist ({call}: {detail})"
    elif cls is FlyteEntityExistsDifferentStructureException and entity:
        message = f"{entity} is already registered with a different spec; register a new version ({detail})"
    else:
        message = f"{call}{subject} failed with {code.name}: {detail}"
    return cls(message, code=code, entity=entity)
