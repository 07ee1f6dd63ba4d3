"""``ContainerTask`` as flytekit serializes it: task type ``raw-container``, a container running the user's command
and arguments as written (``{{.inputs.x}}`` left for the platform to fill), with the ``data_config`` that tells
Flyte's copilot where to put the inputs and find the outputs; in a pod template, the container goes into the pod's
primary container and the ``data_config`` onto the ``K8sPod``.
"""

from __future__ import annotations

from typing import Any

from flyteidl.admin import task_pb2 as admin_task_pb2
from flyteidl.core import tasks_pb2

from aioflyte.core.container_task import ContainerTask
from aioflyte.remote.translator._common import TASK, description_entity, identifier, typed_interface
from aioflyte.remote.translator.tasks import container_resources, resolve_image, security_context, task_metadata


def _container(task: ContainerTask, settings: Any) -> tasks_pb2.Container:
    env: dict[str, str] = {}
    for part in (settings.env, task.environment):
        if part:
            env.update(part)
    c = tasks_pb2.Container(
        image=resolve_image(task.image, settings),
        command=task.command,
        args=task.arguments or [],
        resources=container_resources(task.resources),
        data_config=task.data_loading_config(),
    )
    for k, v in env.items():
        c.env.add(key=k, value=v)
    return c


def container_task_template(task: ContainerTask, settings: Any) -> tasks_pb2.TaskTemplate:
    primary = _container(task, settings)
    tt = tasks_pb2.TaskTemplate(
        id=identifier(TASK, settings, task.name),
        type=task.task_type,
        metadata=task_metadata(task),
        interface=typed_interface(task.python_interface),
        security_context=security_context(task),
        config=task.get_config(settings) or {},
    )
    if task.pod_template is None:
        tt.container.CopyFrom(primary)
    else:
        from aioflyte.core.pod_template import to_k8s_pod

        pod = to_k8s_pod(task.pod_template, primary, image_resolver=lambda i: resolve_image(i, settings))
        pod.data_config.CopyFrom(task.data_loading_config())
        tt.k8s_pod.CopyFrom(pod)
    return tt


def container_task_spec(task: ContainerTask, settings: Any) -> admin_task_pb2.TaskSpec:
    spec = admin_task_pb2.TaskSpec(template=container_task_template(task, settings))
    if task.docs is not None:  # flytekit describes a ContainerTask only when given docs (it has no docstring)
        spec.description.CopyFrom(description_entity(task.docs, None))
    return spec


__all__ = ["container_task_spec", "container_task_template"]
