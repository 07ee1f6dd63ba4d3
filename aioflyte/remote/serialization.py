"""What registration writes into task templates: the entrypoint and its resolvers, and the image lookup.

``SerializationSettings`` and ``FastSerializationSettings`` live in ``aioflyte.configuration`` (where flytekit has
them) and are re-exported here.
"""

from __future__ import annotations

from typing import Any

from aioflyte.configuration.image import Image, ImageConfig
from aioflyte.configuration.serialization import (
    DEFAULT_RUNTIME_PYTHON_INTERPRETER as DEFAULT_RUNTIME_PYTHON_INTERPRETER,
)
from aioflyte.configuration.serialization import SERIALIZED_CONTEXT_ENV_VAR as SERIALIZED_CONTEXT_ENV_VAR
from aioflyte.configuration.serialization import FastSerializationSettings as FastSerializationSettings
from aioflyte.configuration.serialization import SerializationSettings as SerializationSettings

#: The container entrypoint every aioflyte task runs (``aioflyte-execute``), and how it finds the task.
ENTRYPOINT = "aioflyte-execute"
DEFAULT_TASK_RESOLVER = "aioflyte.entrypoint.default_task_resolver"
MAP_TASK_RESOLVER = "aioflyte.entrypoint.map_task_resolver"
EAGER_FAILURE_TASK_RESOLVER = "aioflyte.entrypoint.eager_failure_task_resolver"


def default_image_config() -> ImageConfig:
    """The image config used when none is given: aioflyte's default image only."""
    return ImageConfig.auto_default_image()


def find_image(cfg: Any, name: str) -> Any:
    """The image called ``name`` in ``cfg`` (its default image first), or None."""
    default = getattr(cfg, "default_image", None)
    for img in ([default] if default is not None else []) + list(getattr(cfg, "images", None) or []):
        if img.name == name:
            return img
    return None


__all__ = [
    "DEFAULT_TASK_RESOLVER",
    "EAGER_FAILURE_TASK_RESOLVER",
    "ENTRYPOINT",
    "MAP_TASK_RESOLVER",
    "SERIALIZED_CONTEXT_ENV_VAR",
    "FastSerializationSettings",
    "Image",
    "ImageConfig",
    "SerializationSettings",
    "default_image_config",
    "find_image",
]
