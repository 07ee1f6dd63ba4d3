"""The live view of a local ``aioflyte run``: what the run's handle reports about its nodes, shown as it changes.

On a terminal, a ``rich`` live table: one row per task or node name (so a map task's thousands of items are one row
with a bar), with how many are done, running and failed and how long the run has taken. Elsewhere (a pipe, CI), one
plain line per node that starts, ends or fails. ``--quiet`` shows nothing.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

import click

MODES = ("live", "plain", "quiet")


@dataclass
class _Group:
    name: str
    total: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    printed_at: float = 0.0


def _short(name: str) -> str:
    """A task's name without its module path; a map node's without its hash."""
    short = name.rsplit(".", 1)[-1]
    if short.endswith("-arraynode"):
        short = "map " + short.removesuffix("-arraynode").rsplit("_", 1)[0].removeprefix("map_")
    return short


class RunProgress:
    """Follow ``handle`` (a ``RunHandle``) in ``mode`` (``live``, ``plain`` or ``quiet``) while used as a context
    manager."""

    def __init__(self, handle: Any, mode: str, title: str) -> None:
        self.handle = handle
        self.mode = mode
        self.title = title
        self.started = time.monotonic()
        self._groups: dict[str, _Group] = {}
        self._status: dict[str, str] = {}
        self._live: Any = None
        if mode != "quiet":
            handle.on_change(self._on_change)

    @staticmethod
    def default_mode(quiet: bool) -> str:
        if quiet:
            return "quiet"
        return "live" if sys.stderr.isatty() else "plain"

    # --- state ------------------------------------------------------------------------------------------------

    def _on_change(self, st: Any) -> None:
        group = self._groups.get(st.name)
        if group is None:
            group = self._groups[st.name] = _Group(_short(st.name))
        before = self._status.get(st.id)
        if before is None:
            group.total += 1
        elif before == "running":
            group.running -= 1
        self._status[st.id] = st.status
        if st.status == "running":
            group.running += 1
        elif st.status == "succeeded":
            group.done += 1
        elif st.status in ("failed", "cancelled"):
            group.failed += 1
        if self.mode == "plain":
            self._plain(group, st)

    def _total(self, key: str, group: _Group) -> int:
        """Items seen so far, or the map tasks' item count when the engine gave it (items not started yet)."""
        totals = getattr(self.handle, "map_totals", None) or {}
        return max(group.total, totals.get(key, 0))

    def _plain(self, group: _Group, st: Any) -> None:
        """One line per node of a graph; for a name run many times (a map task's items), a count at most once a
        second and when none is left running, and a line for each failure."""
        if group.total == 1 or st.status in ("failed", "cancelled"):
            self._line(st)
            return
        now = time.monotonic()
        if group.running == 0 or now - group.printed_at >= 1.0:
            group.printed_at = now
            total = self._total(st.name, group)
            click.echo(
                f"  {group.name}: {group.done}/{total} done, {group.running} running, {group.failed} failed", err=True
            )

    def _line(self, st: Any) -> None:
        if st.status == "running":
            retry = f" (attempt {st.attempts})" if st.attempts > 1 else ""
            text = f"  {st.id} {_short(st.name)}: running{retry}"
        else:
            took = f" in {st.duration:.2f}s" if st.duration is not None else ""
            text = f"  {st.id} {_short(st.name)}: {st.status}{took}"
            if st.error:
                text += f" ({st.error.splitlines()[0]})"
        click.echo(text, err=True)

    def counts(self) -> tuple[int, int, int]:
        done = sum(g.done for g in self._groups.values())
        running = sum(g.running for g in self._groups.values())
        failed = sum(g.failed for g in self._groups.values())
        return done, running, failed

    def _render(self) -> Any:
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        done, running, failed = self.counts()
        elapsed = time.monotonic() - self.started
        head = Text.assemble(
            (self.title, "bold"),
            f"  done {done} · running {running} · ",
            (f"failed {failed}", "red" if failed else ""),
            f" · {elapsed:.1f}s",
        )
        table = Table.grid(padding=(0, 1))
        for _ in range(4):
            table.add_column()
        for key, g in list(self._groups.items()):
            total = self._total(key, g)
            bar = ProgressBar(total=max(total, 1), completed=g.done + g.failed, width=24)
            counts = f"{g.done}/{total}" + (f" ({g.running} running)" if g.running else "")
            table.add_row(g.name, bar, counts, Text(f"{g.failed} failed", "red") if g.failed else "")
        return Group(head, table)

    # --- lifecycle --------------------------------------------------------------------------------------------

    def __enter__(self) -> RunProgress:
        if self.mode == "live":
            from rich.console import Console
            from rich.live import Live

            self._live = Live(
                console=Console(stderr=True), get_renderable=self._render, refresh_per_second=8, transient=False
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.refresh()
            self._live.__exit__(*exc)
            self._live = None
        elif self.mode == "plain":
            done, _, failed = self.counts()
            elapsed = time.monotonic() - self.started
            click.echo(f"{self.title}: {done} done, {failed} failed in {elapsed:.2f}s", err=True)
