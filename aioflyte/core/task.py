"""``@task``: make a ``PythonFunctionTask`` from a function, with flytekit's parameters.

Calling a task returns an awaitable (``await t(x=1)`` gives the Python value). From inside a sync task's
body (a worker thread) a call runs on the run's loop and returns the value directly, as in flytekit. Parameters
a task does not have are an error naming the closest valid one (``@task(retires=3)``: did you mean ``retries``?).
"""

from __future__ import annotations

import datetime
import functools
import inspect
import typing
import warnings
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, Protocol, TypeVar, overload

from aioflyte.core.base_task import PythonTask, TaskMetadata, to_timedelta
from aioflyte.core.base_task import TaskResolverMixin as TaskResolverMixin
from aioflyte.core.cache import Cache, resolve_cache
from aioflyte.core.deck import DEFAULT_DECK_FIELDS, deck_fields_of
from aioflyte.core.interface import Interface, get_type_hints, raise_type_error, transform_function_to_interface
from aioflyte.core.python_function_task import (
    AsyncPythonFunctionTask,
    EagerAsyncPythonFunctionTask,
    PythonFunctionTask,
)
from aioflyte.core.reference_entity import ReferenceTask as ReferenceTask
from aioflyte.core.reference_entity import reference_task as reference_task
from aioflyte.core.resources import Resources, construct_resources
from aioflyte.exceptions import FlyteValidationException

if TYPE_CHECKING:
    from aioflyte.core.secrets import Secret

P = ParamSpec("P")
R = TypeVar("R")


class TaskDecorator(Protocol):
    """What ``@task(...)`` with parameters returns: a decorator typed like ``task`` itself."""

    @overload
    def __call__(self, fn: Callable[P, Coroutine[Any, Any, R]], /) -> PythonFunctionTask[P, R]: ...
    @overload
    def __call__(self, fn: Callable[P, R], /) -> PythonFunctionTask[P, R]: ...


class TaskPlugins:
    """The task classes ``@task`` makes for a ``task_config`` type (flytekit's plugin registry).

    ``TaskPlugins.register_pythontask_plugin(MyConfig, MyTask)``: ``@task(task_config=MyConfig(...))`` then makes a
    ``MyTask`` (a ``PythonFunctionTask`` subclass, called as ``MyTask(task_config, fn, name=..., metadata=..., ...)``).
    """

    _PYTHONFUNCTION_TASK_PLUGINS: ClassVar[dict[type, type[PythonFunctionTask[Any, Any]]]] = {}

    @classmethod
    def register_pythontask_plugin(cls, plugin_config_type: type, plugin: type[PythonFunctionTask[Any, Any]]) -> None:
        found = cls._PYTHONFUNCTION_TASK_PLUGINS.get(plugin_config_type)
        if found is not None and found is not plugin:
            raise TypeError(
                f"Requesting to register plugin {plugin} - collides with existing plugin {found} "
                f"for type {plugin_config_type}"
            )
        cls._PYTHONFUNCTION_TASK_PLUGINS[plugin_config_type] = plugin

    @classmethod
    def find_pythontask_plugin(cls, plugin_config_type: type) -> type[PythonFunctionTask[Any, Any]]:
        """The class registered for ``plugin_config_type`` (or one of its bases), else ``PythonFunctionTask``."""
        return cls._plugin_for(plugin_config_type) or PythonFunctionTask

    @classmethod
    def _plugin_for(cls, plugin_config_type: type) -> type[PythonFunctionTask[Any, Any]] | None:
        from aioflyte.plugins import ensure_plugins_loaded

        ensure_plugins_loaded()  # installed plugins register theirs (once; see aioflyte/plugins.py)
        for t in getattr(plugin_config_type, "__mro__", (plugin_config_type,)):
            if t in cls._PYTHONFUNCTION_TASK_PLUGINS:
                return cls._PYTHONFUNCTION_TASK_PLUGINS[t]
        return None


def _task_class(given: Any, task_config: Any, fn: Callable[..., Any], mode: Any) -> Any:
    """The class ``@task`` makes: the given one, the plugin for ``task_config``, else by the kind of function."""
    if given is not None:
        return given
    plugin = TaskPlugins._plugin_for(type(task_config)) if task_config is not None else None
    if plugin is not None:
        return plugin
    if mode is PythonFunctionTask.ExecutionBehavior.EAGER:
        return EagerAsyncPythonFunctionTask
    return AsyncPythonFunctionTask if inspect.iscoroutinefunction(fn) else PythonFunctionTask


#: Parameters ``task`` takes besides its named ones: flytekit's older cache parameters, and aioflyte's ``name``
#: (the task's name instead of ``<module>.<function>``) and ``task_class`` (a PythonFunctionTask subclass to make).
_EXTRA_PARAMETERS = frozenset({"cache_version", "cache_serialize", "cache_ignore_input_vars", "name", "task_class"})


