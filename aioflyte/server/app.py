"""Starting and stopping the server: a grpc.aio server bound to loopback by default, over a :class:`Store`."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from types import TracebackType

import grpc
from flyteidl.admin import project_pb2
from flyteidl.service import admin_pb2_grpc

from aioflyte.server.executions import ExecutionAdminService, ExecutionManager
from aioflyte.server.http import HttpEndpoint
from aioflyte.server.store import Store

log = logging.getLogger("aioflyte.server")

#: The projects a new state directory starts with (the Flyte sandbox has ``flytesnacks``).
DEFAULT_PROJECTS = ("flytesnacks",)
READY_MESSAGE = "aioflyte-server listening on {address}"


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class AdminServer:
    """The server's lifecycle: ``await start()`` binds and serves, ``await stop()`` drains and closes the state."""

    def __init__(
        self,
        state_dir: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default_projects: tuple[str, ...] = DEFAULT_PROJECTS,
        raw_output_prefix: str | None = None,
        http_port: int = 0,
    ) -> None:
        self.state_dir = Path(state_dir)
        #: where executions' inputs, outputs and task data go (a local directory in this slice)
        self.raw_output_prefix = raw_output_prefix or str(self.state_dir / "data")
        self.host = host
        self.requested_port = port
        self.default_projects = default_projects
        self.store = Store(self.state_dir / "state.db")
        self.executions = ExecutionManager(self.store, self.raw_output_prefix)
        self.port: int | None = None
        self._server: grpc.aio.Server | None = None
        #: plain-HTTP routes (data proxy uploads, OAuth2 token endpoint), served beside the gRPC port
        self.http = HttpEndpoint(host, http_port)

    @property
    def address(self) -> str:
        if self.port is None:
            raise RuntimeError("the server is not started")
        return _hostport(self.host, self.port)

    async def start(self) -> str:
        """Open the state (seeding default projects when new), bind, serve; returns ``host:port``."""
        new = await self.store.open()
        try:
            if new:
                for project_id in self.default_projects:
                    project = project_pb2.Project(id=project_id, name=project_id, description="Default project")
                    await self.store.insert_project(project_id, project.SerializeToString(), project.state)
            await self.executions.open()  # marks executions a previous server left unfinished as FAILED
            # no SO_REUSEPORT: a second server on a taken port must fail, not silently share the port
            server = grpc.aio.server(options=(("grpc.so_reuseport", 0),))
            admin_pb2_grpc.add_AdminServiceServicer_to_server(
                ExecutionAdminService(self.store, self.executions), server
            )
            try:
                port = server.add_insecure_port(_hostport(self.host, self.requested_port))
            except RuntimeError as e:
                raise OSError(f"cannot bind {_hostport(self.host, self.requested_port)}: {e}") from e
            if port == 0:
                raise OSError(f"cannot bind {_hostport(self.host, self.requested_port)}")
            await server.start()
            try:
                await self.http.start()
            except BaseException:
                await server.stop(None)
                raise
        except BaseException:
            await self.store.close()
            raise
        self._server, self.port = server, port
        return self.address

    async def stop(self, grace: float | None = 2.0) -> None:
        """Stop accepting calls, let running ones finish for ``grace`` seconds, close the state."""
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None
        await self.http.stop()
        await self.executions.close()  # kills running task processes, marks their executions FAILED
        await self.store.close()

    async def __aenter__(self) -> AdminServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


async def serve(
    port: int,
    state_dir: str | Path,
    host: str = "127.0.0.1",
    *,
    stop: asyncio.Event | None = None,
    raw_output_prefix: str | None = None,
) -> None:
    """Run the server until SIGTERM/SIGINT (or until ``stop`` is set), then shut down cleanly.

    When ready it prints ``aioflyte-server listening on HOST:PORT`` on stdout (the bound port when ``port`` is 0).
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            pass
    server = AdminServer(state_dir, host=host, port=port, raw_output_prefix=raw_output_prefix)
    try:
        address = await server.start()
        print(READY_MESSAGE.format(address=address), flush=True)
        await stop.wait()
        log.info("shutting down")
    finally:
        await server.stop()
        for sig in installed:
            loop.remove_signal_handler(sig)
    print("aioflyte-server stopped", file=sys.stderr, flush=True)
