"""Exceptions, named as flytekit names them, with Flyte's retry classification."""

from __future__ import annotations

import dataclasses
from typing import Any


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
