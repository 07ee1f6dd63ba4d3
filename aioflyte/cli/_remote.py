"""What every command that talks to a Flyte backend shares: where the backend is (``--endpoint``, or a config file
given with ``-c/--config`` or found as pyflyte and flytectl find it), which project and domain, how an execution
id is written, and how results are printed (``-o table|json|yaml``).

Config resolution, most specific first: ``--endpoint HOST:PORT`` (plus ``--insecure``); the command's
``-c/--config FILE``; the group's ``aioflyte -c FILE``; then discovery (``FLYTECTL_CONFIG``, ``./flytekit.config``,
``~/.flyte/config``, ``~/.flyte/config.yaml``) and ``FLYTE_PLATFORM_URL``.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import shutil
import sys
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, TypeVar

import click

T = TypeVar("T")

#: Where the group's ``-c/--config`` is kept in ``ctx.obj``.
CTX_CONFIG = "config_file"

DEFAULT_PROJECT = "flytesnacks"
DEFAULT_DOMAIN = "development"


def config_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``-c/--config``, ``--endpoint`` and ``--insecure``: where the backend is."""
    f = click.option("--insecure", is_flag=True, default=False, help="Plaintext gRPC (e.g. aioflyte serve).")(f)
    f = click.option(
        "--endpoint",
        default=None,
        help="The backend's Admin endpoint, HOST:PORT (default: admin.endpoint of the config file).",
    )(f)
    f = click.option(
        "-c",
        "--config",
        "config_file",
        default=None,
        type=click.Path(dir_okay=False),
        help="A flytectl YAML or flytekit INI config file (default: FLYTECTL_CONFIG, ~/.flyte/config.yaml, ...).",
    )(f)
    return f


def scope_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``-p/--project`` and ``-d/--domain`` (defaults: ``FLYTE_DEFAULT_PROJECT`` / ``FLYTE_DEFAULT_DOMAIN``)."""
    f = click.option(
        "-d", "--domain", default=DEFAULT_DOMAIN, envvar="FLYTE_DEFAULT_DOMAIN", show_default=True, show_envvar=True,
        help="Domain.",
    )(f)  # fmt: skip
    f = click.option(
        "-p", "--project", default=DEFAULT_PROJECT, envvar="FLYTE_DEFAULT_PROJECT", show_default=True,
        show_envvar=True, help="Project.",
    )(f)  # fmt: skip
    return f


def remote_options(f: Callable[..., Any]) -> Callable[..., Any]:
    return config_options(scope_options(f))


def group_config_file() -> str | None:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, dict) and ctx.obj.get(CTX_CONFIG):
            return str(ctx.obj[CTX_CONFIG])
        ctx = ctx.parent
    return None


def resolve_config(config_file: str | None, endpoint: str | None, insecure: bool) -> Any:
    """The ``Config`` a command talks to its backend with; a usage error when no endpoint is known."""
    from dataclasses import replace

    from aioflyte.configuration.config import Config
    from aioflyte.configuration.file import get_config_file

    config_file = config_file or group_config_file()
    if config_file and not os.path.isfile(config_file):
        raise click.BadParameter(f"no such config file: {config_file}", param_hint="'-c' / '--config'")
    try:
        if endpoint:
            return Config.for_endpoint(endpoint, insecure, config_file=config_file)
        cfg = get_config_file(config_file)
        config = Config.auto(cfg)
    except (ValueError, OSError) as e:
        raise click.ClickException(f"cannot read the configuration: {e}") from e
    if cfg is None and not os.environ.get("FLYTE_PLATFORM_URL"):
        raise click.UsageError(
            "no backend configured: pass --endpoint HOST:PORT, or -c/--config FILE, or set FLYTECTL_CONFIG "
            "(or write ~/.flyte/config.yaml with admin.endpoint)"
        )
    if insecure:
        config = config.with_params(platform=replace(config.platform, insecure=True))
    return config


def config_source(config_file: str | None) -> str | None:
    """The config file that is (or would be) read, for ``aioflyte info``."""
    from aioflyte.configuration.file import get_config_file

    cfg = get_config_file(config_file or group_config_file())
    return cfg.location if cfg is not None else None


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run one command's coroutine; a backend error is a clean ``Error: ...`` (exit code 1), not a traceback."""
    import asyncio

    from aioflyte.exceptions import FlyteRemoteError

    try:
        return asyncio.run(coro)
    except FlyteRemoteError as e:
        raise click.ClickException(str(e)) from e


