"""Run-scoped facts, at the bottom of the package: which run (and task attempt) this code works for.

Two context variables hold them: ``RUN``, the current ``RunState`` (execution id, raw output prefix, event loop,
scratch directory), and ``TASK_FRAME``, the task attempt running (its private working directory). The engine and
the container entrypoint install them (``run_scope``, ``task_frame``); everything else (the data plane, the type
transformers, authoring code) reads them through the functions here, never through another layer's private
state. Being context variables, they are per asyncio task and per thread, so hundreds of concurrent runs in one
loop each see their own.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from aioflyte.models.identifier import WorkflowExecutionIdentifier

# uuid, tempfile, shutil and the identifier model are imported where used: importing aioflyte loads none of them
# (nor asyncio).

#: Guards the creation and removal of runs' scratch spaces.
_LOCK = threading.Lock()

__all__ = [
    "IN_PROCESS_BODY",
    "RUN",
    "TASK_FRAME",
    "DirectCall",
    "RunState",
    "TaskFrame",
    "current_frame",
    "current_run",
    "default_data_dir",
    "default_raw_output_prefix",
    "process_scratch",
    "raw_output_prefix",
    "run_loop",
    "run_scope",
    "run_scratch",
    "task_frame",
    "working_directory",
]


def _hex(n: int) -> str:
    """``n`` random hex digits (from a UUID4, as ids and names here always were)."""
    import uuid

    return uuid.uuid4().hex[:n]


def default_data_dir() -> str:
    """The user's data directory for aioflyte (``$AIOFLYTE_HOME`` or ``$XDG_DATA_HOME/aioflyte``)."""
    home = os.environ.get("AIOFLYTE_HOME")
    if home:
        return home
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "aioflyte")


def default_raw_output_prefix() -> str:
    """Where runs write raw data when nothing else is configured (``$AIOFLYTE_RAW_OUTPUT_PREFIX``)."""
    return os.environ.get("AIOFLYTE_RAW_OUTPUT_PREFIX") or os.path.join(default_data_dir(), "raw")


