"""Starting and stopping the server: a grpc.aio server bound to loopback by default, over a :class:`Store`."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from flyteidl.admin import project_pb2
from flyteidl.service import admin_pb2, admin_pb2_grpc, signal_pb2, signal_pb2_grpc
from google.protobuf.descriptor import ServiceDescriptor

from aioflyte.server.auth import ServerSecurity
from aioflyte.server.console import Console
from aioflyte.server.dataproxy import DataProxy
from aioflyte.server.executions import ExecutionAdminService, ExecutionManager, taskvars
from aioflyte.server.executions.connectors import load_connectors
from aioflyte.server.executions.taskenv import TaskEnvironment
from aioflyte.server.http import HttpEndpoint
from aioflyte.server.rpc import add_service
from aioflyte.server.scheduler import MINUTE, Scheduler, in_process
from aioflyte.server.signals import SignalManager, SignalService
from aioflyte.server.store import Store

log = logging.getLogger("aioflyte.server")

#: The projects a new state directory starts with (the Flyte sandbox has ``flytesnacks``).
DEFAULT_PROJECTS = ("flytesnacks",)
#: The line printed once the server accepts calls: the gRPC address first (what clients' endpoint is), then the base
#: URL of its HTTP routes (signed data proxy URLs, the OAuth2 token endpoint).
READY_MESSAGE = "aioflyte-server listening on {address} (gRPC) and {http_url} (HTTP)"
#: Printed right after it: the web console's address.
CONSOLE_MESSAGE = "aioflyte-server console at {url}/console"


#: The variables that configure S3 access (aioflyte's and flytekit's ``FLYTE_AWS_*``, boto's ``AWS_*``), passed to
#: task processes when the raw store is on S3.
_STORAGE_ENV_PREFIXES = ("FLYTE_AWS_", "AWS_")


def _service(module: Any, name: str) -> ServiceDescriptor:
    return module.DESCRIPTOR.services_by_name[name]


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_loopback(host: str) -> bool:
    """``host`` is a loopback address (or ``localhost``): only this machine can reach a port bound there."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def check_exposure(host: str, security: ServerSecurity | None, insecure_allow_remote: bool = False) -> None:
    """Refuse to serve a non-loopback address without authentication (ValueError), unless told to.

    Whoever can call the server can run commands as the server's user (a registered task is a command line).
    """
    if is_loopback(host) or (security is not None and security.auth is not None) or insecure_allow_remote:
        return
    raise ValueError(
        f"refusing to bind {host!r} without authentication: anyone who can reach the port can run commands as this "
        "server's user. Configure auth (--client-id with --client-secret-file), bind a loopback address "
        "(--host 127.0.0.1), or pass --insecure-allow-remote to accept the risk"
    )


def check_raw_prefix(state_dir: Path, raw_output_prefix: str) -> None:
    """Refuse a local raw data prefix that holds the state directory (ValueError): signed download URLs reach
    every file under the prefix, and ``state.db`` and the URL signing key must not be among them."""
    if "://" in raw_output_prefix and not raw_output_prefix.startswith("file://"):
        return
    raw = Path(raw_output_prefix.removeprefix("file://")).resolve()
    state = state_dir.resolve()
    if state == raw or raw in state.parents:
        raise ValueError(
            f"--raw-output-prefix {raw_output_prefix} holds the state directory {state_dir}: the data proxy's signed "
            "URLs would reach state.db and the signing key. Use a folder beside or inside the state directory "
            "(the default is <state-dir>/data)"
        )