def remote_for(config: Any, project: str, domain: str) -> Any:
    from aioflyte.remote.remote import FlyteRemote

    return FlyteRemote(config, default_project=project, default_domain=domain)


# --- execution ids ----------------------------------------------------------------------------------------------


def parse_execution_id(text: str, project: str, domain: str) -> Any:
    """``NAME`` (in ``project``/``domain``), ``PROJECT/DOMAIN/NAME``, or Flyte's ``ex:PROJECT:DOMAIN:NAME``."""
    from flyteidl.core.identifier_pb2 import WorkflowExecutionIdentifier

    text = text.strip()
    if text.startswith("ex:"):
        parts = text[3:].split(":")
    elif "/" in text:
        parts = text.strip("/").split("/")
    else:
        parts = [project, domain, text]
    if len(parts) != 3 or not all(parts):
        raise click.BadParameter(
            f"{text!r} is not an execution id: expected NAME, PROJECT/DOMAIN/NAME or ex:PROJECT:DOMAIN:NAME",
            param_hint="EXECUTION",
        )
    return WorkflowExecutionIdentifier(project=parts[0], domain=parts[1], name=parts[2])


def execution_id_text(ident: Any) -> str:
    return f"{ident.project}/{ident.domain}/{ident.name}"


# --- filters ----------------------------------------------------------------------------------------------------

_SELECTOR_OPS = (("!=", "ne"), (">=", "gte"), ("<=", "lte"), ("=", "eq"), (">", "gt"), ("<", "lt"))


def parse_filters(values: Sequence[str]) -> str:
    """flyteadmin filters from ``--filter`` values: flyteadmin's own syntax (``eq(phase,FAILED)``) or flytectl's
    field selectors (``phase=FAILED,name=abc``; ``!=``, ``>``, ``>=``, ``<``, ``<=`` too), joined with ``+``."""
    out: list[str] = []
    for value in values:
        if "(" in value:
            out.extend(p.strip() for p in value.split("+") if p.strip())
            continue
        for part in (p.strip() for p in value.split(",") if p.strip()):
            for op, fn in _SELECTOR_OPS:
                field, sep, operand = part.partition(op)
                if sep and field.strip() and operand.strip():
                    out.append(f"{fn}({field.strip()},{operand.strip()})")
                    break
            else:
                raise click.BadParameter(
                    f"{part!r} is not a filter: expected FIELD=VALUE (or !=, >, >=, <, <=), or fn(field,value)",
                    param_hint="'--filter'",
                )
    return "+".join(out)


# --- printing ---------------------------------------------------------------------------------------------------

OUTPUT_FORMATS = ("table", "json", "yaml")


def output_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-o",
        "--output",
        "output",
        type=click.Choice(OUTPUT_FORMATS),
        default="table",
        show_default=True,
        help="How to print: a table, or the Admin messages as JSON or YAML.",
    )(f)


def to_dict(message: Any) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(getattr(message, "to_flyte_idl", lambda: message)(), preserving_proto_field_name=False)


def dump(data: Any, output: str) -> None:
    """``data`` (dicts, lists) as JSON or YAML on stdout."""
    if output == "json":
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip())


def console() -> Any:
    """A rich console on stdout: the terminal's width, or wide when stdout is not a terminal (no wrapped ids)."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console()
    return Console(width=max(shutil.get_terminal_size((200, 24)).columns, 200), no_color=True, highlight=False)


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for c in columns:
        table.add_column(c, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console().print(table)


def timestamp_text(ts: Any) -> str:
    """A protobuf ``Timestamp`` as ``2026-01-02 03:04:05`` (UTC), empty when unset."""
    if ts is None or (ts.seconds == 0 and ts.nanos == 0):
        return ""
    return datetime.datetime.fromtimestamp(ts.seconds, tz=datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def duration_text(d: Any) -> str:
    if d is None or (d.seconds == 0 and d.nanos == 0):
        return ""
    total = d.seconds + d.nanos / 1e9
    if total < 60:
        return f"{total:.1f}s"
    minutes, seconds = divmod(int(total), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


def pass_remote(f: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Make an async command body ``async def body(remote, **options)`` into a click callback that builds the
    remote from the shared options and runs the body on a fresh loop."""

    @functools.wraps(f)
    def wrapper(
        config_file: str | None, endpoint: str | None, insecure: bool, project: str, domain: str, **kwargs: Any
    ) -> None:
        config = resolve_config(config_file, endpoint, insecure)

        async def go() -> None:
            async with remote_for(config, project, domain) as remote:
                await f(remote, project=project, domain=domain, **kwargs)

        run_async(go())

    return wrapper
