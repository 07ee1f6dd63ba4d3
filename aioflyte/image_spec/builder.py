"""Image builder plugins: ``ImageSpecBuilder`` (builds one spec) and ``ImageBuildEngine`` (the registry of them).

aioflyte ships no builder: building needs a container engine (Docker, BuildKit, ...), which is a deployment
choice. A plugin registers itself with ``ImageBuildEngine.register("name", builder, priority)``; without one,
``ImageBuildEngine.build`` fails with ``NoImageBuilderError`` saying so.
"""

from __future__ import annotations

import abc
import dataclasses
import threading
from typing import ClassVar

import structlog

from aioflyte.exceptions import NoImageBuilderError as NoImageBuilderError
from aioflyte.image_spec.image_spec import ImageSpec, in_task_execution

_log = structlog.get_logger(__name__)


class ImageSpecBuilder(abc.ABC):
    """Builds the image of an ``ImageSpec`` and pushes it to the spec's registry."""

    @abc.abstractmethod
    def build_image(self, image_spec: ImageSpec) -> str | None:
        """Build and push the image; return its fully qualified name, or ``None`` for ``image_spec.image_name()``."""

    def should_build(self, image_spec: ImageSpec) -> bool:
        """Build when the image is missing or the spec is force-pushed. When existence cannot be checked the image
        is assumed to exist, unless ``FLYTE_IMG_FAST_FAIL`` is set, which makes that an error."""
        name = image_spec.image_name()
        exists = image_spec.exist()
        if exists is False:
            _log.info("image not found, building", image=name)
            return True
        if exists is True:
            if getattr(image_spec, "_is_force_push", False):
                _log.info("image exists, force-pushing", image=name)
                return True
            _log.info("image exists, not building", image=name)
            return False
        if getattr(image_spec, "_fast_fail", False):
            raise RuntimeError(
                f"Could not check whether image {name} exists (no engine, no network or no permission), and "
                "FLYTE_IMG_FAST_FAIL is set: not assuming it exists"
            )
        _log.info("could not check whether the image exists, assuming it does", image=name)
        return False


class ImageBuildEngine:
    """The registered builders, by name, each with a priority; ``build`` uses the spec's ``builder`` or, when it
    names none, the registered builder with the highest priority."""

    _REGISTRY: ClassVar[dict[str, tuple[ImageSpecBuilder, int]]] = {}
    _IMAGE_NAME_TO_REAL_NAME: ClassVar[dict[str, str]] = {}
    """``image_name()`` → the name a builder reported, so ``image_name()`` returns what was actually pushed."""
    _BUILT: ClassVar[dict[tuple[str, str, bool], str]] = {}
    _LOCK: ClassVar[threading.RLock] = threading.RLock()

    @classmethod
    def register(cls, builder_type: str, image_spec_builder: ImageSpecBuilder, priority: int = 5) -> None:
        """Make ``image_spec_builder`` available as ``builder_type`` (replacing one registered under that name)."""
        if not isinstance(builder_type, str) or not builder_type:
            raise TypeError(f"ImageBuildEngine.register: builder_type must be a non-empty str, got {builder_type!r}")
        if not isinstance(image_spec_builder, ImageSpecBuilder):
            raise TypeError(
                "ImageBuildEngine.register: image_spec_builder must be an ImageSpecBuilder, got "
                f"{type(image_spec_builder).__name__}"
            )
        cls._REGISTRY[builder_type] = (image_spec_builder, priority)

    @classmethod
    def unregister(cls, builder_type: str) -> None:
        """Remove a builder (a no-op when none has that name)."""
        cls._REGISTRY.pop(builder_type, None)

    @classmethod
    def get_registry(cls) -> dict[str, tuple[ImageSpecBuilder, int]]:
        return cls._REGISTRY

    @classmethod
    def build(cls, image_spec: ImageSpec) -> str:
        """Build ``image_spec`` (its ``ImageSpec`` base image first) unless its image exists; return its name.

        Inside a task container nothing is built. Each spec is built at most once per process.
        """
        if not isinstance(image_spec, ImageSpec):
            raise TypeError(f"ImageBuildEngine.build: expected an ImageSpec, got {type(image_spec).__name__}")
        if in_task_execution():
            return image_spec.image_name()
        builder_name, builder = cls._get_builder(image_spec)
        name = image_spec.image_name()
        key = (name, builder_name, bool(getattr(image_spec, "_is_force_push", False)))
        with cls._LOCK:
            if key in cls._BUILT:
                return cls._BUILT[key]
            base_image = image_spec.base_image
            if isinstance(base_image, ImageSpec):
                base_image = cls.build(base_image)
            spec = dataclasses.replace(image_spec, builder=builder_name, base_image=base_image)
            object.__setattr__(spec, "_is_force_push", getattr(image_spec, "_is_force_push", False))
            spec.__dict__["id"] = image_spec.id  # the id an image built from it carries (is_container compares it)
            if builder.should_build(spec):
                real = builder.build_image(spec)
                if real is not None:
                    cls._IMAGE_NAME_TO_REAL_NAME[name] = real
                    name = real
            cls._BUILT[key] = name
            return name

    @classmethod
    async def abuild(cls, image_spec: ImageSpec) -> str:
        """``build`` on a worker thread, so building does not block the event loop."""
        import anyio.to_thread

        return await anyio.to_thread.run_sync(cls.build, image_spec)

    @classmethod
    def _get_builder(cls, image_spec: ImageSpec) -> tuple[str, ImageSpecBuilder]:
        name = image_spec.builder
        if name is None:
            if not cls._REGISTRY:
                raise NoImageBuilderError(
                    f"No image builder is available to build ImageSpec {image_spec.image_name()!r}: none is "
                    "registered. aioflyte ships no builder, since building needs a container engine (such as "
                    "Docker) that is not part of aioflyte. Register one with "
                    "aioflyte.image_spec.ImageBuildEngine.register('<name>', <ImageSpecBuilder instance>, "
                    "priority=5) (e.g. from a plugin), or give the task a prebuilt image name instead of an ImageSpec."
                )
            name = max(cls._REGISTRY, key=lambda n: cls._REGISTRY[n][1])
        if name not in cls._REGISTRY:
            known = ", ".join(sorted(cls._REGISTRY)) or "none"
            raise NoImageBuilderError(
                f"ImageSpec {image_spec.image_name()!r} asks for image builder {name!r}, which is not registered "
                f"(registered: {known}). Register it with aioflyte.image_spec.ImageBuildEngine.register({name!r}, "
                "<ImageSpecBuilder instance>)."
            )
        return name, cls._REGISTRY[name][0]
