"""Connectors (flytekit's agents): services that run a task outside a task container, and the registry that finds
the connector of a task type.

A connector is found by the task's type and type version (``TaskCategory``). An async connector starts a job
(``create`` returns a ``ResourceMeta``: what identifies the job), reports on it (``get`` returns a ``Resource``: a
phase, and outputs once it succeeded) and stops it (``delete``); a sync connector answers in one call (``do``).
Their methods may be ``async def`` or plain ``def`` (plain ones are called on a worker thread).

Who drives a connector: locally, the task's ``execute`` (``aioflyte.core.connector_exec``'s mixins); on
``aioflyte serve``, the server, for every task whose type has a connector registered in its process. Both use
``run_connector`` from ``connector_exec``. flytekit's module path is ``aioflyte.extend.backend.base_connector``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from aioflyte.exceptions import FlyteConnectorNotFound

if typing.TYPE_CHECKING:
    from flyteidl.admin import agent_pb2

    from aioflyte.models.literals import LiteralMap
    from aioflyte.models.task import TaskExecutionMetadata, TaskTemplate

__all__ = [
    "AsyncConnectorBase",
    "ConnectorBase",
    "ConnectorRegistry",
    "Resource",
    "ResourceMeta",
    "SyncConnectorBase",
    "TaskCategory",
    "convert_to_flyte_phase",
    "get_connector_secret",
    "is_terminal_phase",
    "mirror_async_methods",
    "render_task_template",
]

# flyteidl's TaskExecution.Phase numbers (flyteidl.core.execution_pb2), without importing protobuf here.
_UNDEFINED, _QUEUED, _RUNNING, _SUCCEEDED, _ABORTED, _FAILED, _INITIALIZING = 0, 1, 2, 3, 4, 5, 6
_WAITING_FOR_RESOURCES, _RETRYABLE_FAILED = 7, 8
_TERMINAL = frozenset({_SUCCEEDED, _ABORTED, _FAILED, _RETRYABLE_FAILED})


class TaskCategory:
    """A task type and its version: what a connector serves (one connector per category)."""

    def __init__(self, name: str, version: int = 0) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"TaskCategory: parameter 'name' expects a non-empty str, got {type(name).__name__}")
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError(f"TaskCategory: parameter 'version' expects int, got {type(version).__name__}")
        self._name = name
        self._version = version

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> int:
        return self._version

    def __hash__(self) -> int:
        return hash((self._name, self._version))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaskCategory):
            return NotImplemented
        return self._name == other._name and self._version == other._version

    def __repr__(self) -> str:
        return f"TaskCategory(name={self._name!r}, version={self._version})"

    def __str__(self) -> str:
        return f"{self._name}_v{self._version}"


@dataclasses.dataclass
class ResourceMeta:
    """What identifies a job a connector started (subclass it as a dataclass: a job id, a region, ...).

    It travels as JSON bytes (``encode``/``decode``), as between Flyte's propeller and a connector service.
    """

    def encode(self) -> bytes:
        return json.dumps(dataclasses.asdict(self)).encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> ResourceMeta:
        return typing.cast(ResourceMeta, _from_dict(cls, json.loads(data.decode("utf-8"))))


def _from_dict(cls: Any, value: Any) -> Any:
    """``value`` (parsed JSON) as ``cls``: dataclasses rebuilt field by field (nested ones too), the rest as is."""
    if not (dataclasses.is_dataclass(cls) and isinstance(cls, type) and isinstance(value, dict)):
        return value
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in value:
            t = hints.get(f.name)
            args = [a for a in typing.get_args(t) if a is not type(None)]
            target = args[0] if len(args) == 1 and typing.get_origin(t) in (typing.Union, types.UnionType) else t
            kwargs[f.name] = _from_dict(target, value[f.name])
    return cls(**kwargs)


@dataclasses.dataclass
class Resource:
    """The state of a connector's job: its ``phase`` (a ``TaskExecution.Phase``), a ``message``, ``log_links``
    (``TaskLog`` messages), the ``outputs`` once it succeeded (a ``LiteralMap`` or a dict of Python values) and
    ``custom_info`` (a JSON-able dict)."""

    phase: int
    message: str | None = None
    log_links: list[Any] | None = None
    outputs: Any = None
    custom_info: dict[str, Any] | None = None

    async def to_flyte_idl(self) -> agent_pb2.Resource:
        """flyteidl's ``admin.Resource`` (async: Python outputs are converted by the type engine)."""
        from flyteidl.admin import agent_pb2
        from google.protobuf import json_format, struct_pb2

        from aioflyte.types.engine import TypeEngine

        if self.outputs is None:
            outputs = None
        elif isinstance(self.outputs, dict):
            outputs = await TypeEngine.dict_to_literal_map_pb(None, self.outputs)
        else:
            outputs = getattr(self.outputs, "to_flyte_idl", lambda: self.outputs)()
        custom = json_format.Parse(json.dumps(self.custom_info), struct_pb2.Struct()) if self.custom_info else None
        return agent_pb2.Resource(
            phase=self.phase,  # type: ignore[arg-type]  # a TaskExecution.Phase number
            message=self.message or "", log_links=self.log_links or [], outputs=outputs,
            custom_info=custom,
        )  # fmt: skip

    @classmethod
    def from_flyte_idl(cls, pb: agent_pb2.Resource) -> Resource:
        from google.protobuf import json_format

        from aioflyte.models.literals import LiteralMap

        return cls(
            phase=pb.phase,
            message=pb.message,
            log_links=list(pb.log_links),
            outputs=LiteralMap.from_flyte_idl(pb.outputs) if pb.HasField("outputs") else None,
            custom_info=json_format.MessageToDict(pb.custom_info) if pb.HasField("custom_info") else None,
        )