def _check_parameters(kwargs: dict[str, Any], fn: Callable[..., Any] | None) -> None:
    """An unknown parameter is an error naming it and the closest valid one (flytekit raises too)."""
    unknown = [k for k in kwargs if k not in _EXTRA_PARAMETERS]
    if not unknown:
        return
    import difflib

    valid = sorted((set(inspect.signature(task).parameters) - {"_task_function", "kwargs"}) | _EXTRA_PARAMETERS)
    where = f"@task on {fn.__module__}.{fn.__qualname__}" if fn is not None else "@task"
    hints = []
    for k in unknown:
        close = difflib.get_close_matches(k, valid, n=1)
        hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise FlyteValidationException(
        f"{where}: unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; "
        f"task takes: {', '.join(valid)}"
    )


@overload
def task(_task_function: Callable[P, Coroutine[Any, Any, R]], /) -> PythonFunctionTask[P, R]: ...
@overload
def task(_task_function: Callable[P, R], /) -> PythonFunctionTask[P, R]: ...
@overload
def task(
    _task_function: None = None,
    task_config: Any = None,
    cache: bool | Cache = False,
    retries: int = 0,
    interruptible: bool | None = None,
    deprecated: str = "",
    timeout: datetime.timedelta | int | float = 0,
    container_image: Any = None,
    environment: dict[str, str] | None = None,
    requests: Resources | None = None,
    limits: Resources | None = None,
    secret_requests: list[Secret] | None = None,
    execution_mode: PythonFunctionTask.ExecutionBehavior = PythonFunctionTask.ExecutionBehavior.DEFAULT,
    node_dependency_hints: Iterable[Any] | None = None,
    task_resolver: Any = None,
    docs: Any = None,
    disable_deck: bool | None = None,
    enable_deck: bool | None = None,
    deck_fields: tuple[Any, ...] | None = DEFAULT_DECK_FIELDS,
    pod_template: Any = None,
    pod_template_name: str | None = None,
    accelerator: Any = None,
    pickle_untyped: bool = False,
    shared_memory: bool | str | None = None,
    resources: Resources | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    *,
    executor: str = "thread",
    cache_version: str | None = None,
    cache_serialize: bool | None = None,
    cache_ignore_input_vars: Iterable[str] | None = None,
    name: str | None = None,
    task_class: type[PythonFunctionTask[Any, Any]] | None = None,
) -> TaskDecorator: ...


