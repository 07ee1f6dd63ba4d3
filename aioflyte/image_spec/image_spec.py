"""``ImageSpec``: a container image described by its contents, named by a hash of them.

``image_name()`` is ``[registry/]name:tag`` where the tag is a content hash of the spec (with the requirements file,
the copied files and the source files folded in), computed as flytekit 1.16 computes it, so the same spec names
the same image in aioflyte and flytekit. Building is left to builder plugins (see ``aioflyte.image_spec.builder``).
"""

from __future__ import annotations

import base64
import copy as _copy
import dataclasses
import hashlib
import os
import platform as _platform
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any, Union

from aioflyte.image_spec._files import CopyFileDetection, copy_digest, source_digest

_F_IMG_ID = "_F_IMG_ID"
"""Set in images built from a spec (to the spec's ``id``), so ``is_container()`` can tell which spec it runs in."""
FLYTE_FORCE_PUSH_IMAGE_SPEC = "FLYTE_FORCE_PUSH_IMAGE_SPEC"
"""When true, every spec is built and pushed even if its image exists."""
FLYTE_IMG_FAST_FAIL = "FLYTE_IMG_FAST_FAIL"
"""When true, a failed existence check fails the build instead of assuming the image exists."""

_TRUE = ("1", "true", "t", "yes", "y", "on")
_NOT_HASHED = ("pip_secret_mounts", "builder", "runtime_packages")
_LIST_OF_STR = (
    "packages",
    "conda_channels",
    "conda_packages",
    "apt_packages",
    "pip_extra_index_url",
    "entrypoint",
    "commands",
    "runtime_packages",
)
_REGISTRY = re.compile(r"^(localhost:\d{1,5}|[a-z\d._-]+(:\d{1,5})?)(/[\w.-]+)*$")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def in_task_execution() -> bool:
    """True inside a task container run by a Flyte backend (it sets the execution id in the environment)."""
    return bool(os.environ.get("FLYTE_INTERNAL_EXECUTION_ID") or os.environ.get("_F_NM"))


def _bad(field: str, expected: str, value: Any) -> ValueError:
    return ValueError(f"ImageSpec.{field}: expected {expected}, got {type(value).__name__} ({value!r})")


