"""Tasks as flyteidl ``TaskSpec`` / ``TaskTemplate``: metadata, typed interface, container (image, the
``aioflyte-execute`` command, resources, environment), secrets, pod template and extended resources.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from flyteidl.admin import task_pb2 as admin_task_pb2
from flyteidl.core import literals_pb2, security_pb2, tasks_pb2
from google.protobuf import struct_pb2, wrappers_pb2

from aioflyte.core.resources import SHARED_MEMORY_MOUNT_NAME, SHARED_MEMORY_MOUNT_PATH
from aioflyte.models.security import secret_idl
from aioflyte.remote import serialization as _ser
from aioflyte.remote.translator._common import TASK, description_entity, identifier, typed_interface

PRIMARY_CONTAINER_DEFAULT_NAME = "primary"
_IMAGE_TEMPLATE = re.compile(r"({{\s*\.images?(?:\.([a-zA-Z0-9_]+))(?:\.([a-zA-Z0-9_]+))?\s*}})", re.IGNORECASE)

_RESOURCE_ORDER = (
    ("ephemeral_storage", tasks_pb2.Resources.EPHEMERAL_STORAGE),
    ("cpu", tasks_pb2.Resources.CPU),
    ("gpu", tasks_pb2.Resources.GPU),
    ("mem", tasks_pb2.Resources.MEMORY),
)
_OVERRIDE_ORDER = (
    ("cpu", tasks_pb2.Resources.CPU),
    ("mem", tasks_pb2.Resources.MEMORY),
    ("gpu", tasks_pb2.Resources.GPU),
    ("ephemeral_storage", tasks_pb2.Resources.EPHEMERAL_STORAGE),
)


def _version() -> str:
    from aioflyte._version import __version__

    return __version__


def runtime_metadata() -> tasks_pb2.RuntimeMetadata:
    """Which SDK wrote the task: aioflyte, at its version."""
    return tasks_pb2.RuntimeMetadata(type=tasks_pb2.RuntimeMetadata.FLYTE_SDK, version=_version(), flavor="aioflyte")


def _is_mode(task: Any, mode: str) -> bool:
    m = getattr(task, "execution_mode", None)
    return getattr(m, "name", None) == mode


def is_dynamic(task: Any) -> bool:
    return _is_mode(task, "DYNAMIC")


def is_eager(task: Any) -> bool:
    return _is_mode(task, "EAGER") or bool(getattr(getattr(task, "metadata", None), "is_eager", False))


def _setting(task: Any, key: str) -> Any:
    return (getattr(task, "settings", None) or {}).get(key)


# --- metadata --------------------------------------------------------------------------------------------------


def retry_strategy(retries: int | None) -> literals_pb2.RetryStrategy:
    return literals_pb2.RetryStrategy(retries=retries or 0)


def task_metadata(task: Any) -> tasks_pb2.TaskMetadata:
    """The template's ``TaskMetadata``: cache, retries, timeout, interruptible, deck, eager, runtime."""
    md = task.metadata
    deck = bool(md.generates_deck or getattr(task, "enable_deck", False))
    pb = tasks_pb2.TaskMetadata(
        discoverable=bool(md.cache),
        runtime=runtime_metadata(),
        retries=retry_strategy(md.retries),
        interruptible=md.interruptible,
        discovery_version=md.cache_version or "",
        deprecated_error_message=md.deprecated or "",
        cache_serializable=bool(md.cache_serialize),
        pod_template_name=md.pod_template_name or "",
        cache_ignore_input_vars=list(md.cache_ignore_input_vars or ()),
        is_eager=is_eager(task),
        generates_deck=wrappers_pb2.BoolValue(value=deck),
        metadata=tasks_pb2.K8sObjectMetadata(
            labels=dict(getattr(md, "labels", None) or {}), annotations=dict(getattr(md, "annotations", None) or {})
        ),
    )
    if md.timeout:
        pb.timeout.FromTimedelta(md.timeout)
    return pb


# --- container -------------------------------------------------------------------------------------------------


