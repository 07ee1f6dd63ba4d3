"""``Config`` and its parts, as flytekit 1.16 names them: where the Flyte backend is and how to reach it.

Every setting is read from its ``FLYTE_*`` environment variable, else from the config file (flytectl YAML or
flytekit INI; see ``get_config_file`` for the discovery order), else its default. ``SecretsConfig`` and the
``DataConfig`` family live in ``configuration.secrets`` and ``configuration.data`` and are re-exported here.
"""

from __future__ import annotations

import enum
import functools
import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from aioflyte.configuration import internal as _internal
from aioflyte.configuration.data import data_config_auto
from aioflyte.configuration.file import ConfigFileLike, get_config_file, read_entries, read_file_if_exists

if TYPE_CHECKING:  # pragma: no cover
    from aioflyte.configuration.data import DataConfig
    from aioflyte.configuration.secrets import SecretsConfig

_LAZY = {
    "SecretsConfig": "aioflyte.configuration.secrets",
    "DataConfig": "aioflyte.configuration.data",
    "S3Config": "aioflyte.configuration.data",
    "GCSConfig": "aioflyte.configuration.data",
    "AzureBlobStorageConfig": "aioflyte.configuration.data",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


class AuthType(str, enum.Enum):
    """How the client gets credentials; parsed from strings by name or value, case-insensitively."""

    STANDARD = "standard"
    BASIC = "basic"
    CLIENT_CREDENTIALS = "client_credentials"
    EXTERNAL_PROCESS = "external_process"
    # flyteidl's admin client names for the same modes
    CLIENTSECRET = "ClientSecret"
    PKCE = "Pkce"
    EXTERNALCOMMAND = "ExternalCommand"
    DEVICEFLOW = "DeviceFlow"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: str | AuthType) -> AuthType:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip().upper()
            for member in cls:
                if key in (member.name, member.value.upper()):
                    return member
        valid = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown auth mode {value!r} (expected one of {valid})")


@dataclass(frozen=True)
class PlatformConfig:
    """How to reach Flyte Admin: endpoint, TLS, and the credentials flow."""

    endpoint: str = "localhost:30080"
    insecure: bool = False
    insecure_skip_verify: bool = False
    ca_cert_file_path: str | None = None
    console_endpoint: str | None = None
    command: list[str] | None = None
    proxy_command: list[str] | None = None
    client_id: str | None = None
    client_credentials_secret: str | None = field(default=None, repr=False)  # never printed
    scopes: list[str] = field(default_factory=list)
    auth_mode: AuthType = AuthType.PKCE
    audience: str | None = None
    rpc_retries: int = 3
    http_proxy_url: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "auth_mode", AuthType.parse(self.auth_mode))

    @classmethod
    def auto(cls, config_file: ConfigFileLike = None) -> PlatformConfig:
        """Env over config file over defaults. A client secret given by file (``clientSecretLocation``) or by a
        named env var (``clientSecretEnvVar``) selects the ``ClientSecret`` auth mode, as in flytekit."""
        cfg = get_config_file(config_file)
        p, c = _internal.Platform, _internal.Credentials
        kwargs = read_entries(
            cfg,
            endpoint=p.URL,
            insecure=p.INSECURE,
            insecure_skip_verify=p.INSECURE_SKIP_VERIFY,
            ca_cert_file_path=p.CA_CERT_FILE_PATH,
            console_endpoint=p.CONSOLE_ENDPOINT,
            http_proxy_url=p.HTTP_PROXY_URL,
            command=c.COMMAND,
            proxy_command=c.PROXY_COMMAND,
            client_id=c.CLIENT_ID,
            client_credentials_secret=c.CLIENT_CREDENTIALS_SECRET,
            scopes=c.SCOPES,
            audience=c.AUDIENCE,
            auth_mode=_AUTH_MODE,
        )
        dedicated_secret = False
        location = c.CLIENT_CREDENTIALS_SECRET_LOCATION.read(cfg)
        if location:
            try:
                file_secret = (read_file_if_exists(location) or "").strip()
            except OSError as e:
                raise FileNotFoundError(
                    f"The client secret file {location!r} (FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION or "
                    f"admin.clientSecretLocation) cannot be read: {e.strerror or e}"
                ) from None
            if file_secret:
                kwargs["client_credentials_secret"] = file_secret
                dedicated_secret = True
        env_var = c.CLIENT_CREDENTIALS_SECRET_ENV_VAR.read(cfg)
        if env_var:
            secret = os.environ.get(env_var)
            if secret:
                kwargs["client_credentials_secret"] = secret
                dedicated_secret = True
        if dedicated_secret:
            kwargs["auth_mode"] = AuthType.CLIENTSECRET
        return cls(**kwargs)

    @classmethod
    def for_endpoint(cls, endpoint: str, insecure: bool = False) -> PlatformConfig:
        return cls(endpoint=endpoint, insecure=insecure)


_AUTH_MODE = replace(_internal.Credentials.AUTH_MODE, transform=AuthType.parse)


@dataclass(frozen=True)
class StatsConfig:
    """StatsD metrics. ``mute`` and ``prefix`` are aioflyte's additions (flytekit 1.16 has the first four)."""

    host: str = "localhost"
    port: int = 8125
    disabled: bool = False
    disabled_tags: bool = False
    mute: bool = False
    prefix: str = "flyte"

    @classmethod
    def auto(cls, config_file: ConfigFileLike = None) -> StatsConfig:
        cfg = get_config_file(config_file)
        s = _internal.StatsD
        return cls(
            **read_entries(
                cfg,
                host=s.HOST,
                port=s.PORT,
                disabled=s.DISABLED,
                disabled_tags=s.DISABLE_TAGS,
                mute=s.MUTE,
                prefix=s.PREFIX,
            )
        )


