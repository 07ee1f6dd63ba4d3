"""Image and ImageConfig: parsing, validation errors and config-file images, compared with flytekit 1.16.31."""

from __future__ import annotations

import os
import sys
import types

import pytest

import aioflyte
import aioflyte._version
from aioflyte.configuration import (
    DEFAULT_IMAGE_NAME,
    ConfigurationError,
    DefaultImages,
    Image,
    ImageConfig,
)


@pytest.fixture(autouse=True)
def clean_env(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("FLYTE", "_FLYTE")):
            monkeypatch.delenv(name)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")


# identifier -> (fqn, tag, digest), as flytekit parses it
PARSED = {
    "ghcr.io/a/b:v1": ("ghcr.io/a/b", "v1", None),
    "localhost:5000/b:v2": ("localhost:5000/b", "v2", None),
    "b@sha256:abc": ("b", None, "sha256:abc"),
    "b:v1@sha256:abc": ("b:v1", None, "sha256:abc"),
    "b:v1:v2": ("b:v1", "v2", None),
}
NO_TAG = ["ghcr.io/a/b", "localhost:5000/b"]


@pytest.mark.parametrize("identifier", sorted(PARSED))
def test_look_up_image_info(identifier):
    fqn, tag, digest = PARSED[identifier]
    for allow in (False, True):
        assert Image.look_up_image_info("n", identifier, allow) == Image(name="n", fqn=fqn, tag=tag, digest=digest)


@pytest.mark.parametrize("identifier", NO_TAG)
def test_missing_tag_or_digest(identifier):
    with pytest.raises(AssertionError, match="has no tag or digest"):
        Image.look_up_image_info("n", identifier)
    assert Image.look_up_image_info("n", identifier, allow_no_tag_or_digest=True) == Image("n", identifier)


@pytest.mark.parametrize("identifier", ["b:", "b@"])
def test_empty_tag_or_digest_counts_as_missing(identifier):
    # flytekit keeps tag="" / digest="" (and would serialize "b:"); aioflyte treats them as absent.
    with pytest.raises(AssertionError):
        Image.look_up_image_info("n", identifier)
    assert Image.look_up_image_info("n", identifier, True) == Image("n", "b")


def test_empty_identifier():
    with pytest.raises(AssertionError, match="names no image"):
        Image.look_up_image_info("n", "", True)


def test_image_validation_and_properties():
    with pytest.raises(ValueError, match="not both"):
        Image(name="x", fqn="y", tag="1", digest="d")
    assert Image("x", "y", tag="1").full == "y:1"
    assert Image("x", "y", digest="sha256:1").full == "y@sha256:1"
    assert Image("x", "y", digest="sha256:1").version == "sha256:1"
    assert Image("x", "y", tag="1").version == "1"
    assert Image("x", "y").version is None
    assert Image("x", "y").full == "y"  # flytekit renders "y:None"


def test_create_from():
    d, o = Image("default", "a", "1"), Image("o", "b", "2")
    ic = ImageConfig.create_from(d, [o])
    assert ic == ImageConfig(default_image=d, images=[d, o])
    assert ImageConfig.create_from(None) == ImageConfig(default_image=None, images=[])
    with pytest.raises(ValueError, match="default_image must be an Image or None, got str"):
        ImageConfig.create_from("notanimage")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="other_images must hold Image objects"):
        ImageConfig.create_from(d, ["x"])  # type: ignore[list-item]


def test_from_images():
    ic = ImageConfig.from_images("a/b:1", {"spark": "c/d:2", "x": "e/f"})
    assert ic.default_image == Image("default", "a/b", "1")
    assert ic.images == [Image("default", "a/b", "1"), Image("spark", "c/d", "2"), Image("x", "e/f")]
    assert ImageConfig.from_images(None) == ImageConfig(default_image=None, images=[])
    with pytest.raises(AssertionError):
        ImageConfig.from_images("a/b")  # the default image needs a tag


def test_find_image():
    ic = ImageConfig.from_images("a/b:1", {"spark": "c/d:2"})
    assert ic.find_image("spark") == Image("spark", "c/d", "2")
    assert ic.find_image("nope") is None
    assert ImageConfig(default_image=Image("default", "a", "1")).find_image("default") == Image("default", "a", "1")


def test_auto_with_img_name_and_no_file():
    assert ImageConfig.auto() == ImageConfig(default_image=None, images=[])
    ic = ImageConfig.auto(img_name="a/b:1")
    assert ic == ImageConfig(default_image=Image("default", "a/b", "1"), images=[Image("default", "a/b", "1")])
    with pytest.raises(AssertionError):
        ImageConfig.auto(img_name="a/b")


def test_auto_reads_yaml_images(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "images:\n  spark: ghcr.io/org/spark:v3\n  plain: ghcr.io/org/plain\n  digest: ghcr.io/org/d@sha256:abc\n"
    )
    ic = ImageConfig.auto(str(path), img_name="ghcr.io/org/app:v1")
    assert ic.default_image == Image("default", "ghcr.io/org/app", "v1")
    assert ic.images == [
        Image("default", "ghcr.io/org/app", "v1"),
        Image("spark", "ghcr.io/org/spark", "v3"),
        Image("plain", "ghcr.io/org/plain"),
        Image("digest", "ghcr.io/org/d", digest="sha256:abc"),
    ]


