"""Configuration as flytekit 1.16 names it: ``Config`` and its parts, images, config files.

Settings come from ``FLYTE_*`` environment variables, else the config file (flytectl YAML or flytekit INI), else
defaults. ``SecretsConfig`` and ``DataConfig``/``S3Config``/``GCSConfig``/``AzureBlobStorageConfig`` are the
classes of ``aioflyte.core.secrets`` and ``aioflyte.io.config``, imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from aioflyte.configuration.config import (
    AuthType,
    Config,
    LocalConfig,
    PlatformConfig,
    StatsConfig,
    TaskConfig,
    secrets_config_auto,
)
from aioflyte.configuration.data import data_config_auto
from aioflyte.configuration.file import (
    FLYTECTL_CONFIG_ENV_VAR,
    FLYTECTL_CONFIG_ENV_VAR_OVERRIDE,
    ConfigEntry,
    ConfigFile,
    get_config_file,
)
from aioflyte.configuration.image import (
    DEFAULT_IMAGE_NAME,
    FLYTE_INTERNAL_IMAGE_ENV_VAR,
    DefaultImages,
    Image,
    ImageConfig,
)
from aioflyte.exceptions import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from aioflyte.configuration.data import AzureBlobStorageConfig, DataConfig, GCSConfig, S3Config
    from aioflyte.configuration.secrets import SecretsConfig

_LAZY = {
    "SecretsConfig": "aioflyte.configuration.secrets",
    "DataConfig": "aioflyte.configuration.data",
    "S3Config": "aioflyte.configuration.data",
    "GCSConfig": "aioflyte.configuration.data",
    "AzureBlobStorageConfig": "aioflyte.configuration.data",
}

__all__ = [
    "DEFAULT_IMAGE_NAME",
    "FLYTECTL_CONFIG_ENV_VAR",
    "FLYTECTL_CONFIG_ENV_VAR_OVERRIDE",
    "FLYTE_INTERNAL_IMAGE_ENV_VAR",
    "AuthType",
    "AzureBlobStorageConfig",
    "Config",
    "ConfigEntry",
    "ConfigFile",
    "ConfigurationError",
    "DataConfig",
    "DefaultImages",
    "GCSConfig",
    "Image",
    "ImageConfig",
    "LocalConfig",
    "PlatformConfig",
    "S3Config",
    "SecretsConfig",
    "StatsConfig",
    "TaskConfig",
    "data_config_auto",
    "get_config_file",
    "secrets_config_auto",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