def resolve_image(img: Any, settings: Any) -> str:
    """The image a task runs in: the default image, a ``{{.image.<name>...}}`` template, an ``ImageSpec``, or a
    plain image name."""
    cfg = settings.image_config
    if img is None or img == "":
        default = getattr(cfg, "default_image", None)
        if default is None:
            raise ValueError("SerializationSettings.image_config has no default image")
        return default.full
    if not isinstance(img, str):
        found = _ser.find_image(cfg, getattr(img, "id", None) or "")
        if found is not None:
            return found.full
        name = getattr(img, "image_name", None)
        if callable(name):
            return name()
        raise TypeError(f"container_image must be a str or an ImageSpec, got {type(img).__name__}")
    for whole, name, attr in _IMAGE_TEMPLATE.findall(img):
        found = _ser.find_image(cfg, name)
        if found is None:
            raise ValueError(f"container image {img!r} names image {name!r}, which the image config does not have")
        if attr == "version":
            version = _image_version(found) or _image_version(cfg.default_image)
            if ":" in version and f":{whole}" in img:  # a digest: needs '@'
                img = img.replace(f":{whole}", f"@{version}")
            else:
                img = img.replace(whole, version)
        elif attr == "fqn":
            img = img.replace(whole, found.fqn)
        elif attr == "":
            img = img.replace(whole, found.full)
        else:
            raise ValueError(f"container image {img!r}: unknown image attribute {attr!r} (use fqn or version)")
    return img


def _image_version(img: Any) -> str:
    return getattr(img, "digest", None) or getattr(img, "tag", None) or ""


def _entries(
    res: Any, order: tuple[tuple[str, tasks_pb2.Resources.ResourceName], ...]
) -> list[tasks_pb2.Resources.ResourceEntry]:
    out: list[tasks_pb2.Resources.ResourceEntry] = []
    if res is None:
        return out
    for attr, name in order:
        v = getattr(res, attr, None)
        if v is not None and v != "" and v is not False:
            out.append(tasks_pb2.Resources.ResourceEntry(name=name, value=str(v)))
    return out


def container_resources(spec: Any) -> tasks_pb2.Resources:
    if spec is None:
        return tasks_pb2.Resources()
    return tasks_pb2.Resources(
        requests=_entries(spec.requests, _RESOURCE_ORDER), limits=_entries(spec.limits, _RESOURCE_ORDER)
    )


def override_resources(requests: Any, limits: Any) -> tasks_pb2.Resources:
    """Resources of a node's ``with_overrides`` (cpu, memory, gpu, storage order)."""
    return tasks_pb2.Resources(requests=_entries(requests, _OVERRIDE_ORDER), limits=_entries(limits, _OVERRIDE_ORDER))


def task_module_and_name(task: Any) -> tuple[str, str]:
    """The module and the module-level name under which the entrypoint finds the task."""
    fn = getattr(task, "task_function", None)
    if fn is None:
        mod, _, name = task.name.rpartition(".")
        return mod, name
    mod = fn.__module__
    if mod == "__main__":
        raise ValueError(f"task {task.name} is defined in __main__: serialize it from an importable module")
    import sys

    module = sys.modules.get(mod)
    for attr, value in vars(module or object()).items():
        if value is task:
            return mod, attr
    return mod, fn.__name__


def loader_args(task: Any, settings: Any) -> tuple[str, list[str]]:
    """(resolver location, resolver args) for the entrypoint to load ``task``."""
    resolver = _setting(task, "task_resolver")
    if resolver is not None and hasattr(resolver, "location") and hasattr(resolver, "loader_args"):
        return resolver.location, list(resolver.loader_args(settings, task))
    mod, name = task_module_and_name(task)
    return _ser.DEFAULT_TASK_RESOLVER, ["task-module", mod, "task-name", name]


def command_args(resolver: str, args: list[str]) -> list[str]:
    """``aioflyte-execute`` with the templates Flyte fills in, then the resolver and its arguments."""
    return [
        _ser.ENTRYPOINT,
        "--inputs",
        "{{.input}}",
        "--output-prefix",
        "{{.outputPrefix}}",
        "--raw-output-data-prefix",
        "{{.rawOutputDataPrefix}}",
        "--checkpoint-path",
        "{{.checkpointOutputPrefix}}",
        "--prev-checkpoint",
        "{{.prevCheckpointPrefix}}",
        "--resolver",
        resolver,
        "--",
        *args,
    ]


