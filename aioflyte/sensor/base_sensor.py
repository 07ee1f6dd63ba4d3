"""``BaseSensor``: a task that completes once its ``poke`` returns True. It is run by the sensor connector
(``SensorEngine``): locally by the task's ``execute``, on ``aioflyte serve`` or a Flyte cluster by the connector
service, which polls ``poke`` with backoff until it holds (or the task's ``timeout`` ends the wait)."""

from __future__ import annotations

import dataclasses
import datetime
import inspect
import typing
from typing import Any, Protocol, TypeVar, runtime_checkable

from aioflyte.core.base_task import PythonTask, TaskMetadata, to_timedelta
from aioflyte.core.connector import ResourceMeta
from aioflyte.core.connector_exec import AsyncConnectorExecutorMixin
from aioflyte.core.interface import Interface
from aioflyte.exceptions import FlyteValidationException

__all__ = ["BaseSensor", "SensorConfig", "SensorMetadata"]


@runtime_checkable
class SensorConfig(Protocol):
    """A sensor's settings: written into the task template as a dict (``to_dict``) and read back (``from_dict``)."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SensorConfig:
        raise NotImplementedError


@dataclasses.dataclass
class SensorMetadata(ResourceMeta):
    """What the sensor connector keeps for one wait: which sensor class (module and name), its config, the inputs.

    It is also the sensor task's ``custom`` field (without inputs), as flytekit writes it."""

    sensor_module: str
    sensor_name: str
    sensor_config: dict[str, Any] | None = None
    inputs: dict[str, Any] | None = None


T = TypeVar("T", bound=SensorConfig)


class BaseSensor(AsyncConnectorExecutorMixin, PythonTask):
    """Subclass it and implement ``async def poke(self, <typed inputs>) -> bool``: the task's inputs are
    ``poke``'s parameters, and it has no outputs. ``timeout`` (a timedelta or seconds) bounds the wait.

    The connector re-creates the sensor from its class (``type(self).__module__`` and name) as
    ``cls("sensor", config=<the config's dict>)``: a subclass with its own ``__init__`` accepts that call.
    """

    def __init__(
        self,
        name: str,
        timeout: datetime.timedelta | int | None = None,
        sensor_config: T | None = None,
        task_type: str = "sensor",
        **kwargs: Any,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise FlyteValidationException(
                f"{type(self).__name__}: parameter 'name' expects a non-empty str, got {type(name).__name__}"
            )
        where = f"sensor {name}"
        if sensor_config is not None and not callable(getattr(sensor_config, "to_dict", None)):
            raise FlyteValidationException(
                f"{where}: parameter 'sensor_config' expects a SensorConfig (an object with to_dict()), got "
                f"{type(sensor_config).__name__}"
            )
        hints = typing.get_type_hints(self.poke, include_extras=True)
        inputs: dict[str, Any] = {}
        for p in inspect.signature(self.poke).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.name not in hints:
                raise FlyteValidationException(
                    f"{where}: parameter {p.name!r} of {type(self).__name__}.poke has no type annotation"
                )
            inputs[p.name] = hints[p.name]
        metadata = kwargs.pop("metadata", None)
        if metadata is not None and not isinstance(metadata, TaskMetadata):
            raise FlyteValidationException(
                f"{where}: parameter 'metadata' expects TaskMetadata, got {type(metadata).__name__}"
            )
        td = to_timedelta(where, timeout)
        if metadata is None:
            metadata = TaskMetadata(timeout=td)
        elif td is not None:
            if metadata.timeout is not None:
                raise ValueError("You cannot set both timeout and metadata parameters at the same time in the sensor")
            metadata.timeout = td
        super().__init__(
            task_type=task_type,
            name=name,
            task_config=None,
            interface=Interface(inputs=inputs),
            metadata=metadata,
            **kwargs,
        )
        self._sensor_config = sensor_config

    async def poke(self, **kwargs: Any) -> bool:
        """Whether the condition holds now (True ends the wait). Implemented by every sensor."""
        raise NotImplementedError(f"{type(self).__name__} does not implement poke()")

    def get_custom(self, settings: Any) -> dict[str, Any]:
        """The task template's ``custom`` field: the sensor's class and config (flytekit's form)."""
        config = self._sensor_config.to_dict() if self._sensor_config is not None else None
        return dataclasses.asdict(
            SensorMetadata(sensor_module=type(self).__module__, sensor_name=type(self).__name__, sensor_config=config)
        )
