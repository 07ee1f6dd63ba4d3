"""Container images described by their contents: ``ImageSpec``, and the builder plugin interface."""

from aioflyte.exceptions import NoImageBuilderError
from aioflyte.image_spec._files import CopyFileDetection
from aioflyte.image_spec.builder import ImageBuildEngine, ImageSpecBuilder
from aioflyte.image_spec.image_spec import FLYTE_FORCE_PUSH_IMAGE_SPEC, FLYTE_IMG_FAST_FAIL, ImageSpec

__all__ = [
    "FLYTE_FORCE_PUSH_IMAGE_SPEC",
    "FLYTE_IMG_FAST_FAIL",
    "CopyFileDetection",
    "ImageBuildEngine",
    "ImageSpec",
    "ImageSpecBuilder",
    "NoImageBuilderError",
]