def fast_prefix(settings: Any) -> list[str]:
    """The prefix that makes a fast-registered task fetch and unpack its code first."""
    fss = settings.fast_serialization_settings
    return [
        "aioflyte-fast-execute",
        "--additional-distribution",
        (fss.distribution_location if fss and fss.distribution_location else "{{ .remote_package_path }}"),
        "--dest-dir",
        (fss.destination_dir if fss and fss.destination_dir else "{{ .dest_dir }}"),
        "--",
    ]


def container(task: Any, settings: Any, args: list[str], *, fast: bool = True) -> tasks_pb2.Container:
    env: dict[str, str] = {}
    for part in (settings.env, task.environment):
        if part:
            env.update(part)
    resources = task.resources
    if resources is None and settings.default_resources is not None:
        resources = settings.default_resources
    if fast and settings.should_fast_serialize():
        args = fast_prefix(settings) + args
    c = tasks_pb2.Container(
        image=resolve_image(_setting(task, "container_image"), settings),
        args=args,
        resources=container_resources(resources),
    )
    for k, v in env.items():
        c.env.add(key=k, value=v)
    return c


def extended_resources(accelerator: Any, shared_memory: Any) -> tasks_pb2.ExtendedResources | None:
    kwargs: dict[str, Any] = {}
    if accelerator is not None:
        kwargs["gpu_accelerator"] = accelerator.to_flyte_idl()
    if shared_memory is True or isinstance(shared_memory, str):
        kwargs["shared_memory"] = tasks_pb2.SharedMemory(
            mount_name=SHARED_MEMORY_MOUNT_NAME,
            mount_path=SHARED_MEMORY_MOUNT_PATH,
            size_limit=None if shared_memory is True else shared_memory,
        )
    return tasks_pb2.ExtendedResources(**kwargs) if kwargs else None


def security_context(task: Any) -> security_pb2.SecurityContext | None:
    secrets = list(getattr(task, "secret_requests", None) or [])
    if not secrets:
        return None
    return security_pb2.SecurityContext(secrets=[secret_idl(s) for s in secrets])


# --- pod templates ---------------------------------------------------------------------------------------------


def _pod_spec_dict(pod_spec: Any) -> dict[str, Any]:
    if pod_spec is None:
        return {}
    if isinstance(pod_spec, dict):
        return copy.deepcopy(pod_spec)
    to_dict = getattr(pod_spec, "to_k8s_dict", None)
    if callable(to_dict):
        return to_dict()
    try:  # a kubernetes client object
        from kubernetes.client import ApiClient  # type: ignore[import-not-found]
    except ImportError as e:  # pragma: no cover
        raise TypeError(f"pod_spec must be a dict (the Kubernetes PodSpec JSON), got {type(pod_spec).__name__}") from e
    return ApiClient().sanitize_for_serialization(pod_spec)


def pod_spec(pod_template: Any, primary: tasks_pb2.Container, settings: Any) -> dict[str, Any]:
    """The pod template's spec with the task's container merged into its primary container."""
    spec = _pod_spec_dict(getattr(pod_template, "pod_spec", None))
    if not spec:
        return {}
    primary_name = getattr(pod_template, "primary_container_name", None) or PRIMARY_CONTAINER_DEFAULT_NAME
    containers = spec.setdefault("containers", [])
    if not any(c.get("name") == primary_name for c in containers):
        containers.append({"name": primary_name})
    for c in containers:
        if c.get("name") != primary_name:
            if c.get("image"):
                c["image"] = resolve_image(c["image"], settings)
            continue
        c["image"] = resolve_image(c["image"], settings) if c.get("image") else primary.image
        c["command"] = list(primary.command)
        c["args"] = list(primary.args)
        limits = {
            tasks_pb2.Resources.ResourceName.Name(r.name).lower().replace("_", "-"): r.value
            for r in primary.resources.limits
        }
        requests = {
            tasks_pb2.Resources.ResourceName.Name(r.name).lower().replace("_", "-"): r.value
            for r in primary.resources.requests
        }
        if limits or requests:
            c["resources"] = {"limits": limits, "requests": requests}
        c["env"] = [{"name": e.key, "value": e.value} for e in primary.env] + list(c.get("env") or [])
    return spec


