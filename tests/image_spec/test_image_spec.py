"""ImageSpec: fields, content-hash names (equal to flytekit 1.16's), builders, existence checks, builder plugins."""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from aioflyte.image_spec import (
    CopyFileDetection,
    ImageBuildEngine,
    ImageSpec,
    ImageSpecBuilder,
    NoImageBuilderError,
    _registry,
)

# image_name() values flytekit 1.16 gives for the same specs (computed with flytekit in a scratch virtualenv over
# the same fixture files; these names do not depend on where the files live).
FLYTEKIT_NAMES = {
    "default": "flytekit:fv8aVGdGU6GT1t5W98ZQPA",
    "name_packages": "x:wCFCigjTu0uUdmlG5EwIoQ",
    "upper": "ghcr.io/org/my-image:d5AYUjiueZKc0x02SQAKMA",
    "full": "localhost:30000/full:GtgV2ZqGZuIUtUmL_YABzw",
    "excluded": "ex:pXXVJBxBK4UNm_8XE0mNsg",
    "tag_format": "tf:js646_Jdkz8c9heiTOxJSg-dev",
    "requirements": "req:YoptDYX6RNDwxcWN1TfcNg",
    "copy": "cp:jPZKGL4YM3zeAyNqThlHgA",
    "source_all": "sa:0H1vRDEb_qAlQoDlIQ7AkQ",
    "source_git_all": "sg:mhgCy4zbcgsB_AuYhYQNrw",
    "source_loaded": "sl:Yyze_utSvmw3izDQcAiQ4w",
    "base_spec": "child:NR0PBojYoFt5kLl8ptptCA",
    "builders": "b:_SntSwvS_26kUpEMSC08eQ",
}
# ids (field hashes, used by image configs and is_container) of the path-free specs
FLYTEKIT_IDS = {
    "default": "fv8aVGdGU6GT1t5W98ZQPA",
    "upper": "d5AYUjiueZKc0x02SQAKMA",
    "full": "GtgV2ZqGZuIUtUmL_YABzw",
    "excluded": "kPK9BWY3PhPfd4K2VAwxbg",
    "base_spec": "4iELWO4obpfVVb7K1EMemg",
}


