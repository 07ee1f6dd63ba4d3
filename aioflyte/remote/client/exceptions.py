"""What Admin calls raise: one exception per kind of gRPC failure, naming the entity the call was about."""

from __future__ import annotations

import grpc

from aioflyte.exceptions import FlyteException


class FlyteRemoteError(FlyteException):
    """A call to a Flyte backend failed; ``code`` is the gRPC status, ``entity`` what the call was about."""

    def __init__(self, message: str, *, code: grpc.StatusCode | None = None, entity: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.entity = entity

    def __str__(self) -> str:
        return self.message


class FlyteEntityNotExistException(FlyteRemoteError, LookupError):
    """NOT_FOUND: the entity (or execution) does not exist on the backend."""


class FlyteEntityAlreadyExistsException(FlyteRemoteError):
    """ALREADY_EXISTS: this version is registered already (with an identical spec)."""


class FlyteInvalidInputException(FlyteRemoteError, ValueError):
    """INVALID_ARGUMENT: the backend rejected the request as malformed."""


class FlyteEntityExistsDifferentStructureException(FlyteEntityAlreadyExistsException, FlyteInvalidInputException):
    """This version is registered already with a different spec: register a new version instead.

    flyteadmin answers this INVALID_ARGUMENT ("... with different structure already exists"); it is never treated
    as a successful registration.
    """


class FlytePermissionDeniedException(FlyteRemoteError, PermissionError):
    """UNAUTHENTICATED or PERMISSION_DENIED."""


class FlyteRemoteUnavailableException(FlyteRemoteError, ConnectionError):
    """UNAVAILABLE or RESOURCE_EXHAUSTED after every retry: the backend cannot be reached or is overloaded."""


class FlyteRemoteTimeoutException(FlyteRemoteError, TimeoutError):
    """DEADLINE_EXCEEDED after every retry."""


class FlyteRemoteUnimplementedException(FlyteRemoteError, NotImplementedError):
    """UNIMPLEMENTED: the backend does not serve this call."""
