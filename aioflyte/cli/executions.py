"""Commands on one execution, and on launch plans: ``logs``, ``terminate``, ``relaunch``, ``launchplan``.

aioflyte logs f8a2c3d4e5 [n0]            # the task attempts' logs; follows while the execution runs
aioflyte terminate f8a2c3d4e5 --cause "wrong inputs"
aioflyte relaunch f8a2c3d4e5             # a new execution with the same launch plan, inputs and options
aioflyte launchplan activate my_lp [VERSION]
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote, urlparse

import click
from flyteidl.admin import execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from aioflyte.cli._remote import execution_id_text, parse_execution_id, pass_remote, remote_options
from aioflyte.cli.get import _nodes

_WF_PHASE = core_execution_pb2.WorkflowExecution.Phase
_TASK_PHASE = core_execution_pb2.TaskExecution.Phase
_DONE = {_WF_PHASE.SUCCEEDED, _WF_PHASE.FAILED, _WF_PHASE.ABORTED, _WF_PHASE.TIMED_OUT}


async def _read_log(uri: str, offset: int) -> bytes | None:
    """The bytes of the log at ``uri`` from ``offset`` (a local file, or an http(s) URL); None when unreadable."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        path = unquote(parsed.path) if parsed.scheme else uri

        def read() -> bytes | None:
            try:
                with open(path, "rb") as f:
                    f.seek(offset)
                    return f.read()
            except FileNotFoundError:
                return b""
            except OSError:
                return None

        return await asyncio.to_thread(read)
    if parsed.scheme in ("http", "https"):
        import aiohttp

        try:
            async with aiohttp.ClientSession() as session:
                headers = {"Range": f"bytes={offset}-"} if offset else {}
                async with session.get(uri, headers=headers) as resp:
                    if resp.status >= 400:
                        return None
                    body = await resp.read()
                    return body if resp.status == 206 or not offset else body[offset:]
        except aiohttp.ClientError:
            return None
    return None


@click.command("logs")
@click.argument("execution_id", metavar="EXECUTION")
@click.argument("node", required=False)
@click.option(
    "--follow/--no-follow",
    "-f/-F",
    default=True,
    help="Keep printing new lines while the execution runs (the default), or print what there is and stop.",
)
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(min=0.05), help="Poll seconds.")
@remote_options
@pass_remote
async def logs(
    remote: Any, *, project: str, domain: str, execution_id: str, node: str | None, follow: bool, interval: float
) -> None:
    """Print the logs of EXECUTION's task attempts (of NODE only, when given), following while it runs.

    EXECUTION is a NAME (in --project/--domain), PROJECT/DOMAIN/NAME, or ex:PROJECT:DOMAIN:NAME. Logs the backend
    links as local files (aioflyte serve) or http(s) URLs are printed; others are listed by their URI."""
    client = remote.client
    ex_id = parse_execution_id(execution_id, project, domain)
    offsets: dict[str, int] = {}
    announced: set[str] = set()
    seen_nodes: set[str] = set()
    while True:
        ex = await client.get_execution(ex_id)
        done = ex.closure.phase in _DONE
        for _, ne in await _nodes(client, ex_id):
            seen_nodes.add(ne.id.node_id)
            if node is not None and ne.id.node_id != node:
                continue
            async for te in client.iter_task_executions(ne.id):
                attempt = te.id.retry_attempt
                for log in te.closure.logs:
                    key = f"{ne.id.node_id}/{attempt}/{log.uri}"
                    if key not in announced:
                        announced.add(key)
                        title = f"{ne.id.node_id} · {te.id.task_id.name} · attempt {attempt}"
                        click.secho(f"── {title} · {log.name or 'log'} ──", bold=True)
                    data = await _read_log(log.uri, offsets.get(key, 0))
                    if data is None:
                        if offsets.get(key) is None:
                            click.echo(f"  (not readable here: {log.uri})")
                            offsets[key] = 0
                        continue
                    if data:
                        offsets[key] = offsets.get(key, 0) + len(data)
                        click.echo(data.decode(errors="replace"), nl=False)
        if node is not None and node not in seen_nodes and (done or not follow):
            known = ", ".join(sorted(seen_nodes)) or "none yet"
            raise click.BadParameter(f"{execution_id} has no node {node!r} (its nodes: {known})", param_hint="NODE")
        if done or not follow:
            phase = _WF_PHASE.Name(ex.closure.phase)
            click.secho(f"execution {execution_id_text(ex_id)}: {phase}", err=True, dim=True)
            return
        await asyncio.sleep(interval)


