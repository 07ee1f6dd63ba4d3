"""flytekit's ``flytekit.sensor``: sensors, tasks that wait until a condition holds (``BaseSensor.poke``), driven by
the sensor connector (``SensorEngine``, registered when this package is imported); ``FileSensor`` waits for a
file."""

from __future__ import annotations

from aioflyte.sensor.base_sensor import BaseSensor as BaseSensor
from aioflyte.sensor.file_sensor import FileSensor as FileSensor
from aioflyte.sensor.sensor_engine import SensorEngine as SensorEngine

__all__ = ["BaseSensor", "FileSensor", "SensorEngine"]
