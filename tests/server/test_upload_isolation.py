"""Data-proxy uploads cannot reach execution data: an upload named after a running execution's error document
lands in the uploads folder and the execution ends as its task decides (issue 14, section 2)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
import taskenv_tasks as tasks
from flyteidl.core import errors_pb2
from servers import fresh_project, task_env

from aioflyte import Config, FlyteRemote
from aioflyte.remote.client import AdminClient
from aioflyte.server.testing import ServerProcess

HERE = Path(__file__).parent
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("plant") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, "development") as r:
        yield r


async def _plant(remote, root: str, filename: str, body: bytes) -> str:
    md5 = hashlib.md5(body).digest()
    loc = await remote.dataproxy.create_upload_location(
        remote.default_project, remote.default_domain, md5, filename=filename, filename_root=root
    )
    async with aiohttp.ClientSession() as session:
        headers = {"Content-MD5": base64.b64encode(md5).decode()}
        async with session.put(loc.signed_url, data=body, headers=headers) as rsp:
            assert rsp.status == 200, await rsp.text()
    return loc.native_url


async def test_an_upload_named_after_an_execution_file_never_reaches_its_folder(remote, server, tmp_path):
    release = tmp_path / "release"
    ex = await remote.execute(tasks.wait_for_file, inputs={"path": str(release)}, version="v1")
    name = ex.id.name
    planted = errors_pb2.ErrorDocument(
        error=errors_pb2.ContainerError(code="USER:Planted", message="planted by an upload", kind=1)
    ).SerializeToString()
    natives = [
        await _plant(remote, name, "attempt-0/error.pb", planted),
        await _plant(remote, name, "inputs.pb", b"not inputs"),
        await _plant(remote, f"{name}/attempt-0", "outputs.pb", b"not outputs"),
    ]
    execution_dir = (server.state_dir / "data" / remote.default_project / remote.default_domain / name).resolve()
    for native in natives:
        stored = Path(native.removeprefix("file://")).resolve()
        assert stored.is_file()
        assert execution_dir not in stored.parents
        assert "_uploads" in stored.parts
    assert not (execution_dir / "attempt-0" / "error.pb").exists()
    release.write_text("go")
    done = await remote.wait(ex)
    assert done.is_successful, done.error
    assert done.outputs["o0"] == 42
    assert (execution_dir / "inputs.pb").read_bytes() != b"not inputs"
