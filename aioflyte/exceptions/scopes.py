"""flytekit's ``flytekit.exceptions.scopes``: scoped exceptions and the ``user_entry_point`` / ``system_entry_point``
decorators (deprecated in flytekit 1.16 too).

aioflyte classifies an error by its class (``is_retryable``; the container's error document), never by the scope
it crossed, so the decorators here call the function through unchanged (sync or async) and only warn that they are
deprecated. The scoped exception classes keep flytekit's constructor and properties for code that builds or
inspects them; aioflyte itself never raises them.
"""

from __future__ import annotations

import functools
import inspect
import traceback as _traceback
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from aioflyte.exceptions import FlyteRecoverableException, FlyteSystemException

F = TypeVar("F", bound=Callable[..., Any])


class FlyteScopedException(Exception):
    """An exception wrapped with the scope (``USER`` or ``SYSTEM``) it was raised in; ``value`` is the original."""

    def __init__(
        self,
        context: str,
        exc_type: type[BaseException],
        exc_value: BaseException,
        exc_tb: TracebackType | None,
        top_trim: int = 0,
        bottom_trim: int = 0,
        kind: int | None = None,
    ) -> None:
        self._context = context
        self._exc_type = exc_type
        self._exc_value = exc_value
        self._exc_tb = exc_tb
        self._top_trim = top_trim
        self._bottom_trim = bottom_trim
        self._kind = kind
        super().__init__(str(self.value))

    def _inner(self) -> FlyteScopedException | None:
        return self._exc_value if isinstance(self._exc_value, FlyteScopedException) else None

    @property
    def value(self) -> BaseException:
        inner = self._inner()
        return inner.value if inner is not None else self._exc_value

    @property
    def type(self) -> type[BaseException]:
        inner = self._inner()
        return inner.type if inner is not None else self._exc_type

    @property
    def traceback(self) -> TracebackType | None:
        inner = self._inner()
        return inner.traceback if inner is not None else self._exc_tb

    @property
    def error_code(self) -> str:
        inner = self._inner()
        if inner is not None:
            return inner.error_code
        code = getattr(type(self._exc_value), "error_code", None)
        return code if isinstance(code, str) else f"{self._context}:Unknown"

    @property
    def kind(self) -> int:
        """flyteidl's ``ContainerError.Kind``: RECOVERABLE for recoverable and system errors, else NON_RECOVERABLE."""
        from flyteidl.core import errors_pb2

        if self._kind is not None:
            return self._kind
        inner = self._inner()
        if inner is not None:
            return inner.kind
        if isinstance(self._exc_value, (FlyteRecoverableException, FlyteSystemException)):
            return errors_pb2.ContainerError.RECOVERABLE
        return errors_pb2.ContainerError.NON_RECOVERABLE

    @property
    def verbose_message(self) -> str:
        """The traceback (less ``top_trim`` frames at the top and ``bottom_trim`` at the bottom), then the message."""
        frames = list(_traceback.extract_tb(self.traceback))
        kept = frames[self._top_trim : len(frames) - self._bottom_trim if self._bottom_trim else None]
        lines = "".join(_traceback.format_list(kept)).rstrip()
        return f"Traceback (most recent call last):\n{lines}\n\nMessage:\n\n    {self.type.__name__}: {self.value}"

    def __str__(self) -> str:
        return str(self.value)


class FlyteScopedSystemException(FlyteScopedException):
    def __init__(
        self, exc_type: type[BaseException], exc_value: BaseException, exc_tb: TracebackType | None, **kwargs: Any
    ) -> None:
        super().__init__("SYSTEM", exc_type, exc_value, exc_tb, **kwargs)


class FlyteScopedUserException(FlyteScopedException):
    def __init__(
        self, exc_type: type[BaseException], exc_value: BaseException, exc_tb: TracebackType | None, **kwargs: Any
    ) -> None:
        super().__init__("USER", exc_type, exc_value, exc_tb, **kwargs)


def _entry_point(scope: str) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        def warn() -> None:
            warnings.warn(f"{scope}_entry_point is deprecated (and a no-op in aioflyte)", DeprecationWarning, 3)

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                warn()
                return await fn(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]  # same signature as fn

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            warn()
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # same signature as fn

    return decorate


#: Mark a function that calls into user code (flytekit's decorator; aioflyte calls it through unchanged).
user_entry_point = _entry_point("user")
#: Mark a function that calls into the platform (flytekit's decorator; aioflyte calls it through unchanged).
system_entry_point = _entry_point("system")

__all__ = [
    "FlyteScopedException",
    "FlyteScopedSystemException",
    "FlyteScopedUserException",
    "system_entry_point",
    "user_entry_point",
]