def k8s_pod(pod_template: Any, primary: tasks_pb2.Container, settings: Any) -> tasks_pb2.K8sPod:
    st = struct_pb2.Struct()
    st.update(pod_spec(pod_template, primary, settings))
    return tasks_pb2.K8sPod(
        pod_spec=st,
        metadata=tasks_pb2.K8sObjectMetadata(
            labels=dict(getattr(pod_template, "labels", None) or {}),
            annotations=dict(getattr(pod_template, "annotations", None) or {}),
        ),
    )


# --- the template ----------------------------------------------------------------------------------------------


def _plugin_dict(task: Any, method: str, settings: Any) -> dict[str, Any]:
    fn = getattr(type(task), method, None)
    if fn is None:
        return {}
    return fn(task, settings) or {}


def _plugin_message(task: Any, method: str, settings: Any) -> Any:
    """What the task's ``get_container``/``get_k8s_pod``/``get_sql`` gives, as a flyteidl message (or None)."""
    fn = getattr(type(task), method, None)
    if fn is None:
        return None
    value = fn(task, settings)
    if value is None:
        return None
    to_idl = getattr(value, "to_flyte_idl", None)
    return to_idl() if callable(to_idl) else value


def runs_in_aioflyte_container(task: Any) -> bool:
    """Whether the serializer builds the task's container: ``PythonAutoContainerTask`` (``@task`` functions,
    ``PythonInstanceTask``), tasks that give their own command (``get_command``), and the serializer's own task
    views; a plain ``PythonTask`` runs in a backend plugin and has none (as in flytekit)."""
    from aioflyte.core.base_task import PythonTask
    from aioflyte.core.python_auto_container import PythonAutoContainerTask

    if not isinstance(task, PythonTask) or isinstance(task, PythonAutoContainerTask):
        return True
    return callable(getattr(type(task), "get_command", None))


def task_template(
    task: Any,
    settings: Any,
    *,
    args: list[str] | None = None,
    name: str | None = None,
    task_type: str | None = None,
    task_type_version: int | None = None,
    metadata: tasks_pb2.TaskMetadata | None = None,
    interface: Any = None,
) -> tasks_pb2.TaskTemplate:
    """The ``TaskTemplate`` of a Python task (``args`` default: ``aioflyte-execute`` loading the task).

    As flytekit's serializer, it asks the task: ``get_custom``, ``get_config``, ``get_k8s_pod`` (a pod instead of
    a container), ``get_container`` (a container of its own), ``get_sql`` (a statement; no container then).
    """
    if is_dynamic(task) or is_eager(task):
        settings = settings.with_serialized_context()
    own_pod = _plugin_message(task, "get_k8s_pod", settings)
    own_container = _plugin_message(task, "get_container", settings) if own_pod is None else None
    sql = _plugin_message(task, "get_sql", settings)
    default_target = own_pod is None and own_container is None and sql is None and runs_in_aioflyte_container(task)
    pod_template = _setting(task, "pod_template") if default_target else None
    primary = None
    if default_target:
        own_command = getattr(type(task), "get_command", None)
        if args is None and callable(own_command):  # a command of its own: no fast-registration prefix
            primary = container(task, settings, list(own_command(task, settings)), fast=False)
        else:
            primary = container(
                task, settings, args if args is not None else command_args(*loader_args(task, settings))
            )
    config = _plugin_dict(task, "get_config", settings)  # a pod template's primary_container_name among it
    custom = _plugin_dict(task, "get_custom", settings)
    if task_type_version is None:
        task_type_version = getattr(task, "task_type_version", 0) or 0
    tt = tasks_pb2.TaskTemplate(
        id=identifier(TASK, settings, name or task.name),
        type=task_type or task.task_type,
        metadata=metadata if metadata is not None else task_metadata(task),
        interface=typed_interface(interface if interface is not None else task.python_interface, f"task {task.name}"),
        custom=_struct(custom) if custom else None,
        task_type_version=task_type_version,
        security_context=security_context(task),
        config=config,
        extended_resources=extended_resources(_setting(task, "accelerator"), _setting(task, "shared_memory")),
    )
    if own_pod is not None:
        tt.k8s_pod.CopyFrom(own_pod)
    elif own_container is not None:
        tt.container.CopyFrom(own_container)
    if sql is not None:
        tt.sql.CopyFrom(sql)
    if primary is None:
        return tt
    if pod_template is None:
        if getattr(task, "_connector_container", True):  # a connector task has one only if its class makes one
            tt.container.CopyFrom(primary)
    else:
        from aioflyte.core.pod_template import PodTemplate, to_k8s_pod

        if isinstance(pod_template, PodTemplate):  # flytekit's merge, incl. default images for sidecars
            tt.k8s_pod.CopyFrom(to_k8s_pod(pod_template, primary, image_resolver=lambda i: resolve_image(i, settings)))
        else:
            tt.k8s_pod.CopyFrom(k8s_pod(pod_template, primary, settings))
    return tt


