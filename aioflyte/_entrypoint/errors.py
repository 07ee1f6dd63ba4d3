"""Error documents (``error.pb``): what a failed task tells the platform, classified as flytekit does.

- The task cannot be loaded, or its code raised: origin USER; kind RECOVERABLE only for
  ``FlyteRecoverableException`` (and subclasses such as ``FlyteTimeout``), else NON_RECOVERABLE; the code is the
  exception's ``error_code`` (or aioflyte's ``_ERROR_CODE``), else ``USER:RuntimeError``.
- The platform failed (reading ``inputs.pb``, moving data, writing outputs, any ``FlyteSystemException``):
  origin SYSTEM, kind RECOVERABLE, code ``SYSTEM``.
- Inputs or outputs do not convert to or from the task's types: origin SYSTEM, kind NON_RECOVERABLE, code
  ``SYSTEM`` (flytekit's rule: retrying would fail the same way).
"""

from __future__ import annotations

import os
import textwrap
import time
import traceback
import uuid
from collections.abc import Iterable

from flyteidl.core import errors_pb2, execution_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from aioflyte.core.secrets import redact as redact_secrets
from aioflyte.exceptions import FlyteException, FlyteRecoverableException, FlyteSystemException

RECOVERABLE = errors_pb2.ContainerError.RECOVERABLE
NON_RECOVERABLE = errors_pb2.ContainerError.NON_RECOVERABLE
USER = execution_pb2.ExecutionError.USER
SYSTEM = execution_pb2.ExecutionError.SYSTEM

ERROR_FILE = "error.pb"


class TaskFailure(Exception):
    """A classified failure of one phase of the entrypoint; ``cause`` is what was raised."""

    def __init__(
        self,
        cause: BaseException,
        code: str,
        kind: errors_pb2.ContainerError.Kind,
        origin: execution_pb2.ExecutionError.ErrorKind,
    ) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.code = code
        self.kind = kind
        self.origin = origin


def _env(*names: str) -> str:
    for n in names:
        if n in os.environ:
            return os.environ[n]
    return ""


def is_recoverable(exc: BaseException) -> bool:
    """aioflyte's recoverable errors, and flytekit's when user code still raises those."""
    if isinstance(exc, FlyteRecoverableException):
        return True
    return any(c.__name__ == "FlyteRecoverableException" for c in type(exc).__mro__)


def user_code(exc: BaseException) -> str:
    """The error code of a user exception: its ``error_code`` (str or int) if it has one, else a default."""
    for holder in (exc, type(exc)):
        code = getattr(holder, "error_code", None)
        if isinstance(code, str) and code:
            return code
        if isinstance(code, int) and not isinstance(code, bool):
            return str(code)
    if isinstance(exc, FlyteException):
        return type(exc)._ERROR_CODE
    return "USER:RuntimeError"


def user_failure(exc: BaseException) -> TaskFailure:
    """A failure of the user's code (or of loading it); a ``FlyteSystemException`` it raised stays a system one."""
    if isinstance(exc, FlyteSystemException):
        return system_failure(exc)
    return TaskFailure(exc, user_code(exc), RECOVERABLE if is_recoverable(exc) else NON_RECOVERABLE, USER)


def system_failure(exc: BaseException, recoverable: bool = True) -> TaskFailure:
    return TaskFailure(exc, "SYSTEM", RECOVERABLE if recoverable else NON_RECOVERABLE, SYSTEM)


def conversion_failure(exc: BaseException) -> TaskFailure:
    """Inputs or outputs failed to convert: moving data may succeed on a retry, a type mismatch will not."""
    return system_failure(exc, recoverable=isinstance(exc, FlyteSystemException))


def describe(exc: BaseException) -> str:
    """The message of an error document: the traceback, then the one-line summary, both indented."""
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    summary = f"{type(exc).__name__}: {exc}"
    return f"Trace:\n\n{textwrap.indent(trace, '    ')}\nMessage:\n\n{textwrap.indent(summary, '    ')}"


def _distributed() -> bool:
    return bool(_env("FLYTE_INTERNAL_DIST_ERROR_STRATEGY", "_F_DES"))


def error_file_name() -> str:
    """``error.pb``; in distributed tasks every worker writes its own ``error-<uuid>.pb``."""
    if not _distributed():
        return ERROR_FILE
    base, ext = os.path.splitext(ERROR_FILE)
    return f"{base}-{uuid.uuid4().hex}{ext}"


def error_document(failure: TaskFailure, redact: Iterable[str] = ()) -> errors_pb2.ErrorDocument:
    """The document of ``failure``; each of ``redact`` (secret values) is replaced wherever the message has it."""
    now = time.time()
    ts = Timestamp(seconds=int(now), nanos=int((now - int(now)) * 1e9))
    return errors_pb2.ErrorDocument(
        error=errors_pb2.ContainerError(
            code=failure.code,
            message=redact_secrets(describe(failure.cause), redact),
            kind=failure.kind,
            origin=failure.origin,
            timestamp=ts,
            worker=_env("FLYTE_INTERNAL_WORKER_NAME", "_F_WN") if _distributed() else "",
        )
    )
