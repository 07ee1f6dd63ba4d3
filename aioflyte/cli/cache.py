"""``aioflyte cache info`` and ``aioflyte cache clear [TASK] [--raw-data]`` (``local-cache clear`` as in pyflyte).

The local cache lives in ``$AIOFLYTE_CACHE_DIR`` (default ``<data home>/cache``); the raw data that local runs
write (files, directories, dataframes, pickles) lives in the local raw store, ``$AIOFLYTE_RAW_OUTPUT_PREFIX``
(default ``<data home>/raw``), where ``<data home>`` is ``$AIOFLYTE_HOME`` or ``~/.local/share/aioflyte``.
"""

from __future__ import annotations

import asyncio
import json
import shutil

import click

from aioflyte.engine._cache_store import tree_size


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def _raw_store() -> str | None:
    """The local raw store's folder (None when raw outputs go to a remote prefix)."""
    from aioflyte.runscope import default_raw_output_prefix

    prefix = default_raw_output_prefix()
    return None if "://" in prefix and not prefix.startswith("file://") else prefix.removeprefix("file://")


@click.group("cache")
def cache() -> None:
    """The local task cache and the local raw store: where they are, their sizes, clearing them."""


@cache.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def info(as_json: bool) -> None:
    """Where the cache and the raw store are, how many entries (per task) and how much disk they use."""
    from aioflyte.engine.cache import cache_info

    report = asyncio.run(cache_info())
    report.pop("stats", None)  # this command's own process did no lookups
    raw = _raw_store()
    report["raw_store"] = raw
    report["raw_store_bytes"] = tree_size(raw) if raw else None
    if as_json:
        click.echo(json.dumps(report, sort_keys=True))
        return
    click.echo(f"cache:      {report['directory']}")
    click.echo(f"entries:    {report['entries']} ({_human(report['payload_bytes'])} of outputs)")
    click.echo(f"disk:       {_human(report['disk_bytes'])}")
    if raw:
        click.echo(f"raw store:  {raw} ({_human(report['raw_store_bytes'])})")
    else:
        click.echo("raw store:  remote (AIOFLYTE_RAW_OUTPUT_PREFIX); not measured")
    for name, t in report["tasks"].items():
        click.echo(f"  {t['entries']:>6}  {_human(t['payload_bytes']):>9}  {name}")


@cache.command("clear")
@click.argument("task_name", required=False)
@click.option("--raw-data", is_flag=True, help="Also delete the local raw store (outputs of earlier local runs).")
def clear(task_name: str | None, raw_data: bool) -> None:
    """Delete the cached outputs of TASK_NAME (a task's full name), or of every task."""
    from aioflyte.engine.cache import clear_cache

    if raw_data and task_name:
        raise click.UsageError("--raw-data clears the whole raw store; it cannot be combined with a task name")
    deleted = asyncio.run(clear_cache(task_name))
    what = f"task {task_name}" if task_name else "all tasks"
    click.echo(f"deleted {deleted} cache entr{'y' if deleted == 1 else 'ies'} ({what})")
    if raw_data:
        raw = _raw_store()
        if raw is None:
            raise click.UsageError("the raw output prefix is remote; delete it with that store's own tools")
        size = tree_size(raw)
        shutil.rmtree(raw, ignore_errors=True)
        click.echo(f"deleted the raw store {raw} ({_human(size)})")


@click.group("local-cache")
def local_cache() -> None:
    """pyflyte's name for ``aioflyte cache``."""


local_cache.add_command(clear)
local_cache.add_command(info)
