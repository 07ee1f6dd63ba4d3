"""Config and its parts: env over file over defaults, flytectl YAML and INI files, for_endpoint/for_sandbox.

Expected values are what flytekit 1.16.31 gives for the same files and environment (noted where aioflyte differs
on purpose).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aioflyte.configuration import (
    AuthType,
    Config,
    ConfigurationError,
    Image,
    ImageConfig,
    LocalConfig,
    PlatformConfig,
    StatsConfig,
    TaskConfig,
)

# flytectl's own shape (the sandbox config plus auth keys), as `flytectl config init` and the sandbox write it.
FLYTECTL_YAML = """\
admin:
  # For GRPC endpoints you might want to use dns:///flyte.myexample.com
  endpoint: dns:///flyte.example.com:443
  insecure: false
  insecureSkipVerify: true
  authType: Pkce
  clientId: flytepropeller
  scopes:
    - all
    - offline
  audience: my-aud
  caCertFilePath: /etc/ca.pem
  command: ["gcloud", "auth", "print-access-token"]
  proxyCommand: ["proxy", "tok"]
  httpProxyURL: http://proxy:3128
console:
  endpoint: https://console.example.com
logger:
  show-source: true
  level: 0
storage:
  type: minio
  connection:
    access-key: minio
    auth-type: accesskey
    disable-ssl: true
    endpoint: http://localhost:30002
    region: us-east-1
    secret-key: miniostorage
    addressing-style: path
  container: my-s3-bucket
images:
  spark: ghcr.io/org/spark:v3
task:
  project: p1
  domain: d1
