"""Every user-facing exception of aioflyte, in one place, named as flytekit names them.

The hierarchy (built-in bases after the slash: ``except ValueError`` catches what a flytekit user expects it to)::

    FlyteException                                ``error_code``: the class's code (``USER:...``/``SYSTEM:...``)
    +-- FlyteUserException                        the user's code or input is at fault (not retried...)
    |   +-- FlyteRecoverableException             ...unless marked recoverable: retried up to ``retries``
    |   |   +-- FlyteTimeout / TimeoutError       a task attempt ran past its ``timeout``
    |   |   +-- ContainerExitError                a container task's command exited non-zero
    |   +-- FlyteAssertion / AssertionError
    |   |   +-- FlyteValidationException / ValueError      an entity or parameter is declared wrongly
    |   |   |   +-- FlyteInterfaceException       a function signature cannot be a typed interface
    |   |   |   |   |                             (also a FlyteCompilationException)
    |   |   |   |   +-- FlyteMissingTypeException          a parameter has no type annotation
    |   |   |   |   +-- FlyteMissingReturnValueException   (flytekit's name; aioflyte does not raise it)
    |   |   |   +-- FlyteCompileError             a workflow body cannot be compiled (names the line)
    |   |   |   |   +-- ConditionalCompileError
    |   |   |   |   +-- FlyteFailureNodeInputMismatchException   an on_failure handler's inputs do not fit
    |   |   |   +-- ConfigurationError            a malformed setting (env var or config file)
    |   |   +-- NoImageBuilderError               no builder can build an ImageSpec
    |   |   +-- GateRejected                      an approval gate was rejected (FlyteDisapprovalException)
    |   |   +-- FlytePromiseAttributeResolveException   an output has no such attribute, key or index at run time
    |   +-- FlyteCompilationException             a function cannot become an entity (``fn``, ``param_name``)
    |   +-- FlyteTypeException / TypeError        a value does not match an input/output's declared type
    |   +-- FlyteValueException / ValueError      a value is wrong (``Value error!  Received: ...``)
    |   |   +-- FlyteDataNotFoundError / FileNotFoundError  (flytekit's FlyteDataNotFoundException)
    |   |   +-- FlytePathTraversalError           a listed name would escape its directory
    |   |   +-- FlyteEntityNotFoundException      a module has no such task or workflow
    |   +-- FlyteSecretNotFoundError / KeyError
    |   +-- FlyteEntityNotCallable / RuntimeError an entity called where it cannot run
    |   +-- FlyteBlockingCallError / RuntimeError a sync data call on an event loop's thread
    |   +-- FlyteResolverError / LookupError      a container cannot load the task it is asked to run
    |   +-- MapTaskFailure                        too few items of a map task succeeded
    |   +-- ConditionalFailure / ValueError       the chosen case is ``fail(message)``
    |   +-- NoBranchTakenError / ValueError       no case matched and there is no ``else_()``
    |   +-- FlyteGateTimeout / TimeoutError       a gate waited past its timeout
    |   +-- ContainerProtocolError                a raw container's inputs/outputs cannot be exchanged
    |   +-- ContainerUserError                    a raw container wrote ``_ERROR``: the task failed with its text
    +-- FlyteUserRuntimeException                 flytekit's wrapper of a user error (``value``)
    +-- FlyteNonRecoverableSystemException        a system error that must not be retried (``value``)
    +-- FlyteSystemException                      the platform is at fault (retried up to ``retries``)
    |   +-- FlyteCacheError                       the local cache store failed (never fails a run)
    |   +-- FlyteDataTransferError / OSError      moving data failed after its retries
    |   |   +-- FlyteDownloadDataException        ...reading it
    |   |   +-- FlyteUploadDataException          ...writing it
    |   +-- FlyteSystemUnavailableException
    |   +-- FlyteNotImplementedException / NotImplementedError
    |   +-- FlyteEntrypointNotLoadable
    |   +-- FlyteConnectorNotFound / AssertionError    no connector is registered for a task type
    |   +-- FlyteAgentNotFound / AssertionError        (flytekit's older name: a class of its own, as there)
    |   +-- FlyteSystemAssertion / AssertionError
    +-- FlyteArrayIndexError / IndexError         a map task item's array index is missing or wrong
    +-- FlyteRemoteError                          a call to a Flyte backend failed (``code``: gRPC status)
    |   +-- FlyteEntityNotExistException / LookupError   (also a FlyteAssertion, as in flytekit)
    |   +-- FlyteEntityAlreadyExistsException            (also a FlyteAssertion, as in flytekit)
    |   |   +-- FlyteEntityExistsDifferentStructureException (also a FlyteInvalidInputException)
    |   +-- FlyteInvalidInputException / ValueError      (also a FlyteUserException, as in flytekit)
    |   +-- FlytePermissionDeniedException / PermissionError
    |   |   +-- FlyteAuthenticationException     credentials could not be obtained (also a FlyteAssertion)
    |   +-- FlyteRemoteUnavailableException / ConnectionError
    |   +-- FlyteRemoteTimeoutException / TimeoutError
    |   |   +-- FlyteExecutionTimeoutError       ``wait`` gave up (the execution goes on)
    |   +-- FlyteRemoteUnimplementedException / NotImplementedError
    +-- FlyteRemoteExecutionFailed                a child execution of a remote eager call failed

    TypeTransformerFailedError / TypeError, AssertionError    a value cannot be converted to or from a literal
    DuplicateHandlerError / ValueError            a dataframe handler is registered twice
    SerializationError / ValueError               a graph uses something flyteidl cannot express
    ArtifactError / ValueError                    an artifact cannot be recorded, or a query matches nothing
    IgnoreOutputs / Exception                     raised by a task in a container: write no outputs (flytekit's)

``aioflyte.exceptions.user``, ``.system`` and ``.scopes`` hold the same classes under flytekit's module paths.
``is_retryable`` is Flyte's retry rule; ``FlyteError`` is what an ``on_failure`` handler receives. This module
imports nothing else of aioflyte (any layer may raise these).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import grpc
    from flyteidl.admin import execution_pb2


class _Coded(type):
    """The metaclass that gives every class of the hierarchy flytekit's class-level ``error_code``."""

    @property
    def error_code(cls) -> str:
        return str(cls._ERROR_CODE)  # type: ignore[attr-defined]  # every class of the hierarchy has one


