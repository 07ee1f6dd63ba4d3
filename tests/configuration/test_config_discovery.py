"""Config file discovery (flytekit 1.16's order), file formats, and parse errors."""

from __future__ import annotations

import logging
import os
import re

import pytest

from aioflyte.configuration import ConfigEntry, ConfigFile, ConfigurationError, PlatformConfig, get_config_file
from aioflyte.configuration.file import parse_bool, parse_list


@pytest.fixture
def places(tmp_path, monkeypatch):
    """A home with ~/.flyte/config (INI) and ~/.flyte/config.yaml, a cwd with flytekit.config, two more YAMLs."""
    for name in list(os.environ):
        if name.startswith(("FLYTE", "_FLYTE")):
            monkeypatch.delenv(name)
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    (home / ".flyte").mkdir(parents=True)
    cwd.mkdir()
    (cwd / "flytekit.config").write_text("[platform]\nurl=cwd-ini\n")
    (home / ".flyte" / "config").write_text("[platform]\nurl=home-ini\n")
    (home / ".flyte" / "config.yaml").write_text("admin:\n  endpoint: home-yaml\n")
    (tmp_path / "ctl.yaml").write_text("admin:\n  endpoint: ctl-yaml\n")
    (tmp_path / "ovr.yaml").write_text("admin:\n  endpoint: override-yaml\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    return tmp_path


def endpoint() -> str:
    return PlatformConfig.auto().endpoint


def test_discovery_order(places, monkeypatch):
    # results as flytekit 1.16.31 gives them for the same layout
    assert endpoint() == "cwd-ini"
    monkeypatch.setenv("FLYTECTL_CONFIG", str(places / "ctl.yaml"))
    assert endpoint() == "ctl-yaml"
    monkeypatch.setenv("_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE", str(places / "ovr.yaml"))
    assert endpoint() == "override-yaml"
    monkeypatch.delenv("_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE")
    monkeypatch.delenv("FLYTECTL_CONFIG")
    (places / "cwd" / "flytekit.config").unlink()
    assert endpoint() == "home-ini"
    (places / "home" / ".flyte" / "config").unlink()
    assert endpoint() == "home-yaml"
    (places / "home" / ".flyte" / "config.yaml").unlink()
    assert get_config_file(None) is None
    assert endpoint() == "localhost:30080"


def test_missing_env_file_is_skipped_with_a_warning(places, monkeypatch, caplog):
    monkeypatch.setenv("FLYTECTL_CONFIG", str(places / "missing.yaml"))
    with caplog.at_level(logging.WARNING, logger="aioflyte.configuration"):
        assert endpoint() == "cwd-ini"
    assert "missing.yaml" in caplog.text and "does not exist" in caplog.text
    # flytekit: a missing override hides FLYTECTL_CONFIG (discovery goes on to the usual places)
    monkeypatch.setenv("FLYTECTL_CONFIG", str(places / "ctl.yaml"))
    monkeypatch.setenv("_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE", str(places / "missing.yaml"))
    assert endpoint() == "cwd-ini"


def test_explicit_file_wins_over_discovery(places, monkeypatch):
    monkeypatch.setenv("FLYTECTL_CONFIG", str(places / "ctl.yaml"))
    assert PlatformConfig.auto(str(places / "ovr.yaml")).endpoint == "override-yaml"
    assert PlatformConfig.auto(places / "ovr.yaml").endpoint == "override-yaml"  # a PathLike works too
    cfg = ConfigFile(places / "ovr.yaml")
    assert get_config_file(cfg) is cfg and PlatformConfig.auto(cfg).endpoint == "override-yaml"


def test_explicit_missing_file_is_an_error(tmp_path):
    # (flytekit: FileNotFoundError for YAML; a missing INI file is silently empty)
    for name in ("nope.yaml", "nope.config"):
        with pytest.raises(FileNotFoundError, match=f"Config file .*{re.escape(name)} does not exist"):
            PlatformConfig.auto(str(tmp_path / name))


def test_format_is_chosen_by_name(tmp_path):
    y, i = tmp_path / "a.yml", tmp_path / "a.cfg"
    y.write_text("admin:\n  endpoint: y\n")
    i.write_text("[platform]\nurl=i\n")
    assert ConfigFile(y).yaml_config == {"admin": {"endpoint": "y"}} and ConfigFile(y).legacy_config is None
    assert ConfigFile(i).yaml_config is None and ConfigFile(i).legacy_config is not None
    assert ConfigFile(y).get_yaml("admin.endpoint") == "y" and ConfigFile(y).get_yaml("admin.nope.deeper") is None
    assert ConfigFile(i).get_ini("platform", "url") == "i" and ConfigFile(i).get_ini("x", "y") is None


def test_malformed_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("admin:\n  endpoint: [unclosed\n")
    with pytest.raises(ConfigurationError, match=r"bad\.yaml is not valid YAML"):
        ConfigFile(bad)
    top = tmp_path / "list.yaml"
    top.write_text("- a\n- b\n")
    with pytest.raises(ConfigurationError, match="expected a mapping at the top level, got list"):
        ConfigFile(top)
    internal = tmp_path / "x.config"
    internal.write_text("[internal]\nfoo=bar\n")
    with pytest.raises(ConfigurationError, match=r"\[internal\] section"):
        ConfigFile(internal)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert ConfigFile(empty).yaml_config == {}


def test_changed_file_is_reread(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("admin:\n  endpoint: one\n")
    assert PlatformConfig.auto(str(path)).endpoint == "one"
    path.write_text("admin:\n  endpoint: second\n")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert PlatformConfig.auto(str(path)).endpoint == "second"


def test_entry_names_and_aliases(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("FLYTE"):
            monkeypatch.delenv(name)
    e = ConfigEntry("statsd", "host", aliases=(("secrets", "host"),))
    assert e.env_name == "FLYTE_STATSD_HOST"
    ini = tmp_path / "a.config"
    ini.write_text("[secrets]\nhost=from-secrets\n[statsd]\n")
    assert e.read(ConfigFile(ini)) == "from-secrets"
    monkeypatch.setenv("FLYTE_SECRETS_HOST", "env-legacy")
    assert e.read(ConfigFile(ini)) == "env-legacy"  # any env name beats the file
    monkeypatch.setenv("FLYTE_STATSD_HOST", "env-main")
    assert e.read(None) == "env-main"


def test_parsers():
    assert [parse_bool(v, "s") for v in ("1", "true", "TRUE", "yes", "on")] == [True] * 5
    assert [parse_bool(v, "s") for v in ("0", "false", "False", "no", "off")] == [False] * 5
    with pytest.raises(ConfigurationError, match=r"^X: expected a boolean"):
        parse_bool("2", "X")
    assert parse_list("a, b,,c ", "s") == ["a", "b", "c"]


def test_empty_name_discovers_and_directory_is_an_error(places, monkeypatch):
    assert get_config_file("").location.endswith("flytekit.config")
    with pytest.raises(ConfigurationError, match="is not a file"):
        ConfigFile(places)
