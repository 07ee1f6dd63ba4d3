"""Data configuration as flytekit names it: ``DataConfig`` with ``S3Config``, ``GCSConfig``, ``AzureBlobStorageConfig``.

Values come from ``FLYTE_*`` environment variables over the flytectl YAML config file over defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


def _yaml(config_file: str | None) -> dict[str, Any]:
    path = config_file or os.environ.get("FLYTECTL_CONFIG") or os.environ.get("UCTL_CONFIG")
    if not path or not os.path.exists(path):
        return {}
    import yaml

    with open(path) as f:
        return yaml.safe_load(f) or {}


def _get(doc: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if not isinstance(doc, dict) or k not in doc:
            return None
        doc = doc[k]
    return doc


def _bool(v: Any) -> bool:
    return str(v).strip().lower() in ("1", "true", "yes", "on") if v is not None else False


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
    def auto(cls, config_file: str | None = None) -> S3Config:
        doc = _yaml(config_file)
        conn = _get(doc, "storage", "connection") or {}
        env = os.environ
        return cls(
            endpoint=env.get("FLYTE_AWS_ENDPOINT") or conn.get("endpoint"),
            access_key_id=env.get("FLYTE_AWS_ACCESS_KEY_ID") or conn.get("access-key"),
            secret_access_key=env.get("FLYTE_AWS_SECRET_ACCESS_KEY") or conn.get("secret-key"),
            enable_debug=_bool(env.get("FLYTE_AWS_ENABLE_DEBUG")),
            retries=int(env.get("FLYTE_AWS_RETRIES") or cls.retries),
            backoff=float(env.get("FLYTE_AWS_BACKOFF_SECONDS") or cls.backoff),
        )

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
    def auto(cls, config_file: str | None = None) -> GCSConfig:
        return cls(gsutil_parallelism=_bool(os.environ.get("FLYTE_GCP_GSUTIL_PARALLELISM")))

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
    def auto(cls, config_file: str | None = None) -> AzureBlobStorageConfig:
        env = os.environ
        return cls(
            account_name=env.get("FLYTE_AZURE_STORAGE_ACCOUNT_NAME"),
            account_key=env.get("FLYTE_AZURE_STORAGE_ACCOUNT_KEY"),
            tenant_id=env.get("FLYTE_AZURE_TENANT_ID"),
            client_id=env.get("FLYTE_AZURE_CLIENT_ID"),
            client_secret=env.get("FLYTE_AZURE_CLIENT_SECRET"),
        )

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
    def auto(cls, config_file: str | None = None) -> DataConfig:
        return cls(
            s3=S3Config.auto(config_file),
            gcs=GCSConfig.auto(config_file),
            azure=AzureBlobStorageConfig.auto(config_file),
            max_concurrency=int(os.environ.get("AIOFLYTE_IO_CONCURRENCY") or cls.max_concurrency),
        )

    def storage_options(self, protocol: str) -> dict[str, Any]:
        if protocol in ("s3", "s3a"):
            return self.s3.storage_options()
        if protocol in ("gs", "gcs"):
            return self.gcs.storage_options()
        if protocol in ("abfs", "abfss", "az"):
            return self.azure.storage_options()
        return {}