def test_auto_reads_ini_images(tmp_path):
    path = tmp_path / "flytekit.config"
    path.write_text("[images]\nSpark=ghcr.io/x/spark:1\n")
    # INI option names are lower-cased (configparser), as in flytekit
    assert ImageConfig.auto(str(path)).images == [Image("spark", "ghcr.io/x/spark", "1")]


def test_auto_discovers_the_config_file(tmp_path, monkeypatch):
    path = tmp_path / "c.yaml"
    path.write_text("images:\n  spark: s:1\n")
    monkeypatch.setenv("FLYTECTL_CONFIG", str(path))
    assert ImageConfig.auto().find_image("spark") == Image("spark", "s", "1")


def test_bad_images_section(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("images:\n  spark: [1, 2]\n")
    with pytest.raises(ConfigurationError, match=r"images\.spark in .*c\.yaml"):
        ImageConfig.auto(str(path))
    path.write_text("images: [a, b]\n")
    with pytest.raises(ConfigurationError, match=r"images in .*expected a mapping"):
        ImageConfig.auto(str(path))
    path.write_text("images:\n")
    assert ImageConfig.auto(str(path)).images == []


def test_default_image_is_aioflytes():
    major, minor = sys.version_info[:2]
    expected = f"ghcr.io/aioflyte/aioflyte:py{major}.{minor}-{aioflyte.__version__}"
    assert DefaultImages.default_image() == expected
    ic = ImageConfig.auto_default_image()
    assert ic.default_image is not None and ic.default_image.full == expected
    assert ic.images == [ic.default_image]
    assert DefaultImages.find_image_for((3, 12), "v1.2.3") == "ghcr.io/aioflyte/aioflyte:py3.12-1.2.3"


def test_dev_versions_use_latest(monkeypatch):
    monkeypatch.setattr(aioflyte._version, "__version__", "0.2.0.dev3")
    assert DefaultImages.find_image_for((3, 11)) == "ghcr.io/aioflyte/aioflyte:py3.11-latest"


def test_flyte_internal_image_overrides_the_default(monkeypatch):
    monkeypatch.setenv("FLYTE_INTERNAL_IMAGE", "my/img:7")
    assert ImageConfig.auto_default_image().default_image == Image("default", "my/img", "7")
    assert DefaultImages.find_image_for() == "my/img:7"


def test_validate_image():
    ic = ImageConfig.validate_image(None, "image", ("a/b:1", "spark=c/d:2"))
    assert ic.default_image == Image(DEFAULT_IMAGE_NAME, "a/b", "1")
    assert ic.images == [Image("default", "a/b", "1"), Image("spark", "c/d", "2")]
    with pytest.raises(ValueError, match="image: only one default image may be given, got a/b:1 and c/d:2"):
        ImageConfig.validate_image(None, "image", ("a/b:1", "default=c/d:2"))
    with pytest.raises(AssertionError):
        ImageConfig.validate_image(None, "image", ("spark=c/d",))
    # no default given: aioflyte's default image
    ic = ImageConfig.validate_image(None, "image", ())
    assert ic.default_image is not None and ic.default_image.fqn == DefaultImages.REPOSITORY


def test_dict_and_json_shape_match_flytekit():
    ic = ImageConfig.from_images("a/b:1", {"s": "c/d@sha256:x"})
    expected = {
        "default_image": {"name": "default", "fqn": "a/b", "tag": "1", "digest": None},
        "images": [
            {"name": "default", "fqn": "a/b", "tag": "1", "digest": None},
            {"name": "s", "fqn": "c/d", "tag": None, "digest": "sha256:x"},
        ],
    }
    assert ic.to_dict() == expected
    assert ImageConfig.from_json(ic.to_json()) == ic
    assert ImageConfig().to_dict() == {"default_image": None, "images": None}
    assert ImageConfig.from_dict(ImageConfig().to_dict()) == ImageConfig()


def test_image_spec_file_needs_the_image_spec_module(tmp_path, monkeypatch):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: mine\npackages: [pandas]\n")
    monkeypatch.setitem(sys.modules, "aioflyte.image_spec", None)
    with pytest.raises(ValueError, match=r"needs aioflyte\.image_spec"):
        Image.look_up_image_info("default", str(spec))


def test_image_spec_file_uses_its_image_name(tmp_path, monkeypatch):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: mine\npackages: [pandas]\n")
    built = []

    class FakeSpec:
        def __init__(self, **kw):
            self.kw = kw

        def image_name(self) -> str:
            return f"localhost:30000/{self.kw['name']}:abc123"

    class FakeEngine:
        @staticmethod
        def build(s):
            built.append(s.kw)

    fake = types.ModuleType("aioflyte.image_spec")
    fake.ImageSpec = FakeSpec  # type: ignore[attr-defined]
    fake.ImageBuildEngine = FakeEngine  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "aioflyte.image_spec", fake)
    monkeypatch.setattr(aioflyte, "image_spec", fake, raising=False)
    img = Image.look_up_image_info("default", str(spec))
    assert img == Image("default", "localhost:30000/mine", "abc123")
    assert built == [{"name": "mine", "packages": ["pandas"]}]
