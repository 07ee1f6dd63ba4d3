"""Execution context on contextvars: every run and every task attempt sees its own, never a global stack.

Two variables carry it: ``aioflyte.runscope.RUN`` (one ``RunState`` per top-level run) and ``TASK_FRAME``
(the task attempt being executed). ``current_context()`` builds the user-facing ``ExecutionParameters`` lazily
from them, so a task that never asks for its context pays nothing for it.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aioflyte.runscope import (
    RUN,
    TASK_FRAME,
    RunState,
    TaskFrame,
    current_frame,
    default_data_dir,
    default_raw_output_prefix,
    task_frame,
)

if TYPE_CHECKING:
    from aioflyte.core.secrets import SecretsManager
    from aioflyte.models.identifier import Identifier, WorkflowExecutionIdentifier


# Set while a workflow (or dynamic) body is being compiled: calls then build graph nodes instead of running.
_COMPILATION: ContextVar[Any] = ContextVar("aioflyte_compilation", default=None)


class Stats:
    """A small in-process metrics sink with the statsd-style calls flytekit's ``stats`` offers."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.counters: Counter[str] = Counter()
        self.gauges: dict[str, float] = {}
        self.timings: dict[str, list[float]] = {}

    def incr(self, name: str, count: int = 1, **_: Any) -> None:
        self.counters[name] += count

    def decr(self, name: str, count: int = 1, **_: Any) -> None:
        self.counters[name] -= count

    def gauge(self, name: str, value: float, **_: Any) -> None:
        self.gauges[name] = value

    def timing(self, name: str, value: float, **_: Any) -> None:
        self.timings.setdefault(name, []).append(value)


class ExecutionParameters:
    """What a running task can see: ids, dates, scratch space, logger, stats, secrets, output prefix."""

    def __init__(
        self,
        execution_date: datetime.datetime,
        tmp_dir: str | None,
        stats: Stats,
        execution_id: WorkflowExecutionIdentifier | None,
        logging: Any,
        raw_output_prefix: str,
        output_metadata_prefix: str | None = None,
        checkpoint: Any = None,
        decks: list[Any] | None = None,
        task_id: Identifier | None = None,
        enable_deck: bool = False,
        secrets: SecretsManager | None = None,
        attempt_number: int = 0,
        **kwargs: Any,
    ) -> None:
        self._execution_date = execution_date
        self._tmp_dir_value = tmp_dir
        self._stats = stats
        self._execution_id = execution_id
        self._logging = logging
        self._raw_output_prefix = raw_output_prefix
        self._output_metadata_prefix = output_metadata_prefix
        self._checkpoint = checkpoint
        self._decks = decks if decks is not None else []
        self._task_id = task_id
        self._enable_deck = enable_deck
        self._secrets = secrets
        self._attempt_number = attempt_number
        self._attrs = kwargs
        self._working_dir: str | None = None

    @property
    def execution_date(self) -> datetime.datetime:
        return self._execution_date

    @property
    def execution_id(self) -> WorkflowExecutionIdentifier | None:
        return self._execution_id

    @property
    def task_id(self) -> Identifier | None:
        return self._task_id

    @property
    def attempt_number(self) -> int:
        return self._attempt_number

    @property
    def working_directory(self) -> str:
        """A directory private to this task attempt, created on first use and removed when the run ends."""
        if self._working_dir is None:
            frame = self._attrs.get("_frame")
            if frame is not None:
                self._working_dir = frame.working_directory
            else:
                run = self._attrs.get("_run")
                import tempfile

                base = self._tmp_dir_value or (run.tmp_dir if run is not None else tempfile.gettempdir())
                self._working_dir = tempfile.mkdtemp(prefix="task-", dir=base)
        return self._working_dir

    @property
    def logging(self) -> Any:
        return self._logging

    @property
    def stats(self) -> Stats:
        return self._stats

    @property
    def secrets(self) -> SecretsManager:
        if self._secrets is None:
            from aioflyte.core.secrets import SecretsManager

            self._secrets = SecretsManager()
        return self._secrets

    @property
    def raw_output_prefix(self) -> str:
        return self._raw_output_prefix

    @property
    def output_metadata_prefix(self) -> str | None:
        return self._output_metadata_prefix

    @property
    def checkpoint(self) -> Any:
        return self._checkpoint

    @property
    def decks(self) -> list[Any]:
        return self._decks

    @property
    def enable_deck(self) -> bool:
        return self._enable_deck

    def has_attr(self, attr_name: str) -> bool:
        return attr_name in self._attrs or hasattr(self, attr_name)

    def get(self, key: str) -> Any:
        """Task-type specific context (e.g. a plugin's session), by key; a clear error when absent."""
        if key in self._attrs:
            return self._attrs[key]
        raise AttributeError(f"ExecutionParameters has no task-specific context named {key!r}")

    def __getattr__(self, item: str) -> Any:
        attrs = self.__dict__.get("_attrs", {})
        if item in attrs:
            return attrs[item]
        raise AttributeError(item)


def _logger(run: RunState, task_name: str | None) -> Any:
    import structlog

    log = structlog.get_logger("aioflyte.task").bind(execution_id=str(run.execution_id))
    return log.bind(task=task_name) if task_name else log