@click.command("terminate")
@click.argument("execution_ids", metavar="EXECUTION...", nargs=-1, required=True)
@click.option("--cause", default="terminated with aioflyte terminate", show_default=True, help="Why (recorded).")
@remote_options
@pass_remote
async def terminate(remote: Any, *, project: str, domain: str, execution_ids: tuple[str, ...], cause: str) -> None:
    """Terminate (abort) running executions: NAME, PROJECT/DOMAIN/NAME or ex:PROJECT:DOMAIN:NAME."""
    for text in execution_ids:
        ex_id = parse_execution_id(text, project, domain)
        await remote.client.terminate_execution(ex_id, cause)
        click.echo(f"terminated {execution_id_text(ex_id)}")


async def relaunch_execution(client: Any, ex_id: Any, name: str = "", overwrite_cache: bool = False) -> Any:
    """A new execution of what ``ex_id`` launched, with its inputs and options: the backend's
    ``RelaunchExecution`` when it has one, else the same ``CreateExecution`` it would make."""
    from flyteidl.service import admin_pb2_grpc

    from aioflyte.exceptions import FlyteRemoteUnimplementedException

    entity = f"execution {execution_id_text(ex_id)}"
    request = execution_pb2.ExecutionRelaunchRequest(id=ex_id, name=name, overwrite_cache=overwrite_cache)
    try:
        resp = await client.call_service(admin_pb2_grpc.AdminServiceStub, "RelaunchExecution", request, entity)
        return resp.id
    except FlyteRemoteUnimplementedException:
        pass
    old = await client.get_execution(ex_id)
    data = await client.get_execution_data(ex_id)
    spec = execution_pb2.ExecutionSpec()
    spec.CopyFrom(old.spec)
    spec.ClearField("inputs")
    spec.metadata.mode = execution_pb2.ExecutionMetadata.RELAUNCH
    spec.metadata.reference_execution.CopyFrom(ex_id)
    if overwrite_cache:
        spec.overwrite_cache = True
    return await client.create_execution(
        ex_id.project, ex_id.domain, spec.launch_plan, data.full_inputs, name=name, spec=spec
    )


@click.command("relaunch")
@click.argument("execution_id", metavar="EXECUTION")
@click.option("--name", default="", help="The new execution's name (default: the backend picks one).")
@click.option("--overwrite-cache", is_flag=True, default=False, help="Run cached tasks again and overwrite.")
@remote_options
@pass_remote
async def relaunch(
    remote: Any, *, project: str, domain: str, execution_id: str, name: str, overwrite_cache: bool
) -> None:
    """Start EXECUTION again: same launch plan (or task), inputs and options, as a new execution."""
    ex_id = parse_execution_id(execution_id, project, domain)
    new_id = await relaunch_execution(remote.client, ex_id, name, overwrite_cache)
    click.echo(f"relaunched {execution_id_text(ex_id)} as {execution_id_text(new_id)}")
    click.echo(remote.generate_console_url(new_id))


