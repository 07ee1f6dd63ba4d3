"""``TaskMetadata`` (the per-task settings Flyte keeps in a task template's metadata) and ``PythonTask``, the base of
tasks that run Python: identity, settings, ``with_overrides`` and the call protocol. Also flytekit's other names of
this module: ``TaskResolverMixin`` (the base of task resolvers), ``IgnoreOutputs``, ``kwtypes`` and ``Task``."""

from __future__ import annotations

import abc
import copy
import dataclasses
import datetime
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from aioflyte.core import entity as _entity
from aioflyte.core.cache import Cache, resolve_cache
from aioflyte.core.context import _COMPILATION
from aioflyte.core.controller import _CONTROLLER, _default, _starters, get_controller, task_starter
from aioflyte.core.entity import Entity, value_or_awaitable
from aioflyte.core.interface import Interface
from aioflyte.core.interface import kwtypes as kwtypes
from aioflyte.core.resources import construct_resources
from aioflyte.exceptions import FlyteValidationException
from aioflyte.exceptions import IgnoreOutputs as IgnoreOutputs

if TYPE_CHECKING:
    from aioflyte.core.secrets import Secret

#: The type of a task's ``task_config`` (flytekit's ``PythonTask[T]``).
T = TypeVar("T")

#: Output literal metadata keys flytekit uses for artifacts: partitions set at run time (``Artifact.create_from``),
#: and the model / data / unset cards.
DYNAMIC_PARTITIONS = "_uap"
MODEL_CARD = "_ucm"
DATA_CARD = "_ucd"
UNSET_CARD = "_uc"


def to_timedelta(entity: str, timeout: datetime.timedelta | int | float | None) -> datetime.timedelta | None:
    """Normalise ``timeout`` (timedelta or seconds) and reject nonsense with a clear error."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (datetime.timedelta, int, float)):
        raise FlyteValidationException(
            f"{entity}: parameter 'timeout' expected datetime.timedelta or seconds (int/float), "
            f"got {type(timeout).__name__}"
        )
    td = timeout if isinstance(timeout, datetime.timedelta) else datetime.timedelta(seconds=timeout)
    if td.total_seconds() <= 0:
        raise FlyteValidationException(f"{entity}: parameter 'timeout' must be positive, got {timeout!r}")
    return td


@dataclass
class TaskMetadata:
    """Metadata of a task, with flytekit's field names."""

    cache: bool = False
    cache_serialize: bool = False
    cache_version: str = ""
    cache_ignore_input_vars: tuple[str, ...] = ()
    interruptible: bool | None = None
    deprecated: str = ""
    retries: int = 0
    timeout: datetime.timedelta | None = None
    pod_template_name: str | None = None
    generates_deck: bool = False
    is_eager: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise FlyteValidationException(
                f"parameter 'retries' expected a non-negative int, got {type(self.retries).__name__} ({self.retries!r})"
            )
        if self.cache and not self.cache_version:
            raise FlyteValidationException("caching is enabled but cache_version is empty")
        if self.timeout is not None and not isinstance(self.timeout, datetime.timedelta):
            self.timeout = to_timedelta("TaskMetadata", self.timeout)  # seconds, as flytekit accepts

    @property
    def retry_strategy(self) -> Any:
        """The retries as flyteidl's ``RetryStrategy`` message (what flytekit's property gives, with ``retries``)."""
        from flyteidl.core import literals_pb2

        return literals_pb2.RetryStrategy(retries=self.retries)


