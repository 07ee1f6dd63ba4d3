"""``SerializationSettings`` and its parts: what registration needs to know (project, domain, version, images,
extra environment), with flytekit's field names and JSON form.

The JSON form matters: dynamic and eager tasks carry the settings in their container's ``_F_SS_C`` environment
variable (gzip + base64 of the JSON, as flytekit writes it), so the entrypoint can serialize the workflows they
build at run time with the same project, domain, version and images.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import io
import json
import os
from dataclasses import dataclass
from typing import Any

from aioflyte.configuration.image import ImageConfig

#: The environment variable carrying the serialized settings into dynamic and eager task containers.
SERIALIZED_CONTEXT_ENV_VAR = "_F_SS_C"
DEFAULT_RUNTIME_PYTHON_INTERPRETER = "/opt/venv/bin/python3"
#: Where the container entrypoint is, relative to the virtual environment (aioflyte's: ``aioflyte-execute``).
DEFAULT_FLYTEKIT_ENTRYPOINT_FILELOC = "bin/aioflyte-execute"
#: Where fast registration unpacks the code in a container, by default.
DEFAULT_IN_CONTAINER_SRC_PATH = "/root"
#: Templates Flyte fills in at registration with the entity's project, domain and version.
PROJECT_PLACEHOLDER = "{{ registration.project }}"
DOMAIN_PLACEHOLDER = "{{ registration.domain }}"
VERSION_PLACEHOLDER = "{{ registration.version }}"


@dataclass
class EntrypointSettings:
    """Where the container entrypoint program is (``path``), for plugins that start it themselves."""

    path: str | None = None


@dataclass
class FastSerializationSettings:
    """Fast registration: the code ships as an archive (``distribution_location``) unpacked into ``destination_dir``."""

    enabled: bool = False
    destination_dir: str | None = None
    distribution_location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SerializationSettings:
    """Settings for turning entities into flyteidl messages (flytekit's ``SerializationSettings``)."""

    image_config: ImageConfig
    project: str | None = None
    domain: str | None = None
    version: str | None = None
    env: dict[str, str] | None = None
    default_resources: Any = None
    git_repo: str | None = None
    python_interpreter: str = DEFAULT_RUNTIME_PYTHON_INTERPRETER
    flytekit_virtualenv_root: str | None = None
    fast_serialization_settings: FastSerializationSettings | None = None
    source_root: str | None = None

    def __post_init__(self) -> None:
        if self.flytekit_virtualenv_root is None:
            self.flytekit_virtualenv_root = self.venv_root_from_interpreter(self.python_interpreter)

    @staticmethod
    def venv_root_from_interpreter(interpreter_path: str) -> str:
        """``/opt/venv/bin/python3`` -> ``/opt/venv``."""
        return os.path.dirname(os.path.dirname(interpreter_path))

    @classmethod
    def for_image(
        cls,
        image: str,
        version: str,
        project: str = "",
        domain: str = "",
        python_interpreter_path: str = DEFAULT_RUNTIME_PYTHON_INTERPRETER,
    ) -> SerializationSettings:
        """Settings whose default image is ``image`` (``fqn:tag``)."""
        return cls(
            image_config=ImageConfig.from_images(image),
            project=project,
            domain=domain,
            version=version,
            python_interpreter=python_interpreter_path,
        )

    @property
    def entrypoint_settings(self) -> EntrypointSettings:
        """Where the entrypoint is in the virtual environment of ``python_interpreter``."""
        return self.default_entrypoint_settings(self.python_interpreter)

    @staticmethod
    def default_entrypoint_settings(interpreter_path: str) -> EntrypointSettings:
        root = SerializationSettings.venv_root_from_interpreter(interpreter_path)
        return EntrypointSettings(path=os.path.join(root, DEFAULT_FLYTEKIT_ENTRYPOINT_FILELOC))

    def new_builder(self) -> SerializationSettings.Builder:
        """A ``Builder`` holding these settings, to change some and ``build()`` new ones (flytekit's way)."""
        return SerializationSettings.Builder(
            project=self.project,
            domain=self.domain,
            version=self.version,
            image_config=self.image_config,
            env=dict(self.env) if self.env is not None else None,
            default_resources=self.default_resources,
            git_repo=self.git_repo,
            flytekit_virtualenv_root=self.flytekit_virtualenv_root,
            python_interpreter=self.python_interpreter,
            fast_serialization_settings=self.fast_serialization_settings,
            source_root=self.source_root,
        )

    @dataclass
    class Builder:
        """Mutable settings; ``build()`` makes a ``SerializationSettings`` of them."""

        project: str | None
        domain: str | None
        version: str | None
        image_config: ImageConfig
        env: dict[str, str] | None = None
        default_resources: Any = None
        git_repo: str | None = None
        flytekit_virtualenv_root: str | None = None
        python_interpreter: str | None = None
        fast_serialization_settings: FastSerializationSettings | None = None
        source_root: str | None = None

        def with_fast_serialization_settings(
            self, fss: FastSerializationSettings | None
        ) -> SerializationSettings.Builder:
            self.fast_serialization_settings = fss
            return self

        def build(self) -> SerializationSettings:
            return SerializationSettings(
                image_config=self.image_config,
                project=self.project,
                domain=self.domain,
                version=self.version,
                env=self.env,
                default_resources=self.default_resources,
                git_repo=self.git_repo,
                python_interpreter=self.python_interpreter or DEFAULT_RUNTIME_PYTHON_INTERPRETER,
                flytekit_virtualenv_root=self.flytekit_virtualenv_root,
                fast_serialization_settings=self.fast_serialization_settings,
                source_root=self.source_root,
            )

    def should_fast_serialize(self) -> bool:
        return self.fast_serialization_settings is not None and self.fast_serialization_settings.enabled

    def replace(self, **kwargs: Any) -> SerializationSettings:
        """A copy with some fields replaced."""
        return dataclasses.replace(self, **kwargs)

    # --- transport (the ``_F_SS_C`` environment variable) ------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form, with flytekit's keys in flytekit's order."""
        return {
            "image_config": self.image_config.to_dict(),
            "project": self.project,
            "domain": self.domain,
            "version": self.version,
            "env": self.env,
            "default_resources": _resources_dict(self.default_resources),
            "git_repo": self.git_repo,
            "python_interpreter": self.python_interpreter,
            "flytekit_virtualenv_root": self.flytekit_virtualenv_root,
            "fast_serialization_settings": (
                self.fast_serialization_settings.to_dict() if self.fast_serialization_settings else None
            ),
            "source_root": self.source_root,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SerializationSettings:
        fss = d.get("fast_serialization_settings")
        return cls(
            image_config=ImageConfig.from_dict(d.get("image_config") or {}),
            project=d.get("project"),
            domain=d.get("domain"),
            version=d.get("version"),
            env=d.get("env"),
            git_repo=d.get("git_repo"),
            python_interpreter=d.get("python_interpreter") or DEFAULT_RUNTIME_PYTHON_INTERPRETER,
            flytekit_virtualenv_root=d.get("flytekit_virtualenv_root"),
            fast_serialization_settings=FastSerializationSettings(**fss) if fss else None,
            source_root=d.get("source_root"),
        )

    @classmethod
    def from_json(cls, s: str) -> SerializationSettings:
        return cls.from_dict(json.loads(s))

    @property
    def serialized_context(self) -> str:
        """The settings as gzip-compressed (mtime 0), base64-encoded JSON, as flytekit transports them."""
        if self.env and SERIALIZED_CONTEXT_ENV_VAR in self.env:
            return self.env[SERIALIZED_CONTEXT_ENV_VAR]
        buf = io.BytesIO()
        with gzip.GzipFile(mode="wb", fileobj=buf, mtime=0) as f:
            f.write(self.to_json().encode("utf-8"))
        return base64.b64encode(buf.getvalue()).decode("utf-8")

    @classmethod
    def from_transport(cls, s: str) -> SerializationSettings:
        """Read what ``serialized_context`` wrote (e.g. from ``os.environ["_F_SS_C"]`` in a task container)."""
        return cls.from_json(gzip.decompress(base64.b64decode(s.encode("utf-8"))).decode("utf-8"))

    def with_serialized_context(self) -> SerializationSettings:
        """A copy whose ``env`` carries ``_F_SS_C`` (for dynamic and eager tasks)."""
        if self.env and SERIALIZED_CONTEXT_ENV_VAR in self.env:
            return self
        env = dict(self.env or {})
        env[SERIALIZED_CONTEXT_ENV_VAR] = self.serialized_context
        return self.replace(env=env)


def _resources_dict(spec: Any) -> dict[str, Any] | None:
    if spec is None:
        return None

    def one(r: Any) -> dict[str, Any]:
        return {k: getattr(r, k, None) for k in ("cpu", "mem", "gpu", "ephemeral_storage")}

    return {"requests": one(spec.requests), "limits": one(spec.limits)}


__all__ = [
    "DEFAULT_FLYTEKIT_ENTRYPOINT_FILELOC",
    "DEFAULT_IN_CONTAINER_SRC_PATH",
    "DEFAULT_RUNTIME_PYTHON_INTERPRETER",
    "DOMAIN_PLACEHOLDER",
    "PROJECT_PLACEHOLDER",
    "SERIALIZED_CONTEXT_ENV_VAR",
    "VERSION_PLACEHOLDER",
    "EntrypointSettings",
    "FastSerializationSettings",
    "SerializationSettings",
]
