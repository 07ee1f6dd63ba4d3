"""The data plane's configuration (``DataConfig`` and its per-store parts), defined in ``aioflyte.configuration``."""

from __future__ import annotations

from aioflyte.configuration.data import AzureBlobStorageConfig, DataConfig, GCSConfig, S3Config

__all__ = ["AzureBlobStorageConfig", "DataConfig", "GCSConfig", "S3Config"]
