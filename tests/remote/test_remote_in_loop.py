"""FlyteRemote inside a running event loop: called from an aiohttp request handler (as a web service embedding
Flyte would), and never blocking the loop while it waits for an execution."""

from __future__ import annotations

import asyncio
from pathlib import Path

import executions_tasks as tasks
import pytest
import pytest_asyncio
import remote_eager_tasks as t
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from servers import task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

P, D = "flytesnacks", "development"
HERE = Path(__file__).parent
# every test runs executions on the server subprocess; the tests share its loop
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(tmp_path_factory):
    state = tmp_path_factory.mktemp("in-loop")
    async with ServerProcess(state / "state", env=task_env(HERE)) as server:
        config = Config.for_endpoint(server.endpoint, insecure=True)
        async with FlyteRemote(config, default_project=P, default_domain=D) as r:
            yield r


async def test_remote_from_a_web_handler(remote):
    async def square(request: web.Request) -> web.Response:
        x = int(request.query["x"])
        ex = await remote.execute(t.square, inputs={"x": x}, version="v1", wait=True)
        return web.json_response({"execution": ex.id.name, "square": ex.outputs["o0"]})

    app = web.Application()
    app.router.add_get("/square", square)
    async with TestClient(TestServer(app)) as client:

        async def ask(x: int) -> dict:
            resp = await client.get("/square", params={"x": str(x)})
            assert resp.status == 200, await resp.text()
            return await resp.json()

        answers = await asyncio.gather(*(ask(x) for x in range(4)))
    assert [a["square"] for a in answers] == [0, 1, 4, 9]
    assert len({a["execution"] for a in answers}) == 4  # four executions, served concurrently


async def test_waiting_never_blocks_the_loop(remote, tmp_path):
    """While ``execute(..., wait=True)`` waits, the loop runs the coroutine that lets the task finish: a blocking
    wait would never see it end (the task gives up after 60 s and the execution fails)."""
    started, release = tmp_path / "started", tmp_path / "release"
    inputs = {"started": str(started), "release": str(release), "timeout": 60.0}
    waiting = asyncio.create_task(remote.execute(tasks.handshake, inputs=inputs, version="v1", wait=True))
    while not started.exists():  # polled on the loop, while execute() waits
        assert not waiting.done(), waiting
        await asyncio.sleep(0.05)
    assert not waiting.done()
    release.touch()
    ex = await asyncio.wait_for(waiting, 60)
    assert ex.is_successful and ex.outputs["o0"] == "released"
