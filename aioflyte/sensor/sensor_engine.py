"""``SensorEngine``: the connector of task type ``sensor``. ``create`` keeps which sensor to poke and the inputs
(as Python values); ``get`` pokes it once (RUNNING until ``poke`` returns True, then SUCCEEDED). Registered in the
``ConnectorRegistry`` when this module is imported (``aioflyte serve`` imports it)."""

from __future__ import annotations

import importlib
import json
from typing import Any

from aioflyte.core.connector import AsyncConnectorBase, ConnectorRegistry, Resource, ResourceMeta
from aioflyte.sensor.base_sensor import BaseSensor, SensorMetadata
from aioflyte.types.engine import TypeEngine

__all__ = ["SensorEngine"]

_RUNNING, _SUCCEEDED = 2, 3


class SensorEngine(AsyncConnectorBase):
    """The connector that drives sensors (``BaseSensor`` subclasses)."""

    name = "Sensor"

    def __init__(self) -> None:
        super().__init__(task_type_name="sensor", metadata_type=SensorMetadata)
        self._sensors: dict[tuple[str, str, str], BaseSensor] = {}

    async def create(
        self,
        task_template: Any,
        output_prefix: str = "",
        inputs: Any = None,
        task_execution_metadata: Any = None,
        **kwargs: Any,
    ) -> SensorMetadata:
        custom = dict(task_template.custom or {})
        meta = SensorMetadata(
            sensor_module=custom.get("sensor_module", ""),
            sensor_name=custom.get("sensor_name", ""),
            sensor_config=custom.get("sensor_config"),
            inputs=custom.get("inputs"),
        )
        if not meta.sensor_module or not meta.sensor_name:
            raise ValueError(
                f"task {task_template.id.name}: a sensor task's custom field names its sensor class "
                f"(sensor_module, sensor_name); got {sorted(custom)}"
            )
        if inputs:
            types = {n: TypeEngine.guess_python_type(v.type) for n, v in task_template.interface.inputs.items()}
            meta.inputs = await TypeEngine._literal_map_to_kwargs(None, inputs, types)
        return meta

    async def get(self, resource_meta: ResourceMeta, **kwargs: Any) -> Resource:
        if not isinstance(resource_meta, SensorMetadata):
            raise TypeError(f"SensorEngine.get: expected SensorMetadata, got {type(resource_meta).__name__}")
        sensor = self._sensor(resource_meta)
        done = await sensor.poke(**(resource_meta.inputs or {}))
        return Resource(phase=_SUCCEEDED if done else _RUNNING, outputs=None)

    async def delete(self, resource_meta: ResourceMeta, **kwargs: Any) -> None:
        return None

    def _sensor(self, meta: SensorMetadata) -> BaseSensor:
        """The sensor class's instance for ``meta`` (made once per class and config, as ``cls("sensor",
        config=...)``)."""
        key = (meta.sensor_module, meta.sensor_name, json.dumps(meta.sensor_config, sort_keys=True, default=str))
        sensor = self._sensors.get(key)
        if sensor is None:
            module = importlib.import_module(meta.sensor_module)
            cls = getattr(module, meta.sensor_name, None)
            if cls is None:
                raise ValueError(f"sensor class {meta.sensor_name!r} not found in module {meta.sensor_module!r}")
            sensor = self._sensors[key] = cls("sensor", config=meta.sensor_config)
        return sensor


ConnectorRegistry.register(SensorEngine())
