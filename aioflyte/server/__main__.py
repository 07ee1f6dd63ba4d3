"""``python -m aioflyte.server --port P --state-dir D [--host H]``: run the local Flyte-compatible server."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from aioflyte.server.app import check_exposure, check_raw_prefix, serve
from aioflyte.server.auth import DEFAULT_METADATA_KEY, security_from_options
from aioflyte.server.executions.taskenv import TaskEnvironment
from aioflyte.server.executions.taskvars import check_names


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aioflyte-server", description="A local Flyte-compatible Admin server.")
    p.add_argument("--port", type=int, default=8089, help="port to listen on (0: any free port); default 8089")
    p.add_argument("--state-dir", required=True, help="directory for the server's state (SQLite)")
    p.add_argument(
        "--raw-output-prefix",
        default=None,
        help="where execution data goes: a folder or s3://bucket/prefix; default <state-dir>/data",
    )
    p.add_argument(
        "--http-port", type=int, default=0,
        help="port of the HTTP endpoint (web console at /console, signed data URLs, token endpoint); default 0: any "
        "free port, printed at start",
    )  # fmt: skip
    p.add_argument(
        "--host", default="127.0.0.1",
        help="address to bind; default 127.0.0.1 (loopback only). Another address needs auth (--client-id) or "
        "--insecure-allow-remote: whoever reaches the port can run commands as this server's user",
    )  # fmt: skip
    p.add_argument(
        "--insecure-allow-remote", action="store_true",
        help="serve a non-loopback --host without authentication (anyone reaching it can run commands)",
    )  # fmt: skip
    p.add_argument(
        "--task-env", action="append", default=[], metavar="NAME", dest="task_env_names",
        help="pass the server's variable NAME on to task processes (repeatable); they get only PATH, PYTHONPATH, "
        "VIRTUAL_ENV, HOME, LANG, TZ, FLYTE_*/_F_* and their requested secrets otherwise",
    )  # fmt: skip
    p.add_argument(
        "--min-schedule-interval", type=float, default=60.0, metavar="SECONDS",
        help="for tests: real seconds one minute of a fixed-rate schedule lasts (at least 1); default 60",
    )  # fmt: skip
    p.add_argument(
        "--max-processes", type=int, default=32, metavar="N", help="task processes running at once; default 32"
    )
    p.add_argument("--log-level", default="WARNING", help="logging level on stderr; default WARNING")
    p.add_argument(
        "--connector-module", action="append", default=[], metavar="MODULE", dest="connector_modules",
        help="import MODULE at start: the connectors it registers run their task types in-process (repeatable; "
        "also AIOFLYTE_CONNECTOR_MODULES, comma-separated; the sensor connector is always loaded)",
    )  # fmt: skip
    env = p.add_argument_group("task environment (where task commands such as pyflyte-execute are found)")
    env.add_argument(
        "--task-python", default=None, metavar="PYTHON",
        help="the Python of the environment tasks run in (its folder is searched first for the command's "
        "executable, and aioflyte's own commands run with it); default: the server's own interpreter",
    )  # fmt: skip
    env.add_argument(
        "--task-path", default=None, metavar="PATH",
        help="the PATH task commands are found on, after --task-python's folder; default: the server's PATH",
    )  # fmt: skip
    tls = p.add_argument_group("TLS (off by default)")
    tls.add_argument("--tls-cert", default=None, metavar="PEM", help="certificate chain: serve gRPC and HTTP over TLS")
    tls.add_argument("--tls-key", default=None, metavar="PEM", help="the private key of --tls-cert")
    auth = p.add_argument_group("authentication (off by default; on when --client-id is given)")
    auth.add_argument("--client-id", default=None, help="the OAuth2 client allowed to get tokens")
    auth.add_argument("--client-secret", default=None, help="its secret (visible to ps: prefer --client-secret-file)")
    auth.add_argument("--client-secret-file", default=None, metavar="PATH", help="a file holding the client secret")
    auth.add_argument(
        "--token-ttl", type=float, default=3600.0, metavar="SECONDS", help="access token lifetime; default 3600"
    )
    auth.add_argument(
        "--auth-metadata-key", default=DEFAULT_METADATA_KEY, metavar="KEY",
        help=f"gRPC metadata key clients send tokens in; default {DEFAULT_METADATA_KEY}",
    )  # fmt: skip
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.max_processes < 1:
        parser.error(f"--max-processes must be at least 1, got {args.max_processes}")
    if not args.min_schedule_interval >= 1:
        parser.error(f"--min-schedule-interval must be at least 1 (seconds), got {args.min_schedule_interval}")
    try:
        security = security_from_options(
            tls_cert=args.tls_cert, tls_key=args.tls_key, client_id=args.client_id, client_secret=args.client_secret,
            client_secret_file=args.client_secret_file, token_ttl=args.token_ttl,
            auth_metadata_key=args.auth_metadata_key,
        )  # fmt: skip
        check_names(args.task_env_names)
        check_exposure(args.host, security, args.insecure_allow_remote)
        if args.raw_output_prefix:
            check_raw_prefix(Path(args.state_dir), args.raw_output_prefix)
    except ValueError as e:
        parser.error(str(e))
    task_env = TaskEnvironment(args.task_python or sys.executable, args.task_path)
    try:
        task_env.check()
    except ValueError as e:
        parser.error(str(e))
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(
            serve(
                args.port, args.state_dir, host=args.host, raw_output_prefix=args.raw_output_prefix,
                min_schedule_interval=args.min_schedule_interval, security=security,
                max_processes=args.max_processes, connector_modules=args.connector_modules, task_env=task_env,
                http_port=args.http_port,
                task_env_names=args.task_env_names, insecure_allow_remote=args.insecure_allow_remote,
            )
        )  # fmt: skip
    except (OSError, ImportError, ValueError) as e:
        print(f"aioflyte-server: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
