"""``PythonCustomizedContainerTask`` (flytekit's ``flytekit.core.python_customized_container_task``): a task that
runs in a prebuilt image with a ``ShimTaskExecutor`` instead of the user's code. Its container runs
``aioflyte-execute`` with the ``TaskTemplateResolver``, whose arguments are the path of the task's own template
(``{{.taskTemplatePath}}``, filled by the backend) and the executor's import path: in the container the resolver
reads the template, guesses the Python types of its interface, and hands the template to the executor.

Locally the task runs the same executor on a template made from the task itself (``task_template``), so what
runs locally is what runs in the container.
"""

from __future__ import annotations

import importlib
from typing import Any

from aioflyte.core.base_task import PythonTask, TaskResolverMixin
from aioflyte.core.interface import Interface
from aioflyte.core.resources import construct_resources
from aioflyte.core.shim_task import ExecutableTemplateShimTask, ShimTaskExecutor
from aioflyte.exceptions import FlyteValidationException

#: The container entrypoint's command (the server and Flyte clusters run it in the task's image).
_ENTRYPOINT = "aioflyte-execute"
#: Where the default resolver lives: what the task's container command names.
_RESOLVER_LOCATION = "aioflyte.core.python_customized_container_task.default_task_template_resolver"


def _settings(project: str, domain: str, version: str) -> Any:
    from aioflyte.configuration.image import Image, ImageConfig
    from aioflyte.configuration.serialization import SerializationSettings

    # flytekit's own stand-in image and ids, kept byte for byte: they are in the template the executor receives
    image = Image(name="custom_container_task", fqn="flyteorg.io/placeholder", tag="image")
    return SerializationSettings(
        project=project, domain=domain, version=version, env=None, image_config=ImageConfig(default_image=image)
    )


def template_of(task: PythonTask, settings: Any, custom: dict[str, Any] | None) -> Any:
    """A ``aioflyte.models.task.TaskTemplate`` of ``task`` for its executor: id, type, interface and custom."""
    from flyteidl.core import identifier_pb2, interface_pb2, tasks_pb2
    from google.protobuf import struct_pb2

    from aioflyte.models.task import TaskTemplate
    from aioflyte.types.engine import TypeEngine

    def variables(types: dict[str, Any]) -> interface_pb2.VariableMap:
        vm = interface_pb2.VariableMap()
        for n, t in types.items():
            vm.variables[n].CopyFrom(interface_pb2.Variable(type=TypeEngine.to_literal_type(t), description=n))
        return vm

    iface = task.python_interface
    tt = tasks_pb2.TaskTemplate(
        id=identifier_pb2.Identifier(
            resource_type=identifier_pb2.TASK,
            project=settings.project,
            domain=settings.domain,
            name=task.name,
            version=settings.version,
        ),
        type=task.task_type,
        metadata=tasks_pb2.TaskMetadata(),
        interface=interface_pb2.TypedInterface(inputs=variables(iface.input_types), outputs=variables(iface.outputs)),
    )
    if custom:
        st = struct_pb2.Struct()
        st.update(custom)
        tt.custom.CopyFrom(st)
    return TaskTemplate.from_flyte_idl(tt)