def task(
    _task_function: Callable[..., Any] | None = None,
    task_config: Any = None,
    cache: bool | Cache = False,
    retries: int = 0,
    interruptible: bool | None = None,
    deprecated: str = "",
    timeout: datetime.timedelta | int | float = 0,
    container_image: Any = None,
    environment: dict[str, str] | None = None,
    requests: Resources | None = None,
    limits: Resources | None = None,
    secret_requests: list[Secret] | None = None,
    execution_mode: PythonFunctionTask.ExecutionBehavior = PythonFunctionTask.ExecutionBehavior.DEFAULT,
    node_dependency_hints: Iterable[Any] | None = None,
    task_resolver: Any = None,
    docs: Any = None,
    disable_deck: bool | None = None,
    enable_deck: bool | None = None,
    deck_fields: tuple[Any, ...] | None = DEFAULT_DECK_FIELDS,
    pod_template: Any = None,
    pod_template_name: str | None = None,
    accelerator: Any = None,
    pickle_untyped: bool = False,
    shared_memory: bool | str | None = None,
    resources: Resources | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    *,
    executor: str = "thread",
    **kwargs: Any,
) -> Any:
    """Make a task from a function, with flytekit's parameters (see docs/tasks.md).

    aioflyte adds ``executor="process"`` to run a CPU-bound sync function in a process pool.
    """
    _check_parameters(kwargs, _task_function)
    cache_version = kwargs.pop("cache_version", None)
    cache_serialize = kwargs.pop("cache_serialize", None)
    cache_ignore_input_vars = kwargs.pop("cache_ignore_input_vars", None)
    task_class = kwargs.pop("task_class", None)
    given_name = kwargs.pop("name", None)

    def wrapper(fn: Callable[..., Any]) -> PythonFunctionTask[Any, Any]:
        name = given_name or f"{fn.__module__}.{fn.__qualname__}"
        if not callable(fn):
            raise FlyteValidationException(f"@task expects a function, got {type(fn).__name__}")
        interface = _interface_for(fn, pickle_untyped)
        td = to_timedelta(f"task {name}", timeout or None)
        cfg, version, serialize, ignored = resolve_cache(
            name,
            fn,
            cache,
            cache_version,
            cache_serialize,
            tuple(cache_ignore_input_vars) if cache_ignore_input_vars else None,
            container_image,
            pod_template,
            pod_template_name,
        )
        unknown_ignored = [i for i in ignored if i not in interface.inputs]
        if unknown_ignored:
            raise FlyteValidationException(
                f"task {name}: ignored cache inputs {unknown_ignored} are not inputs of the task "
                f"({', '.join(interface.inputs) or 'none'})"
            )
        if disable_deck is not None and enable_deck is not None:
            raise FlyteValidationException(f"task {name}: set enable_deck or disable_deck, not both")
        deck = bool(enable_deck) if enable_deck is not None else (disable_deck is False)
        fields = deck_fields_of(f"task {name}", deck_fields, deck)
        _check_accelerator(name, accelerator)
        from aioflyte.models.security import Secret

        for s in secret_requests or []:
            if not isinstance(s, Secret):
                raise FlyteValidationException(
                    f"task {name}: parameter 'secret_requests' expected a list of Secret, got {type(s).__name__}"
                )
        if environment is not None and not (
            isinstance(environment, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in environment.items())
        ):
            raise FlyteValidationException(f"task {name}: parameter 'environment' expected dict[str, str]")
        try:
            metadata = TaskMetadata(
                cache=cfg is not None,
                cache_serialize=serialize,
                cache_version=version,
                cache_ignore_input_vars=ignored,
                interruptible=interruptible,
                deprecated=deprecated,
                retries=retries,
                timeout=td,
                pod_template_name=pod_template_name,
                generates_deck=deck,
                is_eager=execution_mode is PythonFunctionTask.ExecutionBehavior.EAGER,
                labels=_str_dict(name, "labels", labels),
                annotations=_str_dict(name, "annotations", annotations),
            )
        except FlyteValidationException as e:
            raise FlyteValidationException(f"task {name}: {e}") from None
        cls = _task_class(task_class, task_config, fn, execution_mode)
        t: PythonFunctionTask[Any, Any] = cls(
            task_config,
            fn,
            name=name,
            metadata=metadata,
            interface=interface,
            execution_mode=execution_mode,
            executor=executor,
            environment=environment,
            secret_requests=secret_requests,
            resources=construct_resources(f"task {name}", requests, limits, resources),
            docs=docs,
            enable_deck=deck,
            cache_config=cfg,
            container_image=container_image,
            node_dependency_hints=list(node_dependency_hints or []),
            task_resolver=task_resolver,
            deck_fields=fields,
            pod_template=pod_template,
            accelerator=accelerator,
            shared_memory=shared_memory,
            pickle_untyped=pickle_untyped,
        )
        if deprecated:
            warnings.warn(f"task {name} is deprecated: {deprecated}", FutureWarning, stacklevel=3)
        return t

    if _task_function is not None:
        return wrapper(_task_function)
    return wrapper


def _check_accelerator(name: str, accelerator: Any) -> None:
    from aioflyte.extras.accelerators import BaseAccelerator

    if accelerator is not None and not isinstance(accelerator, BaseAccelerator):
        raise FlyteValidationException(
            f"task {name}: parameter 'accelerator' expected an accelerator (aioflyte.extras.accelerators: T4, "
            f"A100.partition_2g_10gb, GPUAccelerator('<device>'), ...), got {type(accelerator).__name__} "
            f"({accelerator!r})"
        )


def _str_dict(name: str, param: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise FlyteValidationException(
            f"task {name}: parameter {param!r} expected dict[str, str], got {type(value).__name__} ({value!r})"
        )
    return dict(value)


def _interface_for(fn: Callable[..., Any], pickle_untyped: bool) -> Interface:
    if not pickle_untyped:
        return transform_function_to_interface(fn)
    # Untyped parameters and returns are allowed and travel as pickles (typing.Any).
    sig = inspect.signature(fn)
    hints = get_type_hints(fn)
    anns = {n: hints.get(n, typing.Any) for n in sig.parameters}
    anns["return"] = hints.get("return", typing.Any if sig.return_annotation is inspect.Signature.empty else None)

    @functools.wraps(fn)
    def shim(*a: Any, **k: Any) -> Any:  # pragma: no cover - only its annotations are read
        return fn(*a, **k)

    shim.__annotations__ = anns
    del shim.__wrapped__
    shim.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(annotation=anns[n]) for n, p in sig.parameters.items()],
        return_annotation=anns["return"],
    )
    return transform_function_to_interface(shim)


def __getattr__(name: str) -> Any:
    """``eager`` (flytekit has it here; it lives in core.eager, which imports this module)."""
    if name == "eager":
        from aioflyte.core.eager import eager

        return eager
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AsyncPythonFunctionTask",
    "EagerAsyncPythonFunctionTask",
    "PythonFunctionTask",
    "PythonTask",
    "ReferenceTask",
    "TaskMetadata",
    "TaskPlugins",
    "TaskResolverMixin",
    "raise_type_error",
    "reference_task",
    "task",
]