def _make_private_dirs(state_dir: Path, raw_output_prefix: str) -> None:
    """Create the state directory and a local raw data folder 0700 when they are missing (existing folders are
    left as they are: ``--state-dir .`` must not change the mode of the working directory)."""
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if "://" not in raw_output_prefix or raw_output_prefix.startswith("file://"):
        Path(raw_output_prefix.removeprefix("file://")).mkdir(mode=0o700, parents=True, exist_ok=True)


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
        min_schedule_interval: float = MINUTE,
        security: ServerSecurity | None = None,
        max_processes: int = 32,
        connector_modules: Sequence[str] = (),
        task_env: TaskEnvironment | None = None,
        task_env_names: Sequence[str] = (),
        insecure_allow_remote: bool = False,
    ) -> None:
        check_exposure(host, security, insecure_allow_remote)
        self.state_dir = Path(state_dir)
        #: modules imported at start for the connectors they register (beside the built-in sensor connector)
        self.connector_modules = tuple(connector_modules)
        #: where executions' inputs, outputs and task data go: a local directory, or an ``s3://bucket/prefix`` (then
        #: uploads and the data tasks write go there, the executions' documents to ``<state-dir>/data``)
        self.raw_output_prefix = raw_output_prefix or str(self.state_dir / "data")
        scheme = self.raw_output_prefix.partition("://")[0] if "://" in self.raw_output_prefix else "file"
        if scheme not in ("file", "s3", "s3a"):
            raise ValueError(
                f"--raw-output-prefix {self.raw_output_prefix}: the server stores data in a local folder or on S3 "
                f"(s3://bucket/prefix), not on {scheme}://"
            )
        self.s3 = scheme in ("s3", "s3a")
        #: where each execution's documents (inputs.pb, outputs.pb, error.pb, logs, work folders) live
        metadata = str(self.state_dir / "data") if self.s3 else self.raw_output_prefix
        check_raw_prefix(self.state_dir, self.raw_output_prefix)
        self.host = host
        self.requested_port = port
        self.default_projects = default_projects
        self.store = Store(self.state_dir / "state.db")
        #: signals gate nodes wait for (approve / wait_for_input), set through the SignalService
        self.signals = SignalManager(self.store)
        self.executions = ExecutionManager(
            self.store, metadata, signals=self.signals, max_processes=max_processes,
            raw_data_prefix=self.raw_output_prefix if self.s3 else None, task_env=task_env,
        )  # fmt: skip
        #: the server's variables task processes get beyond the allow-list (``--task-env NAME``)
        self.task_env_names = taskvars.check_names(task_env_names)
        self.executions.base_env = taskvars.inherited(os.environ, self.task_env_names, ("AWS_",) if self.s3 else ())
        #: real seconds a fixed-rate schedule's minute lasts (60; less only for tests); the scheduler is made in start()
        self.min_schedule_interval = min_schedule_interval
        self.scheduler: Scheduler | None = None
        self.port: int | None = None
        self._server: grpc.aio.Server | None = None
        #: plain-HTTP routes (data proxy uploads, OAuth2 token endpoint), served beside the gRPC port
        #: TLS (gRPC and HTTP) and client authentication (token route on ``http``); off by default
        self.security = security or ServerSecurity()
        self.http = HttpEndpoint(host, http_port, ssl_context=self.security.ssl_context)
        #: signed upload/download URLs (routes on ``http``) and GetData for flyte:// URIs
        self.dataproxy = DataProxy(self.state_dir, self.raw_output_prefix, self.executions, self.http)
        #: the web console, at ``/console`` on ``http``
        self.console = Console(
            self.http.app, store=self.store, executions=self.executions, signals=self.signals,
            locations=self.dataproxy.locations, security=self.security,
        )  # fmt: skip

    @property
    def address(self) -> str:
        if self.port is None:
            raise RuntimeError("the server is not started")
        return _hostport(self.host, self.port)

    async def start(self) -> str:
        """Open the state (seeding default projects when new), bind, serve; returns ``host:port``."""
        load_connectors(self.connector_modules)  # before any state is opened: a bad module fails the start cleanly
        # owner-only state: a new state directory and the local raw data folder are 0700 (files in them 0600 when
        # the process umask is 077, as ``serve`` sets it and task processes get it)
        _make_private_dirs(self.state_dir, self.executions.raw_output_prefix)
        # aiosqlite logs every statement with its parameters at DEBUG: executions' envs and inputs must not reach
        # the server's log, whatever its level
        logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLogger("aiosqlite").level))
        if self.s3:  # an unreachable store or a missing bucket fails the start, not the first upload
            await self.dataproxy.locations.check_reachable()
        new = await self.store.open()
        try:
            if new:
                for project_id in self.default_projects:
                    project = project_pb2.Project(id=project_id, name=project_id, description="Default project")
                    await self.store.insert_project(project_id, project.SerializeToString(), project.state)
            await self.signals.open()
            await self.executions.open()  # marks executions a previous server left unfinished as FAILED
            # no SO_REUSEPORT: a second server on a taken port must fail, not silently share the port
            server = grpc.aio.server(
                options=(("grpc.so_reuseport", 0),), interceptors=self.security.interceptors(lambda: self.http.url)
            )
            self.security.attach(server, self.http.app, lambda: self.http.url)
            admin = ExecutionAdminService(self.store, self.executions)
            # scheduled firings go through the service's own CreateExecution, in-process
            self.scheduler = Scheduler(self.store, in_process(admin), minute=self.min_schedule_interval)
            admin.scheduler = self.scheduler
            self.console.admin = admin
            add_service(server, admin, _service(admin_pb2, "AdminService"), admin_pb2_grpc.AdminServiceServicer)
            add_service(server, SignalService(self.signals), _service(signal_pb2, "SignalService"),
                        signal_pb2_grpc.SignalServiceServicer)  # fmt: skip
            self.dataproxy.attach(server)
            try:
                port = self.security.add_port(server, _hostport(self.host, self.requested_port))
            except RuntimeError as e:
                raise OSError(f"cannot bind {_hostport(self.host, self.requested_port)}: {e}") from e
            if port == 0:
                raise OSError(f"cannot bind {_hostport(self.host, self.requested_port)}")
            self.executions.platform_env = self._platform_env(port)
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
        await self.scheduler.start()
        return self.address

    def _platform_env(self, port: int) -> dict[str, str]:
        """How task processes reach this server (an ``@eager`` task's RemoteController uses it), as on Flyte."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else "::1" if self.host == "::" else self.host
        env = {"FLYTE_PLATFORM_URL": _hostport(host, port), "FLYTE_PLATFORM_INSECURE": "false"}
        if self.security.tls_cert:
            env["FLYTE_PLATFORM_CA_CERT_FILE_PATH"] = str(Path(self.security.tls_cert).resolve())
        else:
            env["FLYTE_PLATFORM_INSECURE"] = "true"
        if self.s3:  # tasks read and write the S3 raw store with the server's storage settings
            env.update({k: v for k, v in os.environ.items() if k.startswith(_STORAGE_ENV_PREFIXES)})
        return env

    async def stop(self, grace: float | None = 2.0) -> None:
        """Stop accepting calls, let running ones finish for ``grace`` seconds, close the state."""
        if self.scheduler is not None:
            await self.scheduler.stop()  # no firing after this point
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
    min_schedule_interval: float = MINUTE,
    security: ServerSecurity | None = None,
    max_processes: int = 32,
    connector_modules: Sequence[str] = (),
    task_env: TaskEnvironment | None = None,
    http_port: int = 0,
    task_env_names: Sequence[str] = (),
    insecure_allow_remote: bool = False,
) -> None:
    """Run the server until SIGTERM/SIGINT (or until ``stop`` is set), then shut down cleanly.

    When ready it prints ``aioflyte-server listening on HOST:PORT (gRPC) and http://HOST:PORT2 (HTTP)`` on stdout
    (the bound ports when ``port`` is 0; the HTTP port is ``http_port``, 0: any free port), then
    ``aioflyte-server console at http://HOST:PORT2/console``.
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
    server = AdminServer(
        state_dir, host=host, port=port, raw_output_prefix=raw_output_prefix,
        min_schedule_interval=min_schedule_interval, security=security, max_processes=max_processes,
        connector_modules=connector_modules, task_env=task_env, http_port=http_port, task_env_names=task_env_names,
        insecure_allow_remote=insecure_allow_remote,
    )  # fmt: skip
    umask = os.umask(0o077)  # everything the server writes (state, inputs, outputs, logs) is its user's only
    try:
        address = await server.start()
        print(READY_MESSAGE.format(address=address, http_url=server.http.url), flush=True)
        print(CONSOLE_MESSAGE.format(url=server.http.url), flush=True)
        await stop.wait()
        log.info("shutting down")
    finally:
        await server.stop()
        for sig in installed:
            loop.remove_signal_handler(sig)
        os.umask(umask)
    print("aioflyte-server stopped", file=sys.stderr, flush=True)
