"""``DataConfig`` and its per-store parts (``aioflyte.io.config``'s classes) read from env and config file.

The classes live in ``aioflyte.io.config``; this module fills them from the ``FLYTE_AWS_*``, ``FLYTE_GCP_*`` and
``FLYTE_AZURE_*`` variables, the INI ``[aws]``/``[gcp]``/``[azure]`` sections and the flytectl
``storage.connection`` keys, with the same precedence as every other setting.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from aioflyte.configuration import internal as _internal
from aioflyte.configuration.file import ConfigFileLike, get_config_file, parse_int, read_entries

if TYPE_CHECKING:  # pragma: no cover
    from aioflyte.io.config import AzureBlobStorageConfig, DataConfig, GCSConfig, S3Config

_IO_CONCURRENCY_ENV_VAR = "AIOFLYTE_IO_CONCURRENCY"


def s3_config_auto(config_file: ConfigFileLike = None) -> S3Config:
    from aioflyte.io.config import S3Config

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
        )
    )


def gcs_config_auto(config_file: ConfigFileLike = None) -> GCSConfig:
    from aioflyte.io.config import GCSConfig

    cfg = get_config_file(config_file)
    return GCSConfig(**read_entries(cfg, gsutil_parallelism=_internal.GCP.GSUTIL_PARALLELISM))


def azure_config_auto(config_file: ConfigFileLike = None) -> AzureBlobStorageConfig:
    from aioflyte.io.config import AzureBlobStorageConfig

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
    from aioflyte.io.config import DataConfig

    cfg = get_config_file(config_file)
    kwargs: dict[str, Any] = {}
    raw = os.environ.get(_IO_CONCURRENCY_ENV_VAR)
    if raw and raw.strip():
        kwargs["max_concurrency"] = parse_int(raw, f"environment variable {_IO_CONCURRENCY_ENV_VAR}")
    return DataConfig(s3=s3_config_auto(cfg), gcs=gcs_config_auto(cfg), azure=azure_config_auto(cfg), **kwargs)
