"""Fast registration: deterministic code archives (ignores, sorted members, zeroed metadata, digest names), and
register_script / fast_register_workflow / fast_package against the server subprocess, where a task whose module
is not importable by the server runs from the uploaded archive."""

from __future__ import annotations

import importlib
import os
import sys
import tarfile
import textwrap
import uuid
from pathlib import Path

import pytest
import pytest_asyncio

from aioflyte.configuration.config import Config
from aioflyte.remote.fast import FastPackageOptions, fast_package
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

#: the server tests share one loop (and one server) per module
module_loop = pytest.mark.asyncio(loop_scope="module")

P, D = "flytesnacks", "development"


def _tree(root: Path) -> Path:
    files = {
        "app/__init__.py": "",
        "app/main.py": "X = 1\n",
        "app/data/table.csv": "a,b\n",
        "app/debug.log": "ignored by .gitignore\n",
        "app/sub/.gitignore": "local.txt\n",
        "app/sub/local.txt": "ignored by the nested .gitignore\n",
        "app/sub/kept.txt": "kept\n",
        "secret/key.txt": "ignored directory\n",
        ".gitignore": "*.log\nsecret/\n",
        ".dockerignore": "docs/\n",
        "docs/readme.md": "ignored by .dockerignore\n",
        ".git/HEAD": "ref: refs/heads/main\n",
        "app/__pycache__/main.cpython-311.pyc": "bytecode",
        ".venv/bin/python": "venv",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _members(archive: str) -> list[tarfile.TarInfo]:
    with tarfile.open(archive, "r:gz") as tar:
        return tar.getmembers()


def test_fast_package_is_deterministic_and_honours_ignores(tmp_path):
    src = _tree(tmp_path / "src")
    first = fast_package(src, tmp_path / "out1")
    names = [m.name for m in _members(first)]
    assert names == sorted(names)
    assert names == [
        ".dockerignore", ".gitignore", "app/__init__.py", "app/data/table.csv", "app/main.py",
        "app/sub/.gitignore", "app/sub/kept.txt",
    ]  # fmt: skip
    assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 and m.uname == "" for m in _members(first))
    assert os.path.basename(first).startswith("fast") and first.endswith(".tar.gz")
    os.utime(src / "app" / "main.py", (1_000_000, 1_000_000))  # metadata only: the same archive
    second = fast_package(src, tmp_path / "out2")
    assert os.path.basename(second) == os.path.basename(first)
    assert Path(second).read_bytes() == Path(first).read_bytes()
    (src / "app" / "main.py").write_text("X = 2\n")  # content: another digest
    assert os.path.basename(fast_package(src, tmp_path / "out3")) != os.path.basename(first)


def test_fast_package_options(tmp_path):
    src = _tree(tmp_path / "src")
    extra = fast_package(src, tmp_path / "a", options=FastPackageOptions(ignores=["*.csv", lambda p: "kept" in p]))
    names = {m.name for m in _members(extra)}
    assert "app/data/table.csv" not in names and "app/sub/kept.txt" not in names and "app/main.py" in names
    everything = fast_package(src, tmp_path / "b", options=FastPackageOptions(ignores=[], keep_default_ignores=False))
    names = {m.name for m in _members(everything)}
    assert {"app/debug.log", "secret/key.txt", ".git/HEAD", "docs/readme.md"} <= names
    with pytest.raises(ValueError, match="not a directory"):
        fast_package(src / "missing", tmp_path / "c")


# --- against the server ----------------------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("fastreg") / "state") as server:
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
            yield r


@pytest.fixture(scope="module")
def user_code(tmp_path_factory):
    """A package in a temp directory, importable here but not by the server (not on its PYTHONPATH)."""
    root = tmp_path_factory.mktemp("usercode")
    pkg = f"fastpkg_{uuid.uuid4().hex[:8]}"
    (root / pkg).mkdir()
    (root / pkg / "__init__.py").write_text("")
    (root / pkg / "helpers.py").write_text("def greeting(name):\n    return f'hello {name} from the archive'\n")
    (root / pkg / "flows.py").write_text(
        textwrap.dedent(
            f"""
            from aioflyte import task, workflow
            from {pkg}.helpers import greeting


            @task
            def greet(name: str) -> str:
                return greeting(name)


            @workflow
            def greet_wf(name: str = "wf") -> str:
                return greet(name=name)
            """
        )
    )
    sys.path.insert(0, str(root))
    try:
        yield root, importlib.import_module(f"{pkg}.flows")
    finally:
        sys.path.remove(str(root))


@pytest.mark.slow
@module_loop
async def test_register_script_then_execute_runs_the_uploaded_code(remote, user_code, tmp_path_factory):
    root, flows = user_code
    dest = tmp_path_factory.mktemp("dest")
    ft = await remote.register_script(flows.greet, source_path=str(root), destination_dir=str(dest))
    args = list(ft.template.container.args)
    assert args[:2] == ["aioflyte-fast-execute", "--additional-distribution"]
    archive_url = args[2]
    assert archive_url.startswith("/") and os.path.basename(archive_url).startswith("fast")
    assert args[3:5] == ["--dest-dir", str(dest)]
    ex = await remote.execute(ft, inputs={"name": "ada"}, wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == "hello ada from the archive"
    # unpacked in the attempt's working directory on the server, never in the registered --dest-dir
    pkg = flows.__name__.split(".")[0]
    assert not (dest / pkg).exists()
    state = tmp_path_factory.getbasetemp()
    assert list(state.glob(f"fastreg*/state/data/{P}/{D}/{ex.id.name}/attempt-0/work/{pkg}/helpers.py"))
    # unchanged code and settings: the same derived version, nothing new registered
    again = await remote.register_script(flows.greet, source_path=str(root), destination_dir=str(dest))
    assert again.id.version == ft.id.version


@pytest.mark.slow
@module_loop
async def test_register_script_finds_the_source_root_and_registers_workflows(remote, user_code, tmp_path_factory):
    _, flows = user_code
    dest = tmp_path_factory.mktemp("dest2")
    fwf = await remote.register_script(flows.greet_wf, destination_dir=str(dest), version="wf-v1")
    assert fwf.id.version == "wf-v1"
    lp = await remote.fetch_launch_plan(P, D, fwf.name, "wf-v1")  # the default launch plan came along
    assert lp.id.name == fwf.name
    task = await remote.fetch_task(P, D, flows.greet.name, "wf-v1")
    assert task.template.container.args[0] == "aioflyte-fast-execute"
    assert str(dest) in list(task.template.container.args)
    fwf2 = await remote.fast_register_workflow(flows.greet_wf, version="wf-v2")
    assert fwf2.id.version == "wf-v2"
    with pytest.raises(ValueError, match="takes a workflow"):
        await remote.fast_register_workflow(flows.greet)


@pytest.mark.slow
@module_loop
async def test_fast_package_uploads_the_archive(remote, user_code, tmp_path):
    root, _ = user_code
    md5, url = await remote.fast_package(root, output=str(tmp_path))
    (archive,) = tmp_path.glob("fast*.tar.gz")
    assert Path(url.removeprefix("file://")).read_bytes() == archive.read_bytes()
    import hashlib

    assert hashlib.md5(archive.read_bytes()).digest() == md5
