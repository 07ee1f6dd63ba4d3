"""flytekit's internal context (``flytekit.core.context_manager``) as a view over aioflyte's context variables.

flytekit keeps one stack of ``FlyteContext`` objects per thread. aioflyte keeps what such a context holds in
context variables, which every asyncio task and thread has its own copy of: the run and the task attempt
(``aioflyte.runscope``), the workflow body being compiled, the kind of execution running, the file access
provider, the serialization settings, an ``ExecutionState`` a test installed. So:

- ``FlyteContextManager.current_context()`` builds a ``FlyteContext`` from those variables: inside a running
  task it describes that task (its ``ExecutionParameters``, its execution mode), in a workflow body being
  compiled it has the ``compilation_state``, in a task container the mode is ``TASK_EXECUTION``;
- ``with_context(builder)`` and ``push_context(ctx)`` install a context's values into the variables (the code in
  the block, and the tasks it starts, see them); ``pop_context()`` and the end of the block put back the values
  they replaced. Concurrent asyncio tasks never see each other's pushed contexts;
- an ``ExecutionState`` installed this way describes the code of the block itself: a task started in the block
  sees its own state (as in flytekit, where calling a task starts a new local execution).
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import os
import traceback
from collections.abc import Iterator
from typing import Any

from aioflyte.core.compile import CompilationState
from aioflyte.core.context import (
    _COMPILATION,
    EXECUTION_SCOPE,
    EXECUTION_STATE,
    SERIALIZATION_SETTINGS,
    ExecutionParameters,
    _outside,
    current_context,
    params_for,
)
from aioflyte.core.secrets import SecretsManager
from aioflyte.io.provider import FILE_ACCESS, FileAccessProvider, default_provider
from aioflyte.runscope import RUN, TASK_FRAME, RunState, TaskFrame, current_frame, working_directory

__all__ = [
    "BranchEvalMode",
    "CompilationState",
    "ExecutionParameters",
    "ExecutionState",
    "FileAccessProvider",
    "FlyteContext",
    "FlyteContextManager",
    "SecretsManager",
    "current_context",
]


class BranchEvalMode(enum.Enum):
    """Whether a conditional branch is being taken (flytekit's local branch evaluation; aioflyte's engine runs
    branches as graph nodes, so the contexts it builds never set it)."""

    BRANCH_ACTIVE = "branch active"
    BRANCH_SKIPPED = "branch skipped"


def _process_scratch() -> str:
    """The process's scratch directory, whatever the calling context's run and task are."""
    return contextvars.Context().run(working_directory)


def _task_kind(frame: TaskFrame | None) -> str | None:
    """``"eager"`` or ``"dynamic"`` when the attempt ``frame`` runs such a body, else None."""
    if frame is None:
        return None
    mode = getattr(frame.task, "execution_mode", None)
    name = getattr(mode, "name", None)
    return "eager" if name == "EAGER" else "dynamic" if name == "DYNAMIC" else None


class ExecutionState:
    """How the code is executing: the mode, a working directory, and its ``ExecutionParameters``.

    Made by aioflyte for the code that asks (``FlyteContextManager.current_context().execution_state``), or by
    users (``ctx.new_execution_state()``, ``state.with_params(...)``) to install with ``with_context``. A field not
    given is taken, when first read, from the run and task attempt in force where the state was made.
    """

    class Mode(enum.Enum):
        #: a task running in a container, as the platform runs it (``aioflyte-execute``)
        TASK_EXECUTION = 1
        #: a node of a workflow run by the local engine
        LOCAL_WORKFLOW_EXECUTION = 2
        #: a task called directly (outside any workflow) and run by the local engine
        LOCAL_TASK_EXECUTION = 3
        #: a dynamic task's body compiling in a container
        DYNAMIC_TASK_EXECUTION = 4
        #: an eager workflow's body running in a container
        EAGER_EXECUTION = 5
        #: an eager workflow's body, and what it calls, run by the local engine
        EAGER_LOCAL_EXECUTION = 6
        #: a dynamic task's body, and the graph it makes, run by the local engine
        LOCAL_DYNAMIC_TASK_EXECUTION = 7

    _LOCAL_MODES = frozenset(
        (
            Mode.LOCAL_WORKFLOW_EXECUTION,
            Mode.LOCAL_TASK_EXECUTION,
            Mode.LOCAL_DYNAMIC_TASK_EXECUTION,
            Mode.EAGER_LOCAL_EXECUTION,
        )
    )

    __slots__ = ("_derived", "_engine_dir", "_frame", "_params", "_run", "_working_dir", "branch_eval_mode", "mode")

    def __init__(
        self,
        working_dir: os.PathLike[str] | str | None = None,
        mode: ExecutionState.Mode | None = None,
        engine_dir: os.PathLike[str] | str | None = None,
        branch_eval_mode: BranchEvalMode | None = None,
        user_space_params: ExecutionParameters | None = None,
    ) -> None:
        self.mode = mode
        self.branch_eval_mode = branch_eval_mode
        self._working_dir = os.fspath(working_dir) if working_dir is not None else None
        self._engine_dir = os.fspath(engine_dir) if engine_dir is not None else None
        self._params = user_space_params
        self._run: RunState | None = RUN.get()
        self._frame: TaskFrame | None = current_frame()
        #: made by aioflyte from the context variables (not installed by with_context: it is what they say)
        self._derived = False

    @classmethod
    def _of(cls, run: RunState | None, frame: TaskFrame | None, mode: ExecutionState.Mode | None) -> ExecutionState:
        state = cls.__new__(cls)
        state.mode = mode
        state.branch_eval_mode = None
        state._working_dir = state._engine_dir = None
        state._params = None
        state._run, state._frame = run, frame
        state._derived = False
        return state

    @property
    def working_dir(self) -> str:
        """Scratch space: the task attempt's own directory, else the run's, else the process's (made on first
        read, removed when the run or the process ends)."""
        if self._working_dir is None:
            if self._frame is not None:
                self._working_dir = self._frame.working_directory
            elif self._run is not None:
                self._working_dir = self._run.tmp_dir
            else:
                self._working_dir = _process_scratch()
        return self._working_dir

    @property
    def engine_dir(self) -> str:
        """A directory for the engine's files, ``<working_dir>/engine_dir`` unless given (made on first read)."""
        if self._engine_dir is None:
            path = os.path.join(self.working_dir, "engine_dir")
            os.makedirs(path, exist_ok=True)
            self._engine_dir = path
        return self._engine_dir

    @property
    def user_space_params(self) -> ExecutionParameters:
        """What ``current_context()`` returns to the code this state describes."""
        if self._params is None:
            self._params = params_for(self._run, self._frame)
        return self._params

    def with_params(
        self,
        working_dir: os.PathLike[str] | str | None = None,
        mode: ExecutionState.Mode | None = None,
        engine_dir: os.PathLike[str] | str | None = None,
        branch_eval_mode: BranchEvalMode | None = None,
        user_space_params: ExecutionParameters | None = None,
    ) -> ExecutionState:
        """A copy with the given fields replaced (a field given as None keeps its value)."""
        state = ExecutionState._of(self._run, self._frame, mode if mode is not None else self.mode)
        state.branch_eval_mode = branch_eval_mode if branch_eval_mode is not None else self.branch_eval_mode
        state._working_dir = os.fspath(working_dir) if working_dir is not None else self._working_dir
        state._engine_dir = os.fspath(engine_dir) if engine_dir is not None else self._engine_dir
        state._params = user_space_params if user_space_params is not None else self._params
        return state

    def is_local_execution(self) -> bool:
        """Whether the mode is one of the local engine's (``LOCAL_*`` or ``EAGER_LOCAL_EXECUTION``)."""
        return self.mode in ExecutionState._LOCAL_MODES

    def __repr__(self) -> str:
        wd = self._working_dir if self._working_dir is not None else "<made on first read>"
        return f"ExecutionState(mode={self.mode}, working_dir={wd!r}, branch_eval_mode={self.branch_eval_mode})"


