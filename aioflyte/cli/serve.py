"""``aioflyte serve``: run the local Flyte-compatible Admin server (as ``python -m aioflyte.server`` does)."""

from __future__ import annotations

import asyncio
import logging
import sys

import click


@click.command("serve")
@click.option("--port", type=int, default=8089, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--state-dir", required=True, type=click.Path(file_okay=False), help="Directory for the server state.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback only by default).")
@click.option("--raw-output-prefix", default=None, help="Where execution data goes (default <state-dir>/data).")
@click.option("--log-level", default="WARNING", show_default=True, help="Logging level on stderr.")
def serve(port: int, state_dir: str, host: str, raw_output_prefix: str | None, log_level: str) -> None:
    """Start the local Admin server; stops on SIGTERM or Ctrl-C."""
    from aioflyte.server.app import serve as serve_server

    logging.basicConfig(level=log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(serve_server(port, state_dir, host=host, raw_output_prefix=raw_output_prefix))
    except OSError as e:
        raise click.ClickException(str(e)) from None
    except KeyboardInterrupt:  # pragma: no cover
        pass
