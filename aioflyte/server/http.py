"""The server's small HTTP endpoint (aiohttp), beside the gRPC port, on the same host.

Services that Flyte reaches over plain HTTP add their routes to :attr:`HttpEndpoint.app` before the server
starts: the data proxy's signed upload/download URLs and the OAuth2 token endpoint. The port is any free one
unless ``port`` is given; :attr:`url` is its base URL (``http://127.0.0.1:PORT``).
"""

from __future__ import annotations

import ssl

from aiohttp import web


class HttpEndpoint:
    """An aiohttp application served on ``host:port`` (0: a free port) while the server runs."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.requested_port = port
        #: serve HTTPS with this context (the server's TLS certificate) instead of plain HTTP
        self.ssl_context = ssl_context
        self.app = web.Application(client_max_size=1024**4)  # uploads are streamed by their handlers
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234`` (no trailing slash)."""
        if self.port is None:
            raise RuntimeError("the HTTP endpoint is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    async def start(self) -> str:
        """Bind and serve; returns :attr:`url`."""
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.requested_port, reuse_port=False, ssl_context=self.ssl_context)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        server = site._server  # the bound port when 0 was asked for
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.requested_port
        self._runner = runner
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
