"""``ContainerTask``: a task that runs a command in a container image of the user's (flytekit's "raw container").

Nothing of aioflyte runs inside the container: Flyte's data protocol (copilot) writes the task's inputs as files into
``input_data_dir`` (one file per input named after it, blobs copied in, and ``inputs.pb`` / ``inputs.json`` /
``inputs.yaml`` with all of them) and reads the outputs back from ``output_data_dir`` (one file per output named
after it; a file or a directory for a blob output). ``{{.inputs.x}}`` in the command or arguments is replaced with
the input's value. Serialized as flytekit does (task type ``raw-container``, the container's ``data_config``); run
locally by the engine (a container runtime, or a local process: docs/container-tasks.md) and by ``aioflyte serve``.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING, Any

from flyteidl.core import tasks_pb2

from aioflyte.core.base_task import PythonTask, TaskMetadata
from aioflyte.core.interface import Interface
from aioflyte.core.resources import Resources, ResourceSpec, construct_resources
from aioflyte.exceptions import FlyteValidationException

if TYPE_CHECKING:
    from aioflyte.core.pod_template import PodTemplate
    from aioflyte.image_spec.image_spec import ImageSpec
    from aioflyte.models.security import Secret

_PRIMARY_CONTAINER_NAME_FIELD = "primary_container_name"


class ContainerTask(PythonTask):
    """A task whose body is a command run in ``image``, with its inputs and outputs exchanged as files."""

    class MetadataFormat(enum.Enum):
        """The format of the file holding all inputs besides ``inputs.pb`` (``inputs.json`` / ``inputs.yaml``)."""

        JSON = tasks_pb2.DataLoadingConfig.JSON
        YAML = tasks_pb2.DataLoadingConfig.YAML
        PROTO = tasks_pb2.DataLoadingConfig.PROTO

    class IOStrategy(enum.Enum):
        """When inputs are downloaded and outputs uploaded (Flyte's ``IOStrategy``).

        Each member is (the ``IOStrategy`` field it sets, the mode): unlike flytekit's, whose upload members are
        aliases of the download ones, every member is distinct.
        """

        DOWNLOAD_EAGER = ("download_mode", tasks_pb2.IOStrategy.DOWNLOAD_EAGER)
        DOWNLOAD_STREAM = ("download_mode", tasks_pb2.IOStrategy.DOWNLOAD_STREAM)
        DO_NOT_DOWNLOAD = ("download_mode", tasks_pb2.IOStrategy.DO_NOT_DOWNLOAD)
        UPLOAD_EAGER = ("upload_mode", tasks_pb2.IOStrategy.UPLOAD_EAGER)
        UPLOAD_ON_EXIT = ("upload_mode", tasks_pb2.IOStrategy.UPLOAD_ON_EXIT)
        DO_NOT_UPLOAD = ("upload_mode", tasks_pb2.IOStrategy.DO_NOT_UPLOAD)

    def __init__(
        self,
        name: str,
        image: str | ImageSpec,
        command: list[str],
        inputs: dict[str, type] | None = None,
        metadata: TaskMetadata | None = None,
        arguments: list[str] | None = None,
        outputs: dict[str, type] | None = None,
        requests: Resources | None = None,
        limits: Resources | None = None,
        input_data_dir: str | None = None,
        output_data_dir: str | None = None,
        metadata_format: MetadataFormat = MetadataFormat.JSON,
        io_strategy: IOStrategy | None = None,
        secret_requests: list[Secret] | None = None,
        pod_template: PodTemplate | None = None,
        pod_template_name: str | None = None,
        local_logs: bool = False,
        resources: Resources | None = None,
        **kwargs: Any,
    ) -> None:
        where = f"ContainerTask {name!r}"
        if not isinstance(name, str) or not name:
            raise FlyteValidationException(f"ContainerTask: parameter 'name' expected a non-empty str, got {name!r}")
        from aioflyte.image_spec.image_spec import ImageSpec

        if not isinstance(image, (str, ImageSpec)) or image == "":
            raise FlyteValidationException(
                f"{where}: parameter 'image' expected a str or an ImageSpec, got {type(image).__name__} ({image!r})"
            )
        _check_str_list(where, "command", command, required=True)
        _check_str_list(where, "arguments", arguments, required=False)
        for param, d in (("input_data_dir", input_data_dir), ("output_data_dir", output_data_dir)):
            if d is not None and not isinstance(d, str):
                raise FlyteValidationException(f"{where}: parameter {param!r} expected str, got {type(d).__name__}")
        if not isinstance(metadata_format, ContainerTask.MetadataFormat):
            raise FlyteValidationException(
                f"{where}: parameter 'metadata_format' expected ContainerTask.MetadataFormat, "
                f"got {type(metadata_format).__name__} ({metadata_format!r})"
            )
        if io_strategy is not None and not isinstance(io_strategy, ContainerTask.IOStrategy):
            raise FlyteValidationException(
                f"{where}: parameter 'io_strategy' expected ContainerTask.IOStrategy, "
                f"got {type(io_strategy).__name__} ({io_strategy!r})"
            )
        from aioflyte.models.security import Secret

        for s in secret_requests or []:
            if not isinstance(s, Secret):
                raise FlyteValidationException(
                    f"{where}: parameter 'secret_requests' expected a list of Secret, got {type(s).__name__}"
                )
        if metadata is not None and not isinstance(metadata, TaskMetadata):
            raise FlyteValidationException(
                f"{where}: parameter 'metadata' expected TaskMetadata, got {type(metadata).__name__}"
            )
        # pod_template_name replaces the metadata's, as in flytekit (the given metadata is not changed)
        metadata = dataclasses.replace(metadata or TaskMetadata(), pod_template_name=pod_template_name)
        outputs = dict(outputs or {})
        interface = Interface(dict(inputs or {}), outputs, output_tuple_name="Output" if len(outputs) > 1 else None)
        spec = construct_resources(where, requests, limits, resources) or ResourceSpec(Resources(), Resources())
        if resources is not None:  # flytekit's from_multiple_resource: a single value is a request only
            spec = ResourceSpec(spec.requests, _tuple_limits(resources))
        super().__init__(
            "raw-container",
            name,
            interface=interface,
            metadata=metadata,
            secret_requests=secret_requests,
            resources=spec,
            **kwargs,
        )
        self._image = image
        self._cmd = list(command)
        self._args = list(arguments) if arguments is not None else None
        self._input_data_dir = input_data_dir
        self._output_data_dir = output_data_dir
        self._md_format = metadata_format
        self._io_strategy = io_strategy
        self.pod_template = pod_template
        self.local_logs = bool(local_logs)

    # --- what it runs ------------------------------------------------------------------------------------------
    @property
    def image(self) -> str | ImageSpec:
        return self._image

    @property
    def command(self) -> list[str]:
        return self._cmd

    @property
    def arguments(self) -> list[str] | None:
        return self._args

    @property
    def input_data_dir(self) -> str | None:
        return self._input_data_dir

    @property
    def output_data_dir(self) -> str | None:
        return self._output_data_dir

    @property
    def metadata_format(self) -> ContainerTask.MetadataFormat:
        return self._md_format

    @property
    def io_strategy(self) -> ContainerTask.IOStrategy | None:
        return self._io_strategy

    @property
    def resources(self) -> ResourceSpec:
        return self._resources

    def data_loading_config(self) -> tasks_pb2.DataLoadingConfig:
        """The container's ``data_config``: where inputs and outputs are exchanged, and in which format."""
        dlc = tasks_pb2.DataLoadingConfig(
            enabled=True,
            input_path=self._input_data_dir or "",
            output_path=self._output_data_dir or "",
            format=self._md_format.value,
        )
        if self._io_strategy is not None:
            field, mode = self._io_strategy.value
            dlc.io_strategy.CopyFrom(tasks_pb2.IOStrategy(**{field: mode}))
        return dlc

    def get_config(self, settings: Any) -> dict[str, str] | None:
        """The template's ``config``: the primary container's name when the task runs in a pod template."""
        if self.pod_template is None:
            return {}
        return {_PRIMARY_CONTAINER_NAME_FIELD: self.pod_template.primary_container_name}

    async def execute(self, **kwargs: Any) -> Any:
        """Run the container once with these inputs, through the current controller (the engine runs it)."""
        from aioflyte.core.controller import get_controller

        return await get_controller().run_task(self, kwargs)


def _tuple_limits(resources: Resources) -> Resources:
    def limit(v: Any) -> Any:
        return v[1] if isinstance(v, (tuple, list)) else None

    return Resources(
        limit(resources.cpu), limit(resources.mem), limit(resources.gpu), limit(resources.ephemeral_storage)
    )


def _check_str_list(where: str, param: str, value: Any, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise FlyteValidationException(
            f"{where}: parameter {param!r} expected a list of str, got {type(value).__name__} ({value!r})"
        )
    if required and not value:
        raise FlyteValidationException(f"{where}: parameter {param!r} must not be empty")


__all__ = ["ContainerTask"]
