"""flytekit's ``flytekit.models.task``: task templates and their parts (flyteidl ``core.tasks``, ``admin.task``).

Plugin authors build these (``Container``, ``K8sPod``, ``Sql``, ``TaskTemplate``) and agents receive them.
"""

from __future__ import annotations

import copy
import datetime as _dt
import enum
from typing import TYPE_CHECKING, Any, Self

from aioflyte.exceptions import FlyteValidationException
from aioflyte.models._base import FlyteIdlEntity
from aioflyte.models.core.identifier import Identifier, TaskExecutionIdentifier
from aioflyte.models.documentation import Documentation
from aioflyte.models.interface import TypedInterface
from aioflyte.models.literals import RetryStrategy
from aioflyte.models.security import Identity, SecurityContext

if TYPE_CHECKING:
    from flyteidl.core.tasks_pb2 import ExtendedResources

_TASKS = "flyteidl.core.tasks_pb2"


class Resources(FlyteIdlEntity, idl=f"{_TASKS}:Resources"):
    """A container's resource requests and limits, as lists of ``ResourceEntry``."""

    class ResourceName(enum.IntEnum):
        UNKNOWN = 0
        CPU = 1
        GPU = 2
        MEMORY = 3
        STORAGE = 4
        EPHEMERAL_STORAGE = 5

    class ResourceEntry(FlyteIdlEntity, idl=f"{_TASKS}:Resources.ResourceEntry"):
        name: Resources.ResourceName | int
        value: str

    requests: list[Resources.ResourceEntry]
    limits: list[Resources.ResourceEntry]


class RuntimeMetadata(FlyteIdlEntity, idl=f"{_TASKS}:RuntimeMetadata"):
    """The SDK that made a task: its type, version and flavor (``python``)."""

    class RuntimeType(enum.IntEnum):
        OTHER = 0
        FLYTE_SDK = 1

    type: RuntimeMetadata.RuntimeType | int
    version: str
    flavor: str


class K8sObjectMetadata(FlyteIdlEntity, idl=f"{_TASKS}:K8sObjectMetadata"):
    """Labels and annotations of a task's pod."""

    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class TaskMetadata(
    FlyteIdlEntity,
    idl=f"{_TASKS}:TaskMetadata",
    rename={"k8s_object_metadata": "metadata"},
    custom=("timeout", "generates_deck"),
    always=("runtime", "retries"),
):
    """A task template's metadata: caching, retries, timeout, interruptibility, runtime.

    This is the message-level model; what ``@task`` takes is ``aioflyte.TaskMetadata`` (as in flytekit).
    """

    discoverable: bool
    runtime: RuntimeMetadata
    timeout: _dt.timedelta | None
    retries: RetryStrategy
    interruptible: bool | None
    discovery_version: str
    deprecated_error_message: str
    cache_serializable: bool
    pod_template_name: str
    cache_ignore_input_vars: list[str]
    is_eager: bool = False
    generates_deck: bool = False
    k8s_object_metadata: K8sObjectMetadata | None = None

    def to_flyte_idl(self) -> Any:
        from google.protobuf.duration_pb2 import Duration

        timeout = None
        if self.timeout:  # a zero timeout is no timeout, and is not written
            timeout = Duration()
            timeout.FromTimedelta(self.timeout)
        return self._idl()(**self._to_kwargs(), timeout=timeout, generates_deck={"value": bool(self.generates_deck)})

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> Self:
        return cls(
            **cls._from_kwargs(pb),
            timeout=pb.timeout.ToTimedelta(),
            generates_deck=pb.generates_deck.value if pb.HasField("generates_deck") else False,
        )


class IOStrategy(FlyteIdlEntity, idl=f"{_TASKS}:IOStrategy"):
    """How a raw container task's inputs are downloaded and outputs uploaded."""

    DOWNLOAD_MODE_EAGER = 0
    DOWNLOAD_MODE_STREAM = 1
    DOWNLOAD_MODE_NO_DOWNLOAD = 2
    UPLOAD_MODE_ON_EXIT = 0
    UPLOAD_MODE_EAGER = 1
    UPLOAD_MODE_NO_UPLOAD = 2

    download_mode: int = DOWNLOAD_MODE_EAGER
    upload_mode: int = UPLOAD_MODE_ON_EXIT


class DataLoadingConfig(FlyteIdlEntity, idl=f"{_TASKS}:DataLoadingConfig"):
    """Where a raw container task finds its inputs and writes its outputs, and in which format."""

    LITERALMAP_FORMAT_JSON = 0
    LITERALMAP_FORMAT_YAML = 1
    LITERALMAP_FORMAT_PROTO = 2

    input_path: str
    output_path: str
    enabled: bool = True
    format: int = LITERALMAP_FORMAT_PROTO
    io_strategy: IOStrategy | None = None

    def __post_init__(self) -> None:
        if self.format not in (self.LITERALMAP_FORMAT_JSON, self.LITERALMAP_FORMAT_YAML, self.LITERALMAP_FORMAT_PROTO):
            raise FlyteValidationException(
                f"DataLoadingConfig: format {self.format!r} is not one of LITERALMAP_FORMAT_JSON (0), "
                "LITERALMAP_FORMAT_YAML (1), LITERALMAP_FORMAT_PROTO (2)"
            )


