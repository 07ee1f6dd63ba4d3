"""Configuration as flytekit 1.16 names it: ``Config`` and its parts, images, config files.

Settings come from ``FLYTE_*`` environment variables, else the config file (flytectl YAML or flytekit INI), else
defaults. It also holds ``SerializationSettings`` (as flytekit does). The package is a leaf: it imports nothing of
aioflyte but ``exceptions``, ``image_spec`` and the version.
Its names are imported on first use (the ``TYPE_CHECKING`` block below is the list), so that code which needs one
small part (``SecretsConfig``, say) does not load the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aioflyte._lazy import lazy_exports

if TYPE_CHECKING:  # the export list
    from aioflyte.configuration.config import AuthType as AuthType
    from aioflyte.configuration.config import Config as Config
    from aioflyte.configuration.config import LocalConfig as LocalConfig
    from aioflyte.configuration.config import PlatformConfig as PlatformConfig
    from aioflyte.configuration.config import StatsConfig as StatsConfig
    from aioflyte.configuration.config import TaskConfig as TaskConfig
    from aioflyte.configuration.config import secrets_config_auto as secrets_config_auto
    from aioflyte.configuration.data import AzureBlobStorageConfig as AzureBlobStorageConfig
    from aioflyte.configuration.data import DataConfig as DataConfig
    from aioflyte.configuration.data import GCSConfig as GCSConfig
    from aioflyte.configuration.data import GenericPersistenceConfig as GenericPersistenceConfig
    from aioflyte.configuration.data import S3Config as S3Config
    from aioflyte.configuration.data import data_config_auto as data_config_auto
    from aioflyte.configuration.file import FLYTECTL_CONFIG_ENV_VAR as FLYTECTL_CONFIG_ENV_VAR
    from aioflyte.configuration.file import FLYTECTL_CONFIG_ENV_VAR_OVERRIDE as FLYTECTL_CONFIG_ENV_VAR_OVERRIDE
    from aioflyte.configuration.file import ConfigEntry as ConfigEntry
    from aioflyte.configuration.file import ConfigFile as ConfigFile
    from aioflyte.configuration.file import get_config_file as get_config_file
    from aioflyte.configuration.file import read_file_if_exists as read_file_if_exists
    from aioflyte.configuration.image import DEFAULT_IMAGE_NAME as DEFAULT_IMAGE_NAME
    from aioflyte.configuration.image import FLYTE_INTERNAL_IMAGE_ENV_VAR as FLYTE_INTERNAL_IMAGE_ENV_VAR
    from aioflyte.configuration.image import DefaultImages as DefaultImages
    from aioflyte.configuration.image import Image as Image
    from aioflyte.configuration.image import ImageConfig as ImageConfig
    from aioflyte.configuration.secrets import SecretsConfig as SecretsConfig
    from aioflyte.configuration.serialization import (
        DEFAULT_FLYTEKIT_ENTRYPOINT_FILELOC as DEFAULT_FLYTEKIT_ENTRYPOINT_FILELOC,
    )
    from aioflyte.configuration.serialization import DEFAULT_IN_CONTAINER_SRC_PATH as DEFAULT_IN_CONTAINER_SRC_PATH
    from aioflyte.configuration.serialization import (
        DEFAULT_RUNTIME_PYTHON_INTERPRETER as DEFAULT_RUNTIME_PYTHON_INTERPRETER,
    )
    from aioflyte.configuration.serialization import DOMAIN_PLACEHOLDER as DOMAIN_PLACEHOLDER
    from aioflyte.configuration.serialization import PROJECT_PLACEHOLDER as PROJECT_PLACEHOLDER
    from aioflyte.configuration.serialization import SERIALIZED_CONTEXT_ENV_VAR as SERIALIZED_CONTEXT_ENV_VAR
    from aioflyte.configuration.serialization import VERSION_PLACEHOLDER as VERSION_PLACEHOLDER
    from aioflyte.configuration.serialization import EntrypointSettings as EntrypointSettings
    from aioflyte.configuration.serialization import FastSerializationSettings as FastSerializationSettings
    from aioflyte.configuration.serialization import SerializationSettings as SerializationSettings
    from aioflyte.exceptions import ConfigurationError as ConfigurationError
    from aioflyte.image_spec.builder import ImageBuildEngine as ImageBuildEngine
    from aioflyte.image_spec.image_spec import ImageSpec as ImageSpec

__getattr__, __dir__ = lazy_exports(__name__, __file__, globals())