def _struct(d: dict[str, Any]) -> struct_pb2.Struct:
    st = struct_pb2.Struct()
    st.update(d)
    return st


def task_spec(task: Any, settings: Any) -> admin_task_pb2.TaskSpec:
    """A Python function task as the ``TaskSpec`` Flyte Admin registers."""
    from aioflyte.core.container_task import ContainerTask

    if isinstance(task, ContainerTask):  # the user's own command (translator/containers.py)
        from aioflyte.remote.translator.containers import container_task_spec

        return container_task_spec(task, settings)
    tt = task_template(task, settings)
    if getattr(task, "task_function", None) is None and getattr(task, "docs", None) is None:
        return admin_task_pb2.TaskSpec(template=tt)  # as flytekit: only function tasks document themselves
    docstring = getattr(task.python_interface, "docstring", None)
    if task.docs is None and docstring is None and getattr(task, "task_function", None) is None:
        return admin_task_pb2.TaskSpec(template=tt)  # flytekit: a task class's task has no description unless given
    return admin_task_pb2.TaskSpec(template=tt, description=description_entity(task.docs, docstring))


def map_task_spec(mt: Any, settings: Any) -> admin_task_pb2.TaskSpec:
    """A map task (``ArrayNodeMapTask``): the mapped task's template under the map task's name and list interface,
    whose command tells the entrypoint which inputs are bound (not mapped)."""
    target = mt.target
    resolver, args = loader_args(target, settings)
    map_args = ["vars", ",".join(sorted(mt.bound_inputs)), "resolver", resolver, *args]
    tt = task_template(
        target,
        settings,
        args=command_args(_ser.MAP_TASK_RESOLVER, map_args),
        name=mt.name,
        task_type=target.task_type,
        task_type_version=1,
        interface=_without_docstring(mt.python_interface),
    )
    return admin_task_pb2.TaskSpec(template=tt)


def _without_docstring(interface: Any) -> Any:
    from aioflyte.core.interface import Interface

    return Interface(interface.inputs, interface.outputs, interface.output_tuple, interface.positional_outputs, None)


def eager_cleanup_spec(task: Any, settings: Any) -> admin_task_pb2.TaskSpec:
    """The failure handler of an eager workflow (``<name>-cleanup``): terminates what the eager run started."""
    from aioflyte.core.interface import Interface

    name = f"{task.name}-cleanup"
    md = tasks_pb2.TaskMetadata(
        runtime=runtime_metadata(),
        retries=retry_strategy(0),
        generates_deck=wrappers_pb2.BoolValue(value=False),
        metadata=tasks_pb2.K8sObjectMetadata(),
    )
    cleanup = _CleanupView(task)
    tt = task_template(
        cleanup,
        settings,
        args=command_args(_ser.EAGER_FAILURE_TASK_RESOLVER, ["eager", "failure", "handler"]),
        name=name,
        task_type="eager_failure_handler_task",
        metadata=md,
        interface=Interface(dict(task.python_interface.inputs), {}),
    )
    return admin_task_pb2.TaskSpec(template=tt)


class _CleanupView:
    """The eager task's image and environment, without its secrets, resources or mode (for the cleanup task)."""

    def __init__(self, task: Any) -> None:
        self.name = f"{task.name}-cleanup"
        self.environment: dict[str, str] = {}
        self.resources = None
        self.secret_requests: list[Any] = []
        self.settings = {"container_image": _setting(task, "container_image")}
        self.execution_mode = None
        self.metadata = None
