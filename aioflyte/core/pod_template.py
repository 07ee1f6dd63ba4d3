"""``PodTemplate``: a Kubernetes pod spec a task runs in, and its serialization into flyteidl's ``K8sPod``.

``pod_spec`` is a ``kubernetes.client.V1PodSpec`` (when the ``kubernetes`` package is installed; it is not a
dependency of aioflyte) or a plain dict in the Kubernetes JSON shape (``{"containers": [...], "nodeSelector": ...}``).
The task's own container (image, command, args, resources, environment) is merged into the container called
``primary_container_name``, as flytekit 1.16 does, so the serialized pod is the same.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flyteidl.core import tasks_pb2
from google.protobuf import json_format, struct_pb2

from aioflyte.exceptions import FlyteTypeException, FlyteValidationException

PRIMARY_CONTAINER_DEFAULT_NAME = "primary"
PRIMARY_CONTAINER_NAME_FIELD = "primary_container_name"
"""The key of the task template's ``config`` that names the primary container of a task with a pod template."""

ImageResolver = Callable[[Any], str | None]
"""Turns a container's image (a name, an image template, an ``ImageSpec``, or ``None``) into the name to register."""


def _v1_pod_spec_type() -> type | None:
    try:
        from kubernetes.client import V1PodSpec  # type: ignore[import-not-found]
    except ImportError:
        return None
    return V1PodSpec


def _type_error(parameter: str, expected: str, value: Any) -> FlyteTypeException:
    return FlyteTypeException(
        f"PodTemplate: parameter {parameter!r} expected {expected}, got {type(value).__name__} ({value!r})",
        entity="PodTemplate",
        parameter=parameter,
        expected=expected,
        actual=type(value),
    )


