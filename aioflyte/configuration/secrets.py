"""``SecretsConfig``: where secrets are looked for (env var prefix, directory, file prefix)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SecretsConfig:
    env_prefix: str = "_FSEC_"
    default_dir: str = os.path.join(os.sep, "etc", "secrets")
    file_prefix: str = ""

    @classmethod
    def auto(cls, config_file: Any = None) -> SecretsConfig:
        """``FLYTE_SECRETS_*`` env vars over the config file's ``[secrets]`` over defaults."""
        from aioflyte.configuration.config import secrets_config_auto

        return secrets_config_auto(config_file)