class ConnectorBase(ABC):  # noqa: B024  # abstract as flytekit's: only its subclasses are connectors
    """What every connector has: the task category it serves and a ``name`` (shown in the connector metadata)."""

    name = "Base Connector"

    def __init__(self, task_type_name: str, task_type_version: int = 0, **kwargs: Any) -> None:
        self._task_category = TaskCategory(name=task_type_name, version=task_type_version)

    @property
    def task_category(self) -> TaskCategory:
        """The task type (and version) this connector runs."""
        return self._task_category


class SyncConnectorBase(ConnectorBase):
    """A connector that answers in one call: ``do`` returns the finished ``Resource`` (outputs included)."""

    name = "Base Sync Connector"

    @abstractmethod
    def do(
        self, task_template: TaskTemplate, output_prefix: str, inputs: LiteralMap | None = None, **kwargs: Any
    ) -> Resource | Awaitable[Resource]:
        """Run the task and return its result."""
        raise NotImplementedError


class AsyncConnectorBase(ConnectorBase):
    """A connector for long jobs: ``create`` starts one, ``get`` reports on it (polled until a terminal phase),
    ``delete`` stops it (idempotent; called when the run is cancelled or times out). ``metadata_type`` is the
    ``ResourceMeta`` subclass ``create`` returns."""

    name = "Base Async Connector"

    def __init__(self, metadata_type: type[ResourceMeta], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._metadata_type = metadata_type

    @property
    def metadata_type(self) -> type[ResourceMeta]:
        return self._metadata_type

    @abstractmethod
    def create(
        self,
        task_template: TaskTemplate,
        output_prefix: str,
        inputs: LiteralMap | None,
        task_execution_metadata: TaskExecutionMetadata | None,
        **kwargs: Any,
    ) -> ResourceMeta | Awaitable[ResourceMeta]:
        """Start the job; what identifies it."""
        raise NotImplementedError

    @abstractmethod
    def get(self, resource_meta: ResourceMeta, **kwargs: Any) -> Resource | Awaitable[Resource]:
        """The job's state (and its outputs once it succeeded, unless it writes ``outputs.pb`` itself)."""
        raise NotImplementedError

    @abstractmethod
    def delete(self, resource_meta: ResourceMeta, **kwargs: Any) -> Any:
        """Stop the job (idempotent)."""
        raise NotImplementedError

    def get_metrics(self, resource_meta: ResourceMeta, **kwargs: Any) -> Any:
        """The job's metrics (``GetTaskMetricsResponse``), where the connector has them."""
        raise NotImplementedError

    def get_logs(self, resource_meta: ResourceMeta, **kwargs: Any) -> Any:
        """The job's logs (``GetTaskLogsResponse``), where the connector has them."""
        raise NotImplementedError


Connector = typing.Union[AsyncConnectorBase, SyncConnectorBase]


class ConnectorRegistry:
    """The connectors of this process, by task category, and their metadata (flyteidl's ``Agent``) by name."""

    _REGISTRY: ClassVar[dict[TaskCategory, Connector]] = {}
    _METADATA: ClassVar[dict[str, Any]] = {}

    @staticmethod
    def register(connector: Connector, override: bool = False) -> None:
        """Register ``connector`` for its task category (a second one for the same category is an error unless
        ``override``)."""
        if not isinstance(connector, (AsyncConnectorBase, SyncConnectorBase)):
            raise TypeError(
                "ConnectorRegistry.register: parameter 'connector' expects an AsyncConnectorBase or "
                f"SyncConnectorBase instance, got {type(connector).__name__}"
            )
        category = connector.task_category
        if category in ConnectorRegistry._REGISTRY and not override:
            raise ValueError(f"Duplicate connector for task type: {category}")
        ConnectorRegistry._REGISTRY[category] = connector
        from flyteidl.admin import agent_pb2

        pb_category = agent_pb2.TaskCategory(name=category.name, version=category.version)
        meta = ConnectorRegistry._METADATA.get(connector.name)
        if meta is None:
            ConnectorRegistry._METADATA[connector.name] = agent_pb2.Agent(
                name=connector.name,
                supported_task_types=[category.name],
                supported_task_categories=[pb_category],
                is_sync=isinstance(connector, SyncConnectorBase),
            )
        elif pb_category not in meta.supported_task_categories:
            meta.supported_task_categories.append(pb_category)
            meta.supported_task_types.append(category.name)

    @staticmethod
    def get_connector(task_type_name: str, task_type_version: int = 0) -> Connector:
        """The connector of a task type (``FlyteConnectorNotFound`` when none is registered)."""
        found = ConnectorRegistry._REGISTRY.get(TaskCategory(name=task_type_name, version=task_type_version))
        if found is None:
            raise FlyteConnectorNotFound(
                f"Cannot find connector for task category: {task_type_name}_v{task_type_version}. Registered: "
                f"{sorted(str(c) for c in ConnectorRegistry._REGISTRY) or 'none'} (a connector is registered by "
                "ConnectorRegistry.register when its module is imported)."
            )
        return found

    #: flytekit's older name of ``get_connector``.
    get_agent = get_connector

    @staticmethod
    def find(task_type_name: str, task_type_version: int = 0) -> Connector | None:
        """The connector of a task type, or None (aioflyte's: no exception for the common question)."""
        return ConnectorRegistry._REGISTRY.get(TaskCategory(name=task_type_name, version=task_type_version))

    @staticmethod
    def list_connectors() -> list[Any]:
        """The registered connectors' metadata (flyteidl ``Agent`` messages)."""
        return list(ConnectorRegistry._METADATA.values())

    @staticmethod
    def get_connector_metadata(name: str) -> Any:
        found = ConnectorRegistry._METADATA.get(name)
        if found is None:
            raise FlyteConnectorNotFound(f"Cannot find connector for name: {name}.")
        return found

    #: flytekit's older names.
    list_agents = list_connectors
    get_agent_metadata = get_connector_metadata


# --- helpers (flytekit's ``extend.backend.utils``) ---------------------------------------------------------------


def mirror_async_methods(func: Callable[..., Any], **kwargs: Any) -> Awaitable[Any]:
    """Call a connector method: an ``async def`` is awaited on the loop, a plain ``def`` runs on a worker thread
    (a copy of the caller's context goes with it)."""
    import asyncio

    if inspect.iscoroutinefunction(func):
        return typing.cast(Awaitable[Any], func(**kwargs))
    return asyncio.ensure_future(asyncio.to_thread(functools.partial(func, **kwargs)))


def convert_to_flyte_phase(state: str) -> int:
    """A job state as a service names it (``"succeeded"``, ``"running"``, ...) as a ``TaskExecution.Phase``."""
    s = state.lower()
    if s in ("failed", "timeout", "timedout", "canceled", "cancelled", "skipped"):
        return _FAILED
    if s == "internal_error":
        return _RETRYABLE_FAILED
    if s in ("done", "succeeded", "success", "completed"):
        return _SUCCEEDED
    if s in ("running", "terminating"):
        return _RUNNING
    if s == "pending":
        return _INITIALIZING
    raise ValueError(f"Unrecognized state: {state}")


def is_terminal_phase(phase: int) -> bool:
    """Whether a job in ``phase`` is done (succeeded, failed, aborted)."""
    return phase in _TERMINAL


def get_connector_secret(secret_key: str) -> str:
    """A secret of the current task (by key), as connectors read their credentials."""
    from aioflyte.core.context import current_context

    value: str = current_context().secrets.get(key=secret_key)
    return value


def render_task_template(tt: TaskTemplate, file_prefix: str) -> TaskTemplate:
    """``tt`` with its container's ``{{.input}}``-style templates filled for a run under ``file_prefix`` (what a
    connector running a task's own container command needs locally)."""
    container = getattr(tt, "container", None)
    if container is None:
        return tt
    values = {
        "{{.input}}": f"{file_prefix}/inputs.pb",
        "{{.outputPrefix}}": file_prefix,
        "{{.rawOutputDataPrefix}}": f"{file_prefix}/raw_output",
        "{{.checkpointOutputPrefix}}": f"{file_prefix}/checkpoint_output",
        "{{.prevCheckpointPrefix}}": f"{file_prefix}/prev_checkpoint",
    }
    args = []
    for a in container.args:
        for k, v in values.items():
            a = a.replace(k, v)
        args.append(a)
    return dataclasses.replace(tt, container=dataclasses.replace(container, args=args))


#: flytekit's older name.
get_agent_secret = get_connector_secret