def _mode(run: RunState | None, frame: TaskFrame | None, scope: str | None) -> ExecutionState.Mode | None:
    """The mode of code running in ``frame`` (a task attempt) of ``run``, inside a ``scope`` (see
    ``aioflyte.core.context.EXECUTION_SCOPE``); None outside tasks and graphs, as flytekit reports there."""
    Mode = ExecutionState.Mode
    kind = _task_kind(frame)
    if run is not None and not run.local:  # a task container
        if kind == "eager":
            return Mode.EAGER_EXECUTION
        return Mode.DYNAMIC_TASK_EXECUTION if kind == "dynamic" else Mode.TASK_EXECUTION
    kind = kind or scope
    if kind == "eager":
        return Mode.EAGER_LOCAL_EXECUTION
    if kind == "dynamic":
        return Mode.LOCAL_DYNAMIC_TASK_EXECUTION
    if kind == "workflow":
        return Mode.LOCAL_WORKFLOW_EXECUTION
    return Mode.LOCAL_TASK_EXECUTION if frame is not None else None


class FlyteContext:
    """One state of the context: file access, compilation state, execution state, serialization settings.

    ``FlyteContextManager.current_context()`` makes one from the context variables; ``new_builder()`` and the
    ``with_*`` methods return a ``FlyteContext.Builder`` to change it, and ``with_context`` installs the result.
    ``run`` and ``frame`` (aioflyte's run and task attempt) are installed with it.
    """

    __slots__ = (
        "_es",
        "_fa",
        "_raw_frame",
        "_run",
        "_scope",
        "compilation_state",
        "level",
        "origin_stackframe",
        "serialization_settings",
    )

    def __init__(
        self,
        file_access: FileAccessProvider | None = None,
        level: int = 0,
        compilation_state: CompilationState | None = None,
        execution_state: ExecutionState | None = None,
        serialization_settings: Any = None,
        origin_stackframe: traceback.FrameSummary | None = None,
        *,
        run: RunState | None = None,
        frame: TaskFrame | None = None,
    ) -> None:
        self._fa = file_access
        self.level = level
        self.compilation_state = compilation_state
        self._es = execution_state
        self.serialization_settings = serialization_settings
        self.origin_stackframe = origin_stackframe
        self._run = run
        self._raw_frame: Any = frame  # the TASK_FRAME value to install (a TaskFrame, or the engine's direct form)
        self._scope: str | None = None

    @property
    def file_access(self) -> FileAccessProvider:
        """The provider the data plane uses here (the one installed with ``with_file_access``, else the process-wide
        default, ``aioflyte.io.default_provider()``), with flytekit's method names and meanings
        (``aioflyte.core.data_persistence.FileAccessProvider``: ``put_data``, ``get_random_local_path``, a sync
        ``exists``, ...); it shares its state with the provider aioflyte's data plane uses."""
        from aioflyte.io.data_persistence import FileAccessProvider as FlytekitFileAccessProvider
        from aioflyte.io.provider import same_state_as

        fa = self._fa if self._fa is not None else contextvars.Context().run(default_provider)
        return same_state_as(fa, FlytekitFileAccessProvider)  # flytekit's names and meanings, the same state

    @property
    def execution_state(self) -> ExecutionState:
        if self._es is None:
            frame = self.frame
            self._es = ExecutionState._of(self._run, frame, _mode(self._run, frame, self._scope))
            self._es._derived = True
        return self._es

    @property
    def user_space_params(self) -> ExecutionParameters:
        """The ``ExecutionParameters`` of this context (what ``current_context()`` returns under it)."""
        return self.execution_state.user_space_params

    def get_deck(self) -> str:
        """The deck page of this context's decks so far (flytekit's ``FlyteContext.get_deck``; aioflyte returns the
        HTML text, which a notebook shows with ``IPython.display.HTML``)."""
        from aioflyte.core.deck import render_deck

        return render_deck(self.user_space_params.decks)

    @property
    def in_a_condition(self) -> bool:
        """Whether a branch of a ``conditional`` is being compiled."""
        return bool(getattr(self.compilation_state, "_capture", None))

    @property
    def run(self) -> RunState | None:
        """aioflyte's run this context works for (None outside any run)."""
        return self._run

    @property
    def frame(self) -> TaskFrame | None:
        """aioflyte's task attempt running in this context (None outside task bodies)."""
        raw = self._raw_frame
        if raw is None or isinstance(raw, TaskFrame):
            return raw
        token = TASK_FRAME.set(raw)  # the engine's direct form: runscope makes (and keeps) its TaskFrame
        try:
            return current_frame()
        finally:
            TASK_FRAME.reset(token)

    def get_origin_stackframe_repr(self) -> str:
        """Where this context was pushed (``file:line in function``), or ``""``."""
        f = self.origin_stackframe
        return f"{f.filename}:{f.lineno} in {f.name}" if f is not None else ""

    # --- builders -------------------------------------------------------------------------------------------------
    def new_builder(self) -> FlyteContext.Builder:
        b = FlyteContext.Builder(
            self._fa,
            self.level,
            self.compilation_state,
            self._es,
            serialization_settings=self.serialization_settings,
            run=self._run,
        )
        b._raw_frame, b._scope = self._raw_frame, self._scope
        return b

    def with_execution_state(self, es: ExecutionState) -> FlyteContext.Builder:
        return self.new_builder().with_execution_state(es)

    def with_compilation_state(self, c: CompilationState | None) -> FlyteContext.Builder:
        return self.new_builder().with_compilation_state(c)

    def with_new_compilation_state(self) -> FlyteContext.Builder:
        return self.new_builder().with_new_compilation_state()

    def with_file_access(self, fa: FileAccessProvider) -> FlyteContext.Builder:
        return self.new_builder().with_file_access(fa)

    def with_serialization_settings(self, ss: Any) -> FlyteContext.Builder:
        return self.new_builder().with_serialization_settings(ss)

    def new_compilation_state(self, prefix: str = "") -> CompilationState:
        """A fresh compilation state: installed, entity calls add nodes to it and return promises."""
        return CompilationState(prefix=prefix)

    def new_execution_state(self, working_dir: os.PathLike[str] | str | None = None) -> ExecutionState:
        """A new state (no mode) with this context's ``user_space_params``; set fields with ``with_params``."""
        state = ExecutionState._of(self._run, self.frame, None)
        state._working_dir = os.fspath(working_dir) if working_dir is not None else None
        state._params = self._es._params if self._es is not None else None
        return state

    @staticmethod
    def current_context() -> FlyteContext:
        return FlyteContextManager.current_context()

    def __repr__(self) -> str:
        return (
            f"FlyteContext(level={self.level}, compilation_state={self.compilation_state!r}, "
            f"execution_state={self._es!r}, serialization_settings={self.serialization_settings!r}, "
            f"run={getattr(self._run, 'execution_id', None)})"
        )

    class Builder:
        """A mutable copy of a ``FlyteContext``; ``build()`` makes the context."""

        def __init__(
            self,
            file_access: FileAccessProvider | None = None,
            level: int = 0,
            compilation_state: CompilationState | None = None,
            execution_state: ExecutionState | None = None,
            *,
            serialization_settings: Any = None,
            run: RunState | None = None,
            frame: TaskFrame | None = None,
        ) -> None:
            self.file_access = file_access
            self.level = level
            self.compilation_state = compilation_state
            self.execution_state = execution_state
            self.serialization_settings = serialization_settings
            self.run = run
            self._raw_frame: Any = frame
            self._scope: str | None = None

        def build(self) -> FlyteContext:
            ctx = FlyteContext(
                self.file_access,
                self.level,
                self.compilation_state,
                self.execution_state,
                self.serialization_settings,
                run=self.run,
            )
            ctx._raw_frame, ctx._scope = self._raw_frame, self._scope
            return ctx

        def with_execution_state(self, es: ExecutionState) -> FlyteContext.Builder:
            self.execution_state = es
            return self

        def with_compilation_state(self, c: CompilationState | None) -> FlyteContext.Builder:
            self.compilation_state = c
            return self

        def with_new_compilation_state(self) -> FlyteContext.Builder:
            return self.with_compilation_state(self.new_compilation_state())

        def with_file_access(self, fa: FileAccessProvider) -> FlyteContext.Builder:
            self.file_access = fa
            return self

        def with_serialization_settings(self, ss: Any) -> FlyteContext.Builder:
            self.serialization_settings = ss
            return self

        def with_run(self, run: RunState | None) -> FlyteContext.Builder:
            """(aioflyte) Install ``run`` as the current run: tasks called under the context join it."""
            self.run = run
            return self

        def new_compilation_state(self, prefix: str = "") -> CompilationState:
            return CompilationState(prefix=prefix)

        def new_execution_state(self, working_dir: os.PathLike[str] | str | None = None) -> ExecutionState:
            return self.build().new_execution_state(working_dir)


