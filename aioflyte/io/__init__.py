"""The async data plane: reading and writing objects by URI over fsspec filesystems."""

from aioflyte.io.config import AzureBlobStorageConfig, DataConfig, GCSConfig, S3Config
from aioflyte.io.provider import FileAccessProvider, default_provider

__all__ = ["AzureBlobStorageConfig", "DataConfig", "FileAccessProvider", "GCSConfig", "S3Config", "default_provider"]
