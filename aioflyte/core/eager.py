"""``@eager``: an async workflow whose body runs on the loop; every awaited entity goes through the Controller.

Locally the LocalController runs each call in this process; on a cluster a RemoteController turns each into
an execution. Either way, ``asyncio.gather`` over entities runs them concurrently, and cancelling the eager
run cancels what it awaited.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, Protocol, TypeVar, overload

from aioflyte.core.promise import compile_error
from aioflyte.core.task import PythonFunctionTask, TaskDecorator, task

P = ParamSpec("P")
R = TypeVar("R")


class EagerDecorator(Protocol):
    """What ``@eager(...)`` with parameters returns."""

    def __call__(self, fn: Callable[P, Coroutine[Any, Any, R]], /) -> PythonFunctionTask[P, R]: ...


@overload
def eager(_fn: Callable[P, Coroutine[Any, Any, R]], /) -> PythonFunctionTask[P, R]: ...
@overload
def eager(_fn: None = None, *args: Any, **kwargs: Any) -> EagerDecorator: ...


def eager(_fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
    """Make an eager workflow from an ``async def`` (``@task``'s parameters; flytekit's ``remote`` and client
    secret parameters are accepted and unused: the backend an eager run talks to is its controller's)."""
    for k in ("remote", "client_secret_group", "client_secret_key", "client_secret_env_var", "local_entrypoint"):
        kwargs.pop(k, None)
    if "disable_deck" not in kwargs:
        kwargs.setdefault("enable_deck", True)  # flytekit's eager default
    # positional task parameters are passed on as flytekit does; mypy cannot match them to the overloads
    mode = PythonFunctionTask.ExecutionBehavior.EAGER
    make: TaskDecorator = task(None, *args, execution_mode=mode, **kwargs)  # type: ignore[call-overload]

    def wrapper(fn: Callable[..., Any]) -> PythonFunctionTask[Any, Any]:
        if not inspect.iscoroutinefunction(fn):
            raise compile_error(f"@eager {fn.__qualname__} must be an async def function")
        return make(fn)

    if _fn is not None:
        return wrapper(_fn)
    return wrapper