class PythonCustomizedContainerTask(ExecutableTemplateShimTask, PythonTask):
    """A task run by ``executor_type`` (a ``ShimTaskExecutor``) in ``container_image``, from its template alone:
    override ``get_custom`` to put there everything the executor needs.

    flytekit's constructor: ``(name, task_config, container_image, executor_type, task_resolver=None,
    task_type="python-task", requests=None, limits=None, environment=None, secret_requests=None, **kwargs)``.
    """

    #: The settings of the template a local run hands to the executor.
    SERIALIZE_SETTINGS = None  # made on first use (the configuration layer is imported then)

    def __init__(
        self,
        name: str,
        task_config: Any,
        container_image: Any,
        executor_type: type[ShimTaskExecutor[Any]],
        task_resolver: TaskTemplateResolver | None = None,
        task_type: str = "python-task",
        requests: Any = None,
        limits: Any = None,
        environment: dict[str, str] | None = None,
        secret_requests: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        from aioflyte.models.security import Secret

        for s in secret_requests or []:
            if not isinstance(s, Secret):
                raise FlyteValidationException(
                    f"task {name}: parameter 'secret_requests' expected a list of Secret, got {type(s).__name__}"
                )
        resources = kwargs.pop("resources", None)
        if requests is not None or limits is not None:
            resources = construct_resources(f"task {name}", requests, limits, resources)
        super().__init__(
            None,
            executor_type,
            task_type=task_type,
            name=name,
            task_config=task_config,
            environment=environment,
            secret_requests=secret_requests,
            resources=resources,
            container_image=container_image,
            task_resolver=task_resolver or default_task_template_resolver,
            **kwargs,
        )

    @property
    def container_image(self) -> Any:
        return self._extra["container_image"]

    @property
    def task_resolver(self) -> TaskTemplateResolver:
        resolver: TaskTemplateResolver = self._extra["task_resolver"]
        return resolver

    @property
    def task_template(self) -> Any:
        """The template the executor gets: made from this task on first use (flytekit's stand-in project and
        version, as its executors expect)."""
        if self._task_template is None:
            cls = PythonCustomizedContainerTask
            if cls.SERIALIZE_SETTINGS is None:
                cls.SERIALIZE_SETTINGS = _settings("PLACEHOLDER_PROJECT", "LOCAL", "PLACEHOLDER_VERSION")
            self._task_template = self.serialize_to_model(cls.SERIALIZE_SETTINGS)
        return self._task_template

    def serialize_to_model(self, settings: Any) -> Any:
        """This task's template for ``settings`` (what its executor reads), as ``aioflyte.models.task.TaskTemplate``."""
        return template_of(self, settings, self.get_custom(settings))

    def get_custom(self, settings: Any) -> dict[str, Any]:
        raise NotImplementedError(
            f"{type(self).__name__} must implement get_custom: its executor reads everything from the template"
        )

    def get_config(self, settings: Any) -> dict[str, str]:
        return {}

    def get_command(self, settings: Any) -> list[str]:
        """The container's arguments: the entrypoint loading the template through the task's resolver."""
        return [
            _ENTRYPOINT,
            "--inputs",
            "{{.input}}",
            "--output-prefix",
            "{{.outputPrefix}}",
            "--raw-output-data-prefix",
            "{{.rawOutputDataPrefix}}",
            "--resolver",
            self.task_resolver.location,
            "--",
            *self.task_resolver.loader_args(settings, self),
        ]


class _LoadedTemplateTask(ExecutableTemplateShimTask, PythonTask):
    """What the resolver loads in the container: the registered template and its executor, with the Python types
    guessed from the template's interface (flytekit's ``ExecutableTemplateShimTask``, as a task)."""

    def __init__(self, tt: Any, executor_type: type[ShimTaskExecutor[Any]]) -> None:
        from aioflyte.types.engine import TypeEngine

        inputs = {n: TypeEngine.guess_python_type(v.type) for n, v in tt.interface.inputs.items()}
        outputs = {n: TypeEngine.guess_python_type(v.type) for n, v in tt.interface.outputs.items()}
        super().__init__(tt, executor_type, tt.type, tt.id.name, None, Interface(inputs, outputs))


class TaskTemplateResolver(TaskResolverMixin):
    """Loads a task from its registered template: arguments ``<template path> <executor's import path>``.

    Every task it serializes gets the same arguments for a given executor; ``get_all_tasks`` is empty.
    """

    @property
    def location(self) -> str:
        return _RESOLVER_LOCATION

    def name(self) -> str:
        return "task template resolver"

    def loader_args(self, settings: Any, t: Any) -> list[str]:
        executor = t.executor_type
        return ["{{.taskTemplatePath}}", f"{executor.__module__}.{executor.__qualname__}"]

    def get_all_tasks(self) -> list[PythonTask]:
        return []

    def load_task(self, loader_args: list[str]) -> PythonTask:
        """The task, from a template file on this machine (sync; the container entrypoint uses
        ``async_load_task``, which also reads templates from the data plane)."""
        path, executor = self._args(loader_args)
        with open(path.removeprefix("file://"), "rb") as f:
            return self._task(f.read(), executor)

    async def async_load_task(self, loader_args: list[str]) -> PythonTask:
        """The task, from its template wherever the data plane reaches (local path, ``file://``, ``s3://``, ...)."""
        from aioflyte.io import default_provider

        path, executor = self._args(loader_args)
        return self._task(await default_provider().get_bytes(path), executor)

    def _args(self, loader_args: list[str]) -> tuple[str, str]:
        if len(loader_args) != 2:
            raise FlyteValidationException(
                f"{self.location}: expected arguments '<task template path> <executor module.class>', "
                f"got {loader_args!r}"
            )
        return loader_args[0], loader_args[1]

    def _task(self, data: bytes, executor_path: str) -> PythonTask:
        from flyteidl.core import tasks_pb2

        from aioflyte.models.task import TaskTemplate

        tt = TaskTemplate.from_flyte_idl(tasks_pb2.TaskTemplate.FromString(data))
        return _LoadedTemplateTask(tt, _executor_class(executor_path))


def _executor_class(path: str) -> type[ShimTaskExecutor[Any]]:
    """The executor class at ``module.Class``; flytekit's executors (``flytekit.x.Y``) are aioflyte's ``aioflyte.x.Y``
    when aioflyte has them (a template flytekit registered)."""
    candidates = [path]
    if path.startswith("flytekit."):
        candidates.append("aioflyte." + path.removeprefix("flytekit."))
    error: Exception | None = None
    for candidate in candidates:
        module, _, attr = candidate.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError, ValueError) as e:
            error = error or e
            continue
        if isinstance(cls, type) and issubclass(cls, ShimTaskExecutor):
            return cls
        raise FlyteValidationException(f"task template resolver: {candidate} is not a ShimTaskExecutor subclass")
    raise FlyteValidationException(f"task template resolver: cannot import the executor {path!r}: {error}")


#: The resolver of every ``PythonCustomizedContainerTask`` that names none.
default_task_template_resolver = TaskTemplateResolver()

__all__ = [
    "PythonCustomizedContainerTask",
    "TaskTemplateResolver",
    "default_task_template_resolver",
    "template_of",
]
