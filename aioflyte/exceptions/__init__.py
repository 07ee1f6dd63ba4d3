"""Every user-facing exception of aioflyte, in one place, named as flytekit names them.

The hierarchy (built-in bases after the slash: ``except ValueError`` catches what a flytekit user expects it to)::

    FlyteException
    +-- FlyteUserException                        the user's code or input is at fault (not retried...)
    |   +-- FlyteRecoverableException             ...unless marked recoverable: retried up to ``retries``
    |   |   +-- FlyteTimeout / TimeoutError       a task attempt ran past its ``timeout``
    |   +-- FlyteValidationException / ValueError an entity or parameter is declared wrongly
    |   |   +-- FlyteInterfaceException           a function signature cannot be a typed interface
    |   |   +-- FlyteCompileError                 a workflow body cannot be compiled (names the line)
    |   |   |   +-- ConditionalCompileError / AssertionError
    |   |   +-- ConfigurationError                a malformed setting (env var or config file)
    |   +-- FlyteAssertion / AssertionError
    |   |   +-- NoImageBuilderError               no builder can build an ImageSpec
    |   +-- FlyteTypeException / TypeError        a value does not match an input/output's declared type
    |   +-- FlyteSecretNotFoundError / KeyError
    |   +-- FlyteEntityNotCallable / RuntimeError an entity called where it cannot run
    |   +-- FlyteDataNotFoundError / FileNotFoundError
    |   +-- FlytePathTraversalError / ValueError
    |   +-- FlyteBlockingCallError / RuntimeError a sync data call on an event loop's thread
    |   +-- FlyteResolverError / LookupError      a container cannot load the task it is asked to run
    |   +-- MapTaskFailure                        too few items of a map task succeeded
    |   +-- ConditionalFailure / ValueError       the chosen case is ``fail(message)``
    |   +-- NoBranchTakenError / ValueError       no case matched and there is no ``else_()``
    |   +-- GateRejected                          an approval gate was rejected
    |   +-- FlyteGateTimeout / TimeoutError       a gate waited past its timeout
    +-- FlyteSystemException                      the platform is at fault (retried up to ``retries``)
    |   +-- FlyteCacheError                       the local cache store failed (never fails a run)
    |   +-- FlyteDataTransferError / OSError      moving data failed after its retries
    +-- FlyteArrayIndexError / IndexError         a map task item's array index is missing or wrong
    +-- FlyteRemoteError                          a call to a Flyte backend failed (``code``: gRPC status)
    |   +-- FlyteEntityNotExistException / LookupError
    |   +-- FlyteEntityAlreadyExistsException
    |   |   +-- FlyteEntityExistsDifferentStructureException (also a FlyteInvalidInputException)
    |   +-- FlyteInvalidInputException / ValueError
    |   +-- FlytePermissionDeniedException / PermissionError
    |   |   +-- FlyteAuthenticationException     credentials could not be obtained
    |   +-- FlyteRemoteUnavailableException / ConnectionError
    |   +-- FlyteRemoteTimeoutException / TimeoutError
    |   |   +-- FlyteExecutionTimeoutError       ``wait`` gave up (the execution goes on)
    |   +-- FlyteRemoteUnimplementedException / NotImplementedError
    +-- FlyteRemoteExecutionFailed                a child execution of a remote eager call failed

    TypeTransformerFailedError / TypeError, AssertionError    a value cannot be converted to or from a literal
    DuplicateHandlerError / ValueError            a dataframe handler is registered twice
    SerializationError / ValueError               a graph uses something flyteidl cannot express

``is_retryable`` is Flyte's retry rule; ``FlyteError`` is what an ``on_failure`` handler receives. This module
imports nothing else of aioflyte (any layer may raise these).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import grpc
    from flyteidl.admin import execution_pb2


class FlyteException(Exception):
    """Base of aioflyte's own errors."""

    _ERROR_CODE = "UnknownFlyteException"


class FlyteUserException(FlyteException):
    """An error caused by the user's code or input."""

    _ERROR_CODE = "USER:Unknown"


class FlyteRecoverableException(FlyteUserException):
    """Raise (or subclass) this in a task to mark a failure as transient: it is retried up to ``retries``."""

    _ERROR_CODE = "USER:Recoverable"


class FlyteSystemException(FlyteException):
    """An error of the platform (I/O, infrastructure), not of the user's code: retried up to ``retries``."""

    _ERROR_CODE = "SYSTEM:Unknown"


class FlyteValidationException(FlyteUserException, ValueError):
    """An entity or parameter was declared wrongly (raised at decoration or compile time)."""

    _ERROR_CODE = "USER:ValidationError"


class FlyteAssertion(FlyteUserException, AssertionError):
    _ERROR_CODE = "USER:AssertionError"


class FlyteInterfaceException(FlyteValidationException):
    """A function signature cannot be turned into a typed interface."""


class FlyteTypeException(FlyteUserException, TypeError):
    """A value does not match the declared type of an entity's input or output."""

    _ERROR_CODE = "USER:TypeError"

    def __init__(
        self,
        message: str,
        *,
        entity: str | None = None,
        parameter: str | None = None,
        expected: Any = None,
        actual: Any = None,
    ) -> None:
        super().__init__(message)
        self.entity = entity
        self.parameter = parameter
        self.expected = expected
        self.actual = actual


class FlyteTimeout(FlyteRecoverableException, TimeoutError):
    """A task attempt ran longer than its ``timeout`` (a ``TimeoutError``; retried like on a cluster)."""

    _ERROR_CODE = "USER:Timeout"