class FlyteException(Exception, metaclass=_Coded):
    """Base of aioflyte's own errors; ``error_code`` is the class's code (on the class and on instances)."""

    _ERROR_CODE = "UnknownFlyteException"

    def __init__(self, *args: Any, timestamp: float | None = None) -> None:
        super().__init__(*args)
        self._timestamp = timestamp

    @property
    def error_code(self) -> str:
        return type(self)._ERROR_CODE

    @property
    def timestamp(self) -> float | None:
        """When the error happened (seconds since the epoch), if the raiser said."""
        return getattr(self, "_timestamp", None)


class FlyteUserException(FlyteException):
    """An error caused by the user's code or input."""

    _ERROR_CODE = "USER:Unknown"


class FlyteRecoverableException(FlyteUserException):
    """Raise (or subclass) this in a task to mark a failure as transient: it is retried up to ``retries``."""

    _ERROR_CODE = "USER:Recoverable"


class FlyteSystemException(FlyteException):
    """An error of the platform (I/O, infrastructure), not of the user's code: retried up to ``retries``."""

    _ERROR_CODE = "SYSTEM:Unknown"


class FlyteAssertion(FlyteUserException, AssertionError):
    _ERROR_CODE = "USER:AssertionError"


class FlyteValidationException(FlyteAssertion, ValueError):
    """An entity or parameter was declared wrongly (raised at decoration or compile time).

    A ``FlyteAssertion`` as in flytekit, and a ``ValueError`` (what flytekit raises for a wrong parameter).
    """

    _ERROR_CODE = "USER:ValidationError"


class FlyteCompilationException(FlyteUserException):
    """A function cannot become a task or workflow; ``fn`` and ``param_name`` say which and where.

    Takes flytekit's arguments (``fn, param_name``) or a message.
    """

    _ERROR_CODE = "USER:CompileError"

    def __init__(self, fn: Any = None, param_name: str | None = None) -> None:
        if isinstance(fn, str):
            message, fn = fn, None
        else:
            name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
            message = f"{name}: parameter {param_name!r}" if param_name else str(name)
        super().__init__(message)
        self.fn = fn
        self.param_name = param_name