"""

LEGACY_INI = """\
[platform]
url=dns:///ini.example.com
insecure=True
console_endpoint=http://ini-console
[credentials]
client_id=iniclient
scopes=s1,s2
auth_mode=basic
command=cmd1,cmd2
[aws]
endpoint=http://ini-s3:9000
access_key_id=AK
retries=7
backoff_seconds=2
[secrets]
env_prefix=_MY_
host=ini-statsd
port=1234
[sdk]
local_sandbox=/tmp/ini-sandbox
[local]
cache_enabled=false
"""


@pytest.fixture(autouse=True)
def clean_env(tmp_path, monkeypatch):
    """No FLYTE_* settings, an empty home and working directory: nothing is discovered unless a test puts it there."""
    for name in list(os.environ):
        if name.startswith(("FLYTE", "_FLYTE", "AIOFLYTE_IO")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


@pytest.fixture
def yaml_file(tmp_path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(FLYTECTL_YAML)
    return str(path)


@pytest.fixture
def ini_file(tmp_path) -> str:
    path = tmp_path / "legacy.config"
    path.write_text(LEGACY_INI)
    return str(path)


# --- defaults -------------------------------------------------------------------------------------------


def test_defaults_match_flytekit():
    p = PlatformConfig()
    assert (p.endpoint, p.insecure, p.insecure_skip_verify) == ("localhost:30080", False, False)
    assert (p.rpc_retries, p.scopes) == (3, [])
    assert p.ca_cert_file_path is p.console_endpoint is p.command is p.proxy_command is None
    assert p.client_id is p.client_credentials_secret is p.audience is p.http_proxy_url is None
    # flytekit's default is AuthType.STANDARD ("standard"), the same PKCE flow; aioflyte names it Pkce.
    assert p.auth_mode is AuthType.PKCE and p.auth_mode == "Pkce"
    assert StatsConfig() == StatsConfig(host="localhost", port=8125, disabled=False, disabled_tags=False)
    assert LocalConfig() == LocalConfig(cache_enabled=True, cache_overwrite=False)
    assert TaskConfig().project == "flytesnacks" and TaskConfig().domain == "development"
    c = Config()
    assert c.secrets.env_prefix == "_FSEC_" and c.secrets.default_dir == "/etc/secrets" and c.secrets.file_prefix == ""
    assert c.data_config.s3.endpoint is None


def test_auto_without_any_file_or_env_is_the_defaults():
    c = Config.auto()
    assert c.platform == PlatformConfig()
    assert c.stats == StatsConfig()
    assert c.secrets == Config().secrets
    assert c.data_config == Config().data_config


def test_default_sandbox_path_is_made_once_per_process():
    a, b = Config(), Config()
    assert a.local_sandbox_path == b.local_sandbox_path
    assert os.path.isdir(a.local_sandbox_path)


# --- flytectl YAML ----------------------------------------------------------------------------------------


def test_flytectl_yaml_sample(yaml_file):
    c = Config.auto(yaml_file)
    assert c.platform == PlatformConfig(
        endpoint="flyte.example.com:443",  # dns:/// stripped
        insecure=False,
        insecure_skip_verify=True,
        ca_cert_file_path="/etc/ca.pem",
        console_endpoint="https://console.example.com",
        command=["gcloud", "auth", "print-access-token"],
        proxy_command=["proxy", "tok"],
        client_id="flytepropeller",
        client_credentials_secret=None,
        scopes=["all", "offline"],
        auth_mode="Pkce",
        audience="my-aud",
        rpc_retries=3,
        http_proxy_url="http://proxy:3128",
    )
    s3 = c.data_config.s3
    assert (s3.endpoint, s3.access_key_id, s3.secret_access_key) == ("http://localhost:30002", "minio", "miniostorage")
    assert TaskConfig.auto(yaml_file) == TaskConfig(project="p1", domain="d1", org=None)
    # Settings with no YAML key keep their defaults.
    assert c.stats == StatsConfig() and c.secrets == Config().secrets


def test_env_over_file_over_default(yaml_file, monkeypatch):
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "dns:///env.example.com")
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", "true")
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_ID", "envclient")
    monkeypatch.setenv("FLYTE_CREDENTIALS_SCOPES", "a,b")
    monkeypatch.setenv("FLYTE_CREDENTIALS_AUTH_MODE", "DeviceFlow")
    monkeypatch.setenv("FLYTE_PLATFORM_CONSOLE_ENDPOINT", "http://c")
    monkeypatch.setenv("FLYTE_AWS_ACCESS_KEY_ID", "envkey")
    monkeypatch.setenv("FLYTE_AWS_RETRIES", "9")
    monkeypatch.setenv("FLYTE_SECRETS_DEFAULT_DIR", "/run/secrets")
    c = Config.auto(yaml_file)
    p = c.platform
    # env wins
    assert p.endpoint == "env.example.com"
    assert p.insecure is True
    assert p.client_id == "envclient"
    assert p.scopes == ["a", "b"]
    assert p.auth_mode == "DeviceFlow"
    assert p.console_endpoint == "http://c"
    assert c.data_config.s3.access_key_id == "envkey"
    assert c.data_config.s3.retries == 9
    assert c.secrets.default_dir == "/run/secrets"
    # file where env is silent
    assert p.insecure_skip_verify is True
    assert p.audience == "my-aud"
    assert c.data_config.s3.secret_access_key == "miniostorage"
    # default where both are silent
    assert p.rpc_retries == 3
    assert c.secrets.env_prefix == "_FSEC_"


def test_env_false_overrides_file_true(tmp_path, monkeypatch):
    path = tmp_path / "c.yaml"
    path.write_text("admin:\n  insecure: true\n  insecureSkipVerify: true\n")
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", "0")
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE_SKIP_VERIFY", "False")
    p = PlatformConfig.auto(str(path))
    assert p.insecure is False and p.insecure_skip_verify is False


def test_env_alone_without_file(monkeypatch):
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "admin.example.com:443")
    monkeypatch.setenv("FLYTE_CREDENTIALS_COMMAND", "a,b c")
    monkeypatch.setenv("FLYTE_LOCAL_CACHE_OVERWRITE", "yes")
    assert PlatformConfig.auto().endpoint == "admin.example.com:443"
    assert PlatformConfig.auto().command == ["a", "b c"]
    assert LocalConfig.auto() == LocalConfig(cache_enabled=True, cache_overwrite=True)


def test_empty_env_var_counts_as_unset(yaml_file, monkeypatch):
    # flytekit gives the default here (an empty env var hides the file); aioflyte falls through to the file.
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "")
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE_SKIP_VERIFY", "  ")
    p = PlatformConfig.auto(yaml_file)
    assert p.endpoint == "flyte.example.com:443"
    assert p.insecure_skip_verify is True


@pytest.mark.parametrize(
    ("var", "value", "match"),
    [
        ("FLYTE_PLATFORM_INSECURE", "bogus", r"environment variable FLYTE_PLATFORM_INSECURE: expected a boolean"),
        ("FLYTE_AWS_RETRIES", "many", r"environment variable FLYTE_AWS_RETRIES: expected an integer, got 'many'"),
        ("FLYTE_SECRETS_PORT", "abc", r"environment variable FLYTE_SECRETS_PORT: expected an integer"),
        ("FLYTE_AWS_BACKOFF_SECONDS", "soon", r"FLYTE_AWS_BACKOFF_SECONDS: expected a number"),
        ("FLYTE_CREDENTIALS_AUTH_MODE", "nope", r"FLYTE_CREDENTIALS_AUTH_MODE: unknown auth mode 'nope'"),
    ],
)
def test_bad_env_values_name_the_variable(var, value, match, monkeypatch):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigurationError, match=match):
        Config.auto()


def test_bad_yaml_values_name_the_key_and_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("admin:\n  insecure: maybe\n")
    with pytest.raises(ConfigurationError, match=r"admin\.insecure in .*c\.yaml: expected a boolean"):
        PlatformConfig.auto(str(path))
    path.write_text("admin:\n  endpoint: {host: x}\n")
    with pytest.raises(ConfigurationError, match=r"admin\.endpoint in .*: expected a string, got dict"):
        PlatformConfig.auto(str(path))
    assert isinstance(ConfigurationError("x"), ValueError)


def test_yaml_scalar_forms(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("admin:\n  endpoint: localhost:8089\n  insecure: 'true'\n  scopes: a,b\n  clientId: 123\n")
    p = PlatformConfig.auto(str(path))
    assert (p.endpoint, p.insecure, p.scopes, p.client_id) == ("localhost:8089", True, ["a", "b"], "123")


# --- credentials ------------------------------------------------------------------------------------------


def test_client_secret_file_selects_client_secret_mode(yaml_file, tmp_path, monkeypatch):
    secret = tmp_path / "secret.txt"
    secret.write_text("sekret\n")
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION", str(secret))
    monkeypatch.setenv("FLYTE_CREDENTIALS_AUTH_MODE", "Pkce")  # overridden, as in flytekit
    p = PlatformConfig.auto(yaml_file)
    assert p.client_credentials_secret == "sekret"
    assert p.auth_mode == "ClientSecret"


def test_client_secret_file_from_yaml(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cr3t\n")
    path = tmp_path / "c.yaml"
    path.write_text(f"admin:\n  clientId: me\n  clientSecretLocation: {secret}\n  authType: ClientSecret\n")
    p = PlatformConfig.auto(str(path))
    assert (p.client_id, p.client_credentials_secret, p.auth_mode) == ("me", "s3cr3t", AuthType.CLIENTSECRET)


def test_client_secret_env_var(yaml_file, monkeypatch):
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR", "MYSEC")
    monkeypatch.setenv("MYSEC", "fromenv")
    p = PlatformConfig.auto(yaml_file)
    assert (p.client_credentials_secret, p.auth_mode) == ("fromenv", "ClientSecret")


def test_client_secret_env_var_unset_keeps_direct_secret_and_mode(yaml_file, monkeypatch):
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR", "NOT_SET_ANYWHERE")
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET", "direct")
    p = PlatformConfig.auto(yaml_file)
    assert (p.client_credentials_secret, p.auth_mode) == ("direct", "Pkce")


def test_missing_client_secret_file_is_an_error(monkeypatch):
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION", "nope.txt")
    with pytest.raises(FileNotFoundError, match=r"client secret file 'nope.txt'.*clientSecretLocation"):
        PlatformConfig.auto()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Pkce", AuthType.PKCE),
        ("pkce", AuthType.PKCE),
        ("standard", AuthType.STANDARD),
        ("ClientSecret", AuthType.CLIENTSECRET),
        ("clientSecret", AuthType.CLIENTSECRET),
        ("client_credentials", AuthType.CLIENT_CREDENTIALS),
        ("DeviceFlow", AuthType.DEVICEFLOW),
        ("ExternalCommand", AuthType.EXTERNALCOMMAND),
        (AuthType.BASIC, AuthType.BASIC),
    ],
)
def test_auth_mode_parsing(given, expected):
    assert PlatformConfig(auth_mode=given).auth_mode is expected
    assert str(expected) == expected.value


def test_unknown_auth_mode_in_constructor():
    with pytest.raises(ValueError, match="unknown auth mode 'oauth9'"):
        PlatformConfig(auth_mode="oauth9")


# --- legacy INI -------------------------------------------------------------------------------------------


def test_legacy_ini_file(ini_file):
    c = Config.auto(ini_file)
    assert c.platform == PlatformConfig(
        endpoint="ini.example.com",
        insecure=True,
        console_endpoint="http://ini-console",
        command=["cmd1", "cmd2"],
        client_id="iniclient",
        scopes=["s1", "s2"],
        auth_mode="basic",
    )
    s3 = c.data_config.s3
    assert (s3.endpoint, s3.access_key_id, s3.secret_access_key, s3.retries) == ("http://ini-s3:9000", "AK", None, 7)
    assert s3.backoff == 2.0  # seconds (flytekit: timedelta(seconds=2))
    assert c.secrets.env_prefix == "_MY_"
    # flytekit 1.16 reads statsd host/port from the [secrets] section; so does aioflyte (as a fallback name)
    assert (c.stats.host, c.stats.port) == ("ini-statsd", 1234)
    assert c.local_sandbox_path == "/tmp/ini-sandbox"
    assert LocalConfig.auto(ini_file) == LocalConfig(cache_enabled=False, cache_overwrite=False)


def test_ini_env_over_file(ini_file, monkeypatch):
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "env:1")
    monkeypatch.setenv("FLYTE_SDK_LOCAL_SANDBOX", "/tmp/env-sandbox")
    c = Config.auto(ini_file)
    assert c.platform.endpoint == "env:1"
    assert c.platform.client_id == "iniclient"
    assert c.local_sandbox_path == "/tmp/env-sandbox"


def test_ini_bad_bool_names_section_and_file(tmp_path):
    path = tmp_path / "bad.config"
    path.write_text("[platform]\ninsecure=perhaps\n")
    with pytest.raises(ConfigurationError, match=r"\[platform\] insecure in .*bad\.config: expected a boolean"):
        PlatformConfig.auto(str(path))


# --- stats, secrets, local ----------------------------------------------------------------------------------


def test_stats_flytekit_env_names(monkeypatch):
    # flytekit 1.16: FLYTE_SECRETS_HOST/PORT/DISABLED/DISABLE_TAGS configure statsd.
    monkeypatch.setenv("FLYTE_SECRETS_HOST", "statshost")
    monkeypatch.setenv("FLYTE_SECRETS_PORT", "9999")
    monkeypatch.setenv("FLYTE_SECRETS_DISABLED", "1")
    assert StatsConfig.auto() == StatsConfig(host="statshost", port=9999, disabled=True, disabled_tags=False)


def test_stats_statsd_names_win(monkeypatch):
    monkeypatch.setenv("FLYTE_SECRETS_HOST", "legacy")
    monkeypatch.setenv("FLYTE_STATSD_HOST", "statsd.local")
    monkeypatch.setenv("FLYTE_STATSD_MUTE", "true")
    monkeypatch.setenv("FLYTE_STATSD_PREFIX", "myapp")
    monkeypatch.setenv("FLYTE_STATSD_DISABLE_TAGS", "on")
    s = StatsConfig.auto()
    assert (s.host, s.mute, s.prefix, s.disabled_tags) == ("statsd.local", True, "myapp", True)


def test_secrets_config_is_the_core_class(monkeypatch):
    from aioflyte.configuration import SecretsConfig, secrets_config_auto
    from aioflyte.core import secrets

    assert SecretsConfig is secrets.SecretsConfig
    monkeypatch.setenv("FLYTE_SECRETS_ENV_PREFIX", "_X_")
    monkeypatch.setenv("FLYTE_SECRETS_FILE_PREFIX", "pre-")
    s = secrets_config_auto()
    assert (s.env_prefix, s.default_dir, s.file_prefix) == ("_X_", "/etc/secrets", "pre-")


def test_data_config_is_the_io_class(monkeypatch):
    from aioflyte import io
    from aioflyte.configuration import AzureBlobStorageConfig, DataConfig, GCSConfig, S3Config

    assert (DataConfig, S3Config, GCSConfig, AzureBlobStorageConfig) == (
        io.DataConfig,
        io.S3Config,
        io.GCSConfig,
        io.AzureBlobStorageConfig,
    )
    monkeypatch.setenv("FLYTE_GCP_GSUTIL_PARALLELISM", "true")
    monkeypatch.setenv("FLYTE_AZURE_STORAGE_ACCOUNT_NAME", "acct")
    monkeypatch.setenv("FLYTE_AZURE_TENANT_ID", "tenant")
    monkeypatch.setenv("AIOFLYTE_IO_CONCURRENCY", "5")
    d = Config.auto().data_config
    assert d.gcs.gsutil_parallelism is True
    assert (d.azure.account_name, d.azure.tenant_id, d.azure.account_key) == ("acct", "tenant", None)
    assert d.max_concurrency == 5


# --- for_endpoint / for_sandbox / with_params --------------------------------------------------------------


def test_for_endpoint_without_file_is_just_the_endpoint(monkeypatch):
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_ID", "envid")
    monkeypatch.setenv("FLYTE_AWS_ENDPOINT", "http://envs3")
    c = Config.for_endpoint("ep:1")
    # as in flytekit: the platform is only endpoint + insecure; the data config still comes from env/file
    assert c.platform == PlatformConfig(endpoint="ep:1", insecure=False)
    assert c.data_config.s3.endpoint == "http://envs3"
    assert Config.for_endpoint("ep:2", insecure=True).platform.insecure is True


def test_for_endpoint_with_file_keeps_file_and_env_settings(yaml_file, monkeypatch):
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_ID", "envid")
    monkeypatch.setenv("FLYTE_AWS_ENDPOINT", "http://envs3")
    c = Config.for_endpoint("ep:1", config_file=yaml_file)
    p = c.platform
    assert (p.endpoint, p.insecure, p.insecure_skip_verify, p.client_id) == ("ep:1", False, True, "envid")
    assert (p.console_endpoint, p.scopes, p.auth_mode) == ("https://console.example.com", ["all", "offline"], "Pkce")
    assert c.data_config.s3.endpoint == "http://envs3"
    assert c.data_config.s3.access_key_id == "minio"


def test_for_endpoint_with_data_config(yaml_file):
    from aioflyte.configuration import DataConfig, S3Config

    d = DataConfig(s3=S3Config(endpoint="http://mine"))
    c = Config.for_endpoint("ep:1", insecure=True, data_config=d, config_file=yaml_file)
    assert c.data_config is d
    assert c.platform.insecure is True


def test_for_sandbox():
    c = Config.for_sandbox()
    assert c.platform == PlatformConfig(endpoint="localhost:30080", insecure=True, auth_mode="Pkce")
    s3 = c.data_config.s3
    assert (s3.endpoint, s3.access_key_id, s3.secret_access_key) == ("http://localhost:30002", "minio", "miniostorage")
    assert c.stats == StatsConfig() and c.secrets == Config().secrets


def test_with_params():
    base = Config.for_sandbox()
    p = PlatformConfig.for_endpoint("x:1", True)
    c = base.with_params(platform=p)
    assert c.platform is p
    assert c.data_config is base.data_config and c.secrets is base.secrets and c.stats is base.stats
    assert c.local_sandbox_path == base.local_sandbox_path
    c2 = c.with_params(stats=StatsConfig(port=1), local_sandbox_path="/tmp/elsewhere")
    assert (c2.stats.port, c2.local_sandbox_path, c2.platform) == (1, "/tmp/elsewhere", p)
    assert base.platform.endpoint == "localhost:30080"  # unchanged


# --- import cost ----------------------------------------------------------------------------------------------


def test_imports_stay_lazy():
    code = textwrap.dedent(
        """
        import sys
        import aioflyte
        assert "aioflyte.configuration" not in sys.modules
        import aioflyte.configuration
        heavy = [m for m in ("yaml", "configparser", "aioflyte.io", "fsspec", "aioflyte.core.secrets")
                 if m in sys.modules]
        assert not heavy, heavy
        """
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_doc_example_runs(tmp_path):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    code = doc.split("```python\n", 1)[1].split("```", 1)[0]
    yaml_block = doc.split("## A flytectl config", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (Path.cwd() / "config.yaml").write_text(yaml_block.replace("/etc/secrets/client_secret", str(tmp_path / "cs")))
    (tmp_path / "cs").write_text("s3cr3t\n")
    ns: dict = {}
    exec(compile(code, "docs/configuration.md", "exec"), ns)
    assert ns["images"].find_image("spark") is None  # no `images:` in a discovered file here
    assert ns["cfg"].platform.endpoint == "localhost:8089"
    c = Config.auto("config.yaml")
    assert (c.platform.endpoint, c.platform.auth_mode, c.platform.client_credentials_secret) == (
        "flyte.example.com:443",
        "ClientSecret",
        "s3cr3t",
    )
    assert ImageConfig.auto("config.yaml").find_image("spark") == Image("spark", "ghcr.io/org/spark", "v3")