# --- the manager ------------------------------------------------------------------------------------------------

#: The variables a FlyteContext is installed into, in this order.
_VARS: tuple[contextvars.ContextVar[Any], ...] = (
    RUN,
    TASK_FRAME,
    _COMPILATION,
    EXECUTION_SCOPE,
    FILE_ACCESS,
    SERIALIZATION_SETTINGS,
    EXECUTION_STATE,
)

#: The contexts pushed in this context (per asyncio task and thread): (context, values installed, values replaced).
_STACK: contextvars.ContextVar[tuple[tuple[FlyteContext, tuple[Any, ...], tuple[Any, ...]], ...]] = (
    contextvars.ContextVar("aioflyte_flyte_contexts", default=())
)


def _current_values() -> tuple[Any, ...]:
    return tuple(v.get() for v in _VARS)


def _values_of(ctx: FlyteContext) -> tuple[Any, ...]:
    es = ctx._es
    installed_state = (ctx._raw_frame, es) if es is not None and not es._derived else None
    return (
        ctx._run,
        ctx._raw_frame,
        ctx.compilation_state,
        ctx._scope,
        ctx._fa,
        ctx.serialization_settings,
        installed_state,
    )


def _install(values: tuple[Any, ...]) -> None:
    for var, value in zip(_VARS, values):
        var.set(value)


