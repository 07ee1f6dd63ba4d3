"""``@eager``: an async workflow whose body runs on the loop; every awaited entity goes through the Controller.

Locally the LocalController runs each call in this process; on a cluster a RemoteController turns each into
an execution. Either way, ``asyncio.gather`` over entities runs them concurrently, and cancelling the eager
run cancels what it awaited.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from aioflyte.core.promise import compile_error
from aioflyte.core.task import PythonFunctionTask, task


def eager(_fn: Callable[..., Any] | None = None, *args: Any, **kwargs: Any) -> Any:
    """Make an eager workflow from an ``async def`` (flytekit's parameters; ``remote``/secrets are kept)."""
    for k in ("remote", "client_secret_group", "client_secret_key", "client_secret_env_var", "local_entrypoint"):
        kwargs.pop(k, None)
    if "disable_deck" not in kwargs:
        kwargs.setdefault("enable_deck", True)  # flytekit's eager default

    def wrapper(fn: Callable[..., Any]) -> PythonFunctionTask:
        if not inspect.iscoroutinefunction(fn):
            raise compile_error(f"@eager {fn.__qualname__} must be an async def function")
        return task(fn, *args, execution_mode=PythonFunctionTask.ExecutionBehavior.EAGER, **kwargs)

    if _fn is not None:
        return wrapper(_fn)
    return wrapper
