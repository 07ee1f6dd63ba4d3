"""Config files and config entries: where a setting's value comes from, in flytekit's order.

A setting is read from its ``FLYTE_<SECTION>_<OPTION>`` environment variable, else from the config file (the
flytectl YAML format, or flytekit's legacy INI format), else the caller's default applies. Values are parsed to
the setting's type here, and a value that does not parse is an error naming the variable or file key.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Union

from aioflyte.exceptions import ConfigurationError as ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    import configparser

log = logging.getLogger("aioflyte.configuration")

FLYTECTL_CONFIG_ENV_VAR = "FLYTECTL_CONFIG"
"""The config file path, as the flytectl sandbox instructions set it."""
FLYTECTL_CONFIG_ENV_VAR_OVERRIDE = "_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE"
"""Set by the CLI's ``--config`` option; wins over ``FLYTECTL_CONFIG``. Not meant to be set by users."""

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


# --- parsing -------------------------------------------------------------------------------------------


def parse_bool(raw: str, source: str) -> bool:
    """``true/1/yes/on`` and ``false/0/no/off`` (any case); anything else is an error naming ``source``."""
    v = raw.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ConfigurationError(f"{source}: expected a boolean (true/false, 1/0, yes/no, on/off), got {raw!r}")


def parse_int(raw: str, source: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigurationError(f"{source}: expected an integer, got {raw!r}") from None


def parse_float(raw: str, source: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ConfigurationError(f"{source}: expected a number, got {raw!r}") from None


def parse_list(raw: str, source: str) -> list[str]:
    """A comma separated list; items are stripped and empty items dropped."""
    return [item.strip() for item in raw.split(",") if item.strip()]


_FROM_STR: dict[type, Callable[[str, str], Any]] = {
    bool: parse_bool,
    int: parse_int,
    float: parse_float,
    list: parse_list,
    str: lambda raw, source: raw,
}


def _coerce_yaml(value: Any, type_: type, source: str) -> Any:
    """A YAML value to ``type_``: native values are taken as they are, strings are parsed as env values are."""
    if isinstance(value, str):
        return _FROM_STR[type_](value, source)
    if type_ is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
    elif type_ is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif type_ is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif type_ is list:
        if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
            return [str(v) for v in value]
    elif type_ is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    kind = {bool: "a boolean", int: "an integer", float: "a number", list: "a list of strings", str: "a string"}
    raise ConfigurationError(f"{source}: expected {kind[type_]}, got {type(value).__name__} {value!r}")


def _present(value: Any) -> bool:
    """A file value counts as given unless it is null or empty (``false`` and ``0`` are given values)."""
    return value is not None and value != "" and value != [] and value != {}


# --- config files --------------------------------------------------------------------------------------

_cache: dict[str, tuple[tuple[int, int], Any]] = {}


class ConfigFile:
    """A loaded config file: flytectl YAML when the name ends in ``yaml``/``yml``, else flytekit's INI format."""

    def __init__(self, location: str | os.PathLike[str]) -> None:
        self._location = os.path.abspath(os.fspath(location))
        self._is_yaml = self._location.endswith(("yaml", "yml"))
        try:
            st = os.stat(self._location)
        except FileNotFoundError:
            raise FileNotFoundError(f"Config file {self._location} does not exist") from None
        if not stat.S_ISREG(st.st_mode):
            raise ConfigurationError(f"Config file {self._location} is not a file")
        key = (st.st_mtime_ns, st.st_size)
        hit = _cache.get(self._location)
        if hit is not None and hit[0] == key:
            parsed = hit[1]
        else:
            parsed = self._read_yaml() if self._is_yaml else self._read_ini()
            _cache[self._location] = (key, parsed)
        self._yaml: dict[str, Any] | None = parsed if self._is_yaml else None
        self._ini: configparser.ConfigParser | None = None if self._is_yaml else parsed

    def _read_yaml(self) -> dict[str, Any]:
        import yaml

        with open(self._location, encoding="utf-8") as f:
            try:
                doc = yaml.safe_load(f)
            except yaml.YAMLError as e:
                raise ConfigurationError(f"Config file {self._location} is not valid YAML: {e}") from None
        if doc is None:
            return {}
        if not isinstance(doc, dict):
            raise ConfigurationError(
                f"Config file {self._location}: expected a mapping at the top level, got {type(doc).__name__}"
            )
        return doc

    def _read_ini(self) -> configparser.ConfigParser:
        import configparser

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(self._location, encoding="utf-8")
        except configparser.Error as e:
            raise ConfigurationError(f"Config file {self._location} is not a valid INI file: {e}") from None
        if parser.has_section("internal"):
            raise ConfigurationError(
                f"Config file {self._location} has an [internal] section: internal settings cannot be set in a file"
            )
        return parser

    @property
    def location(self) -> str:
        return self._location

    @property
    def yaml_config(self) -> dict[str, Any] | None:
        """The parsed YAML document (``None`` for an INI file)."""
        return self._yaml

    @property
    def legacy_config(self) -> configparser.ConfigParser | None:
        """The parsed INI file (``None`` for a YAML file)."""
        return self._ini

    def get_yaml(self, switch: str) -> Any:
        """The value at a dot separated flytectl key (``admin.endpoint``), or ``None``."""
        node: Any = self._yaml
        for key in switch.split("."):
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def get_ini(self, section: str, option: str) -> str | None:
        if self._ini is None or not self._ini.has_option(section, option):
            return None
        return self._ini.get(section, option)

    def section(self, name: str) -> dict[str, Any]:
        """A whole section (INI) or top-level mapping (YAML), e.g. ``images``; empty when absent."""
        if self._ini is not None:
            return dict(self._ini.items(name)) if self._ini.has_section(name) else {}
        value = (self._yaml or {}).get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ConfigurationError(f"{name} in {self._location}: expected a mapping, got {type(value).__name__}")
        return value

    def __repr__(self) -> str:
        return f"ConfigFile({self._location!r})"


ConfigFileLike = Union[str, "os.PathLike[str]", ConfigFile, None]
"""A config file argument: a path, an already loaded ``ConfigFile``, or ``None`` (discover one)."""


def get_config_file(c: ConfigFileLike) -> ConfigFile | None:
    """The config file to read: ``c`` itself when given, else the first one found, in flytekit's order.

    ``None`` or ``""`` means discover.

    Discovery: the file named by ``_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE``, else by ``FLYTECTL_CONFIG`` (skipped with a
    warning when it does not exist); then ``./flytekit.config``; ``~/.flyte/config``; ``~/.flyte/config.yaml``.
    """
    if isinstance(c, ConfigFile):
        return c
    if c is not None and os.fspath(c) != "":
        return ConfigFile(c)
    from_env = os.environ.get(FLYTECTL_CONFIG_ENV_VAR_OVERRIDE) or os.environ.get(FLYTECTL_CONFIG_ENV_VAR)
    if from_env:
        if os.path.exists(from_env):
            return ConfigFile(from_env)
        log.warning("Config file %s (from the environment) does not exist, ignoring it", os.path.abspath(from_env))
    home = os.path.join(os.path.expanduser("~"), ".flyte")
    for candidate in ("flytekit.config", os.path.join(home, "config"), os.path.join(home, "config.yaml")):
        if os.path.exists(candidate):
            return ConfigFile(candidate)
    return None


def read_entries(cfg: ConfigFile | None, **entries: ConfigEntry) -> dict[str, Any]:
    """``{field: value}`` for the entries set somewhere (env or file): keyword arguments for a config class."""
    kwargs = {}
    for name, entry in entries.items():
        value = entry.read(cfg)
        if value is not None:
            kwargs[name] = value
    return kwargs


def read_file_if_exists(filename: str | None, encoding: str | None = None) -> str | None:
    """The contents of ``filename``, or ``None`` when no name is given (a missing file is an error)."""
    if not filename:
        return None
    with open(filename, encoding=encoding) as f:
        return f.read()


# --- entries -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigEntry:
    """One setting: env var ``FLYTE_<SECTION>_<OPTION>``, INI ``[section] option``, YAML key ``yaml_entry``.

    ``aliases`` are further ``(section, option)`` names read after the main one (env vars first, then the file);
    ``transform`` post-processes a parsed value and may raise ``ValueError``, reported with the value's source.
    """

    section: str
    option: str
    type_: type = str
    yaml_entry: str | None = None
    transform: Callable[[Any], Any] | None = None
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def env_name(self) -> str:
        return _env_name(self.section, self.option)

    @functools.cached_property
    def _names(self) -> tuple[tuple[str, str, str], ...]:
        """``(section, option, env var)`` for the main name, then the aliases."""
        return tuple((s, o, _env_name(s, o)) for s, o in ((self.section, self.option), *self.aliases))

    def read(self, cfg: ConfigFile | None = None) -> Any:
        """The parsed value (environment over file), or ``None`` when it is set nowhere.

        An environment variable set to the empty string counts as unset.
        """
        for _, _, name in self._names:
            raw = os.environ.get(name)
            if raw is not None and raw.strip():
                source = f"environment variable {name}"
                return self._finish(_FROM_STR[self.type_](raw, source), source)
        if cfg is None:
            return None
        if cfg.legacy_config is not None:
            for section, option, _ in self._names:
                raw = cfg.get_ini(section, option)
                if raw is not None and raw.strip():
                    source = f"[{section}] {option} in {cfg.location}"
                    return self._finish(_FROM_STR[self.type_](raw, source), source)
            return None
        if self.yaml_entry is not None:
            value = cfg.get_yaml(self.yaml_entry)
            if _present(value):
                source = f"{self.yaml_entry} in {cfg.location}"
                return self._finish(_coerce_yaml(value, self.type_, source), source)
        return None

    def _finish(self, value: Any, source: str) -> Any:
        if self.transform is None:
            return value
        try:
            return self.transform(value)
        except ValueError as e:
            raise ConfigurationError(f"{source}: {e}") from None


def _env_name(section: str, option: str) -> str:
    return f"FLYTE_{section.upper()}_{option.upper()}"
