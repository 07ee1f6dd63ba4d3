"""Data configuration as flytekit names it: ``DataConfig`` with ``S3Config``, ``GCSConfig``, ``AzureBlobStorageConfig``
and ``GenericPersistenceConfig``.

Values come from the ``FLYTE_AWS_*``, ``FLYTE_GCP_*`` and ``FLYTE_AZURE_*`` variables, over the INI
``[aws]``/``[gcp]``/``[azure]`` sections and the flytectl ``storage.connection`` keys, over defaults (the same
precedence as every other setting). The data plane (``aioflyte.io``) reads them.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from typing import Any

from aioflyte.configuration import internal as _internal
from aioflyte.configuration.file import ConfigFileLike, get_config_file, parse_int, read_entries

_IO_CONCURRENCY_ENV_VAR = "AIOFLYTE_IO_CONCURRENCY"


def s3_config_auto(config_file: ConfigFileLike = None) -> S3Config:
    cfg = get_config_file(config_file)
    aws = _internal.AWS
    return S3Config(
        **read_entries(
            cfg,
            endpoint=aws.S3_ENDPOINT,
            access_key_id=aws.S3_ACCESS_KEY_ID,
            secret_access_key=aws.S3_SECRET_ACCESS_KEY,
            enable_debug=aws.ENABLE_DEBUG,
            retries=aws.RETRIES,
            backoff=aws.BACKOFF_SECONDS,
            adressing_style=aws.S3_ADDRESSING_STYLE,
        )
    )


def gcs_config_auto(config_file: ConfigFileLike = None) -> GCSConfig:
    cfg = get_config_file(config_file)
    return GCSConfig(**read_entries(cfg, gsutil_parallelism=_internal.GCP.GSUTIL_PARALLELISM))


def azure_config_auto(config_file: ConfigFileLike = None) -> AzureBlobStorageConfig:
    cfg = get_config_file(config_file)
    az = _internal.AZURE
    return AzureBlobStorageConfig(
        **read_entries(
            cfg,
            account_name=az.STORAGE_ACCOUNT_NAME,
            account_key=az.STORAGE_ACCOUNT_KEY,
            tenant_id=az.TENANT_ID,
            client_id=az.CLIENT_ID,
            client_secret=az.CLIENT_SECRET,
        )
    )


def data_config_auto(config_file: ConfigFileLike = None) -> DataConfig:
    """The whole ``DataConfig``; the transfer bound comes from ``AIOFLYTE_IO_CONCURRENCY``."""
    cfg = get_config_file(config_file)
    kwargs: dict[str, Any] = {}
    raw = os.environ.get(_IO_CONCURRENCY_ENV_VAR)
    if raw and raw.strip():
        kwargs["max_concurrency"] = parse_int(raw, f"environment variable {_IO_CONCURRENCY_ENV_VAR}")
    generic = GenericPersistenceConfig.auto(cfg)
    return DataConfig(
        s3=s3_config_auto(cfg), gcs=gcs_config_auto(cfg), azure=azure_config_auto(cfg), generic=generic, **kwargs
    )


@dataclass(frozen=True)
class S3Config:
    """S3 (or any S3-compatible store, e.g. MinIO) connection settings."""

    endpoint: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    enable_debug: bool = False
    retries: int = 3
    backoff: float = 0.2  # seconds, first retry delay (exponential with jitter); a timedelta is taken too
    adressing_style: str | None = None  # flytekit's spelling: "virtual" or "path" (s3fs' addressing_style)

    def __post_init__(self) -> None:
        if isinstance(self.backoff, datetime.timedelta):  # flytekit's type for it
            object.__setattr__(self, "backoff", self.backoff.total_seconds())

    @classmethod
    def auto(cls, config_file: Any = None) -> S3Config:
        """From ``FLYTE_*`` env vars over the config file over defaults."""
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
        if self.adressing_style:
            opts["config_kwargs"]["s3"] = {"addressing_style": self.adressing_style}
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            opts.setdefault("client_kwargs", {})["region_name"] = region
        return opts


@dataclass(frozen=True)
class GCSConfig:
    gsutil_parallelism: bool = False

    @classmethod
    def auto(cls, config_file: Any = None) -> GCSConfig:
        """From ``FLYTE_*`` env vars over the config file over defaults."""
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
        """From ``FLYTE_*`` env vars over the config file over defaults."""
        return azure_config_auto(config_file)

    def storage_options(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class GenericPersistenceConfig:
    """Settings for every store. ``attach_execution_metadata`` is read (flytekit's ``[persistence]`` setting) but
    aioflyte does not attach the execution's metadata to the objects it writes."""

    attach_execution_metadata: bool = True

    @classmethod
    def auto(cls, config_file: Any = None) -> GenericPersistenceConfig:
        """From ``FLYTE_PERSISTENCE_ATTACH_EXECUTION_METADATA`` over the config file over the default."""
        cfg = get_config_file(config_file)
        entries = read_entries(cfg, attach_execution_metadata=_internal.Persistence.ATTACH_EXECUTION_METADATA)
        return cls(**entries)


@dataclass(frozen=True)
class DataConfig:
    """Where and how data moves: per-store settings, and the transfer concurrency bound."""

    s3: S3Config = field(default_factory=S3Config)
    gcs: GCSConfig = field(default_factory=GCSConfig)
    azure: AzureBlobStorageConfig = field(default_factory=AzureBlobStorageConfig)
    generic: GenericPersistenceConfig = field(default_factory=GenericPersistenceConfig)
    max_concurrency: int = 32  # file transfers in flight for directories and lists of blobs

    @classmethod
    def auto(cls, config_file: Any = None) -> DataConfig:
        """From ``FLYTE_*`` env vars over the config file over defaults."""
        return data_config_auto(config_file)

    def storage_options(self, protocol: str) -> dict[str, Any]:
        if protocol in ("s3", "s3a"):
            return self.s3.storage_options()
        if protocol in ("gs", "gcs"):
            return self.gcs.storage_options()
        if protocol in ("abfs", "abfss", "az"):
            return self.azure.storage_options()
        return {}
