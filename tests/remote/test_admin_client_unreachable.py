"""An endpoint nothing listens on: AdminClient and FlyteRemote fail after ``connect_timeout`` (5 s by default) with
a message naming the endpoint, instead of retrying for the whole ``retry_timeout``; a backend that has answered
once is still waited for (see the restart tests in tests/server)."""

from __future__ import annotations

import asyncio
import re

import pytest

from aioflyte.configuration.config import Config
from aioflyte.remote.client import AdminClient, FlyteRemoteUnavailableException
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess, free_port

pytestmark = pytest.mark.slow  # each waits the connect timeout


async def test_admin_client_names_an_unreachable_endpoint():
    endpoint = f"127.0.0.1:{free_port()}"
    async with AdminClient(endpoint) as client:
        assert client.connect_timeout == 5.0  # the default
        # the guard only catches a hang: before connect_timeout existed, this took the whole retry_timeout (30 s)
        with pytest.raises(FlyteRemoteUnavailableException) as info:
            await asyncio.wait_for(client.get_domains(), 20)
    message = str(info.value)
    assert f"cannot reach Flyte Admin at {endpoint}: no answer within 5s" in message
    assert "GetDomains failed with UNAVAILABLE" in message


async def test_flyte_remote_names_an_unreachable_endpoint():
    endpoint = f"127.0.0.1:{free_port()}"
    async with FlyteRemote(Config.for_endpoint(endpoint, insecure=True), "flytesnacks", "development") as remote:
        with pytest.raises(FlyteRemoteUnavailableException, match=re.escape(f"cannot reach Flyte Admin at {endpoint}")):
            await asyncio.wait_for(remote.fetch_task(name="t", version="v1"), 20)


async def test_connect_timeout_is_a_parameter(tmp_path):
    endpoint = f"127.0.0.1:{free_port()}"
    async with AdminClient(endpoint, connect_timeout=0.5) as client:
        with pytest.raises(FlyteRemoteUnavailableException, match=re.escape("no answer within 0.5s")):
            await asyncio.wait_for(client.get_domains(), 20)
    # a client that reached its backend keeps its retries for a restart: it is marked as having been answered
    async with ServerProcess(tmp_path / "state") as server, AdminClient(server.endpoint) as client:
        assert client.reached is False
        await client.get_domains()
        assert client.reached is True