def _write(root: Path, rel: str, data: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(data)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    root = tmp_path / "fx"
    _write(root, "requirements.txt", "pandas==2.2.2\nnumpy\n\n")
    _write(root, "data/a.txt", "alpha\n")
    _write(root, "data/sub/b.txt", "beta\n")
    _write(root, "single.cfg", "x=1\n")
    _write(root, "src/app/__init__.py", "")
    _write(root, "src/app/mod.py", "X = 1\n")
    _write(root, "src/app/util.py", "Y = 2\n")
    _write(root, "src/notes.md", "# notes\n")
    _write(root, "src/app/__pycache__/mod.cpython-311.pyc", "junk")
    _write(root, "src/.cache/c", "cache")
    _write(root, "src/build/out.bin", "bin")
    _write(root, "src/logs/x.log", "log")
    _write(root, "src/keep.log", "keep")
    _write(root, "src/.dockerignore", "# comment\nbuild\n*.log\n!keep.log\n")
    _write(root, "git/.gitignore", "ignored.txt\n")
    _write(root, "git/ignored.txt", "no")
    _write(root, "git/kept.txt", "yes")
    _write(root, "git/pkg/m.py", "Z=3\n")
    return root


def _specs(root: Path) -> dict[str, ImageSpec]:
    full = {
        "name": "full",
        "python_version": "3.12",
        "env": {"A": "1", "B": "two"},
        "registry": "localhost:30000",
        "packages": ["pandas==2.2.2", "numpy"],
        "conda_packages": ["pytorch"],
        "conda_channels": ["pytorch"],
        "apt_packages": ["git", "curl"],
        "cuda": "12.1",
        "cudnn": "8",
        "base_image": "ubuntu:22.04",
        "platform": "linux/arm64",
        "pip_index": "https://pypi.example.com/simple",
        "pip_extra_index_url": ["https://extra.example.com/simple"],
        "pip_extra_args": "--no-cache-dir",
        "entrypoint": ["/bin/sh"],
        "commands": ["echo hi"],
        "python_exec": "/usr/bin/python3",
        "builder_options": {"k": "v", "n": 1},
        "builder_config": {"uv_image": "ghcr.io/astral-sh/uv:0.5"},
    }
    return {
        "default": ImageSpec(),
        "name_packages": ImageSpec(name="x", packages=["pandas"]),
        "upper": ImageSpec(name="My-Image", registry="GHCR.io/Org", python_version="3.11"),
        "full": ImageSpec(**full),
        "excluded": ImageSpec(
            name="ex",
            builder="envd",
            pip_secret_mounts=[(".gitconfig", "/etc/gitconfig")],
            runtime_packages=["rich"],
            registry_config="/nonexistent/config.json",
        ),
        "tag_format": ImageSpec(name="tf", packages=["a"], tag_format="{spec_hash}-dev"),
        "requirements": ImageSpec(name="req", requirements=str(root / "requirements.txt")),
        "copy": ImageSpec(name="cp", copy=[str(root / "data"), str(root / "single.cfg")]),
        "source_all": ImageSpec(name="sa", source_root=str(root / "src"), source_copy_mode=CopyFileDetection.ALL),
        "source_git_all": ImageSpec(name="sg", source_root=str(root / "git"), source_copy_mode=CopyFileDetection.ALL),
        "source_loaded": ImageSpec(name="sl", source_root=str(root / "src")),
        "base_spec": ImageSpec(
            name="child",
            packages=["x"],
            base_image={"name": "base", "registry": "ghcr.io/org", "apt_packages": ["git"]},
        ),
        "builders": ImageSpec(name="b", packages=["a"])
        .with_packages("b")
        .with_packages(["c"])
        .with_apt_packages("git")
        .with_commands(["x", "y"])
        .with_copy(str(root / "single.cfg")),
    }


@pytest.fixture
def loaded_app(files: Path):
    """``app.mod`` from the fixture's ``src`` imported, as the user's code would be (for LOADED_MODULES)."""
    sys.path.insert(0, str(files / "src"))
    try:
        import app.mod  # type: ignore[import-not-found]  # noqa: F401

        yield
    finally:
        sys.path.remove(str(files / "src"))
        for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
            del sys.modules[name]


@pytest.fixture(autouse=True)
def _clean_engine(monkeypatch):
    """Each test starts with no builders registered and nothing built, and runs outside a task container."""
    monkeypatch.setattr(ImageBuildEngine, "_REGISTRY", {})
    monkeypatch.setattr(ImageBuildEngine, "_IMAGE_NAME_TO_REAL_NAME", {})
    monkeypatch.setattr(ImageBuildEngine, "_BUILT", {})
    for var in (
        "FLYTE_INTERNAL_EXECUTION_ID",
        "_F_NM",
        "_F_IMG_ID",
        "FLYTE_FORCE_PUSH_IMAGE_SPEC",
        "FLYTE_IMG_FAST_FAIL",
    ):
        monkeypatch.delenv(var, raising=False)


# --- construction ------------------------------------------------------------------------------------------------


def test_defaults_and_normalisation():
    s = ImageSpec(name="My-Image", registry="GHCR.io/Org", source_root="/src")
    assert s.name == "my-image"
    assert s.registry == "ghcr.io/org"
    assert s.platform == "linux/amd64"
    assert s.source_copy_mode is CopyFileDetection.LOADED_MODULES  # a source root alone copies the loaded modules
    assert s.builder is None and s.python_version is None
    assert ImageSpec(source_copy_mode="all").source_copy_mode is CopyFileDetection.ALL
    assert ImageSpec(source_copy_mode="none").source_copy_mode is CopyFileDetection.NO_COPY
    assert [f.name for f in dataclasses.fields(ImageSpec)][:5] == [
        "name",
        "python_version",
        "builder",
        "source_root",
        "env",
    ]


def test_base_image_from_a_mapping_is_a_spec():
    s = ImageSpec(name="child", base_image={"name": "base", "packages": ["numpy"]})
    assert s.base_image == ImageSpec(name="base", packages=["numpy"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"packages": "pandas"}, r"ImageSpec.packages: expected a list of str or None, got str"),
        ({"apt_packages": ["git", 1]}, r"ImageSpec.apt_packages: expected a list of str"),
        ({"env": {"A": 1}}, r"ImageSpec.env: expected a dict\[str, str\] or None, got dict"),
        ({"pip_secret_mounts": [("a",)]}, r"ImageSpec.pip_secret_mounts: expected a list of \(str, str\) tuples"),
        ({"builder_options": ["x"]}, r"ImageSpec.builder_options: expected a dict or None, got list"),
        ({"base_image": 3}, r"ImageSpec.base_image: expected an image name \(str\), an ImageSpec or None, got int"),
        ({"registry": "not a registry!"}, r"ImageSpec.registry: 'not a registry!' is not a container registry"),
        ({"source_copy_mode": "sometimes"}, r"ImageSpec.source_copy_mode: expected a CopyFileDetection"),
        ({"name": ""}, r"ImageSpec.name: expected a non-empty str"),
    ],
)
def test_validation_errors_name_the_field_and_types(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImageSpec(**kwargs)


def test_source_copy_mode_needs_a_source_root():
    with pytest.raises(ValueError, match="needs source_root"):
        ImageSpec(name="x", source_copy_mode=CopyFileDetection.ALL).image_name()


# --- names ------------------------------------------------------------------------------------------------------


def test_image_names_equal_flytekits(files: Path, loaded_app):
    if shutil.which("git") is None:
        pytest.skip("git is needed for the .gitignore case")
    subprocess.run(["git", "init", "-q"], cwd=files / "git", check=True)
    names = {k: s.image_name() for k, s in _specs(files).items()}
    assert names == FLYTEKIT_NAMES


def test_ids_equal_flytekits(files: Path):
    specs = _specs(files)
    assert {k: specs[k].id for k in FLYTEKIT_IDS} == FLYTEKIT_IDS
    assert specs["default"].tag == specs["default"].id  # no files: the tag is the id (with '-' as '_')


def test_image_name_is_deterministic_across_processes(files: Path):
    code = (
        "from aioflyte.image_spec import ImageSpec;"
        f"print(ImageSpec(name='d', packages=['b', 'a'], env={{'Z': '1', 'A': '2'}}, copy=[{str(files / 'data')!r}],"
        f" requirements={str(files / 'requirements.txt')!r}).image_name())"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True
        ).stdout.strip()
        for seed in ("1", "2")
    }
    here = ImageSpec(
        name="d",
        packages=["b", "a"],
        env={"Z": "1", "A": "2"},
        copy=[str(files / "data")],
        requirements=str(files / "requirements.txt"),
    ).image_name()
    assert outs == {here}