def _check_str_dict(parameter: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _type_error(parameter, "dict[str, str] or None", value)


@dataclass(eq=True)
class PodTemplate:
    """A pod spec for a task; the container named ``primary_container_name`` is the one that runs the task."""

    pod_spec: Any = None
    primary_container_name: str = PRIMARY_CONTAINER_DEFAULT_NAME
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.pod_spec is None:
            self.pod_spec = {"containers": []}
        elif not isinstance(self.pod_spec, dict):
            v1 = _v1_pod_spec_type()
            if v1 is None or not isinstance(self.pod_spec, v1):
                expected = "kubernetes.client.V1PodSpec, a dict (Kubernetes PodSpec JSON) or None"
                if v1 is None:
                    expected += " (the kubernetes package is not installed, so only a dict)"
                raise _type_error("pod_spec", expected, self.pod_spec)
        elif not isinstance(self.pod_spec.get("containers", []), list):
            raise _type_error("pod_spec['containers']", "a list", self.pod_spec["containers"])
        if not isinstance(self.primary_container_name, str):
            raise _type_error("primary_container_name", "str", self.primary_container_name)
        if not self.primary_container_name:
            raise FlyteValidationException("PodTemplate: primary_container_name must not be empty")
        _check_str_dict("labels", self.labels)
        _check_str_dict("annotations", self.annotations)

    def version_hash(self) -> str:
        """SHA-256 of the template as canonical JSON (flytekit's algorithm: a ``V1PodSpec`` contributes its
        ``to_dict()``, a dict pod spec itself), for content-based versions."""
        data = _for_hash(self)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


def _for_hash(obj: Any) -> Any:
    if hasattr(obj, "to_dict") and not isinstance(obj, type):
        d = obj.to_dict()
        if type(obj).__name__ == "V1Container" and hasattr(getattr(obj, "image", None), "image_name"):
            d["image"] = obj.image.image_name()
        return {k: _for_hash(v) for k, v in d.items()}
    if isinstance(obj, list):
        return [_for_hash(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _for_hash(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _for_hash({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    return obj


def default_image_resolver(image: Any) -> str | None:
    """An ``ImageSpec`` becomes its ``image_name()`` (not built); names and ``None`` stay as they are."""
    if image is None or isinstance(image, str):
        return image
    name = getattr(image, "image_name", None)
    if callable(name):
        return str(name())
    raise TypeError(f"a container image must be a str or an ImageSpec, got {type(image).__name__}")


def pod_spec_to_dict(pod_spec: Any, image_resolver: ImageResolver = default_image_resolver) -> dict[str, Any]:
    """The pod spec in the Kubernetes JSON shape (camelCase keys, no nulls); ``ImageSpec`` container images of a
    ``V1PodSpec`` become names through ``image_resolver``."""
    if pod_spec is None:
        return {}
    if isinstance(pod_spec, dict):
        return copy.deepcopy(pod_spec)
    from kubernetes.client import ApiClient  # a V1PodSpec: it is installed

    pod_spec = copy.deepcopy(pod_spec)
    for container in getattr(pod_spec, "containers", None) or []:
        if container.image is not None and not isinstance(container.image, str):
            container.image = image_resolver(container.image)
    return ApiClient().sanitize_for_serialization(pod_spec)


def _resource_name(entry: tasks_pb2.Resources.ResourceEntry) -> str:
    return tasks_pb2.Resources.ResourceName.Name(entry.name).lower().replace("_", "-")


def serialize_pod_spec(
    pod_template: PodTemplate,
    primary_container: tasks_pb2.Container,
    image_resolver: ImageResolver = default_image_resolver,
) -> dict[str, Any]:
    """The pod spec with the task's container merged into the primary container (added when the spec lacks it).

    The primary container takes the task's command, args and resources (when the task has any), its environment
    before the pod spec's own, and the task's image unless the pod spec names one. Other containers' images go
    through ``image_resolver``.
    """
    spec = pod_spec_to_dict(pod_template.pod_spec, image_resolver)
    name = pod_template.primary_container_name
    containers: list[dict[str, Any]] = spec.setdefault("containers", [])
    if not any(c.get("name") == name for c in containers):
        containers.append({"name": name})
    for c in containers:
        if c.get("name") != name:
            _set_image(c, image_resolver(c.get("image")))
            continue
        _set_image(c, primary_container.image if c.get("image") is None else image_resolver(c["image"]))
        c["command"] = list(primary_container.command)
        c["args"] = list(primary_container.args)
        limits = {_resource_name(r): r.value for r in primary_container.resources.limits}
        requests = {_resource_name(r): r.value for r in primary_container.resources.requests}
        if limits or requests:
            c["resources"] = {"limits": limits, "requests": requests}
        c["env"] = [{"name": kv.key, "value": kv.value} for kv in primary_container.env] + list(c.get("env") or [])
    return spec


def _set_image(container: dict[str, Any], image: str | None) -> None:
    if image is None:
        container.pop("image", None)
    else:
        container["image"] = image


def _struct(d: Mapping[str, Any]) -> struct_pb2.Struct:
    return json_format.Parse(json.dumps(d), struct_pb2.Struct())


def _metadata(pod_template: PodTemplate) -> tasks_pb2.K8sObjectMetadata:
    return tasks_pb2.K8sObjectMetadata(labels=pod_template.labels or {}, annotations=pod_template.annotations or {})


def to_k8s_pod(
    pod_template: PodTemplate,
    primary_container: tasks_pb2.Container | None = None,
    *,
    image_resolver: ImageResolver = default_image_resolver,
    set_primary_container_name: bool | None = None,
) -> tasks_pb2.K8sPod:
    """The ``K8sPod`` of a pod template: labels and annotations as metadata, the pod spec as a ``Struct``.

    With ``primary_container`` (the task's container), the spec is the merged one (``serialize_pod_spec``) and,
    as in a flytekit task template, ``primary_container_name`` is left to the template's ``config`` (see
    ``task_config``); a node override (``TaskNodeOverrides.pod_template``) sets it too: pass
    ``set_primary_container_name=True``. Without ``primary_container`` the spec is the template's own and
    ``primary_container_name`` is set, as flytekit's ``K8sPod.from_pod_template`` does.
    """
    if not isinstance(pod_template, PodTemplate):
        raise FlyteTypeException(
            f"to_k8s_pod: parameter 'pod_template' expected PodTemplate, got {type(pod_template).__name__}",
            entity="to_k8s_pod",
            parameter="pod_template",
            expected=PodTemplate,
            actual=type(pod_template),
        )
    if primary_container is None:
        spec = pod_spec_to_dict(pod_template.pod_spec, image_resolver)
        named = True if set_primary_container_name is None else set_primary_container_name
    elif isinstance(primary_container, tasks_pb2.Container):
        spec = serialize_pod_spec(pod_template, primary_container, image_resolver)
        named = bool(set_primary_container_name)
    else:
        raise FlyteTypeException(
            "to_k8s_pod: parameter 'primary_container' expected flyteidl.core.tasks_pb2.Container or None, got "
            f"{type(primary_container).__name__}",
            entity="to_k8s_pod",
            parameter="primary_container",
            expected=tasks_pb2.Container,
            actual=type(primary_container),
        )
    return tasks_pb2.K8sPod(
        metadata=_metadata(pod_template),
        pod_spec=_struct(spec) if spec else None,
        primary_container_name=pod_template.primary_container_name if named else "",
    )


def task_config(pod_template: PodTemplate | None) -> dict[str, str]:
    """The task template ``config`` entry of a task with a pod template: ``{"primary_container_name": name}``."""
    if pod_template is None:
        return {}
    return {PRIMARY_CONTAINER_NAME_FIELD: pod_template.primary_container_name}
