"""``aioflyte serve``: run the local Flyte-compatible Admin server (as ``python -m aioflyte.server`` does)."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click


@click.command("serve")
@click.option("--port", type=int, default=8089, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--state-dir", required=True, type=click.Path(file_okay=False), help="Directory for the server state.")
@click.option("--http-port", type=int, default=0, show_default=True,
              help="Port of the HTTP endpoint: the web console at /console, signed data URLs (0: any free port, "
              "printed at start).")  # fmt: skip
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (loopback only by default). Another address needs auth (--client-id) or "
              "--insecure-allow-remote: whoever reaches the port can run commands as this server's user.")  # fmt: skip
@click.option(
    "--insecure-allow-remote",
    is_flag=True,
    default=False,
    help="Serve a non-loopback --host without authentication (anyone reaching it can run commands).",
)
@click.option("--task-env", "task_env_names", multiple=True, metavar="NAME",
              help="Pass the server's variable NAME on to task processes (repeatable); otherwise they get only "
              "PATH, PYTHONPATH, VIRTUAL_ENV, HOME, LANG, TZ, FLYTE_*/_F_* and their requested secrets.")  # fmt: skip
@click.option("--raw-output-prefix", default=None,
              help="Where execution data goes: a folder or s3://bucket/prefix (default <state-dir>/data).")  # fmt: skip
@click.option(
    "--min-schedule-interval", type=click.FloatRange(min=1), default=60.0, show_default=True,
    help="For tests: real seconds one minute of a fixed-rate schedule lasts.",
)  # fmt: skip
@click.option("--max-processes", type=click.IntRange(min=1), default=32, show_default=True,
              help="Task processes running at once.")  # fmt: skip
@click.option("--log-level", default="WARNING", show_default=True, help="Logging level on stderr.")
@click.option("--tls-cert", default=None, help="PEM certificate chain: serve gRPC and HTTP over TLS.")
@click.option("--tls-key", default=None, help="The private key (PEM) of --tls-cert.")
@click.option("--client-id", default=None, help="Enable auth: the OAuth2 client allowed to get tokens.")
@click.option("--client-secret", default=None, help="Its secret (visible to ps: prefer --client-secret-file).")
@click.option("--client-secret-file", default=None, help="A file holding the client secret.")
@click.option("--token-ttl", type=click.FloatRange(min=0, min_open=True), default=3600.0, show_default=True,
              help="Access token lifetime in seconds.")  # fmt: skip
@click.option("--auth-metadata-key", default="authorization", show_default=True,
              help="gRPC metadata key clients send tokens in.")  # fmt: skip
@click.option("--connector-module", "connector_modules", multiple=True, metavar="MODULE",
              help="Import MODULE at start: the connectors it registers run their task types in-process "
              "(repeatable; also AIOFLYTE_CONNECTOR_MODULES, comma-separated; sensors always work).")  # fmt: skip
@click.option(
    "--task-python",
    default=None,
    metavar="PYTHON",
    help="The Python of the environment tasks run in: its folder is searched first for a task command's "
    "executable (pyflyte-execute, ...), and aioflyte's own commands run with it [default: this Python].",
)
@click.option(
    "--task-path",
    default=None,
    metavar="PATH",
    help="The PATH task commands are found on, after --task-python's folder [default: the server's PATH].",
)
def serve(
    port: int, state_dir: str, http_port: int, host: str, raw_output_prefix: str | None, min_schedule_interval: float,
    max_processes: int, log_level: str,
    tls_cert: str | None, tls_key: str | None, client_id: str | None, client_secret: str | None,
    client_secret_file: str | None, token_ttl: float, auth_metadata_key: str, connector_modules: tuple[str, ...],
    task_python: str | None, task_path: str | None,
    insecure_allow_remote: bool = False, task_env_names: tuple[str, ...] = (),
) -> None:  # fmt: skip
    """Start the local Admin server; stops on SIGTERM or Ctrl-C."""
    from aioflyte.server.app import check_exposure, check_raw_prefix
    from aioflyte.server.app import serve as serve_server
    from aioflyte.server.auth import security_from_options
    from aioflyte.server.executions.taskvars import check_names

    try:
        security = security_from_options(
            tls_cert=tls_cert, tls_key=tls_key, client_id=client_id, client_secret=client_secret,
            client_secret_file=client_secret_file, token_ttl=token_ttl, auth_metadata_key=auth_metadata_key,
        )  # fmt: skip
        check_names(task_env_names)
        check_exposure(host, security, insecure_allow_remote)
        if raw_output_prefix:
            check_raw_prefix(Path(state_dir), raw_output_prefix)
    except ValueError as e:
        raise click.UsageError(str(e)) from None

    from aioflyte.server.executions.taskenv import TaskEnvironment

    task_env = TaskEnvironment(task_python or sys.executable, task_path)
    try:
        task_env.check()
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(
            serve_server(
                port, state_dir, host=host, raw_output_prefix=raw_output_prefix,
                min_schedule_interval=min_schedule_interval, security=security, max_processes=max_processes,
                connector_modules=connector_modules, task_env=task_env, http_port=http_port,
                task_env_names=task_env_names, insecure_allow_remote=insecure_allow_remote,
            )
        )  # fmt: skip
    except (OSError, ImportError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    except KeyboardInterrupt:  # pragma: no cover
        pass
