"""flytekit's template-driven task pattern (``flytekit.core.shim_task``): a ``ShimTaskExecutor`` runs a task from
its ``TaskTemplate`` alone (the ``custom`` field carries what it needs), so the task's container needs none of the
user's code: ``ExecutableTemplateShimTask`` is a template plus an executor, looking like a task to whoever runs it.

aioflyte runs the executor's ``execute_from_model`` as it is written: ``async def`` on the loop, a plain ``def`` on a
worker thread (where flytekit-style sync data access, ``ctx.file_access.get_data(...)``, works).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ShimTaskExecutor(Generic[T]):
    """The business logic of a template-driven task: override ``execute_from_model``."""

    def execute_from_model(self, tt: Any, **kwargs: Any) -> Any:
        """Compute the task's outputs from its template (``aioflyte.models.task.TaskTemplate``: ``tt.custom``,
        ``tt.interface``, ``tt.id``) and its Python inputs; ``def`` or ``async def``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement execute_from_model")


class ExecutableTemplateShimTask:
    """A task template and an executor: ``execute(**inputs)`` hands both to the executor.

    Used as a base of ``PythonCustomizedContainerTask`` (which makes its template from itself) and of the task the
    container's ``TaskTemplateResolver`` loads (from the registered template).
    """

    def __init__(self, tt: Any, executor_type: type[ShimTaskExecutor[Any]], *args: Any, **kwargs: Any) -> None:
        if not (isinstance(executor_type, type) and issubclass(executor_type, ShimTaskExecutor)):
            raise TypeError(f"parameter 'executor_type' expected a ShimTaskExecutor subclass, got {executor_type!r}")
        self._executor_type = executor_type
        self._executor = executor_type()
        self._task_template = tt
        super().__init__(*args, **kwargs)

    @property
    def task_template(self) -> Any:
        return self._task_template

    @property
    def executor(self) -> ShimTaskExecutor[Any]:
        return self._executor

    @property
    def executor_type(self) -> type[ShimTaskExecutor[Any]]:
        return self._executor_type

    async def execute(self, **kwargs: Any) -> Any:
        """Run the executor on the template (a sync executor on a worker thread)."""
        from aioflyte.io.provider import run_blocking

        fn = self.executor.execute_from_model
        tt = self.task_template
        if inspect.iscoroutinefunction(fn):
            return await fn(tt, **kwargs)
        result = await run_blocking(functools.partial(fn, tt, **kwargs))
        if inspect.isawaitable(result):
            result = await result
        return result

    def pre_execute(self, user_params: Any) -> Any:
        """flytekit's hook; nothing to do."""
        return user_params

    def post_execute(self, user_params: Any, rval: Any) -> Any:
        """flytekit's hook; returns the result unchanged."""
        return rval


__all__ = ["ExecutableTemplateShimTask", "ShimTaskExecutor"]