@dataclass(frozen=True)
class ImageSpec:
    """The image a task runs in, described by what goes into it (packages, files, base image, ...).

    Treat a spec as immutable: the ``with_*`` methods return new specs, and ``id``/``tag`` are computed once.
    """

    name: str = "flytekit"
    python_version: str | None = None
    builder: str | None = None
    source_root: str | None = None
    env: dict[str, str] | None = None
    registry: str | None = None
    packages: list[str] | None = None
    conda_packages: list[str] | None = None
    conda_channels: list[str] | None = None
    requirements: str | None = None
    apt_packages: list[str] | None = None
    cuda: str | None = None
    cudnn: str | None = None
    base_image: Union[str, ImageSpec] | None = None
    platform: str | None = None
    pip_index: str | None = None
    pip_extra_index_url: list[str] | None = None
    pip_secret_mounts: list[tuple[str, str]] | None = None
    pip_extra_args: str | None = None
    registry_config: str | None = None
    entrypoint: list[str] | None = None
    commands: list[str] | None = None
    tag_format: str | None = None
    source_copy_mode: CopyFileDetection | None = None
    copy: list[str] | None = None
    python_exec: str | None = None
    runtime_packages: list[str] | None = None
    builder_options: dict[str, Any] | None = None
    builder_config: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        def put(field: str, value: Any) -> None:
            object.__setattr__(self, field, value)

        if not isinstance(self.name, str) or not self.name:
            raise _bad("name", "a non-empty str", self.name)
        put("name", self.name.lower())
        if self.registry is not None:
            if not isinstance(self.registry, str) or not _REGISTRY.match(self.registry.lower()):
                raise ValueError(
                    f"ImageSpec.registry: {self.registry!r} is not a container registry name; expected e.g. "
                    "'localhost:30000', 'ghcr.io/username' or 'docker.io/username'"
                )
            put("registry", self.registry.lower())
        if self.platform is None:
            arm = _platform.machine().lower() in ("arm64", "aarch64")
            put("platform", "linux/arm64" if arm and (self.registry or "").startswith("localhost:") else "linux/amd64")
        if isinstance(self.base_image, Mapping):
            put("base_image", ImageSpec(**self.base_image))
        elif self.base_image is not None and not isinstance(self.base_image, (str, ImageSpec)):
            raise _bad("base_image", "an image name (str), an ImageSpec or None", self.base_image)
        put("source_copy_mode", CopyFileDetection.coerce(self.source_copy_mode))
        if self.source_root is not None and self.source_copy_mode is None:
            # a source root alone means "copy the loaded modules", as it always has in flytekit
            put("source_copy_mode", CopyFileDetection.LOADED_MODULES)
        if isinstance(self.copy, str):
            put("copy", [self.copy])
        for field in (*_LIST_OF_STR, "copy"):
            value = getattr(self, field)
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise _bad(field, "a list of str or None", value)
        if self.env is not None and not (
            isinstance(self.env, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in self.env.items())
        ):
            raise _bad("env", "a dict[str, str] or None", self.env)
        mounts = self.pip_secret_mounts
        if mounts is not None and not (
            isinstance(mounts, list)
            and all(isinstance(m, tuple) and len(m) == 2 and all(isinstance(s, str) for s in m) for m in mounts)
        ):
            raise _bad("pip_secret_mounts", "a list of (str, str) tuples or None", mounts)
        for field in ("builder_options", "builder_config"):
            value = getattr(self, field)
            if value is not None and not isinstance(value, dict):
                raise _bad(field, "a dict or None", value)
        object.__setattr__(self, "_is_force_push", _env_flag(FLYTE_FORCE_PUSH_IMAGE_SPEC))
        object.__setattr__(self, "_fast_fail", _env_flag(FLYTE_IMG_FAST_FAIL))

    def __hash__(self) -> int:
        return hash(self.id)

    # --- naming ------------------------------------------------------------------------------------------------

    @cached_property
    def id(self) -> str:
        """A hash of the spec's fields (not of file contents): how image configs and ``is_container()`` find it."""
        return _digest(_fields(self))

    @cached_property
    def tag(self) -> str:
        """The image tag: the hash of the spec with the base image's name and digests of the requirements file,
        the copied files and the source files in place of their paths, formatted by ``tag_format``."""
        fields = _fields(self)
        if isinstance(self.base_image, ImageSpec):
            fields["base_image"] = self.base_image.image_name()
        mode = self.source_copy_mode
        if mode is not None and mode is not CopyFileDetection.NO_COPY:
            if not self.source_root:
                raise ValueError(f"ImageSpec {self.name!r}: source_copy_mode {mode.name} needs source_root to be set")
            fields["source_root"] = source_digest(str(self.source_root), mode)
        if self.copy:
            fields["copy"] = copy_digest(self.copy)
        if self.requirements:
            fields["requirements"] = hashlib.sha1(Path(self.requirements).read_bytes().strip()).hexdigest()
        fields.pop("registry_config", None)  # where the credentials live does not change the image
        tag = _digest(fields).replace("-", "_")
        return self.tag_format.format(spec_hash=tag) if self.tag_format else tag

    def image_name(self) -> str:
        """``[registry/]name:tag``, or the name the builder reported when it built this spec."""
        from aioflyte.image_spec.builder import ImageBuildEngine

        name = f"{self.name}:{self.tag}"
        if self.registry:
            name = f"{self.registry}/{name}"
        return ImageBuildEngine._IMAGE_NAME_TO_REAL_NAME.get(name, name)

    def is_container(self) -> bool:
        """Whether the code runs in the image built from this spec: always true outside a task container; inside
        one, true when the image was built from this spec (its ``_F_IMG_ID`` is this spec's ``id``)."""
        if not in_task_execution():
            return True
        return os.environ.get(_F_IMG_ID) == self.id

    def exist(self) -> bool | None:
        """Whether the image is in its registry (or the local Docker engine): ``True``, ``False``, or ``None`` when
        that cannot be found out (no engine, no network, no permission)."""
        from aioflyte.image_spec._registry import image_exists

        return image_exists(self)

    # --- builders ----------------------------------------------------------------------------------------------

    def _extended(self, field: str, values: str | list[str] | dict[str, Any]) -> ImageSpec:
        current = _copy.deepcopy(getattr(self, field))
        if isinstance(values, dict):
            if current is not None and not isinstance(current, dict):
                raise TypeError(f"ImageSpec.{field}: cannot update a {type(current).__name__} with a dict")
            current = {**(current or {}), **values}
        elif isinstance(values, (str, list)):
            if current is not None and not isinstance(current, list):
                raise TypeError(f"ImageSpec.{field}: cannot extend a {type(current).__name__} with a list")
            current = [*(current or []), *([values] if isinstance(values, str) else values)]
        else:
            raise _bad(field, "a str, a list of str or a dict", values)
        return dataclasses.replace(self, **{field: current})

    def with_commands(self, commands: str | list[str]) -> ImageSpec:
        """A new spec that also runs ``commands`` while building."""
        return self._extended("commands", commands)

    def with_packages(self, packages: str | list[str]) -> ImageSpec:
        """A new spec that also installs the Python ``packages``."""
        return self._extended("packages", packages)

    def with_apt_packages(self, apt_packages: str | list[str]) -> ImageSpec:
        """A new spec that also installs the apt ``apt_packages``."""
        return self._extended("apt_packages", apt_packages)

    def with_copy(self, src: str | list[str]) -> ImageSpec:
        """A new spec that also copies the files or directories ``src`` into the image."""
        return self._extended("copy", src)

    def with_runtime_packages(self, runtime_packages: list[str]) -> ImageSpec:
        """A new spec whose tasks install ``runtime_packages`` when they start."""
        return self._extended("runtime_packages", runtime_packages)

    def with_builder_options(self, builder_options: dict[str, Any]) -> ImageSpec:
        """A new spec with further builder-specific options."""
        return self._extended("builder_options", builder_options)

    def force_push(self) -> ImageSpec:
        """A new spec that is built and pushed even when its image already exists."""
        new = _copy.deepcopy(self)
        object.__setattr__(new, "_is_force_push", True)
        return new

    @classmethod
    def from_env(cls, *, pinned_packages: list[str] | None = None, **kwargs: Any) -> ImageSpec:
        """A spec for this interpreter's Python version, with ``pinned_packages`` pinned to their installed
        versions (added to ``packages``)."""
        if kwargs.get("python_version") is not None:
            raise ValueError("ImageSpec.from_env: python_version is taken from the running interpreter; do not pass it")
        kwargs.pop("python_version", None)
        packages = list(kwargs.pop("packages", None) or [])
        packages += [f"{p}=={metadata.version(p)}" for p in pinned_packages or []]
        return cls(packages=packages, python_version=f"{sys.version_info.major}.{sys.version_info.minor}", **kwargs)


def _plain(value: Any) -> Any:
    """A value as the hash sees it: dataclasses as dicts of their set fields, containers copied."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return _copy.deepcopy(value)


def _fields(obj: Any) -> dict[str, Any]:
    """The fields that are set, in declaration order, without those that do not change the image."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is not None and f.name not in _NOT_HASHED:
            out[f.name] = _plain(value)
    return out


def _digest(fields: dict[str, Any]) -> str:
    """URL-safe base64 (unpadded) of the MD5 of the fields' ``repr`` — the hash flytekit names images by."""
    raw = hashlib.md5(str(fields).encode("utf-8")).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
