"""The ``aioflyte`` command: ``run``, ``serve``, ``package``, ``register`` and ``cache``, under one group with
``--pkgs``.

aioflyte run workflows.py my_wf --n 3
aioflyte cache info
aioflyte serve --port 8089 --state-dir ./state
aioflyte --pkgs mymodule package --output flyte-package.tgz
"""

from __future__ import annotations

import click

from aioflyte.cli.cache import cache, local_cache
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
@click.version_option(package_name="aioflyte", prog_name="aioflyte")
@click.pass_context
def main(ctx: click.Context, pkgs: tuple[str, ...]) -> None:
    """aioflyte: run entities locally, serve a local Flyte Admin, package entities for registration."""
    ctx.ensure_object(dict)
    ctx.obj[CTX_PACKAGES] = [p for ps in pkgs for p in ps.split(",") if p]


main.add_command(run)
main.add_command(serve)
main.add_command(package)
main.add_command(register)
main.add_command(cache)
main.add_command(local_cache)


if __name__ == "__main__":  # pragma: no cover
    main()
