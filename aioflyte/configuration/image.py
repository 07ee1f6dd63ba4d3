"""Container images for task serialization: ``Image`` (one reference) and ``ImageConfig`` (the named set).

Names, fields and validation follow flytekit 1.16. The default image is aioflyte's own, named for the running
Python and aioflyte's version (``ghcr.io/aioflyte/aioflyte:py3.11-0.1.0``), unless ``FLYTE_INTERNAL_IMAGE`` is set.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from aioflyte.configuration import internal as _internal
from aioflyte.configuration.file import ConfigFileLike, get_config_file

DEFAULT_IMAGE_NAME = "default"
FLYTE_INTERNAL_IMAGE_ENV_VAR = "FLYTE_INTERNAL_IMAGE"
"""Overrides the default image (Flyte sets it in task containers to the image the task runs in)."""


@dataclass(frozen=True)
class Image:
    """A named image reference: ``fqn`` (registry/repository) with a ``tag`` or a ``digest`` (not both)."""

    name: str
    fqn: str
    tag: str | None = None
    digest: str | None = None

    def __post_init__(self) -> None:
        if self.tag is not None and self.digest is not None:
            raise ValueError(
                f"Image {self.name!r}: give a tag or a digest, not both (tag={self.tag!r}, digest={self.digest!r})"
            )

    @property
    def full(self) -> str:
        """The reference to pull: ``fqn@digest``, ``fqn:tag``, or ``fqn`` when it has neither."""
        if self.digest:
            return f"{self.fqn}@{self.digest}"
        if self.tag:
            return f"{self.fqn}:{self.tag}"
        return self.fqn

    @property
    def version(self) -> str | None:
        """The digest, else the tag."""
        return self.digest or self.tag

    @staticmethod
    def look_up_image_info(name: str, image_identifier: str, allow_no_tag_or_digest: bool = False) -> Image:
        """An ``Image`` from a reference (``repo/name:tag``, ``repo/name@sha256:…``) or an ImageSpec YAML file.

        Without a tag or digest it is an ``AssertionError`` unless ``allow_no_tag_or_digest``.
        """
        if not isinstance(image_identifier, str):
            raise TypeError(f"Image {name!r}: expected an image reference string, got {type(image_identifier)!r}")
        if image_identifier and _is_file(image_identifier):
            image_identifier = _image_name_from_spec_file(image_identifier)
        fqn, tag, digest = _parse_image_identifier(image_identifier)
        if not fqn:
            raise AssertionError(f"Image {name!r}: {image_identifier!r} names no image")
        if tag is None and digest is None and not allow_no_tag_or_digest:
            raise AssertionError(f"Image {name!r}: {image_identifier!r} has no tag or digest (expected name:tag)")
        return Image(name=name, fqn=fqn, tag=tag, digest=digest)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "fqn": self.fqn, "tag": self.tag, "digest": self.digest}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Image:
        return cls(name=d["name"], fqn=d["fqn"], tag=d.get("tag"), digest=d.get("digest"))


def _is_file(identifier: str) -> bool:
    try:
        return Path(identifier).is_file()
    except (OSError, ValueError):
        return False


def _parse_image_identifier(identifier: str) -> tuple[str, str | None, str | None]:
    """``(fqn, tag, digest)``; a ``:`` followed by a path (``host:5000/repo``) is a registry port, not a tag."""
    fqn, at, digest = identifier.rpartition("@")
    if at:
        return fqn, None, digest or None
    fqn, colon, tag = identifier.rpartition(":")
    if colon and "/" not in tag:
        return fqn, tag or None, None
    return identifier, None, None


def _image_name_from_spec_file(path: str) -> str:
    """The image name of the ImageSpec in a YAML file (built first when a builder is available)."""
    try:
        import aioflyte.image_spec as image_spec
    except ImportError:
        raise ValueError(
            f"{path!r} is a file: reading an ImageSpec from it needs aioflyte.image_spec, which is not available"
        ) from None
    import yaml

    with open(path, encoding="utf-8") as f:
        spec = image_spec.ImageSpec(**(yaml.safe_load(f) or {}))
    engine = getattr(image_spec, "ImageBuildEngine", None)
    if engine is not None:
        engine.build(spec)
    return spec.image_name()


class DefaultImages:
    """aioflyte's default task image: ``ghcr.io/aioflyte/aioflyte:py<major>.<minor>-<aioflyte version>``."""

    REPOSITORY = "ghcr.io/aioflyte/aioflyte"

    @classmethod
    def default_image(cls) -> str:
        return cls.find_image_for()

    @classmethod
    def find_image_for(cls, python_version: tuple[int, int] | None = None, aioflyte_version: str | None = None) -> str:
        """``FLYTE_INTERNAL_IMAGE`` when set, else the image for that Python and aioflyte version."""
        from_env = os.environ.get(FLYTE_INTERNAL_IMAGE_ENV_VAR)
        if from_env:
            return from_env
        major, minor = python_version or sys.version_info[:2]
        version = aioflyte_version.removeprefix("v") if aioflyte_version else cls.get_version_suffix()
        return f"{cls.REPOSITORY}:py{major}.{minor}-{version}"

    @classmethod
    def get_version_suffix(cls) -> str:
        """aioflyte's version, or ``latest`` for development versions."""
        from aioflyte._version import __version__

        return "latest" if not __version__ or "dev" in __version__ else __version__