class Container(
    FlyteIdlEntity,
    idl=f"{_TASKS}:Container",
    rename={"data_loading_config": "data_config"},
    always=("resources",),
):
    """The container a task runs in: image, command and args, resources, environment, config."""

    image: str
    command: list[str]
    args: list[str]
    resources: Resources
    env: dict[str, str]
    config: dict[str, str]
    data_loading_config: DataLoadingConfig | None = None

    def add_env(self, key: str, val: str) -> None:
        """Set one environment variable (in place)."""
        self.env[key] = val


class K8sPod(
    FlyteIdlEntity,
    idl=f"{_TASKS}:K8sPod",
    always=("metadata",),
    unset_if_empty=("pod_spec",),
    none_if_empty=("primary_container_name",),
):
    """A whole pod spec (a JSON-able dict) to run a task in, with its metadata and primary container's name."""

    metadata: K8sObjectMetadata | None = None
    pod_spec: dict[str, Any] | None = None
    data_config: DataLoadingConfig | None = None
    primary_container_name: str | None = None

    @classmethod
    def from_pod_template(cls, pod_template: Any) -> Self:
        """The pod of a ``PodTemplate``: its ``pod_spec`` as a dict (a dict as is, else serialized with the
        ``kubernetes`` client), its labels, annotations and primary container's name."""
        spec = pod_template.pod_spec
        if spec is not None and not isinstance(spec, dict):
            from kubernetes.client import ApiClient  # type: ignore[import-not-found]  # the optional k8s extra

            spec = ApiClient().sanitize_for_serialization(spec)
        return cls(
            metadata=K8sObjectMetadata(labels=pod_template.labels, annotations=pod_template.annotations),
            pod_spec=copy.deepcopy(spec),
            primary_container_name=pod_template.primary_container_name,
        )


class Sql(FlyteIdlEntity, idl=f"{_TASKS}:Sql"):
    """A SQL statement and its dialect (the numbers of flyteidl's ``Sql.Dialect``)."""

    class Dialect(enum.IntEnum):
        UNDEFINED = 0
        ANSI = 1
        HIVE = 2
        OTHER = 3

    statement: str | None = None
    dialect: Sql.Dialect | int = 0


class TaskTemplate(
    FlyteIdlEntity,
    idl=f"{_TASKS}:TaskTemplate",
    always=("id", "metadata", "interface", "custom"),
    unset_if_empty=("custom",),
):
    """A task as registered: id, type, metadata, interface, plugin config (``custom``) and what it runs in."""

    id: Identifier
    type: str
    metadata: TaskMetadata
    interface: TypedInterface
    custom: dict[str, Any] | None
    container: Container | None = None
    task_type_version: int = 0
    security_context: SecurityContext | None = None
    config: dict[str, str] | None = None
    k8s_pod: K8sPod | None = None
    sql: Sql | None = None
    extended_resources: ExtendedResources | None = None

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.container, self.k8s_pod, self.sql)) > 1:
            raise FlyteValidationException("TaskTemplate: set at most one of container, k8s_pod and sql")


class TaskExecutionMetadata(
    FlyteIdlEntity, idl="flyteidl.admin.agent_pb2:TaskExecutionMetadata", always=("task_execution_id", "identity")
):
    """What an agent is told about the task execution it serves."""

    task_execution_id: TaskExecutionIdentifier
    namespace: str
    labels: dict[str, str] | None
    annotations: dict[str, str] | None
    k8s_service_account: str
    environment_variables: dict[str, str] | None
    identity: Identity | None


class CompiledTask(FlyteIdlEntity, idl="flyteidl.core.compiler_pb2:CompiledTask", always=("template",)):
    template: TaskTemplate


class TaskClosure(FlyteIdlEntity, idl="flyteidl.admin.task_pb2:TaskClosure", always=("compiled_task",)):
    compiled_task: CompiledTask


class TaskSpec(
    FlyteIdlEntity, idl="flyteidl.admin.task_pb2:TaskSpec", rename={"docs": "description"}, always=("template", "docs")
):
    """A task to register: its template and documentation."""

    template: TaskTemplate
    docs: Documentation | None = None


class Task(FlyteIdlEntity, idl="flyteidl.admin.task_pb2:Task", always=("id", "closure")):
    """A registered task as the admin service returns it."""

    id: Identifier
    closure: TaskClosure
    short_description: str | None = None


__all__ = [
    "CompiledTask",
    "Container",
    "DataLoadingConfig",
    "IOStrategy",
    "K8sObjectMetadata",
    "K8sPod",
    "Resources",
    "RuntimeMetadata",
    "Sql",
    "Task",
    "TaskClosure",
    "TaskExecutionMetadata",
    "TaskMetadata",
    "TaskSpec",
    "TaskTemplate",
]
