"""``PythonAutoContainerTask``: the base of tasks that run in aioflyte's own container (``aioflyte-execute`` loading
the task), flytekit's class of the same name: ``@task`` functions and ``PythonInstanceTask`` subclasses.

A plain :class:`~aioflyte.core.base_task.PythonTask` serializes without a container (a backend plugin runs it);
a task of this class gets the container the serializer builds (image, resources, environment, the resolver's
command), or a pod when it has a ``pod_template``, unless it overrides ``get_container`` or ``get_k8s_pod``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aioflyte.core.base_task import PythonTask, TaskMetadata
from aioflyte.core.resources import construct_resources


class PythonAutoContainerTask(PythonTask):
    """A task run by ``aioflyte-execute`` in its image: flytekit's constructor
    ``(name, task_config, task_type="python-task", container_image=None, requests=None, limits=None,
    environment=None, task_resolver=None, secret_requests=None, pod_template=None, pod_template_name=None,
    accelerator=None, shared_memory=None, resources=None, **kwargs)``."""

    def __init__(
        self,
        name: str,
        task_config: Any = None,
        task_type: str = "python-task",
        container_image: Any = None,
        requests: Any = None,
        limits: Any = None,
        environment: dict[str, str] | None = None,
        task_resolver: Any = None,
        secret_requests: list[Any] | None = None,
        pod_template: Any = None,
        pod_template_name: str | None = None,
        accelerator: Any = None,
        shared_memory: bool | str | None = None,
        resources: Any = None,
        **kwargs: Any,
    ) -> None:
        if requests is not None or limits is not None:
            resources = construct_resources(f"task {name}", requests, limits, resources)
        if pod_template_name is not None:
            md = kwargs.get("metadata") or TaskMetadata()
            kwargs["metadata"] = dataclasses.replace(md, pod_template_name=pod_template_name)
        for key, value in (
            ("container_image", container_image),
            ("task_resolver", task_resolver),
            ("pod_template", pod_template),
            ("accelerator", accelerator),
            ("shared_memory", shared_memory),
        ):
            kwargs.setdefault(key, value)
        super().__init__(
            task_type,
            name,
            task_config,
            environment=environment,
            secret_requests=secret_requests,
            resources=resources,
            **kwargs,
        )

    @property
    def container_image(self) -> Any:
        return self._extra.get("container_image")

    @property
    def task_resolver(self) -> Any:
        return self._extra.get("task_resolver")

    @property
    def pod_template(self) -> Any:
        return self._extra.get("pod_template")

    def get_config(self, settings: Any) -> dict[str, str] | None:
        """In a pod template: which of the pod's containers is the task's (flytekit's ``primary_container_name``).
        A plugin that overrides this decides its config alone, as in flytekit."""
        pod_template = self.pod_template
        if pod_template is None:
            return {}
        from aioflyte.core.pod_template import PRIMARY_CONTAINER_DEFAULT_NAME

        name = getattr(pod_template, "primary_container_name", None) or PRIMARY_CONTAINER_DEFAULT_NAME
        return {"primary_container_name": name}


__all__ = ["PythonAutoContainerTask"]