class FlyteSecretNotFoundError(FlyteUserException, KeyError):
    """A secret was not requested by the task, or it is missing from the environment and files."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class FlyteCacheError(FlyteSystemException):
    """The local cache store failed (it never fails a run: callers log and continue)."""


class FlyteEntityNotCallable(FlyteUserException, RuntimeError):
    """An entity was called somewhere it cannot run (e.g. ``aioflyte.run`` inside a running loop)."""


class FlyteDataTransferError(FlyteSystemException, OSError):
    """Moving data to or from a store failed after its retries (the message names the URI and attempts)."""


class FlyteDataNotFoundError(FlyteUserException, FileNotFoundError):
    """A file or object that should exist does not."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class FlytePathTraversalError(FlyteUserException, ValueError):
    """A directory listing holds a name that would escape the target directory (``..``, absolute)."""


# --- authoring and local runs ----------


class FlyteCompileError(FlyteValidationException):
    """A workflow body does something that cannot be compiled; the message names the user's line."""


class ConditionalCompileError(FlyteCompileError, AssertionError):
    """A conditional section is built wrongly (an ``AssertionError`` too, as flytekit raises)."""


class ConfigurationError(FlyteValidationException):
    """A configuration value (environment variable or config file entry) is malformed."""

    _ERROR_CODE = "USER:ConfigurationError"


class NoImageBuilderError(FlyteAssertion):
    """No registered builder can build an ``ImageSpec`` (none is registered, or the one it names is not)."""


class FlyteBlockingCallError(FlyteUserException, RuntimeError):
    """A sync data call (download, listing, stream) was made on a thread that runs an event loop."""


class FlyteResolverError(FlyteUserException, LookupError):
    """The resolver, or the task it names, cannot be found."""

    _ERROR_CODE = "USER:ResolverError"


class MapTaskFailure(FlyteUserException):
    """Fewer items of a map task succeeded than its ``min_successes`` / ``min_success_ratio`` require.

    ``__cause__`` is the first item's failure; ``first_failed_index`` its index.
    """

    _ERROR_CODE = "USER:MapTaskFailure"

    def __init__(
        self, message: str, *, total: int, succeeded: int, failed: int, required: int, first_failed_index: int
    ) -> None:
        super().__init__(message)
        self.total = total
        self.succeeded = succeeded
        self.failed = failed
        self.required = required
        self.first_failed_index = first_failed_index


class ConditionalFailure(FlyteUserException, ValueError):
    """The chosen case of a conditional is ``fail(message)``: the run fails with that message."""

    def __init__(self, message: str, conditional: str) -> None:
        super().__init__(message)
        self.conditional = conditional


class NoBranchTakenError(FlyteUserException, ValueError):
    """No case of a conditional without ``else_()`` matched (Flyte's NoBranchTakenError)."""

    def __init__(self, message: str, conditional: str) -> None:
        super().__init__(message)
        self.conditional = conditional


class GateRejected(FlyteUserException):
    """An approval gate received a rejection."""


class FlyteGateTimeout(FlyteUserException, TimeoutError):
    """A gate waited past its timeout for a signal."""


class FlyteArrayIndexError(FlyteException, IndexError):
    """The array index environment of a map task item is missing, malformed or out of range (not retryable)."""

    _ERROR_CODE = "SYSTEM:ArrayIndexError"


# --- types and serialization ----------


class TypeTransformerFailedError(TypeError, AssertionError):
    """A value cannot be converted to (or from) the expected type."""


class DuplicateHandlerError(ValueError):
    """A handler for this (dataframe type, protocol, format) is already registered."""


class SerializationError(ValueError):
    """The graph uses something flyteidl cannot express."""


# --- Flyte backends ----------


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


class FlyteAuthenticationException(FlytePermissionDeniedException):
    """Credentials could not be obtained (token endpoint refused the client, the token command failed, ...)."""

    def __init__(self, message: str) -> None:
        import grpc

        super().__init__(message, code=grpc.StatusCode.UNAUTHENTICATED)


class FlyteExecutionTimeoutError(FlyteRemoteTimeoutException):
    """``wait`` gave up: the execution was not done within the timeout (it keeps running on the backend)."""


class FlyteRemoteExecutionFailed(FlyteException):
    """A child execution launched by a remote eager call failed, timed out or was aborted.

    ``execution_id`` is its id, ``phase`` its phase name, ``error`` the backend's ``ExecutionError`` (None when
    it was aborted: ``abort_cause`` says why).
    """

    def __init__(self, message: str, execution: execution_pb2.Execution) -> None:
        from flyteidl.core.execution_pb2 import WorkflowExecution

        super().__init__(message)
        self.execution_id = execution.id
        self.phase = WorkflowExecution.Phase.Name(execution.closure.phase)
        closure = execution.closure
        self.error = closure.error if closure.HasField("error") else None
        self.abort_cause = closure.abort_metadata.cause if closure.HasField("abort_metadata") else None


@dataclasses.dataclass
class FlyteError:
    """What an ``on_failure`` handler receives as ``err``: the error message and the failed node's id."""

    message: str
    failed_node_id: str = ""

    @classmethod
    def from_exception(cls, e: BaseException, node_id: str = "") -> FlyteError:
        return cls(f"{type(e).__name__}: {e}", node_id)


def is_retryable(exc: BaseException) -> bool:
    """Flyte's rule: user errors marked recoverable and system errors are retried; other user errors are not."""
    return isinstance(exc, (FlyteRecoverableException, FlyteSystemException))
