"""The server as a real subprocess, for tests and benchmarks: ``async with ServerProcess(dir) as s: s.endpoint``.

The process is ``python -m aioflyte.server`` on a loopback port; it is ready when it prints its "listening" line.
Its stderr goes to ``<state_dir>/server.log`` (quoted in the error when it fails to start).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

_READY = "aioflyte-server listening on "
_CONSOLE = "aioflyte-server console at "


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on ``host`` right now (another process may still take it before it is bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class ServerProcess:
    """``python -m aioflyte.server`` as a child process; ``endpoint`` is ``host:port`` once started."""

    def __init__(
        self,
        state_dir: str | Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        startup_timeout: float = 30.0,
        env: dict[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> None:
        self.state_dir = Path(state_dir)
        self.port = port if port is not None else free_port(host)
        self.host = host
        self.startup_timeout = startup_timeout
        self.env = env
        self.args = tuple(args)  # extra command-line options of the server
        self.process: asyncio.subprocess.Process | None = None
        self.endpoint = f"{host}:{self.port}"
        #: the base URL of the server's HTTP routes (data proxy, token endpoint), once started
        self.http_url: str | None = None
        #: the web console's URL (``http://HOST:PORT/console``), known once started
        self.console_url = ""

    @property
    def log_path(self) -> Path:
        return self.state_dir / "server.log"

    async def start(self) -> str:
        """Start the process and wait for its "listening" line; returns the endpoint."""
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only, as the server makes it
        env = {**os.environ, **(self.env or {}), "PYTHONUNBUFFERED": "1"}
        # the server's stderr: the process needs a real file; opening it is one syscall, once
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with open(fd, "ab") as log:  # noqa: ASYNC230
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "aioflyte.server", "--port", str(self.port), "--host", self.host,
                "--state-dir", str(self.state_dir), "--log-level", "INFO", *self.args,
                stdout=asyncio.subprocess.PIPE, stderr=log, stdin=asyncio.subprocess.DEVNULL, env=env,
            )  # fmt: skip
        try:
            await asyncio.wait_for(self._wait_ready(), self.startup_timeout)
        except BaseException:
            await self.stop()
            raise
        return self.endpoint

    async def _wait_ready(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while True:
            line = await self.process.stdout.readline()
            if not line:
                code = await self.process.wait()
                log = self.log_path.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"aioflyte-server exited with {code} before it was ready:\n{log}")
            text = line.decode(errors="replace").strip()
            if text.startswith(_READY):
                words = text[len(_READY) :].split()  # HOST:PORT (gRPC) and URL (HTTP)
                self.endpoint = words[0]
                self.http_url = words[3] if len(words) > 3 else None
                console = (await self.process.stdout.readline()).decode(errors="replace").strip()
                if console.startswith(_CONSOLE):  # printed right after the ready line
                    self.console_url = console[len(_CONSOLE) :]
                return

    async def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout``; returns the exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if process.stdout is not None:
            with contextlib.suppress(Exception):
                await process.stdout.read()
        return process.returncode

    async def __aenter__(self) -> ServerProcess:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