def _task_identifier(task: Any, run: RunState) -> Identifier:
    from aioflyte.models.identifier import Identifier, ResourceType

    return Identifier(
        ResourceType.TASK,
        run.execution_id.project,
        run.execution_id.domain,
        getattr(task, "name", str(task)),
        getattr(task, "version", None) or os.environ.get("FLYTE_INTERNAL_TASK_VERSION", "local"),
    )


def execution_parameters(run: RunState, frame: TaskFrame | None) -> ExecutionParameters:
    """The user-facing context of ``run`` (and of the task attempt ``frame``, if any)."""
    from aioflyte.core.secrets import SecretsManager

    task = frame.task if frame is not None else None
    task_name = getattr(task, "name", None)
    requested = getattr(task, "secret_requests", None) if task is not None else None
    return ExecutionParameters(
        execution_date=run.execution_date,
        tmp_dir=None,
        stats=Stats(prefix=task_name or ""),
        execution_id=run.execution_id,
        logging=_logger(run, task_name),
        raw_output_prefix=run.raw_output_prefix,
        task_id=_task_identifier(task, run) if task is not None else None,
        enable_deck=bool(getattr(task, "enable_deck", False)),
        secrets=SecretsManager(requested=requested, entity=task_name) if task is not None else None,
        attempt_number=frame.attempt if frame is not None else 0,
        checkpoint=_checkpoint_for(run, frame) if frame is not None else None,
        _run=run,
        _frame=frame,
    )


def _checkpoint_for(run: RunState, frame: TaskFrame) -> Any:
    from aioflyte.core.checkpoint import Checkpoint

    base = f"{run.raw_output_prefix}/checkpoints/{frame.call_id}"
    prev = f"{base}/{frame.attempt - 1}" if frame.attempt > 0 else None
    return Checkpoint(f"{base}/{frame.attempt}", prev)


_outside: dict[str, ExecutionParameters] = {}


def current_context() -> ExecutionParameters:
    """The context of the task (or run) that is calling: its own, even among concurrent runs in one loop."""
    frame = current_frame()
    if frame is not None:
        if frame.params is None:
            frame.params = execution_parameters(frame.run, frame)
        return frame.params
    run = RUN.get()
    if run is None:
        # Outside any run: a per-process default context, like flytekit's local default.
        params = _outside.get("default")
        if params is None:
            params = _outside["default"] = execution_parameters(RunState(), None)
        return params
    return execution_parameters(run, None)


class FlyteContext:
    """The internal context: compilation state, execution state (run and task), user-space parameters.

    It is a snapshot of the context variables; ``FlyteContextManager.with_context`` installs a modified one.
    """

    __slots__ = ("compilation_state", "frame", "run")

    def __init__(self, run: RunState | None, frame: TaskFrame | None, compilation_state: Any) -> None:
        self.run = run
        self.frame = frame
        self.compilation_state = compilation_state

    @property
    def user_space_params(self) -> ExecutionParameters:
        if self.frame is not None:
            if self.frame.params is None:
                self.frame.params = execution_parameters(self.frame.run, self.frame)
            return self.frame.params
        return execution_parameters(self.run, None) if self.run is not None else current_context()

    @property
    def execution_state(self) -> FlyteContext:
        """Kept for flytekit code that reads ``ctx.execution_state.user_space_params``."""
        return self

    def is_local_execution(self) -> bool:
        return self.run is None or self.run.local

    def new_builder(self) -> FlyteContext.Builder:
        return FlyteContext.Builder(self.run, self.frame, self.compilation_state)

    @staticmethod
    def current_context() -> FlyteContext:
        return FlyteContextManager.current_context()

    class Builder:
        def __init__(self, run: RunState | None, frame: TaskFrame | None, compilation_state: Any) -> None:
            self.run = run
            self.frame = frame
            self.compilation_state = compilation_state

        def with_run(self, run: RunState | None) -> FlyteContext.Builder:
            self.run = run
            return self

        def with_compilation_state(self, state: Any) -> FlyteContext.Builder:
            self.compilation_state = state
            return self

        def build(self) -> FlyteContext:
            return FlyteContext(self.run, self.frame, self.compilation_state)


class FlyteContextManager:
    """Reads and installs ``FlyteContext``s on contextvars (no global stack, safe across tasks and threads)."""

    @staticmethod
    def current_context() -> FlyteContext:
        return FlyteContext(RUN.get(), current_frame(), _COMPILATION.get())

    @staticmethod
    @contextlib.contextmanager
    def with_context(ctx: FlyteContext | FlyteContext.Builder) -> Iterator[FlyteContext]:
        if isinstance(ctx, FlyteContext.Builder):
            ctx = ctx.build()
        tokens = (RUN.set(ctx.run), TASK_FRAME.set(ctx.frame), _COMPILATION.set(ctx.compilation_state))
        try:
            yield ctx
        finally:
            _COMPILATION.reset(tokens[2])
            TASK_FRAME.reset(tokens[1])
            RUN.reset(tokens[0])


def new_context() -> contextlib.AbstractContextManager[FlyteContext]:
    """A fresh run context (new execution id) installed for the ``with`` block."""
    return FlyteContextManager.with_context(FlyteContextManager.current_context().new_builder().with_run(RunState()))


__all__ = [
    "TASK_FRAME",
    "ExecutionParameters",
    "FlyteContext",
    "FlyteContextManager",
    "RunState",
    "Stats",
    "TaskFrame",
    "current_context",
    "current_frame",
    "default_data_dir",
    "default_raw_output_prefix",
    "execution_parameters",
    "new_context",
    "task_frame",
]