class FlyteContextManager:
    """Reads and installs ``FlyteContext``s, on context variables: per asyncio task and thread, never global."""

    @staticmethod
    def current_context() -> FlyteContext:
        """The context of the calling code: the one pushed last in this block if nothing changed since (the
        same object), else one made from the context variables (inside a task: that task's)."""
        stack = _STACK.get()
        values = _current_values()
        if stack:
            ctx, installed, _ = stack[-1]
            if all(a is b for a, b in zip(installed, values)):
                return ctx
        run, raw_frame, compilation, scope, fa, ss, installed_state = values
        ctx = FlyteContext(fa, len(stack) + 1, compilation, None, ss, run=run)
        ctx._raw_frame, ctx._scope = raw_frame, scope
        if installed_state is not None and installed_state[0] is raw_frame:
            ctx._es = installed_state[1]
        return ctx

    @staticmethod
    def push_context(ctx: FlyteContext, f: traceback.FrameSummary | None = None) -> FlyteContext:
        """Install ``ctx`` for the code that follows (in this asyncio task or thread) until ``pop_context()``."""
        if isinstance(ctx, FlyteContext.Builder):
            ctx = ctx.build()
        stack = _STACK.get()
        ctx.level = len(stack) + 2
        ctx.origin_stackframe = f if f is not None else FlyteContextManager.get_origin_stackframe()
        installed = _values_of(ctx)
        previous = _current_values()
        _install(installed)
        _STACK.set((*stack, (ctx, installed, previous)))
        return ctx

    @staticmethod
    def pop_context() -> FlyteContext:
        """Remove the context pushed last in this asyncio task or thread, restoring the values it replaced."""
        stack = _STACK.get()
        if not stack:
            raise AssertionError(
                "FlyteContextManager.pop_context(): no context was pushed here (contexts pushed in another "
                "asyncio task or thread are not visible here)"
            )
        ctx, _, previous = stack[-1]
        _install(previous)
        _STACK.set(stack[:-1])
        return ctx

    @staticmethod
    @contextlib.contextmanager
    def with_context(b: FlyteContext.Builder | FlyteContext) -> Iterator[FlyteContext]:
        """Install the context ``b`` builds (or ``b`` itself) for the block; the previous one comes back after."""
        ctx = FlyteContextManager.push_context(
            b.build() if isinstance(b, FlyteContext.Builder) else b, FlyteContextManager.get_origin_stackframe(3)
        )
        depth = len(_STACK.get())
        try:
            yield ctx
        finally:
            stack = _STACK.get()
            if len(stack) >= depth and stack[depth - 1][0] is ctx:
                while len(_STACK.get()) >= depth:  # also what the block pushed and did not pop
                    FlyteContextManager.pop_context()

    @staticmethod
    def size() -> int:
        """How many contexts are in force here: the base one plus those pushed in this asyncio task or thread."""
        return len(_STACK.get()) + 1

    @staticmethod
    def initialize() -> None:
        """Back to the base context: pop what was pushed here, and make a new default context outside runs."""
        while _STACK.get():
            FlyteContextManager.pop_context()
        _outside.clear()

    @staticmethod
    def get_origin_stackframe(limit: int = 2) -> traceback.FrameSummary:
        """The frame ``limit`` levels up the stack from the caller of this function (1: the caller itself)."""
        frames = traceback.extract_stack(limit=limit + 1)
        return frames[0]
