"""``FileSensor``: waits until a file (a local path, or any URI the data plane reads: ``s3://...``) exists."""

from __future__ import annotations

import datetime
from typing import Any

from aioflyte.io.provider import default_provider
from aioflyte.sensor.base_sensor import BaseSensor

__all__ = ["FileSensor"]


class FileSensor(BaseSensor):
    """A sensor with one input, ``path``: done once something exists there."""

    def __init__(self, name: str, timeout: datetime.timedelta | int | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, timeout=timeout, **kwargs)

    async def poke(self, path: str) -> bool:  # type: ignore[override]  # poke's parameters are the sensor's inputs
        return await default_provider().exists(path)
