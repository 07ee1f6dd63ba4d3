"""The ``aioflyte`` command: ``run``, ``serve``, ``package``, ``register``, ``cache``, and the commands on a
backend (``get``, ``logs``, ``terminate``, ``relaunch``, ``launchplan``, ``info``), under one group with
``--pkgs`` and ``-c/--config``.

aioflyte run workflows.py my_wf --n 3
aioflyte -c ~/.flyte/config.yaml get executions
aioflyte cache info
aioflyte serve --port 8089 --state-dir ./state
aioflyte --pkgs mymodule package --output flyte-package.tgz
"""

from __future__ import annotations

import click

from aioflyte.cli._remote import CTX_CONFIG
from aioflyte.cli.cache import cache, local_cache
from aioflyte.cli.executions import info, launchplan, logs, relaunch, terminate
from aioflyte.cli.get import get
from aioflyte.cli.package import CTX_PACKAGES, package
from aioflyte.cli.register import register
from aioflyte.cli.run import run
from aioflyte.cli.serve import serve


@click.group("aioflyte")
@click.option(
    "-k",
    "--pkgs",
    multiple=True,
    help="Dot-separated Python packages (or modules) to scan for entities (comma-separated too). Repeatable.",
)
@click.option(
    "-c",
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="A flytectl YAML or flytekit INI config file for the commands that talk to a backend "
    "(default: FLYTECTL_CONFIG, ./flytekit.config, ~/.flyte/config, ~/.flyte/config.yaml).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], case_sensitive=False),
    default=None,
    help="aioflyte's log records on stderr from this level (default: $AIOFLYTE_LOG_LEVEL; DEBUG shows the engine's "
    "events). AIOFLYTE_LOG_FORMAT=json|console picks their format.",
)
@click.option("-v", "--verbose", is_flag=True, default=False, help="Whole tracebacks of failed runs.")
@click.version_option(package_name="aioflyte", prog_name="aioflyte")
@click.pass_context
def main(
    ctx: click.Context, pkgs: tuple[str, ...], config_file: str | None, log_level: str | None, verbose: bool
) -> None:
    """aioflyte: run entities locally or on a backend, inspect executions, serve a local Flyte Admin, package and
    register entities."""
    ctx.ensure_object(dict)
    ctx.obj[CTX_PACKAGES] = [p for ps in pkgs for p in ps.split(",") if p]
    ctx.obj[CTX_CONFIG] = config_file
    ctx.obj["verbose"] = verbose
    from aioflyte.loggers import configure_logging

    try:
        configure_logging(log_level)
    except ValueError as e:
        raise click.UsageError(str(e)) from None


main.add_command(run)
main.add_command(serve)
main.add_command(package)
main.add_command(register)
main.add_command(cache)
main.add_command(local_cache)
main.add_command(get)
main.add_command(logs)
main.add_command(terminate)
main.add_command(relaunch)
main.add_command(launchplan)
main.add_command(info)


if __name__ == "__main__":  # pragma: no cover
    main()