def test_content_changes_change_the_tag(files: Path):
    req = ImageSpec(name="r", requirements=str(files / "requirements.txt"))
    copied = ImageSpec(name="c", copy=[str(files / "data")])
    src = ImageSpec(name="s", source_root=str(files / "src"), source_copy_mode="all")
    before = [s.image_name() for s in (req, copied, src)]
    (files / "requirements.txt").write_text("pandas==2.2.3\n")
    (files / "data" / "a.txt").write_text("changed\n")
    (files / "src" / "notes.md").write_text("changed\n")
    after = [dataclasses.replace(s).image_name() for s in (req, copied, src)]
    assert all(b != a for b, a in zip(before, after))
    # ignored files do not count
    (files / "src" / "build" / "out.bin").write_text("other")
    (files / "src" / "app" / "x.pyc").write_text("other")
    assert dataclasses.replace(src).image_name() == after[2]
    # the registry config's path does not change the image
    assert ImageSpec(name="c", registry_config="/a.json").tag == ImageSpec(name="c", registry_config="/b.json").tag


def test_spec_is_hashable_and_compares_by_fields():
    a, b = ImageSpec(name="x", packages=["p"]), ImageSpec(name="x", packages=["p"])
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != ImageSpec(name="x", packages=["q"])


# --- builder methods ----------------------------------------------------------------------------------------------


