"""Secrets: what a task requests (``Secret``) and how it reads them at run time (``SecretsManager``).

Resolution follows flytekit: the environment variable ``<prefix><GROUP>_[<VERSION>_]<KEY>`` (prefix ``_FSEC_``,
and no prefix in local runs), then the file ``<dir>/<group>/[<version>/]<prefix><key>`` (dir ``/etc/secrets``).
Values are never logged or placed in error messages.
"""

from __future__ import annotations

import os
from typing import Iterable

from aioflyte.configuration.secrets import SecretsConfig
from aioflyte.exceptions import FlyteSecretNotFoundError
from aioflyte.models.security import Secret


class SecretsManager:
    """Reads secrets; inside a task only the ones it requested (``secret_requests``)."""

    class _Group:
        def __init__(self, group: str, manager: SecretsManager) -> None:
            self._group = group
            self._manager = manager

        def __getattr__(self, key: str) -> str:
            return self._manager.get(self._group, key)

    def __init__(
        self,
        cfg: SecretsConfig | None = None,
        *,
        requested: Iterable[Secret] | None = None,
        entity: str | None = None,
        local: bool = True,
    ) -> None:
        self._cfg = cfg  # read from env/config file on first use (most tasks never read a secret)
        self._requested = list(requested) if requested is not None else None
        self._entity = entity
        self._local = local

    @property
    def _config(self) -> SecretsConfig:
        if self._cfg is None:
            self._cfg = SecretsConfig.auto()
        return self._cfg

    def __getattr__(self, group: str) -> SecretsManager._Group:
        if group.startswith("_"):
            raise AttributeError(group)
        return SecretsManager._Group(group, self)

    def _check_requested(self, group: str | None, key: str | None, group_version: str | None) -> None:
        if self._requested is None:
            return
        for s in self._requested:
            if (s.group or None) == (group or None) and (s.key or None) == (key or None):
                return
        raise FlyteSecretNotFoundError(
            f"Task {self._entity!r} did not request secret group={group!r} key={key!r}: "
            f"add secret_requests=[Secret(group={group!r}, key={key!r})] to @task"
        )

    def get_secrets_env_var(
        self, group: str | None = None, key: str | None = None, group_version: str | None = None
    ) -> str:
        return self._env_var(group, key, group_version, self._config.env_prefix)

    @staticmethod
    def _env_var(group: str | None, key: str | None, group_version: str | None, prefix: str) -> str:
        return prefix + "_".join(p.upper() for p in (group, group_version, key) if p)

    def get_secrets_file(
        self, group: str | None = None, key: str | None = None, group_version: str | None = None
    ) -> str:
        parts = [p.lower() for p in (group, group_version, key) if p]
        parts[-1] = self._config.file_prefix + parts[-1]
        return os.path.join(self._config.default_dir, *parts)

    def get(
        self, group: str | None = None, key: str | None = None, group_version: str | None = None, encode_mode: str = "r"
    ) -> str:
        """The secret's value (env var first, then file); a clear error naming where it was looked for."""
        self._check_requested(group, key, group_version)
        prefixes = [self._config.env_prefix] + ([""] if self._local else [])
        env_vars = [self._env_var(group, key, group_version, p) for p in prefixes]
        if self._requested:
            env_vars += [s.env_var for s in self._requested if s.env_var and s.group == group and s.key == key]
        for name in env_vars:
            v = os.environ.get(name)
            if v is not None:
                return v.strip()
        path = self.get_secrets_file(group, key, group_version)
        if os.path.exists(path):
            with open(path, encode_mode) as f:
                return f.read().strip()
        raise FlyteSecretNotFoundError(
            f"Secret group={group!r} key={key!r} not found"
            + (f" for task {self._entity!r}" if self._entity else "")
            + f": looked in env var(s) {', '.join(env_vars)} and file {path}"
        )


#: What a secret's value is replaced with in error messages.
REDACTED = "[redacted secret]"
#: Values shorter than this are not redacted: replacing every "ab" in a message would garble it and hide nothing.
MIN_REDACTED_LENGTH = 4


def requested_values(requested: Iterable[Secret] | None) -> list[str]:
    """The values of the secrets ``requested`` that can be read here (longest first), for :func:`redact`.

    Only called when an error message is being made: most tasks request no secrets, and those that do pay one
    environment or file look-up per secret then."""
    if not requested:
        return []
    requested = list(requested)
    manager = SecretsManager(requested=requested)
    values = set()
    for s in requested:
        try:
            value = manager.get(s.group, s.key, s.group_version)
        except (FlyteSecretNotFoundError, OSError, UnicodeDecodeError):
            continue
        if len(value) >= MIN_REDACTED_LENGTH:
            values.add(value)
    return sorted(values, key=len, reverse=True)


def redact(text: str, values: Iterable[str]) -> str:
    """``text`` with every occurrence of each value (and of its ``repr``, which escapes quotes and backslashes)
    replaced by :data:`REDACTED`, also where a message shows it cut short (``<start of the value>...``)."""
    for value in values:
        for form in {repr(value)[1:-1], value}:
            if not form:
                continue
            text = text.replace(form, REDACTED)
            for k in range(len(form) - 1, MIN_REDACTED_LENGTH - 1, -1):  # a value shown truncated
                if form[:k] + "..." in text:
                    text = text.replace(form[:k] + "...", REDACTED + "...")
    return text


def redact_exception(exc: BaseException, requested: Iterable[Secret] | None) -> None:
    """Redact the values of the secrets ``requested`` from ``exc`` in place: the string arguments its message is
    made of, its notes, and the same for the exceptions it was raised from or during. An exception whose
    ``__str__`` reads other attributes keeps what those show."""
    values = requested_values(requested)
    if not values:
        return
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        try:
            current.args = tuple(redact(a, values) if isinstance(a, str) else a for a in current.args)
        except (AttributeError, TypeError):  # an exception that refuses new arguments
            pass
        notes = getattr(current, "__notes__", None)
        if isinstance(notes, list):
            notes[:] = [redact(n, values) if isinstance(n, str) else n for n in notes]
        current = current.__cause__ or current.__context__