class _LaunchPlanCommand(click.Command):
    """Both ``launchplan activate|deactivate NAME [VERSION]`` and pyflyte's ``launchplan NAME [VERSION]
    --activate|--deactivate``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in ("activate", "deactivate"):
            args = [*args[1:], f"--{args[0]}"]
        return super().parse_args(ctx, args)


@click.command("launchplan", cls=_LaunchPlanCommand)
@click.argument("launchplan")
@click.argument("version", required=False)
@click.option("--activate/--deactivate", default=None, help="Activate or deactivate (required).")
@remote_options
@pass_remote
async def launchplan(
    remote: Any, *, project: str, domain: str, launchplan: str, version: str | None, activate: bool | None
) -> None:
    """Activate or deactivate a launch plan: aioflyte launchplan activate|deactivate NAME [VERSION].

    Without VERSION the latest version is used. Activating a version deactivates the one active before (its
    schedule stops, the new one's starts)."""
    if activate is None:
        raise click.UsageError("say what to do: launchplan activate|deactivate NAME [VERSION]")
    from aioflyte.remote.client.ids import launch_plan_id

    client = remote.client
    if version is None:
        version = (await client.get_latest_launch_plan(project, domain, launchplan)).id.version
    ident = launch_plan_id(project, domain, launchplan, version)
    if activate:
        await client.activate_launch_plan(ident)
    else:
        await client.deactivate_launch_plan(ident)
    click.echo(f"{'activated' if activate else 'deactivated'} launch plan {project}/{domain}/{launchplan}@{version}")


@click.command("info")
@click.option(
    "-c",
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="A flytectl YAML or flytekit INI config file (default: discovered).",
)
@click.option("--endpoint", default=None, help="Ask this backend for its version.")
@click.option("--insecure", is_flag=True, default=False, help="Plaintext gRPC.")
def info(config_file: str | None, endpoint: str | None, insecure: bool) -> None:
    """Versions, the config in effect, the backend (and its version), the data home and the local cache's size."""
    import platform
    import sys
    from importlib import metadata

    from aioflyte._version import __version__
    from aioflyte.cli._remote import config_source, console, resolve_config, run_async

    rows: list[tuple[str, str]] = [
        ("aioflyte", __version__),
        ("python", f"{platform.python_version()} ({sys.executable})"),
    ]
    for dist in ("flyteidl", "grpcio", "protobuf"):
        try:
            rows.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            rows.append((dist, "not installed"))
    source = config_source(config_file)
    rows.append(("config file", source or "none found (FLYTECTL_CONFIG, ~/.flyte/config.yaml, ./flytekit.config)"))
    config = None
    try:
        config = resolve_config(config_file, endpoint, insecure)
    except click.UsageError:
        rows.append(("endpoint", "not configured"))
    if config is not None:
        p = config.platform
        rows.append(("endpoint", f"{p.endpoint} ({'insecure' if p.insecure else 'TLS'}, auth {p.auth_mode.value})"))
        if p.console_endpoint:
            rows.append(("console", p.console_endpoint))
        rows.append(("backend version", _backend_version(config, run_async)))
    rows += _cache_rows()
    from rich.table import Table

    table = Table(box=None, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for k, v in rows:
        table.add_row(k, v)
    console().print(table)


def _backend_version(config: Any, run_async: Any) -> str:
    from aioflyte.remote.client.admin import AdminClient

    async def ask() -> str:
        p = config.platform
        async with AdminClient(p.endpoint, p.insecure, timeout=5.0, retry_timeout=5.0, max_attempts=2) as c:
            return str(await c.get_version())

    try:
        return run_async(ask())
    except click.ClickException as e:
        return f"unreachable ({e.message.splitlines()[0]})"
    except OSError as e:
        return f"unreachable ({e})"


def _cache_rows() -> list[tuple[str, str]]:
    from aioflyte.cli.cache import _human, _raw_store
    from aioflyte.engine._cache_store import tree_size
    from aioflyte.engine.cache import cache_dir
    from aioflyte.runscope import default_data_dir

    cache = cache_dir()
    rows = [("data home", default_data_dir()), ("local cache", f"{cache} ({_human(tree_size(cache))})")]
    raw = _raw_store()
    rows.append(("raw store", f"{raw} ({_human(tree_size(raw))})" if raw else "remote (AIOFLYTE_RAW_OUTPUT_PREFIX)"))
    return rows
