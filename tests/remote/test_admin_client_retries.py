"""AdminClient's retry policy against a real grpc.aio server whose answers are scripted: transient codes are
retried, the others raise at once."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from flyteidl.admin import project_pb2, version_pb2
from flyteidl.service import admin_pb2_grpc

from aioflyte.remote.client import (
    AdminClient,
    FlyteEntityNotExistException,
    FlytePermissionDeniedException,
    FlyteRemoteTimeoutException,
    FlyteRemoteUnavailableException,
    task_id,
)


class Flaky(admin_pb2_grpc.AdminServiceServicer):
    """GetDomains fails with RESOURCE_EXHAUSTED then UNAVAILABLE before answering; GetVersion is slower than the
    client's deadline once; GetTask is always NOT_FOUND; ListProjects always UNAUTHENTICATED."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> int:
        self.calls[name] = self.calls.get(name, 0) + 1
        return self.calls[name]

    async def GetDomains(self, request, context):
        n = self._count("GetDomains")
        if n == 1:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down")
        if n == 2:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")
        return project_pb2.GetDomainsResponse(domains=[project_pb2.Domain(id="development", name="development")])

    async def GetVersion(self, request, context):
        if self._count("GetVersion") == 1:
            await asyncio.sleep(1.0)
        return version_pb2.GetVersionResponse(control_plane_version=version_pb2.Version(Version="9"))

    async def GetTask(self, request, context):
        self._count("GetTask")
        await context.abort(grpc.StatusCode.NOT_FOUND, "missing entity")

    async def ListProjects(self, request, context):
        self._count("ListProjects")
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "who are you")


@pytest.fixture
async def flaky():
    servicer = Flaky()
    server = grpc.aio.server()
    admin_pb2_grpc.add_AdminServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield servicer, f"127.0.0.1:{port}"
    await server.stop(0)


async def test_transient_codes_are_retried(flaky):
    servicer, endpoint = flaky
    async with AdminClient(endpoint, timeout=0.3, retry_timeout=10) as client:
        assert [d.id for d in await client.get_domains()] == ["development"]
        assert servicer.calls["GetDomains"] == 3 and client.retries == 2
        assert await client.get_version() == "9"  # first attempt hit the 0.3 s deadline, the retry answered
        assert servicer.calls["GetVersion"] == 2


async def test_other_codes_raise_at_once(flaky):
    servicer, endpoint = flaky
    async with AdminClient(endpoint, retry_timeout=10) as client:
        with pytest.raises(FlyteEntityNotExistException, match="task p/d/t@v1 does not exist"):
            await client.get_task(task_id("p", "d", "t", "v1"))
        with pytest.raises(FlytePermissionDeniedException, match="who are you"):
            await client.list_projects()
        assert servicer.calls["GetTask"] == 1 and servicer.calls["ListProjects"] == 1
        assert client.retries == 0


async def test_retries_are_bounded(flaky):
    servicer, endpoint = flaky
    async with AdminClient(endpoint, max_attempts=2, retry_timeout=10) as client:
        with pytest.raises(FlyteRemoteUnavailableException, match="GetDomains failed with UNAVAILABLE: restarting"):
            await client.get_domains()
    async with AdminClient(endpoint, timeout=0.2, max_attempts=1) as client:
        servicer.calls.pop("GetVersion", None)
        with pytest.raises(FlyteRemoteTimeoutException) as info:
            await client.get_version()
        assert isinstance(info.value, TimeoutError)