@dataclass(frozen=True)
class LocalConfig:
    """Local runs: whether the cache is used, and whether cached values are recomputed and overwritten."""

    cache_enabled: bool = True
    cache_overwrite: bool = False

    @classmethod
    def auto(cls, config_file: ConfigFileLike = None) -> LocalConfig:
        cfg = get_config_file(config_file)
        loc = _internal.Local
        return cls(**read_entries(cfg, cache_enabled=loc.CACHE_ENABLED, cache_overwrite=loc.CACHE_OVERWRITE))


@dataclass(frozen=True)
class TaskConfig:
    """The default project, domain and org (flytectl's ``task.*`` keys)."""

    project: str | None = "flytesnacks"
    domain: str | None = "development"
    org: str | None = None

    @classmethod
    def auto(cls, config_file: ConfigFileLike = None) -> TaskConfig:
        cfg = get_config_file(config_file)
        loc = _internal.Local
        return cls(**read_entries(cfg, project=loc.USER_PROJECT, domain=loc.USER_DOMAIN, org=loc.USER_ORG))


def secrets_config_auto(config_file: ConfigFileLike = None) -> SecretsConfig:
    """``SecretsConfig`` from ``FLYTE_SECRETS_*`` over the file's ``[secrets]`` section over defaults."""
    from aioflyte.configuration.secrets import SecretsConfig

    cfg = get_config_file(config_file)
    s = _internal.Secrets
    return SecretsConfig(
        **read_entries(cfg, env_prefix=s.ENV_PREFIX, default_dir=s.DEFAULT_DIR, file_prefix=s.FILE_PREFIX)
    )


@functools.lru_cache(maxsize=1)
def _default_sandbox_path() -> str:
    """One scratch directory per process, made on first use (never at import)."""
    import tempfile

    return tempfile.mkdtemp(prefix="aioflyte")


def _new_secrets() -> SecretsConfig:
    from aioflyte.configuration.secrets import SecretsConfig

    return SecretsConfig()


def _new_data_config() -> DataConfig:
    from aioflyte.configuration.data import DataConfig

    return DataConfig()


@dataclass(frozen=True)
class Config:
    """Everything needed to talk to a Flyte backend and move data: platform, secrets, stats, data, sandbox."""

    platform: PlatformConfig = field(default_factory=PlatformConfig)
    secrets: SecretsConfig = field(default_factory=_new_secrets)
    stats: StatsConfig = field(default_factory=StatsConfig)
    data_config: DataConfig = field(default_factory=_new_data_config)
    local_sandbox_path: str = field(default_factory=_default_sandbox_path)

    def with_params(
        self,
        platform: PlatformConfig | None = None,
        secrets: SecretsConfig | None = None,
        stats: StatsConfig | None = None,
        data_config: DataConfig | None = None,
        local_sandbox_path: str | None = None,
    ) -> Config:
        """A copy with the given parts replaced (``None`` keeps this config's part)."""
        return Config(
            platform=platform or self.platform,
            secrets=secrets or self.secrets,
            stats=stats or self.stats,
            data_config=data_config or self.data_config,
            local_sandbox_path=local_sandbox_path or self.local_sandbox_path,
        )

    @classmethod
    def auto(cls, config_file: ConfigFileLike = None) -> Config:
        """Env vars over the config file (``config_file``, else discovered) over defaults, for every part."""
        cfg = get_config_file(config_file)
        kwargs = read_entries(cfg, local_sandbox_path=_internal.LocalSDK.LOCAL_SANDBOX)
        return cls(
            platform=PlatformConfig.auto(cfg),
            secrets=secrets_config_auto(cfg),
            stats=StatsConfig.auto(cfg),
            data_config=data_config_auto(cfg),
            **kwargs,
        )

    @classmethod
    def for_sandbox(cls) -> Config:
        """The flytectl sandbox: Admin at ``localhost:30080`` (no TLS), MinIO at ``localhost:30002``."""
        from aioflyte.configuration.data import DataConfig, S3Config

        return cls(
            platform=PlatformConfig(endpoint="localhost:30080", auth_mode=AuthType.PKCE, insecure=True),
            data_config=DataConfig(
                s3=S3Config(endpoint="http://localhost:30002", access_key_id="minio", secret_access_key="miniostorage")
            ),
        )

    @classmethod
    def for_endpoint(
        cls,
        endpoint: str,
        insecure: bool = False,
        data_config: DataConfig | None = None,
        config_file: ConfigFileLike = None,
    ) -> Config:
        """``Config.auto(config_file)`` pointed at ``endpoint``.

        As in flytekit, the other platform settings (auth, TLS options) are kept from the environment and file only
        when ``config_file`` is given; otherwise the platform is just ``endpoint`` and ``insecure``.
        """
        c = cls.auto(config_file)
        if config_file:
            platform = replace(c.platform, endpoint=endpoint, insecure=insecure)
        else:
            platform = PlatformConfig.for_endpoint(endpoint, insecure)
        return c.with_params(platform=platform, data_config=data_config)