def test_with_methods_return_new_specs():
    base = ImageSpec(name="x", packages=["a"])
    s = base.with_packages("b").with_packages(["c"]).with_apt_packages(["git"]).with_commands("echo 1")
    s = s.with_copy("f.txt").with_runtime_packages(["rich"]).with_builder_options({"k": "v"})
    assert base.packages == ["a"] and base.apt_packages is None  # untouched
    assert s.packages == ["a", "b", "c"]
    assert s.apt_packages == ["git"]
    assert s.commands == ["echo 1"]
    assert s.copy == ["f.txt"]
    assert s.runtime_packages == ["rich"]
    assert s.builder_options == {"k": "v"}
    assert s.image_name() != base.image_name()


def test_force_push():
    s = ImageSpec(name="x")
    pushed = s.force_push()
    assert pushed is not s and pushed == s and pushed.image_name() == s.image_name()
    assert pushed._is_force_push is True and s._is_force_push is False


def test_from_env():
    s = ImageSpec.from_env(pinned_packages=["protobuf"], name="e", packages=["rich"])
    import google.protobuf

    assert s.python_version == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert s.packages == ["rich", f"protobuf=={google.protobuf.__version__}"]
    with pytest.raises(ValueError, match="python_version"):
        ImageSpec.from_env(python_version="3.9")


def test_is_container(monkeypatch):
    s = ImageSpec(name="x", packages=["a"])
    assert s.is_container()  # not in a task container: always
    monkeypatch.setenv("FLYTE_INTERNAL_EXECUTION_ID", "f1234")
    assert not s.is_container()  # in a container not built from a spec
    monkeypatch.setenv("_F_IMG_ID", s.id)
    assert s.is_container()
    assert not ImageSpec(name="y").is_container()


# --- existence: a registry on loopback ------------------------------------------------------------------------------


