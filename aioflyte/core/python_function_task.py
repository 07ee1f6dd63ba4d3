"""``PythonFunctionTask``: a task made from a Python function (what ``@task`` returns).

It is generic in the function's parameters and result, so that type checkers see ``await t(x=1)`` as the
function's return type (``async def`` bodies: what the coroutine returns).
"""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from aioflyte.core.base_task import PythonTask, TaskMetadata
from aioflyte.core.controller import EagerRunner
from aioflyte.core.interface import Interface, transform_function_to_interface
from aioflyte.core.python_auto_container import PythonAutoContainerTask
from aioflyte.exceptions import FlyteValidationException

P = ParamSpec("P")
R = TypeVar("R")

_EXECUTORS = ("thread", "process")


class PythonFunctionTask(PythonAutoContainerTask, Generic[P, R]):
    """A task made from a Python function (``@task``).

    ``PythonFunctionTask[MyConfig]`` (one argument, as flytekit's plugins write it) is ``PythonFunctionTask``.
    """

    if not TYPE_CHECKING:

        def __class_getitem__(cls, params: Any) -> Any:
            if not isinstance(params, tuple):  # flytekit's PythonFunctionTask[TaskConfig]
                return cls
            return super(PythonTask, cls).__class_getitem__(params)  # Generic's (PythonTask's ignores them)

    class ExecutionBehavior(enum.Enum):
        DEFAULT = 1
        DYNAMIC = 2
        EAGER = 3

    def __init__(
        self,
        task_config: Any,
        task_function: Callable[..., Any],
        task_type: str = "python-task",
        *,
        name: str | None = None,
        metadata: TaskMetadata,
        interface: Interface | None = None,
        execution_mode: PythonFunctionTask.ExecutionBehavior = ExecutionBehavior.DEFAULT,
        executor: str = "thread",
        **kwargs: Any,
    ) -> None:
        name = name or f"{task_function.__module__}.{task_function.__qualname__}"
        if interface is None:
            interface = transform_function_to_interface(task_function)
        if executor not in _EXECUTORS:
            raise FlyteValidationException(
                f"task {name}: parameter 'executor' expected one of {_EXECUTORS}, got {executor!r}"
            )
        self._task_function = task_function
        self._is_async = inspect.iscoroutinefunction(task_function)
        if executor == "process" and self._is_async:
            raise FlyteValidationException(
                f"task {name}: executor='process' is for CPU-bound sync functions; "
                f"{task_function.__qualname__} is async def"
            )
        self._executor = executor
        self._execution_mode = execution_mode
        super().__init__(
            name=name, task_config=task_config, task_type=task_type, interface=interface, metadata=metadata, **kwargs
        )
        functools.update_wrapper(self, task_function)

    if TYPE_CHECKING:  # what a call gives, for type checkers: ``await t(x=1)`` is the function's result

        def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R]: ...

    @property
    def task_function(self) -> Callable[..., Any]:
        return self._task_function

    @property
    def is_async(self) -> bool:
        return self._is_async

    @property
    def executor(self) -> str:
        return self._executor

    @property
    def execution_mode(self) -> PythonFunctionTask.ExecutionBehavior:
        return self._execution_mode

    async def run_remote(self, remote: EagerRunner, inputs: dict[str, Any] | None = None, **options: Any) -> Any:
        """Run this ``@eager`` workflow here, each entity it awaits becoming an execution on ``remote``'s backend.

        ``remote`` is a :class:`aioflyte.FlyteRemote`; ``options`` go to :class:`aioflyte.RemoteController`
        (``execution_name``, ``version``, ``max_in_flight``, ``qps``, ``project``, ``domain``). Returns the
        workflow's result.
        """
        return await remote.run_eager(self, inputs, **options)

    def _module_attr(self) -> str:
        """The module-level name under which a worker process finds this task (or its function)."""
        import sys

        module = sys.modules.get(self._task_function.__module__)
        for attr, value in vars(module or object()).items():
            if value is self or value is self._task_function:
                return attr
        raise FlyteValidationException(
            f"task {self._name}: executor='process' needs the task defined at module level of an importable "
            f"module, so that a worker process can import it (found none in {self._task_function.__module__})"
        )

    async def execute(self, **kwargs: Any) -> Any:
        """Call the function once with already-converted inputs (no retries, cache or timeout).

        As in flytekit, a sync function runs in the calling thread; when the engine runs a task it puts sync
        bodies on its worker threads (or processes, with ``executor="process"``) instead of calling this.
        """
        if self._is_async:
            return await self._task_function(**kwargs)
        return self._task_function(**kwargs)


class PythonInstanceTask(PythonAutoContainerTask):
    """A task whose body is its own ``execute`` method (flytekit's base of class-based tasks and plugins):
    ``PythonInstanceTask(name, task_config, task_type, interface=Interface(...))``, with ``execute(**kwargs)``
    (``def`` or ``async def``) overridden. A module-level instance is found by the container's default resolver;
    the other keywords are :class:`PythonAutoContainerTask`'s (``container_image``, ``requests``, ...) and
    :class:`PythonTask`'s (``interface``, ``metadata``, ``environment``, ...)."""

    def __init__(
        self,
        name: str,
        task_config: Any = None,
        task_type: str = "python-task",
        task_resolver: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, task_config=task_config, task_type=task_type, task_resolver=task_resolver, **kwargs)


class AsyncPythonFunctionTask(PythonFunctionTask[P, R]):
    """A task made from an ``async def`` function (what ``@task`` makes of one)."""


class EagerAsyncPythonFunctionTask(AsyncPythonFunctionTask[P, R]):
    """An eager workflow (what ``@eager`` makes)."""


__all__ = ["AsyncPythonFunctionTask", "EagerAsyncPythonFunctionTask", "PythonFunctionTask", "PythonInstanceTask"]
