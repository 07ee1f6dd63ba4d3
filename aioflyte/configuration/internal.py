"""The settings flytekit 1.16 reads, by section: env var ``FLYTE_<SECTION>_<OPTION>``, INI key, flytectl YAML key."""

from __future__ import annotations

from aioflyte.configuration.file import ConfigEntry, ConfigFile
from aioflyte.exceptions import ConfigurationError


def _strip_dns_scheme(url: str) -> str:
    """flytectl writes gRPC endpoints as ``dns:///host:port``; the client wants ``host:port``."""
    return url.removeprefix("dns:///")


class Platform:
    SECTION = "platform"
    URL = ConfigEntry(SECTION, "url", str, "admin.endpoint", _strip_dns_scheme)
    INSECURE = ConfigEntry(SECTION, "insecure", bool, "admin.insecure")
    INSECURE_SKIP_VERIFY = ConfigEntry(SECTION, "insecure_skip_verify", bool, "admin.insecureSkipVerify")
    CONSOLE_ENDPOINT = ConfigEntry(SECTION, "console_endpoint", str, "console.endpoint")
    CA_CERT_FILE_PATH = ConfigEntry(SECTION, "ca_cert_file_path", str, "admin.caCertFilePath")
    HTTP_PROXY_URL = ConfigEntry(SECTION, "http_proxy_url", str, "admin.httpProxyURL")


class Credentials:
    SECTION = "credentials"
    COMMAND = ConfigEntry(SECTION, "command", list, "admin.command")
    """A command whose output is an access token."""
    PROXY_COMMAND = ConfigEntry(SECTION, "proxy_command", list, "admin.proxyCommand")
    """A command whose output is a token for a proxy in front of Flyte."""
    CLIENT_ID = ConfigEntry(SECTION, "client_id", str, "admin.clientId")
    CLIENT_CREDENTIALS_SECRET = ConfigEntry(SECTION, "client_secret")
    """The client secret itself (env var or INI only; prefer a file or a named env var)."""
    CLIENT_CREDENTIALS_SECRET_LOCATION = ConfigEntry(
        SECTION,
        "client_secret_location",
        str,
        "admin.clientSecretLocation",
        aliases=((SECTION, "client_secret_from_file"),),
    )
    """A file holding the client secret; setting it selects the ClientSecret auth mode. aioflyte also reads it from
    ``FLYTE_CREDENTIALS_CLIENT_SECRET_FROM_FILE`` (INI ``client_secret_from_file``)."""
    CLIENT_CREDENTIALS_SECRET_ENV_VAR = ConfigEntry(SECTION, "client_secret_env_var", str, "admin.clientSecretEnvVar")
    """The name of an env var holding the client secret; setting it selects the ClientSecret auth mode."""
    SCOPES = ConfigEntry(SECTION, "scopes", list, "admin.scopes")
    AUTH_MODE = ConfigEntry(SECTION, "auth_mode", str, "admin.authType")
    AUDIENCE = ConfigEntry(SECTION, "audience", str, "admin.audience")


class AWS:
    SECTION = "aws"
    S3_ENDPOINT = ConfigEntry(SECTION, "endpoint", str, "storage.connection.endpoint")
    S3_ACCESS_KEY_ID = ConfigEntry(SECTION, "access_key_id", str, "storage.connection.access-key")
    S3_SECRET_ACCESS_KEY = ConfigEntry(SECTION, "secret_access_key", str, "storage.connection.secret-key")
    ENABLE_DEBUG = ConfigEntry(SECTION, "enable_debug", bool)
    RETRIES = ConfigEntry(SECTION, "retries", int)
    BACKOFF_SECONDS = ConfigEntry(SECTION, "backoff_seconds", float)
    S3_ADDRESSING_STYLE = ConfigEntry(SECTION, "addressing_style", str, "storage.connection.addressing-style")


class GCP:
    SECTION = "gcp"
    GSUTIL_PARALLELISM = ConfigEntry(SECTION, "gsutil_parallelism", bool)


class AZURE:
    SECTION = "azure"
    STORAGE_ACCOUNT_NAME = ConfigEntry(SECTION, "storage_account_name")
    STORAGE_ACCOUNT_KEY = ConfigEntry(SECTION, "storage_account_key")
    TENANT_ID = ConfigEntry(SECTION, "tenant_id")
    CLIENT_ID = ConfigEntry(SECTION, "client_id")
    CLIENT_SECRET = ConfigEntry(SECTION, "client_secret")


class Persistence:
    SECTION = "persistence"
    ATTACH_EXECUTION_METADATA = ConfigEntry(SECTION, "attach_execution_metadata", bool)


class Local:
    SECTION = "local"
    CACHE_ENABLED = ConfigEntry(SECTION, "cache_enabled", bool)
    CACHE_OVERWRITE = ConfigEntry(SECTION, "cache_overwrite", bool)
    USER_PROJECT = ConfigEntry(SECTION, "project", str, "task.project")
    USER_DOMAIN = ConfigEntry(SECTION, "domain", str, "task.domain")
    USER_ORG = ConfigEntry(SECTION, "org", str, "task.org")


class LocalSDK:
    SECTION = "sdk"
    WORKFLOW_PACKAGES = ConfigEntry(SECTION, "workflow_packages", list)
    """Packages the CLI searches for entities to register."""
    LOCAL_SANDBOX = ConfigEntry(SECTION, "local_sandbox")
    """Where local runs put their files (never cleaned up automatically)."""
    LOGGING_LEVEL = ConfigEntry(SECTION, "logging_level", int)


class Secrets:
    SECTION = "secrets"
    ENV_PREFIX = ConfigEntry(SECTION, "env_prefix")
    DEFAULT_DIR = ConfigEntry(SECTION, "default_dir")
    FILE_PREFIX = ConfigEntry(SECTION, "file_prefix")


class StatsD:
    """StatsD settings: ``FLYTE_STATSD_*`` / ``[statsd]``, then the ``FLYTE_SECRETS_*`` / ``[secrets]`` names.

    flytekit 1.16 reads host, port, disabled and disable_tags from the ``secrets`` section (so from
    ``FLYTE_SECRETS_HOST`` and so on); those names are honoured as aliases so existing deployments keep working.
    """

    SECTION = "statsd"
    _LEGACY = "secrets"
    HOST = ConfigEntry(SECTION, "host", aliases=((_LEGACY, "host"),))
    PORT = ConfigEntry(SECTION, "port", int, aliases=((_LEGACY, "port"),))
    DISABLED = ConfigEntry(SECTION, "disabled", bool, aliases=((_LEGACY, "disabled"),))
    DISABLE_TAGS = ConfigEntry(SECTION, "disable_tags", bool, aliases=((_LEGACY, "disable_tags"),))
    MUTE = ConfigEntry(SECTION, "mute", bool)
    PREFIX = ConfigEntry(SECTION, "prefix")


class Images:
    SECTION = "images"

    @staticmethod
    def get_specified_images(cfg: ConfigFile | None) -> dict[str, str]:
        """The ``images`` section/mapping: friendly name -> image reference (the tag is optional there)."""
        if cfg is None:
            return {}
        images = cfg.section(Images.SECTION)
        for name, ref in images.items():
            if not isinstance(ref, str):
                raise ConfigurationError(f"images.{name} in {cfg.location}: expected an image reference string")
        return {str(k): v for k, v in images.items()}