class RunState:
    """One top-level run: its id, date, raw output prefix, loop and scratch space (each made when first asked).

    ``tracker``, ``signals`` and ``parallelism`` belong to whoever runs the run (the local engine keeps node
    states, gate signals and the semaphore bounding ``max_parallelism`` there); they are opaque at this level.
    """

    __slots__ = (
        "_closed",
        "_execution_date",
        "_execution_id",
        "_held",
        "_raw_base",
        "_tmp_dir",
        "hashes",
        "local",
        "loop",
        "max_parallelism",
        "outside",
        "overwrite_cache",
        "parallelism",
        "signals",
        "tracker",
    )

    def __init__(
        self,
        execution_id: WorkflowExecutionIdentifier | None = None,
        raw_output_prefix: str | None = None,
        *,
        local: bool = True,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._execution_id = execution_id
        self._execution_date: datetime.datetime | None = None
        self._raw_base = raw_output_prefix
        self._tmp_dir: str | None = None
        self._closed = False
        self._held: list[None] | None = None  # one item per body of the run on a worker thread (see hold)
        self.local = local
        self.loop = loop
        self.max_parallelism: int | None = None
        self.parallelism: Any = None  # the engine's semaphore for max_parallelism, made on first use
        self.tracker: Any = None  # the engine's node-state tracker, when the run was started with a handle
        self.signals: Any = None  # the engine's signal values, when the run waits on gates
        self.overwrite_cache = False  # run every cached task and replace its stored outputs
        self.hashes: Any = None  # the engine's record of outputs' HashMethod hashes (by value identity)
        #: stands for code outside any run (``current_context()`` there): its scratch space is made inside the
        #: process's own (``process_scratch``), which is removed at exit, as this run is never closed
        self.outside = False

    @property
    def execution_id(self) -> WorkflowExecutionIdentifier:
        if self._execution_id is None:
            from aioflyte.models.identifier import WorkflowExecutionIdentifier

            self._execution_id = WorkflowExecutionIdentifier(
                project=os.environ.get("FLYTE_INTERNAL_EXECUTION_PROJECT", "local"),
                domain=os.environ.get("FLYTE_INTERNAL_EXECUTION_DOMAIN", "local"),
                name=os.environ.get("FLYTE_INTERNAL_EXECUTION_ID") or "a" + _hex(19),
            )
        return self._execution_id

    @property
    def execution_date(self) -> datetime.datetime:
        if self._execution_date is None:
            self._execution_date = datetime.datetime.now(datetime.timezone.utc)
        return self._execution_date

    @property
    def raw_output_base(self) -> str | None:
        """The raw output prefix this run was given (None: the process default), before the run's own folder."""
        return self._raw_base

    @property
    def raw_output_prefix(self) -> str:
        """Where this run writes raw data: ``<base>/<execution name>``."""
        base = self._raw_base or default_raw_output_prefix()
        return base.rstrip("/") + "/" + self.execution_id.name

    @property
    def tmp_dir(self) -> str:
        """A scratch directory for this run, created on first use and removed when the run ends.

        Everything local a run makes goes here: task attempts' working directories, downloads of task inputs,
        temporary files of streamed writes. It is removed by ``close`` (the end of the run), or, while sync bodies
        of the run are still running on worker threads (a cancelled run or a timed-out attempt stops waiting for
        them, but Python cannot stop a thread), when the last of them finishes (``release``). After that there is
        none: asking is an error, rather than leaving a new directory behind.
        """
        path = self._tmp_dir
        if path is not None:
            return path
        with _LOCK:  # worker threads of the run may ask at once: one directory per run
            if self._tmp_dir is None:
                if self._closed and not self._held:
                    raise RuntimeError(f"run {self.execution_id.name} has ended: its scratch space was removed with it")
                import tempfile

                base = process_scratch() if self.outside else None
                self._tmp_dir = tempfile.mkdtemp(prefix=f"aioflyte-{self.execution_id.name}-", dir=base)
            return self._tmp_dir

    @property
    def closed(self) -> bool:
        """Whether the run has ended (``close`` was called)."""
        return self._closed

    # hold, release and close take no lock: list.append and list.pop are atomic, and whichever of the last release
    # and close comes second sees the other's effect (removing twice is harmless).

    def hold(self) -> None:
        """A body of this run starts on a worker thread (called on the run's loop): the scratch space stays until
        it finishes (``release``)."""
        held = self._held
        if held is None:
            held = self._held = []
        held.append(None)

    def release(self) -> None:
        """A body ``hold`` announced has finished (from any thread); the last one after ``close`` removes the
        scratch space."""
        held = self._held
        assert held is not None
        held.pop()
        if self._closed and not held:
            self._remove_scratch()

    def close(self) -> None:
        """The run has ended: remove its scratch directory, now or when its last worker-thread body finishes
        (outputs under the raw prefix stay)."""
        self._closed = True
        if not self._held:
            self._remove_scratch()

    def _remove_scratch(self) -> None:
        with _LOCK:
            path, self._tmp_dir = self._tmp_dir, None
        if path is not None:
            import shutil

            # A write the run started last (a temp file of a streamed write, made on the loop while a worker thread
            # releases the run) can land in the directory between rmtree's listing and its removal of the
            # directory itself, which then fails (ignored) and stays: try again. After the directory is gone, such a
            # write fails instead of re-creating it.
            for _ in range(5):
                shutil.rmtree(path, ignore_errors=True)
                if not os.path.exists(path):
                    break


class TaskFrame:
    """One attempt of one task inside a run (what ``current_context()`` describes while the task runs)."""

    __slots__ = ("_call_id", "_working_dir", "attempt", "params", "run", "task")

    def __init__(self, task: Any, run: RunState, attempt: int = 0, call_id: str | None = None) -> None:
        self.task = task
        self.run = run
        self.attempt = attempt
        self.params: Any = None  # the user-facing ExecutionParameters, built on first ask (aioflyte.core.context)
        self._call_id = call_id
        self._working_dir: str | None = None

    @property
    def call_id(self) -> str:
        """Identifies one call of the task across its attempts (checkpoints live under it)."""
        if self._call_id is None:
            self._call_id = _hex(16)
        return self._call_id

    @property
    def working_directory(self) -> str:
        """A directory private to this attempt, inside the run's scratch space (removed when the run ends)."""
        if self._working_dir is None:
            import tempfile

            self._working_dir = tempfile.mkdtemp(prefix="task-", dir=self.run.tmp_dir)
        return self._working_dir

    def __repr__(self) -> str:
        return f"TaskFrame(task={getattr(self.task, 'name', self.task)!r}, attempt={self.attempt})"


#: The run this context works for (None outside any run).
RUN: ContextVar[RunState | None] = ContextVar("aioflyte_run", default=None)


class DirectCall:
    """A call on the engine's direct path, as ``TASK_FRAME`` holds it: its task and run, and the ``TaskFrame`` that
    ``current_frame()`` makes of them when first asked (``made``; making a TaskFrame for every call costs more than
    most calls do). The engine's subclass also drives the call's body (``engine/own_context.py``)."""

    __slots__ = ("made", "run", "task")

    task: Any
    run: RunState
    made: TaskFrame | None


#: The task attempt running in this context (None outside task bodies): a ``TaskFrame``, or a ``DirectCall`` for a
#: call on the engine's direct path. Read it with ``current_frame()``.
TASK_FRAME: ContextVar[TaskFrame | DirectCall | None] = ContextVar("aioflyte_task_frame", default=None)


def current_frame() -> TaskFrame | None:
    """The task attempt running in this context, or None outside task bodies."""
    frame = TASK_FRAME.get()
    if frame is None or isinstance(frame, TaskFrame):
        return frame
    # a direct call: its TaskFrame is made once and kept on it, which every task the body starts shares (their
    # contexts are copies holding the same call), so they all see one frame
    made = frame.made
    if made is None:
        made = frame.made = TaskFrame(frame.task, frame.run)
    return made


def current_run() -> RunState | None:
    """The run this code works for, or None outside any run."""
    return RUN.get()


#: set (to True) in a process pool's worker while it runs a task's body (``executor="process"``): a task the body
#: calls there runs to completion in the worker, as from a thread body (``core/entity.value_or_awaitable``)
IN_PROCESS_BODY: list[bool] = []


def run_loop() -> asyncio.AbstractEventLoop | None:
    """The current run's event loop while it is running (what a sync body's worker thread submits work to)."""
    run = RUN.get()
    loop = run.loop if run is not None else None
    return loop if loop is not None and loop.is_running() else None


def raw_output_prefix() -> str:
    """The raw output prefix of the run in this context, or the process default outside any run."""
    run = RUN.get()
    return run.raw_output_prefix if run is not None else default_raw_output_prefix()


def run_scratch() -> str | None:
    """The current run's scratch directory (``RunState.tmp_dir``, removed when the run ends), or None outside runs."""
    run = RUN.get()
    return run.tmp_dir if run is not None else None


_process_scratch: list[str] = []


def working_directory() -> str:
    """Scratch space for the code running here: the task attempt's own directory, else the run's, else one
    directory for this process (removed at exit)."""
    frame = current_frame()
    if frame is not None:
        return frame.working_directory
    run = RUN.get()
    if run is not None:
        return run.tmp_dir
    return process_scratch()


def process_scratch() -> str:
    """One scratch directory for this process's code outside any run, made on first use and removed at exit."""
    if not _process_scratch:
        import atexit
        import shutil
        import tempfile

        path = tempfile.mkdtemp(prefix="aioflyte-")
        atexit.register(shutil.rmtree, path, True)
        _process_scratch.append(path)
    return _process_scratch[0]


@contextlib.contextmanager
def task_frame(frame: TaskFrame) -> Iterator[TaskFrame]:
    """Make ``frame`` the running task attempt for the block."""
    token = TASK_FRAME.set(frame)
    try:
        yield frame
    finally:
        TASK_FRAME.reset(token)


class run_scope:
    """Make ``run`` the current run for the block; with ``close``, remove its scratch space afterwards.

    A small class rather than a generator-based context manager: the engine enters one for every call made
    outside a run.
    """

    __slots__ = ("_close", "_token", "run")

    def __init__(self, run: RunState, *, close: bool = True) -> None:
        self.run = run
        self._close = close

    def __enter__(self) -> RunState:
        self._token = RUN.set(self.run)
        return self.run

    def __exit__(self, *exc: object) -> None:
        RUN.reset(self._token)
        if self._close:
            self.run.close()
