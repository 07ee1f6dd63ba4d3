"""Execution context on contextvars: every run and every task attempt sees its own, never a global stack.

Two variables carry it: ``aioflyte.runscope.RUN`` (one ``RunState`` per top-level run) and ``TASK_FRAME``
(the task attempt being executed). ``current_context()`` builds the user-facing ``ExecutionParameters`` lazily
from them, so a task that never asks for its context pays nothing for it.

The variables defined here: ``_COMPILATION`` (the workflow or dynamic body being compiled), ``EXECUTION_SCOPE``
(which kind of graph or body the running code is part of: what ``ExecutionState.mode`` reports),
``SERIALIZATION_SETTINGS`` and ``EXECUTION_STATE`` (an ``ExecutionState`` installed with
``FlyteContextManager.with_context``). flytekit's ``FlyteContext`` view over all of them is in
``aioflyte.core.context_manager``.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections import Counter
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
    raw_output_prefix,
    task_frame,
)

if TYPE_CHECKING:
    from aioflyte.core.secrets import SecretsManager
    from aioflyte.models.identifier import Identifier, WorkflowExecutionIdentifier


# Set while a workflow (or dynamic) body is being compiled: calls then build graph nodes instead of running.
_COMPILATION: ContextVar[Any] = ContextVar("aioflyte_compilation", default=None)

#: What the running code is part of: ``"workflow"`` (a local workflow's graph), ``"dynamic"`` (a dynamic task's
#: graph) or ``"eager"`` (an eager workflow's body); None elsewhere. Set by whoever runs those (``execution_scope``);
#: read only to answer ``ExecutionState.mode``.
EXECUTION_SCOPE: ContextVar[str | None] = ContextVar("aioflyte_execution_scope", default=None)

#: The serialization settings in force (flytekit's ``FlyteContext.serialization_settings``): set in a task
#: container when the platform passes them, and by ``FlyteContextManager.with_context``.
SERIALIZATION_SETTINGS: ContextVar[Any] = ContextVar("aioflyte_serialization_settings", default=None)

#: An ``ExecutionState`` installed by ``FlyteContextManager.with_context``, with the ``TASK_FRAME`` value it was
#: installed under: it describes the code of that block only, so a task started in the block (a new frame) sees
#: its own state and context again.
EXECUTION_STATE: ContextVar[tuple[Any, Any] | None] = ContextVar("aioflyte_execution_state", default=None)


class execution_scope:
    """Mark the block as part of a ``kind`` of execution (``"workflow"``, ``"dynamic"`` or ``"eager"``).

    A small class rather than a generator-based context manager: the engine enters one per workflow run.
    """

    __slots__ = ("_kind", "_token")

    def __init__(self, kind: str) -> None:
        self._kind = kind

    def __enter__(self) -> None:
        self._token = EXECUTION_SCOPE.set(self._kind)

    def __exit__(self, *exc: object) -> None:
        EXECUTION_SCOPE.reset(self._token)


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
        self._default_deck: Any = None
        self._timeline_deck: Any = None
        #: where this task attempt's deck page is written (None: the task has no deck)
        self._deck_uri: str | None = None

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

                from aioflyte.runscope import process_scratch

                # outside any run: inside this process's scratch directory, which is removed at exit
                base = self._tmp_dir_value or (run.tmp_dir if run is not None else process_scratch())
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

    @property
    def default_deck(self) -> Any:
        """The deck named ``default``: made (and added to ``decks``) on first use, the same deck afterwards."""
        if self._default_deck is None:
            from aioflyte.core.deck import Deck

            self._default_deck = Deck("default", auto_add_to_deck=False)
            self._decks.append(self._default_deck)
        return self._default_deck

    @property
    def timeline_deck(self) -> Any:
        """The attempt's ``TimeLineDeck`` (``DeckField.TIMELINE``): the one in ``decks``, else one made on first use
        (shown only when the task's ``deck_fields`` include the timeline)."""
        from aioflyte.core.deck import DeckField, TimeLineDeck

        for deck in self._decks:
            if isinstance(deck, TimeLineDeck):
                return deck
        if self._timeline_deck is None:
            self._timeline_deck = TimeLineDeck(DeckField.TIMELINE.value, auto_add_to_deck=False)
        return self._timeline_deck

    @property
    def deck_uri(self) -> str | None:
        """Where this task attempt writes its ``deck.html`` (aioflyte's addition): in a container
        ``<output prefix>/deck.html``; in a local run ``<run's raw output prefix>/decks/<task>-<id>/deck.html``.
        None when the task has ``enable_deck=False`` (or outside a task)."""
        return self._deck_uri

    def has_attr(self, attr_name: str) -> bool:
        return attr_name in self._attrs or hasattr(self, attr_name)

    def builder(self) -> ExecutionParameters.Builder:
        """A builder starting from this context (e.g. to add a plugin's session with ``add_attr``)."""
        return ExecutionParameters.Builder(current=self)

    @staticmethod
    def new_builder(current: ExecutionParameters | None = None) -> ExecutionParameters.Builder:
        return ExecutionParameters.Builder(current=current)

    class Builder:
        """Makes an ``ExecutionParameters`` (from ``current``'s fields, if given); ``build()`` fills a field left None
        with a default: now, a new ``Stats``, a structlog logger, the current raw output prefix."""

        def __init__(self, current: ExecutionParameters | None = None) -> None:
            self.execution_date: datetime.datetime | None = current._execution_date if current else None
            self.working_dir: str | None = current._tmp_dir_value if current else None
            self.stats: Stats | None = current._stats if current else None
            self.execution_id: WorkflowExecutionIdentifier | None = current._execution_id if current else None
            self.logging: Any = current._logging if current else None
            self.raw_output_prefix: str | None = current._raw_output_prefix if current else None
            self.output_metadata_prefix: str | None = current._output_metadata_prefix if current else None
            self.checkpoint: Any = current._checkpoint if current else None
            self.decks: list[Any] = list(current._decks) if current else []
            self.task_id: Identifier | None = current._task_id if current else None
            self.enable_deck: bool = current._enable_deck if current else False
            self.secrets: SecretsManager | None = current._secrets if current else None
            self.attempt_number: int = current._attempt_number if current else 0
            self.attrs: dict[str, Any] = dict(current._attrs) if current else {}

        def with_enable_deck(self, enable_deck: bool) -> ExecutionParameters.Builder:
            self.enable_deck = enable_deck
            return self

        def add_attr(self, key: str, value: Any) -> ExecutionParameters.Builder:
            """Task-type specific context, read back with ``ExecutionParameters.get(key)`` (or as an attribute)."""
            self.attrs[key] = value
            return self

        def build(self) -> ExecutionParameters:
            if self.logging is None:
                import structlog

                self.logging = structlog.get_logger("aioflyte.task")
            return ExecutionParameters(
                execution_date=self.execution_date or datetime.datetime.now(datetime.timezone.utc),
                tmp_dir=self.working_dir,
                stats=self.stats if self.stats is not None else Stats(),
                execution_id=self.execution_id,
                logging=self.logging,
                raw_output_prefix=self.raw_output_prefix or raw_output_prefix(),
                output_metadata_prefix=self.output_metadata_prefix,
                checkpoint=self.checkpoint,
                decks=self.decks,
                task_id=self.task_id,
                enable_deck=self.enable_deck,
                secrets=self.secrets,
                attempt_number=self.attempt_number,
                **self.attrs,
            )

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
    enable_deck = bool(getattr(task, "enable_deck", False))
    params = ExecutionParameters(
        execution_date=run.execution_date,
        tmp_dir=None,
        stats=Stats(prefix=task_name or ""),
        execution_id=run.execution_id,
        logging=_logger(run, task_name),
        raw_output_prefix=run.raw_output_prefix,
        task_id=_task_identifier(task, run) if task is not None else None,
        enable_deck=enable_deck,
        secrets=SecretsManager(requested=requested, entity=task_name) if task is not None else None,
        attempt_number=frame.attempt if frame is not None else 0,
        checkpoint=_checkpoint_for(run, frame) if frame is not None else None,
        _run=run,
        _frame=frame,
    )
    if enable_deck and frame is not None and run.local:
        import uuid

        short = (task_name or "task").rsplit(".", 1)[-1]
        params._deck_uri = f"{run.raw_output_prefix}/decks/{short}-{uuid.uuid4().hex[:12]}/deck.html"
    return params


def _checkpoint_for(run: RunState, frame: TaskFrame) -> Any:
    from aioflyte.core.checkpoint import Checkpoint

    base = f"{run.raw_output_prefix}/checkpoints/{frame.call_id}"
    prev = f"{base}/{frame.attempt - 1}" if frame.attempt > 0 else None
    return Checkpoint(f"{base}/{frame.attempt}", prev)


_outside: dict[str, ExecutionParameters] = {}


def params_for(run: RunState | None, frame: TaskFrame | None) -> ExecutionParameters:
    """The user-facing context of the task attempt ``frame``, else of ``run``, else the process default."""
    if frame is not None:
        if frame.params is None:
            frame.params = execution_parameters(frame.run, frame)
        return frame.params
    if run is None:
        # Outside any run: a per-process default context, like flytekit's local default.
        params = _outside.get("default")
        if params is None:
            run = RunState()
            run.outside = True  # its scratch space is removed when the process exits
            params = _outside["default"] = execution_parameters(run, None)
        return params
    return execution_parameters(run, None)


def forget_outside_decks() -> None:
    """Drop the decks made on this process's default context (``current_context()`` outside any run): what a
    process pool's worker does after each body of a task without a deck, so that the decks such a body makes are
    kept for that body only, as on the worker threads, and never pile up in the worker."""
    params = _outside.get("default")
    if params is not None and (params._decks or params._timeline_deck is not None):
        params._decks.clear()
        params._default_deck = params._timeline_deck = None


def current_context() -> ExecutionParameters:
    """The context of the task (or run) that is calling: its own, even among concurrent runs in one loop."""
    installed = EXECUTION_STATE.get()
    if installed is not None and installed[0] is TASK_FRAME.get():
        params: ExecutionParameters = installed[1].user_space_params
        return params
    return params_for(RUN.get(), current_frame())


def new_context() -> contextlib.AbstractContextManager[Any]:
    """A fresh run context (new execution id) installed for the ``with`` block; yields its ``FlyteContext``."""
    from aioflyte.core.context_manager import FlyteContextManager

    return FlyteContextManager.with_context(FlyteContextManager.current_context().new_builder().with_run(RunState()))


def __getattr__(name: str) -> Any:
    # FlyteContext and FlyteContextManager live in aioflyte.core.context_manager (flytekit's module name); they
    # stay importable from here, where they were first.
    if name in ("FlyteContext", "FlyteContextManager"):
        from aioflyte.core import context_manager

        return getattr(context_manager, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EXECUTION_SCOPE",
    "EXECUTION_STATE",
    "SERIALIZATION_SETTINGS",
    "TASK_FRAME",
    "ExecutionParameters",
    "RunState",
    "Stats",
    "TaskFrame",
    "current_context",
    "current_frame",
    "default_data_dir",
    "default_raw_output_prefix",
    "execution_parameters",
    "execution_scope",
    "forget_outside_decks",
    "new_context",
    "params_for",
    "task_frame",
]