class FlyteInterfaceException(FlyteValidationException, FlyteCompilationException):
    """A function signature cannot be turned into a typed interface."""


class FlyteMissingTypeException(FlyteInterfaceException):
    """A parameter of a task or workflow function has no type annotation."""

    _ERROR_CODE = "USER:MissingTypeError"


class FlyteMissingReturnValueException(FlyteInterfaceException):
    """flytekit's error for a function annotated with a result that has no ``return`` (aioflyte does not check)."""

    _ERROR_CODE = "USER:MissingReturnValueError"


class FlyteValueException(FlyteUserException, ValueError):
    """A value is wrong. ``FlyteValueException(received_value, error_message)`` as in flytekit, or a message."""

    _ERROR_CODE = "USER:ValueError"

    def __init__(self, received_value: Any = None, error_message: str | None = None) -> None:
        if error_message is None:
            super().__init__(received_value)
        else:
            super().__init__(f"Value error!  Received: {received_value}. {error_message}")


class FlyteEntityNotFoundException(FlyteValueException):
    """A module has no task or workflow of that name."""

    def __init__(self, module_name: str, entity_name: str) -> None:
        super().__init__(f"Task/Workflow {entity_name!r} not found in module {module_name!r}")
        self.module_name = module_name
        self.entity_name = entity_name


class FlyteUserRuntimeException(FlyteException):
    """flytekit's wrapper of an exception the user's code raised; ``value`` is that exception."""

    _ERROR_CODE = "USER:RuntimeError"

    def __init__(self, exc_value: BaseException, timestamp: float | None = None) -> None:
        super().__init__(str(exc_value), timestamp=timestamp)
        self.value = exc_value


class FlyteNonRecoverableSystemException(FlyteException):
    """A system error that must not be retried; ``value`` is the underlying exception."""

    _ERROR_CODE = "USER:NonRecoverableSystemError"

    def __init__(self, exc_value: BaseException, timestamp: float | None = None) -> None:
        super().__init__(str(exc_value), timestamp=timestamp)
        self.value = exc_value


class IgnoreOutputs(Exception):
    """Raised by a task body running in a container: the attempt succeeds without writing outputs (flytekit's
    name, for distributed jobs where only one worker's outputs count). Run locally, it fails the task."""


_UNSET: Any = object()


class FlyteTypeException(FlyteUserException, TypeError):
    """A value does not match the declared type of an entity's input or output.

    Takes a message, or flytekit's arguments: ``(received_type, expected_type, additional_msg, received_value)``.
    """

    _ERROR_CODE = "USER:TypeError"

    def __init__(
        self,
        message: Any,
        expected_type: Any = _UNSET,
        additional_msg: str | None = None,
        received_value: Any = _UNSET,
        *,
        entity: str | None = None,
        parameter: str | None = None,
        expected: Any = None,
        actual: Any = None,
    ) -> None:
        if expected_type is not _UNSET:  # flytekit's form
            expected, actual = expected_type, message
            value = "" if received_value is _UNSET else f" with value: {received_value}"
            one_of = " one of" if isinstance(expected_type, tuple) else ""
            message = (
                f"Type error!  Received: {message}{value}, Expected{one_of}: {expected_type}. {additional_msg or ''}"
            )
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


class FlyteDownloadDataException(FlyteDataTransferError):
    """Reading data from a store failed after its retries."""

    _ERROR_CODE = "SYSTEM:DownloadDataError"


class FlyteUploadDataException(FlyteDataTransferError):
    """Writing data to a store failed after its retries."""

    _ERROR_CODE = "SYSTEM:UploadDataError"


class FlyteSystemUnavailableException(FlyteSystemException):
    _ERROR_CODE = "SYSTEM:Unavailable"


class FlyteNotImplementedException(FlyteSystemException, NotImplementedError):
    _ERROR_CODE = "SYSTEM:NotImplemented"


class FlyteSystemAssertion(FlyteSystemException, AssertionError):
    _ERROR_CODE = "SYSTEM:AssertionError"