class PythonTask(Entity):
    """Base of tasks that run Python in this process: name, typed interface, metadata, call protocol.

    ``PythonTask[MyConfig]`` is ``PythonTask`` (flytekit's plugins subclass it that way, naming their config type).
    """

    if not TYPE_CHECKING:

        def __class_getitem__(cls, item: Any) -> type:
            return cls

    def __init__(
        self,
        task_type: str,
        name: str,
        task_config: Any = None,
        interface: Interface | None = None,
        environment: dict[str, str] | None = None,
        disable_deck: bool | None = None,
        enable_deck: bool | None = None,
        deck_fields: Any = None,
        *,
        metadata: TaskMetadata | None = None,
        task_type_version: int = 0,
        security_ctx: Any = None,
        secret_requests: list[Secret] | None = None,
        resources: Any = None,
        docs: Any = None,
        cache_config: Cache | None = None,
        **kwargs: Any,
    ) -> None:
        """flytekit's order and keywords: ``PythonTask(task_type, name, task_config, interface=..., environment=...,
        metadata=..., task_type_version=..., security_ctx=..., docs=...)``; the rest are kept as settings."""
        from aioflyte.plugins import ensure_plugins_loaded

        ensure_plugins_loaded()
        where = f"task {name}"
        if not isinstance(task_type, str) or not isinstance(name, str):
            raise FlyteValidationException(
                f"{where}: parameters 'task_type' and 'name' expected str, got "
                f"{type(task_type).__name__} and {type(name).__name__}"
            )
        if interface is not None and not isinstance(interface, Interface):
            raise FlyteValidationException(
                f"{where}: parameter 'interface' expected an Interface, got {type(interface).__name__}"
            )
        if metadata is not None and not isinstance(metadata, TaskMetadata):
            raise FlyteValidationException(
                f"{where}: parameter 'metadata' expected a TaskMetadata, got {type(metadata).__name__}"
            )
        if isinstance(task_type_version, bool) or not isinstance(task_type_version, int):
            raise FlyteValidationException(
                f"{where}: parameter 'task_type_version' expected int, got {type(task_type_version).__name__}"
            )
        if security_ctx is not None:  # flytekit's SecurityContext: its secrets are the task's secret requests
            secret_requests = [*(secret_requests or []), *(getattr(security_ctx, "secrets", None) or [])]
        if disable_deck is not None and enable_deck is None:
            enable_deck = not disable_deck
        interface = interface if interface is not None else Interface()
        self._task_type = task_type
        self._name = name
        self._interface = interface
        self._metadata = metadata if metadata is not None else TaskMetadata()
        self._task_config = task_config
        self._task_type_version = task_type_version
        self._environment = dict(environment or {})
        self._secret_requests = list(secret_requests or [])
        self._resources = resources
        self._docs = docs
        self._enable_deck = bool(enable_deck)
        self._cache_config = cache_config
        if deck_fields is not None:
            kwargs["deck_fields"] = deck_fields
        self._extra = kwargs
        self._init_binding(interface)
        self._plan: Any = None  # the engine's precomputed execution plan for this task

    # --- identity and settings ------------------------------------------------------------------
    @property
    def task_type(self) -> str:
        return self._task_type

    @property
    def task_type_version(self) -> int:
        return self._task_type_version

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
        t = copy.copy(self)
        t.__dict__.setdefault("_overridden_from", self)  # the original: what task_mock() keys mocks by
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
                cfg, version, serialize, ignored = resolve_cache(
                    self._name, getattr(self, "task_function", None), cache, None, None, None, None, None, None
                )
            else:
                version = overrides.get("cache_version", md.cache_version)
                serialize = overrides.get("cache_serialize", md.cache_serialize)
                ignored = md.cache_ignore_input_vars
                cfg, version, serialize, ignored = resolve_cache(
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

    # --- what serialization asks (flytekit's plugin authors' hooks) ---------------------------------
    # The serializer (aioflyte.remote.translator) calls these with the SerializationSettings. A plain PythonTask has
    # no container (as in flytekit: such a task runs in a backend plugin); PythonAutoContainerTask and its
    # subclasses get aioflyte-execute's container unless they override get_container or get_k8s_pod.

    def get_custom(self, settings: Any) -> dict[str, Any] | None:
        """The template's ``custom`` (a JSON-able dict), for the backend plugin that runs this task type."""
        return None

    def get_config(self, settings: Any) -> dict[str, str] | None:
        """The template's ``config`` (a dict of strings)."""
        return None

    def get_container(self, settings: Any) -> Any:
        """The container to run in (``aioflyte.models.task.Container`` or flyteidl's), or None for none."""
        return None

    def get_k8s_pod(self, settings: Any) -> Any:
        """A pod to run in instead of a container (``aioflyte.models.task.K8sPod`` or flyteidl's), or None."""
        return None

    def get_sql(self, settings: Any) -> Any:
        """The SQL statement the backend runs (``aioflyte.models.task.Sql`` or flyteidl's), or None."""
        return None

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
        loop = _entity._get_running_loop()
        if loop is None:
            return value_or_awaitable(controller.run_task(self, kwargs))
        # on a running loop: the controller starts the call (the local engine, at once when it can)
        start = _starters.get(type(controller)) or task_starter(controller)
        return start(controller, self, kwargs, loop)

    def _run_coroutine(self, inputs: dict[str, Any]) -> Coroutine[Any, Any, Any]:
        return get_controller().run_task(self, inputs)

    async def execute(self, **kwargs: Any) -> Any:
        """Run the task's body once with already-converted inputs (no retries, cache or timeout).

        Subclasses implement it (``async def``, or a plain ``def`` as in flytekit: the engine then runs it on its
        worker threads).
        """
        raise NotImplementedError(f"{type(self).__name__} {self._name!r} does not implement execute()")


#: flytekit's base class of every task; in aioflyte every task is a ``PythonTask``.
Task = PythonTask


class TaskResolverMixin(abc.ABC):
    """How a task container finds its task: a resolver at ``location`` (``module.attribute``) turns the arguments
    ``loader_args`` wrote at registration back into the task (``load_task``).

    Give a task one with ``@task(task_resolver=...)``; the container entrypoint loads it from ``location``.
    """

    @property
    @abc.abstractmethod
    def location(self) -> str: ...

    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    def load_task(self, loader_args: list[str]) -> PythonTask:
        """The task the arguments name (an error if there is none)."""

    @abc.abstractmethod
    def loader_args(self, settings: Any, t: PythonTask) -> list[str]:
        """The arguments that find ``t`` again in a container."""

    @abc.abstractmethod
    def get_all_tasks(self) -> list[PythonTask]: ...

    def task_name(self, t: PythonTask) -> str | None:
        """A custom name for ``t``, or None."""
        return None
