"""``python -m aioflyte.server --port P --state-dir D [--host H]``: run the local Flyte-compatible server."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aioflyte.server.app import serve


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aioflyte-server", description="A local Flyte-compatible Admin server.")
    p.add_argument("--port", type=int, default=8089, help="port to listen on (0: any free port); default 8089")
    p.add_argument("--state-dir", required=True, help="directory for the server's state (SQLite)")
    p.add_argument("--raw-output-prefix", default=None, help="where execution data goes; default <state-dir>/data")
    p.add_argument("--host", default="127.0.0.1", help="address to bind; default 127.0.0.1 (loopback only)")
    p.add_argument("--log-level", default="WARNING", help="logging level on stderr; default WARNING")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(serve(args.port, args.state_dir, host=args.host, raw_output_prefix=args.raw_output_prefix))
    except OSError as e:
        print(f"aioflyte-server: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