class _Registry(http.server.BaseHTTPRequestHandler):
    """A Docker Registry v2 that wants a Bearer token (from its /token endpoint) and has ``org/present:*``."""

    port = 0

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        if self.path.startswith("/token?"):
            body = json.dumps({"token": "tok"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.end_headers()

    def do_HEAD(self):
        if self.headers.get("Authorization") != "Bearer tok":
            self.send_response(401)
            realm = f"http://localhost:{self.port}/token"
            self.send_header("WWW-Authenticate", f'Bearer realm="{realm}",service="test"')
            self.end_headers()
            return
        self.send_response(200 if self.path.startswith("/v2/org/present/manifests/") else 404)
        self.end_headers()


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(_registry, "_ask_engine", lambda spec: None)  # whatever engine this machine has
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    _Registry.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield f"localhost:{_Registry.port}/org"
    server.shutdown()
    server.server_close()


def test_exist_asks_the_registry(registry):
    assert ImageSpec(name="present", registry=registry).exist() is True
    assert ImageSpec(name="absent", registry=registry).exist() is False


def test_exist_is_none_when_it_cannot_tell(monkeypatch):
    monkeypatch.setattr(_registry, "_ask_engine", lambda spec: None)
    assert ImageSpec(name="local").exist() is None  # no registry and no engine
    assert ImageSpec(name="x", registry="localhost:1/org").exist() is None  # nothing listens there


def test_split_registry():
    assert _registry.split_registry("ghcr.io/org", "img") == ("ghcr.io", "org/img")
    assert _registry.split_registry("localhost:30000", "img") == ("localhost:30000", "img")
    assert _registry.split_registry("myuser", "img") == ("registry-1.docker.io", "myuser/img")
    assert _registry.split_registry("docker.io/myuser", "img") == ("registry-1.docker.io", "myuser/img")


# --- builders --------------------------------------------------------------------------------------------------


class _Recorder(ImageSpecBuilder):
    def __init__(self, real_name: str | None = None) -> None:
        self.built: list[ImageSpec] = []
        self.real_name = real_name

    def build_image(self, image_spec: ImageSpec) -> str | None:
        self.built.append(image_spec)
        return self.real_name


def test_no_builder_is_a_clear_error():
    spec = ImageSpec(name="x", packages=["pandas"])
    with pytest.raises(NoImageBuilderError) as e:
        ImageBuildEngine.build(spec)
    msg = str(e.value)
    assert "No image builder is available" in msg and spec.image_name() in msg
    assert "ImageBuildEngine.register(" in msg and "Docker" in msg
    assert isinstance(e.value, AssertionError)  # flytekit raises AssertionError here


def test_an_unregistered_builder_name_is_an_error():
    ImageBuildEngine.register("one", _Recorder())
    with pytest.raises(NoImageBuilderError, match=r"asks for image builder 'two'.*registered: one"):
        ImageBuildEngine.build(ImageSpec(name="x", builder="two"))


def test_register_validates():
    with pytest.raises(TypeError, match="ImageSpecBuilder"):
        ImageBuildEngine.register("x", object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ImageSpecBuilder()  # type: ignore[abstract]


def test_build_uses_the_highest_priority_builder_once(registry):
    low, high = _Recorder(), _Recorder()
    ImageBuildEngine.register("low", low, priority=1)
    ImageBuildEngine.register("high", high, priority=9)
    spec = ImageSpec(name="absent", registry=registry, packages=["a"])
    assert ImageBuildEngine.build(spec) == spec.image_name()
    assert ImageBuildEngine.build(spec) == spec.image_name()
    assert low.built == [] and len(high.built) == 1
    assert high.built[0].builder == "high" and high.built[0].id == spec.id


def test_build_skips_existing_images_unless_forced(registry):
    rec = _Recorder()
    ImageBuildEngine.register("rec", rec)
    spec = ImageSpec(name="present", registry=registry)
    ImageBuildEngine.build(spec)
    assert rec.built == []
    ImageBuildEngine.build(spec.force_push())
    assert len(rec.built) == 1


def test_build_assumes_existence_when_it_cannot_tell(monkeypatch):
    monkeypatch.setattr(_registry, "_ask_engine", lambda spec: None)
    rec = _Recorder()
    ImageBuildEngine.register("rec", rec)
    ImageBuildEngine.build(ImageSpec(name="local"))
    assert rec.built == []
    monkeypatch.setenv("FLYTE_IMG_FAST_FAIL", "true")
    with pytest.raises(RuntimeError, match="FLYTE_IMG_FAST_FAIL"):
        ImageBuildEngine.build(ImageSpec(name="local2"))


def test_build_builds_the_base_spec_first_and_records_real_names(registry):
    rec = _Recorder(real_name="registry.example.com/real:1")
    ImageBuildEngine.register("rec", rec)
    base = ImageSpec(name="absent", registry=registry, apt_packages=["git"])
    child = ImageSpec(name="absent", registry=registry, packages=["x"], base_image=base)
    expected_child_name = child.image_name()
    ImageBuildEngine.build(child)
    assert [s.name for s in rec.built] == ["absent", "absent"]
    assert rec.built[0].base_image is None and rec.built[1].base_image == "registry.example.com/real:1"
    assert base.image_name() == "registry.example.com/real:1"  # the name the builder reported
    assert ImageBuildEngine._IMAGE_NAME_TO_REAL_NAME[expected_child_name] == "registry.example.com/real:1"


def test_no_build_inside_a_task_container(monkeypatch):
    monkeypatch.setenv("FLYTE_INTERNAL_EXECUTION_ID", "f1234")
    spec = ImageSpec(name="x")
    assert ImageBuildEngine.build(spec) == spec.image_name()  # no builder needed: nothing is built


async def test_abuild_runs_off_the_loop(registry):
    rec = _Recorder()
    ImageBuildEngine.register("rec", rec)
    spec = ImageSpec(name="absent", registry=registry)
    assert await ImageBuildEngine.abuild(spec) == spec.image_name()
    assert len(rec.built) == 1


def test_configuration_reads_an_image_spec_file(tmp_path, monkeypatch):
    """``--image spec.yaml``: the configuration package builds the spec and uses its name."""
    from aioflyte.configuration.image import Image

    monkeypatch.setattr(_registry, "_ask_engine", lambda spec: None)
    path = tmp_path / "spec.yaml"
    path.write_text("name: mine\npackages: [pandas]\nregistry: ghcr.io/org\n")
    with pytest.raises(NoImageBuilderError, match="No image builder is available"):
        Image.look_up_image_info("default", str(path))
    monkeypatch.setattr(ImageBuildEngine, "build", classmethod(lambda cls, spec: spec.image_name()))
    expected = ImageSpec(name="mine", packages=["pandas"], registry="ghcr.io/org")
    img = Image.look_up_image_info("default", str(path))
    assert img.full == expected.image_name() and img.fqn == "ghcr.io/org/mine"
