"""No task process outlives the server: each one starts in its own process group with the parent-death signal set,
and is recorded (pid and start time, from ``/proc``) in the server's state while it runs.

- **The parent-death signal** (Linux ``PR_SET_PDEATHSIG``, set with ``prctl`` through ctypes by a few lines of
  Python that then exec the task command in the same process): when the server dies, even by SIGKILL, the kernel
  sends SIGKILL to each task process it started. It covers the process the server started, not the processes that
  one starts in turn (the kernel clears the setting in a forked child); ``aioflyte-fast-execute`` sets it again on
  the task command it runs.
- **The record**: a row ``(pid, start time)`` in the ``processes`` table while the attempt runs. On the next start,
  before it marks the interrupted executions failed, the server kills whatever is left of each recorded process
  group (:func:`kill_recorded`): the processes whose group is the recorded pid and which started no earlier than the
  recorded leader did. A pid that names a newer, unrelated process (its start time differs) is not touched.

Elsewhere than Linux neither ``prctl`` nor ``/proc`` exists: the parent-death signal is not set, and the restart
sweep finds nothing to kill (the process groups are still killed when an execution ends or the server stops).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys

import aiosqlite

from aioflyte.server.store import Store

log = logging.getLogger("aioflyte.server")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS processes (
    pid INTEGER PRIMARY KEY,
    start INTEGER NOT NULL,
    execution TEXT NOT NULL
);
"""


#: What runs first in a task process: set the parent-death signal, check the server is still its parent, then exec
#: the task command (same pid, same process group; the setting survives exec). A launcher rather than a
#: ``preexec_fn``: that would make the server fork() instead of vfork()/posix_spawn(), and a fork of a process
#: running grpc's threads runs grpc's fork handlers in the child, which can abort it.
_LAUNCHER = """\
import os, sys
if sys.platform.startswith("linux"):
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
if os.getppid() != int(sys.argv[1]):  # the server died before the setting took effect
    os._exit(137)
import signal
for name in ("SIGPIPE", "SIGXFSZ", "SIGXFZ"):  # Python ignores these; the task command starts with the defaults
    if hasattr(signal, name):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
try:
    os.execvp(sys.argv[2], sys.argv[2:])
except OSError as e:
    sys.stderr.write(f"aioflyte-server: cannot run the task command {sys.argv[2]!r}: {e}\\n")
    os._exit(127)
"""


def with_parent_death_signal(argv: list[str]) -> list[str]:
    """``argv`` behind the launcher, so the process dies (SIGKILL) with the server; ``argv`` itself off Linux."""
    if not sys.platform.startswith("linux"):
        return list(argv)
    return [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(os.getpid()), *argv]


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """``(state, process group, start time in clock ticks since boot)`` of a process, from ``/proc/<pid>/stat``;
    None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces or parentheses: split after the last ")"
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return fields[0].decode(), int(fields[2]), int(fields[19])
    except (IndexError, ValueError):
        return None


def start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot), None when it is gone."""
    stat = proc_stat(pid)
    return None if stat is None else stat[2]


def _members(pgid: int, start: int) -> list[int]:
    """Live processes in group ``pgid`` that started no earlier than ``start``."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        stat = proc_stat(int(entry))
        if stat is not None and stat[1] == pgid and stat[0] != "Z" and stat[2] >= start:
            found.append(int(entry))
    return found


def kill_recorded(pgid: int, start: int) -> list[int]:
    """SIGKILL what is left of a recorded task process group; returns the pids killed.

    The leader (``pgid``) is killed with its group only when its start time is the recorded one; when it is gone,
    the group's other members that started after it are. Linux never hands out a pid that is still some group's id,
    so while a member remains the number still names the server's group."""
    leader = proc_stat(pgid)
    if leader is not None and leader[2] != start:
        return []  # the pid was reused by an unrelated process: leave it alone
    members = _members(pgid, start)
    for pid in members:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return members


class ProcessTable:
    """The task processes running now, in the server's state (``processes`` table)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def open(self) -> int:
        """Create the table; kill the survivors of the processes a previous server recorded; returns how many
        processes were killed."""

        async def create(db: aiosqlite.Connection) -> None:
            await db.executescript(_SCHEMA)

        await self.store.write(create)
        killed = 0
        for pid, start, execution in await self.store.read("SELECT pid, start, execution FROM processes", ()):
            gone = kill_recorded(pid, start)
            if gone:
                log.warning("killed %d task process(es) of %s left by a previous server: %s", len(gone), execution,
                            gone)  # fmt: skip
            killed += len(gone)

        async def clear(db: aiosqlite.Connection) -> None:
            await db.execute("DELETE FROM processes")

        await self.store.write(clear)
        return killed

    async def add(self, pid: int, execution: str) -> None:
        """Record a task process the server has just started (its start time read from ``/proc``)."""
        start = start_time(pid)
        if start is None:
            return  # gone already, or no /proc: nothing a restart could find

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT OR REPLACE INTO processes (pid, start, execution) VALUES (?, ?, ?)", (pid, start, execution)
            )

        await self.store.write(work)

    async def remove(self, pid: int) -> None:
        """Forget a task process whose group has been killed."""

        async def work(db: aiosqlite.Connection) -> None:
            await db.execute("DELETE FROM processes WHERE pid = ?", (pid,))

        await self.store.write(work)
