"""``@task`` and ``PythonFunctionTask``: a typed Python function that runs through the current Controller.

Calling a task returns an awaitable (``await t(x=1)`` gives the Python value). From inside a sync task's
body (a worker thread) a call runs on the run's loop and returns the value directly, as in flytekit.
"""

from __future__ import annotations

import datetime
import enum
import functools
import inspect
import typing
import warnings
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar, overload

from aioflyte.core.base_task import TaskMetadata, to_timedelta
from aioflyte.core.cache import Cache, VersionParameters
from aioflyte.core.context import _COMPILATION
from aioflyte.core.controller import _CONTROLLER, EagerRunner, _default, get_controller
from aioflyte.core.entity import Entity, _get_running_loop, value_or_awaitable
from aioflyte.core.interface import Interface, get_type_hints, transform_function_to_interface
from aioflyte.core.resources import Resources, construct_resources
from aioflyte.core.secrets import Secret
from aioflyte.exceptions import FlyteTypeException, FlyteValidationException

F = TypeVar("F", bound=Callable[..., Any])

_EXECUTORS = ("thread", "process")


class PythonTask(Entity):
    """Base of tasks that run Python in this process: name, typed interface, metadata, call protocol."""

    def __init__(
        self,
        task_type: str,
        name: str,
        interface: Interface,
        metadata: TaskMetadata,
        task_config: Any = None,
        *,
        environment: dict[str, str] | None = None,
        secret_requests: list[Secret] | None = None,
        resources: Any = None,
        docs: Any = None,
        enable_deck: bool = False,
        cache_config: Cache | None = None,
        **kwargs: Any,
    ) -> None:
        self._task_type = task_type
        self._name = name
        self._interface = interface
        self._metadata = metadata
        self._task_config = task_config
        self._environment = dict(environment or {})
        self._secret_requests = list(secret_requests or [])
        self._resources = resources
        self._docs = docs
        self._enable_deck = enable_deck
        self._cache_config = cache_config
        self._extra = kwargs
        self._init_binding(interface)
        self._plan: Any = None  # the engine's precomputed execution plan for this task

    # --- identity and settings ------------------------------------------------------------------
    @property
    def task_type(self) -> str:
        return self._task_type

    @property
    def metadata(self) -> TaskMetadata:
        return self._metadata

    @property
    def task_config(self) -> Any:
        return self._task_config

    @property
    def environment(self) -> dict[str, str]:
        return self._environment

    @property
    def secret_requests(self) -> list[Secret]:
        return self._secret_requests

    @property
    def resources(self) -> Any:
        return self._resources

    @property
    def docs(self) -> Any:
        return self._docs

    @property
    def enable_deck(self) -> bool:
        return self._enable_deck

    @property
    def cache_config(self) -> Cache | None:
        return self._cache_config

    @property
    def settings(self) -> dict[str, Any]:
        """Cluster-only parameters kept for serialization (container_image, pod_template, accelerator, ...)."""
        return self._extra

    def __getattr__(self, item: str) -> Any:
        extra = self.__dict__.get("_extra")
        if extra is not None and item in extra:
            return extra[item]
        raise AttributeError(f"{type(self).__name__} {self.__dict__.get('_name', '?')!r} has no attribute {item!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, interface={self._interface!r})"

    def with_overrides_applied(self, overrides: dict[str, Any]) -> PythonTask:
        """A copy of this task with a node's ``with_overrides`` applied (the original is untouched)."""
        import copy
        import dataclasses

        t = copy.copy(self)
        md = dataclasses.replace(self._metadata)
        where = f"task {self._name} (with_overrides)"
        if "retries" in overrides:
            md.retries = overrides["retries"]
            TaskMetadata.__post_init__(md)
        if "timeout" in overrides:
            md.timeout = to_timedelta(where, overrides["timeout"] or None)
        if "interruptible" in overrides:
            md.interruptible = overrides["interruptible"]
        if any(k in overrides for k in ("cache", "cache_version", "cache_serialize")):
            cache = overrides.get("cache", md.cache)
            if isinstance(cache, Cache):
                cfg, version, serialize, ignored = _resolve_cache(
                    self._name, getattr(self, "task_function", None), cache, None, None, None, None, None, None
                )
            else:
                version = overrides.get("cache_version", md.cache_version)
                serialize = overrides.get("cache_serialize", md.cache_serialize)
                ignored = md.cache_ignore_input_vars
                cfg, version, serialize, ignored = _resolve_cache(
                    self._name, None, bool(cache), version or None, serialize, ignored, None, None, None
                )
            md.cache, md.cache_version, md.cache_serialize = cfg is not None, version, serialize
            md.cache_ignore_input_vars = ignored
            t._cache_config = cfg
        if "environment" in overrides:
            t._environment = {**self._environment, **(overrides["environment"] or {})}
        if any(k in overrides for k in ("requests", "limits", "resources")):
            t._resources = construct_resources(
                where, overrides.get("requests"), overrides.get("limits"), overrides.get("resources")
            )
        if "task_config" in overrides:
            t._task_config = overrides["task_config"]
        extra = dict(self._extra)
        for k in ("container_image", "accelerator", "shared_memory", "pod_template"):
            if k in overrides:
                extra[k] = overrides[k]
        t._extra = extra
        t._metadata = md
        t._plan = None
        return t

    # --- calling ---------------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """In a workflow body: add a node, return its promise(s). Elsewhere: an awaitable of the task's result
        (from a sync task's worker thread: the result itself). ``Entity.__call__``, written out for speed."""
        state = _COMPILATION.get()
        if state is not None:
            return state.add_call(self, args, kwargs)
        sole = self._sole_input
        if args or (len(kwargs) != 1 or sole not in kwargs if sole is not None else kwargs.keys() != self._input_set):
            kwargs = self.bind(args, kwargs)
        controller = _CONTROLLER.get() or (_default[0] if _default else get_controller())
        coro = controller.run_task(self, kwargs)
        return coro if _get_running_loop() is not None else value_or_awaitable(coro)

    def _run_coroutine(self, inputs: dict[str, Any]) -> Coroutine[Any, Any, Any]:
        return get_controller().run_task(self, inputs)

    async def execute(self, **kwargs: Any) -> Any:
        """Run the task's body once with already-converted inputs (no retries, cache or timeout).

        Subclasses implement it (``async def``, or a plain ``def`` as in flytekit: the engine then runs it on its
        worker threads).
        """
        raise NotImplementedError(f"{type(self).__name__} {self._name!r} does not implement execute()")


class PythonFunctionTask(PythonTask):
    """A task made from a Python function (``@task``)."""

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
        super().__init__(task_type, name, interface, metadata, task_config, **kwargs)
        functools.update_wrapper(self, task_function)  # type: ignore[arg-type]

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


def _resolve_cache(
    name: str,
    fn: Callable[..., Any],
    cache: bool | Cache,
    cache_version: str | None,
    cache_serialize: bool | None,
    cache_ignore_input_vars: tuple[str, ...] | None,
    container_image: Any,
    pod_template: Any,
    pod_template_name: str | None,
) -> tuple[Cache | None, str, bool, tuple[str, ...]]:
    """flytekit's rules for ``cache`` / ``Cache`` and the older cache_* parameters."""
    if isinstance(cache, Cache):
        if cache_serialize is not None or cache_version is not None or cache_ignore_input_vars is not None:
            raise FlyteValidationException(
                f"task {name}: cache_serialize, cache_version and cache_ignore_input_vars cannot be combined "
                "with a Cache object; set them on Cache(...)"
            )
        version = cache.get_version(
            VersionParameters(
                fn, container_image=container_image, pod_template=pod_template, pod_template_name=pod_template_name
            )
        )
        return cache, version, cache.serialize, cache.get_ignored_inputs()
    if not isinstance(cache, bool):
        raise FlyteValidationException(
            f"task {name}: parameter 'cache' expected bool or Cache, got {type(cache).__name__}"
        )
    if not cache:
        return None, cache_version or "", bool(cache_serialize), tuple(cache_ignore_input_vars or ())
    if not cache_version:
        raise FlyteValidationException(
            f"task {name}: cache=True needs a version: use cache=Cache(version='1') (or cache_version='1'), "
            "or a policy such as Cache(policies=CacheFunctionBody())"
        )
    cfg = Cache(
        version=cache_version, serialize=bool(cache_serialize), ignored_inputs=tuple(cache_ignore_input_vars or ())
    )
    return cfg, cache_version, bool(cache_serialize), cfg.get_ignored_inputs()


@overload
def task(_task_function: F) -> PythonFunctionTask: ...
@overload
def task(_task_function: None = None, **kwargs: Any) -> Callable[[F], PythonFunctionTask]: ...


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
    deck_fields: tuple[Any, ...] | None = None,
    pod_template: Any = None,
    pod_template_name: str | None = None,
    accelerator: Any = None,
    pickle_untyped: bool = False,
    shared_memory: bool | str | None = None,
    resources: Resources | None = None,
    *,
    executor: str = "thread",
    **kwargs: Any,
) -> Any:
    """Make a task from a function, with flytekit's parameters (see docs/tasks.md).

    aioflyte adds ``executor="process"`` to run a CPU-bound sync function in a process pool.
    """
    cache_version = kwargs.pop("cache_version", None)
    cache_serialize = kwargs.pop("cache_serialize", None)
    cache_ignore_input_vars = kwargs.pop("cache_ignore_input_vars", None)
    task_class = kwargs.pop("task_class", PythonFunctionTask)

    def wrapper(fn: Callable[..., Any]) -> PythonFunctionTask:
        name = kwargs.pop("name", None) or f"{fn.__module__}.{fn.__qualname__}"
        if not callable(fn):
            raise FlyteValidationException(f"@task expects a function, got {type(fn).__name__}")
        interface = _interface_for(fn, pickle_untyped)
        td = to_timedelta(f"task {name}", timeout or None)
        cfg, version, serialize, ignored = _resolve_cache(
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
            )
        except FlyteValidationException as e:
            raise FlyteValidationException(f"task {name}: {e}") from None
        t = task_class(
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
            deck_fields=deck_fields,
            pod_template=pod_template,
            accelerator=accelerator,
            shared_memory=shared_memory,
            pickle_untyped=pickle_untyped,
            **kwargs,
        )
        if deprecated:
            warnings.warn(f"task {name} is deprecated: {deprecated}", FutureWarning, stacklevel=3)
        return t

    if _task_function is not None:
        return wrapper(_task_function)
    return wrapper


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


def raise_type_error(entity: str, kind: str, param: str, expected: Any, value: Any, err: Exception) -> None:
    """A type mismatch naming the entity, the input/output, the expected and the actual type."""
    from aioflyte.types.engine import type_name, value_repr

    head = f"expected {type_name(expected)}, got {type(value).__name__} ({value_repr(value)})"
    detail = str(err)
    msg = f"{entity}: {kind} {param!r} {head}" + ("" if detail == head or not detail else f": {detail}")
    raise FlyteTypeException(msg, entity=entity, parameter=param, expected=expected, actual=type(value)) from None
