"""``aioflyte.configuration`` has flytekit 1.16's names, fields and behaviour for its config classes."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

import aioflyte
import aioflyte.configuration as cfg

# Taken from flytekit 1.16.31: dir(flytekit.configuration), the names it defines or re-exports for users.
FLYTEKIT_NAMES = [
    "AuthType", "AzureBlobStorageConfig", "Config", "ConfigEntry", "ConfigFile", "DEFAULT_FLYTEKIT_ENTRYPOINT_FILELOC",
    "DEFAULT_IMAGE_NAME", "DEFAULT_IN_CONTAINER_SRC_PATH", "DEFAULT_RUNTIME_PYTHON_INTERPRETER", "DOMAIN_PLACEHOLDER",
    "DataConfig", "DefaultImages", "EntrypointSettings", "FastSerializationSettings", "GCSConfig",
    "GenericPersistenceConfig", "Image", "ImageBuildEngine", "ImageConfig", "ImageSpec", "LocalConfig",
    "PROJECT_PLACEHOLDER", "PlatformConfig", "S3Config", "SERIALIZED_CONTEXT_ENV_VAR", "SecretsConfig",
    "SerializationSettings", "StatsConfig", "TaskConfig", "VERSION_PLACEHOLDER", "get_config_file",
    "read_file_if_exists",
]  # fmt: skip
# Left out: ResourceSpec (aioflyte.core.resources: configuration is a leaf below core), set_if_exists (a private
# helper), the typing/dataclass names flytekit's module happens to import, and its default_images/feature_flags
# modules (DefaultImages is here; aioflyte has no feature flags).

# Taken from flytekit 1.16.31: dataclasses.fields() of each class.
FLYTEKIT_FIELDS = {
    "PlatformConfig": [
        "endpoint", "insecure", "insecure_skip_verify", "ca_cert_file_path", "console_endpoint", "command",
        "proxy_command", "client_id", "client_credentials_secret", "scopes", "auth_mode", "audience", "rpc_retries",
        "http_proxy_url",
    ],
    "Config": ["platform", "secrets", "stats", "data_config", "local_sandbox_path"],
    "DataConfig": ["s3", "gcs", "azure", "generic"],
    "S3Config": [
        "enable_debug", "endpoint", "retries", "backoff", "access_key_id", "secret_access_key", "adressing_style",
    ],
    "GCSConfig": ["gsutil_parallelism"],
    "AzureBlobStorageConfig": ["account_name", "account_key", "tenant_id", "client_id", "client_secret"],
    "GenericPersistenceConfig": ["attach_execution_metadata"],
    "SecretsConfig": ["env_prefix", "default_dir", "file_prefix"],
    "StatsConfig": ["host", "port", "disabled", "disabled_tags"],
    "LocalConfig": ["cache_enabled", "cache_overwrite"],
    "TaskConfig": ["project", "domain", "org"],
    "ImageConfig": ["default_image", "images"],
    "Image": ["name", "fqn", "tag", "digest"],
    "SerializationSettings": [
        "image_config", "project", "domain", "version", "env", "default_resources", "git_repo", "python_interpreter",
        "flytekit_virtualenv_root", "fast_serialization_settings", "source_root",
    ],
    "FastSerializationSettings": ["enabled", "destination_dir", "distribution_location"],
    "EntrypointSettings": ["path"],
}  # fmt: skip


def test_every_flytekit_name_is_there():
    assert [n for n in FLYTEKIT_NAMES if not hasattr(cfg, n)] == []


def test_the_names_are_the_objects_aioflyte_uses():
    assert cfg.Config is aioflyte.Config
    assert cfg.SerializationSettings is aioflyte.SerializationSettings
    assert cfg.FastSerializationSettings is aioflyte.FastSerializationSettings
    assert cfg.ImageSpec is aioflyte.ImageSpec
    from aioflyte.io import DataConfig
    from aioflyte.remote import serialization

    assert cfg.DataConfig is DataConfig
    assert serialization.SerializationSettings is cfg.SerializationSettings  # the old path keeps working


@pytest.mark.parametrize(("name", "fields"), sorted(FLYTEKIT_FIELDS.items()))
def test_classes_have_flytekits_fields(name, fields):
    have = [f.name for f in dataclasses.fields(getattr(cfg, name))]
    assert [f for f in fields if f not in have] == []


def test_flytekits_constants_and_auth_types():
    assert cfg.SERIALIZED_CONTEXT_ENV_VAR == "_F_SS_C"
    assert cfg.DEFAULT_RUNTIME_PYTHON_INTERPRETER == "/opt/venv/bin/python3"
    assert cfg.DEFAULT_IN_CONTAINER_SRC_PATH == "/root"
    assert cfg.PROJECT_PLACEHOLDER == "{{ registration.project }}"
    assert cfg.DOMAIN_PLACEHOLDER == "{{ registration.domain }}"
    assert cfg.VERSION_PLACEHOLDER == "{{ registration.version }}"
    assert cfg.DEFAULT_IMAGE_NAME == "default"
    # flytekit 1.16.31's members, by name and value
    assert {m.name: m.value for m in cfg.AuthType} == {
        "STANDARD": "standard", "BASIC": "basic", "CLIENT_CREDENTIALS": "client_credentials",
        "EXTERNAL_PROCESS": "external_process", "CLIENTSECRET": "ClientSecret", "PKCE": "Pkce",
        "EXTERNALCOMMAND": "ExternalCommand", "DEVICEFLOW": "DeviceFlow",
    }  # fmt: skip


def test_s3_config_takes_flytekits_backoff_and_addressing_style(monkeypatch):
    s3 = cfg.S3Config(backoff=datetime.timedelta(seconds=5), adressing_style="virtual")
    assert s3.backoff == 5.0
    assert s3.storage_options()["config_kwargs"]["s3"] == {"addressing_style": "virtual"}
    assert "s3" not in cfg.S3Config().storage_options()["config_kwargs"]
    monkeypatch.setenv("FLYTE_AWS_ADDRESSING_STYLE", "path")
    assert cfg.S3Config.auto().adressing_style == "path"
    assert cfg.DataConfig.auto().s3.adressing_style == "path"


def test_generic_persistence_config_is_read_like_every_setting(monkeypatch, tmp_path):
    assert cfg.GenericPersistenceConfig().attach_execution_metadata is True
    ini = tmp_path / "flytekit.config"
    ini.write_text("[persistence]\nattach_execution_metadata = false\n")
    assert cfg.GenericPersistenceConfig.auto(str(ini)).attach_execution_metadata is False
    monkeypatch.setenv("FLYTE_PERSISTENCE_ATTACH_EXECUTION_METADATA", "true")
    assert cfg.GenericPersistenceConfig.auto(str(ini)).attach_execution_metadata is True
    assert cfg.DataConfig.auto(str(ini)).generic == cfg.GenericPersistenceConfig(True)


def test_serialization_settings_builder_and_entrypoint():
    s = cfg.SerializationSettings(
        image_config=cfg.ImageConfig.from_images("ghcr.io/o/app:v1"),
        project="p",
        domain="d",
        version="v1",
        python_interpreter="/venv/bin/python",
    )
    assert s.entrypoint_settings == cfg.EntrypointSettings(path="/venv/bin/aioflyte-execute")
    fss = cfg.FastSerializationSettings(enabled=True, destination_dir="/root")
    b = s.new_builder()
    b.version = "v2"
    rebuilt = b.with_fast_serialization_settings(fss).build()
    assert (rebuilt.version, rebuilt.project, rebuilt.image_config) == ("v2", "p", s.image_config)
    assert rebuilt.should_fast_serialize() and s.version == "v1"
    assert cfg.SerializationSettings.from_transport(rebuilt.serialized_context) == rebuilt