class FlyteEntrypointNotLoadable(FlyteSystemException):
    """The container's entrypoint cannot load the task it is asked to run (flytekit's arguments)."""

    _ERROR_CODE = "SYSTEM:UnloadableCode"

    def __init__(self, task_module: str, task_name: str | None = None, additional_msg: str | None = None) -> None:
        what = f"the task {task_name!r} in {task_module!r}" if task_name else f"the module {task_module!r}"
        super().__init__(
            f"Entrypoint is not loadable: cannot find {what}" + (f": {additional_msg}" if additional_msg else "")
        )
        self.task_module = task_module
        self.task_name = task_name


class FlyteConnectorNotFound(FlyteSystemException, AssertionError):
    """No connector is registered for a task's type and version (``ConnectorRegistry.get_connector``)."""

    _ERROR_CODE = "SYSTEM:ConnectorNotFound"


class FlyteAgentNotFound(FlyteSystemException, AssertionError):
    """flytekit's older name for a missing connector (a class of its own, as in flytekit)."""

    _ERROR_CODE = "SYSTEM:AgentNotFound"


class FlyteDataNotFoundError(FlyteValueException, FileNotFoundError):
    """A file or object that should exist does not (flytekit's ``FlyteDataNotFoundException``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class FlytePathTraversalError(FlyteValueException):
    """A directory listing holds a name that would escape the target directory (``..``, absolute)."""


# --- authoring and local runs ----------


class FlyteCompileError(FlyteValidationException):
    """A workflow body does something that cannot be compiled; the message names the user's line."""


class ConditionalCompileError(FlyteCompileError, AssertionError):
    """A conditional section is built wrongly (an ``AssertionError`` too, as flytekit raises)."""


class FlyteFailureNodeInputMismatchException(FlyteCompileError):
    """A workflow's ``on_failure`` handler has inputs the workflow does not have."""

    _ERROR_CODE = "USER:FailureNodeInputMismatch"


class FlytePromiseAttributeResolveException(FlyteAssertion):
    """An output has no attribute, key or index that a binding (``t().a["b"]``) asks for, found at run time."""

    _ERROR_CODE = "USER:PromiseAttributeResolveError"


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


class GateRejected(FlyteAssertion):
    """An approval gate received a rejection (flytekit's ``FlyteDisapprovalException``)."""

    _ERROR_CODE = "USER:ResultNotApproved"


class FlyteGateTimeout(FlyteUserException, TimeoutError):
    """A gate waited past its timeout for a signal."""


class ContainerExitError(FlyteRecoverableException):
    """A container task's command exited with a non-zero code (retried up to the task's ``retries``, as Flyte
    retries a failed container)."""

    _ERROR_CODE = "USER:ContainerFailed"


class ContainerProtocolError(FlyteUserException):
    """A raw container's inputs or outputs cannot be exchanged (an unsupported type, a missing or bad file)."""

    _ERROR_CODE = "USER:ContainerProtocolError"


class ContainerUserError(FlyteUserException):
    """The command wrote ``_ERROR`` into its output directory: the task failed with that text."""

    _ERROR_CODE = "USER:ContainerError"


class ArtifactError(ValueError):
    """An output's artifact cannot be recorded, or an artifact query cannot be resolved (names the artifact)."""


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


class FlyteEntityNotExistException(FlyteRemoteError, FlyteAssertion, LookupError):
    """NOT_FOUND: the entity (or execution) does not exist on the backend."""

    _ERROR_CODE = "USER:EntityNotExist"


class FlyteEntityAlreadyExistsException(FlyteRemoteError, FlyteAssertion):
    """ALREADY_EXISTS: this version is registered already (with an identical spec)."""

    _ERROR_CODE = "USER:EntityAlreadyExists"


class FlyteInvalidInputException(FlyteRemoteError, FlyteUserException, ValueError):
    """INVALID_ARGUMENT: the backend rejected the request as malformed."""

    _ERROR_CODE = "USER:BadInputToAPI"


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


class FlyteAuthenticationException(FlytePermissionDeniedException, FlyteAssertion):
    """Credentials could not be obtained (token endpoint refused the client, the token command failed, ...)."""

    _ERROR_CODE = "USER:AuthenticationError"

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
