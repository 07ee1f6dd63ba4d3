"""ContainerTasks registered on the local server and executed there: the server runs each command as a local
process around Flyte's raw-container protocol (inputs as files, ``{{.inputs.x}}`` filled, outputs read back)."""

from __future__ import annotations

from pathlib import Path

import container_entities as ce
import pytest
import pytest_asyncio
from servers import fresh_project, task_env

from aioflyte import FlyteFile
from aioflyte.configuration.config import Config
from aioflyte.remote.client import AdminClient
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

HERE = Path(__file__).parent
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("container") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, "development") as r:
        yield r


async def test_a_container_task_executes_on_the_server(remote):
    ex = await remote.execute(ce.square, inputs={"val": 9}, version="v1", wait=True)
    assert ex.is_successful, ex.error
    assert ex.outputs["out"] == 81


async def test_a_workflow_with_a_container_task_node(remote):
    ex = await remote.execute(ce.square_plus_one, inputs={"v": 6}, version="v1", wait=True)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == 37


async def test_files_in_and_out_through_the_data_plane(remote, tmp_path):
    src = tmp_path / "words.txt"
    src.write_text("quiet words\n")
    ex = await remote.execute(ce.shout, inputs={"infile": FlyteFile(str(src)), "times": 2}, version="v1", wait=True)
    assert ex.is_successful, ex.error
    upper = ex.outputs["upper"]
    assert Path(await upper.adownload()).read_text() == "QUIET WORDS\n"
    folder = Path(await ex.outputs["folder"].adownload())
    assert sorted(p.name for p in folder.iterdir()) == ["copy1", "copy2"]
    assert ex.outputs["names"].split() == ["infile", "inputs.json", "inputs.pb", "times"]


async def test_the_error_file_fails_the_execution_with_its_text(remote):
    ex = await remote.execute(ce.fails, inputs={}, version="v1", wait=True)
    assert not ex.is_successful
    assert "no such thing" in ex.error.message


async def test_a_timed_out_container_leaves_no_scratch_folders(remote, server):
    ex = await remote.execute(ce.naps, inputs={"val": 1}, version="v1", wait=True)
    assert not ex.is_successful
    assert "timed out" in ex.error.message
    assert list(server.state_dir.rglob("rawc")) == []