@dataclass(frozen=True)
class ImageConfig:
    """The images available at registration: a default image and further named ones (names are unique)."""

    default_image: Image | None = None
    images: list[Image] | None = None

    def find_image(self, name: str) -> Image | None:
        """The image called ``name`` (the default image first), or ``None``."""
        candidates = ([self.default_image] if self.default_image else []) + list(self.images or [])
        return next((i for i in candidates if i.name == name), None)

    @staticmethod
    def validate_image(_: Any, param: str, values: Iterable[str]) -> ImageConfig:
        """A click callback for ``--image``: ``ref`` or ``default=ref`` is the default (at most one), ``name=ref``
        another image; all need a tag or digest. Without a default, aioflyte's default image is used."""
        default: Image | None = None
        others: list[Image] = []
        for value in values:
            name, eq, ref = value.partition("=")
            img = Image.look_up_image_info(name, ref) if eq else Image.look_up_image_info(DEFAULT_IMAGE_NAME, value)
            if img.name != DEFAULT_IMAGE_NAME:
                others.append(img)
            elif default is not None:
                raise ValueError(f"{param}: only one default image may be given, got {default.full} and {img.full}")
            else:
                default = img
        if default is None:
            default = Image.look_up_image_info(DEFAULT_IMAGE_NAME, DefaultImages.default_image())
        return ImageConfig.create_from(default_image=default, other_images=others)

    @classmethod
    def create_from(cls, default_image: Image | None, other_images: list[Image] | None = None) -> ImageConfig:
        """An ``ImageConfig`` whose ``images`` list holds the default image first, then the others."""
        if default_image is not None and not isinstance(default_image, Image):
            raise ValueError(f"default_image must be an Image or None, got {type(default_image).__name__}")
        for other in other_images or []:
            if not isinstance(other, Image):
                raise ValueError(f"other_images must hold Image objects, got {type(other).__name__}")
        images = ([default_image] if default_image else []) + list(other_images or [])
        return cls(default_image=default_image, images=images)

    @classmethod
    def auto(cls, config_file: ConfigFileLike = None, img_name: str | None = None) -> ImageConfig:
        """The default image from ``img_name`` (which needs a tag or digest) and the config file's ``images``.

        aioflyte's own default image is not used here; see ``auto_default_image``.
        """
        default = Image.look_up_image_info(DEFAULT_IMAGE_NAME, img_name) if img_name else None
        cfg = get_config_file(config_file)
        others = [
            Image.look_up_image_info(name, ref, allow_no_tag_or_digest=True)
            for name, ref in _internal.Images.get_specified_images(cfg).items()
        ]
        return cls.create_from(default, others)

    @classmethod
    def from_images(cls, default_image: str | None, m: Mapping[str, str] | None = None) -> ImageConfig:
        """``ImageConfig.from_images("ghcr.io/org/app:v1", {"spark": "ghcr.io/org/spark:v3"})``."""
        default = Image.look_up_image_info(DEFAULT_IMAGE_NAME, default_image) if default_image else None
        others = [Image.look_up_image_info(k, v, allow_no_tag_or_digest=True) for k, v in (m or {}).items()]
        return cls.create_from(default, others)

    @classmethod
    def auto_default_image(cls) -> ImageConfig:
        """``auto`` with aioflyte's default image (or ``FLYTE_INTERNAL_IMAGE``) as the default."""
        return cls.auto(img_name=DefaultImages.default_image())

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape flytekit uses (``default_image``, ``images``), for serialized contexts."""
        return {
            "default_image": self.default_image.to_dict() if self.default_image else None,
            "images": [i.to_dict() for i in self.images] if self.images is not None else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ImageConfig:
        default = d.get("default_image")
        images = d.get("images")
        return cls(
            default_image=Image.from_dict(default) if default else None,
            images=[Image.from_dict(i) for i in images] if images is not None else None,
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, s: str) -> ImageConfig:
        return cls.from_dict(json.loads(s))
