"""Data configuration as flytekit names it: ``DataConfig`` with ``S3Config``, ``GCSConfig``, ``AzureBlobStorageConfig``.

Values come from ``FLYTE_*`` environment variables over the config file over defaults; the reading is
``aioflyte.configuration.data``'s (flytekit's keys and file discovery).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class S3Config:
    """S3 (or any S3-compatible store, e.g. MinIO) connection settings."""

    endpoint: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    enable_debug: bool = False
    retries: int = 3
    backoff: float = 0.2  # seconds, first retry delay (exponential with jitter)

    @classmethod
    def auto(cls, config_file: Any = None) -> S3Config:
        """From ``FLYTE_*`` env vars over the config file over defaults (see ``aioflyte.configuration``)."""
        from aioflyte.configuration.data import s3_config_auto

        return s3_config_auto(config_file)

    def storage_options(self) -> dict[str, Any]:
        """Keyword arguments for ``s3fs.S3FileSystem``."""
        opts: dict[str, Any] = {}
        if self.access_key_id:
            opts["key"] = self.access_key_id
        if self.secret_access_key:
            opts["secret"] = self.secret_access_key
        if self.endpoint:
            opts.setdefault("client_kwargs", {})["endpoint_url"] = self.endpoint
        # aioflyte retries transfers itself (tenacity, ``retries``/``backoff``); botocore's own retries would
        # multiply the attempts and hide them from the error message.
        opts["config_kwargs"] = {"retries": {"max_attempts": 1, "mode": "standard"}}
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            opts.setdefault("client_kwargs", {})["region_name"] = region
        return opts


@dataclass(frozen=True)
class GCSConfig:
    gsutil_parallelism: bool = False

    @classmethod
    def auto(cls, config_file: Any = None) -> GCSConfig:
        """From ``FLYTE_*`` env vars over the config file over defaults (see ``aioflyte.configuration``)."""
        from aioflyte.configuration.data import gcs_config_auto

        return gcs_config_auto(config_file)

    def storage_options(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class AzureBlobStorageConfig:
    account_name: str | None = None
    account_key: str | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None

    @classmethod
    def auto(cls, config_file: Any = None) -> AzureBlobStorageConfig:
        """From ``FLYTE_*`` env vars over the config file over defaults (see ``aioflyte.configuration``)."""
        from aioflyte.configuration.data import azure_config_auto

        return azure_config_auto(config_file)

    def storage_options(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class DataConfig:
    """Where and how data moves: per-store settings, and the transfer concurrency bound."""

    s3: S3Config = field(default_factory=S3Config)
    gcs: GCSConfig = field(default_factory=GCSConfig)
    azure: AzureBlobStorageConfig = field(default_factory=AzureBlobStorageConfig)
    max_concurrency: int = 32  # file transfers in flight for directories and lists of blobs

    @classmethod
    def auto(cls, config_file: Any = None) -> DataConfig:
        """From ``FLYTE_*`` env vars over the config file over defaults (see ``aioflyte.configuration``)."""
        from aioflyte.configuration.data import data_config_auto

        return data_config_auto(config_file)

    def storage_options(self, protocol: str) -> dict[str, Any]:
        if protocol in ("s3", "s3a"):
            return self.s3.storage_options()
        if protocol in ("gs", "gcs"):
            return self.gcs.storage_options()
        if protocol in ("abfs", "abfss", "az"):
            return self.azure.storage_options()
        return {}
