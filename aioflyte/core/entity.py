"""What every callable entity shares: a name, a typed interface, binding call arguments, and the call protocol.

Calling an entity inside a workflow body being compiled adds a node to the graph and returns promises; anywhere
else it returns an awaitable that runs it through the current ``Controller`` (``aioflyte.core.controller``):
the local engine by default, a Flyte backend under a ``RemoteController``.
"""

from __future__ import annotations

import sys
from collections.abc import Coroutine
from typing import Any, ClassVar

from aioflyte.core.context import _COMPILATION
from aioflyte.core.controller import get_controller
from aioflyte.core.interface import NO_DEFAULT, Interface
from aioflyte.runscope import IN_PROCESS_BODY, run_loop


def _get_running_loop() -> Any:
    """The running loop of this thread, or None: asyncio's C function, which replaces this stub at first use.

    Importing aioflyte does not import asyncio; wherever a loop can be running, asyncio has been imported.
    """
    global _get_running_loop
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    _get_running_loop = asyncio._get_running_loop
    return _get_running_loop()


def value_or_awaitable(coro: Coroutine[Any, Any, Any]) -> Any:
    """The coroutine to await; or, when called from a sync task's worker thread, its value.

    A sync task body runs in a worker thread; calling an entity there runs it on the run's own loop and
    waits, as flytekit users expect (no hidden loop is started). A body run in a process pool's worker
    (``executor="process"``) has no loop of the run there: the call runs to completion on a loop of its own.
    """
    if _get_running_loop() is None:
        loop = run_loop()
        if loop is not None:
            import asyncio

            return asyncio.run_coroutine_threadsafe(coro, loop).result()
        if IN_PROCESS_BODY:  # a process body's call: run here, in a run of the worker's own
            import asyncio

            return asyncio.run(coro)
    return coro


class Entity:
    """Base of callable entities: subclasses set ``_name`` and ``_interface`` and pick the controller method."""

    #: What kind of node this entity makes in a graph (task, workflow, launch_plan, array, branch, gate).
    node_kind: ClassVar[str] = "task"
    _name: str
    _interface: Interface

    @property
    def name(self) -> str:
        return self._name

    @property
    def python_interface(self) -> Interface:
        return self._interface

    @property
    def interface(self) -> Interface:
        return self._interface

    def local_run_error(self) -> str | None:
        """Why this entity cannot run in this process (e.g. it exists only on a Flyte backend); None if it can."""
        return None

    def _run_coroutine(self, inputs: dict[str, Any]) -> Coroutine[Any, Any, Any]:
        """The coroutine that runs this entity with bound inputs (subclasses pick the Controller method)."""
        return get_controller().run_entity(self, inputs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        state = _COMPILATION.get()
        if state is not None:
            return state.add_call(self, args, kwargs)
        return value_or_awaitable(self._run_coroutine(self.bind(args, kwargs)))

    def start(self, *args: Any, signals: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """Start a run in the background and return its handle (states, cancellation, ``await`` for result)."""
        return get_controller().start(self, self.bind(args, kwargs), signals=signals)

    def _init_binding(self, interface: Interface) -> None:
        self._input_names = tuple(interface.inputs)
        self._input_set = frozenset(interface.inputs)
        #: the one input's name when there is exactly one (calls check it with one lookup), else None
        self._sole_input = self._input_names[0] if len(self._input_names) == 1 else None
        self._defaults = tuple((k, v[1]) for k, v in interface.inputs.items() if v[1] is not NO_DEFAULT)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Inputs by name from a call's arguments, defaults filled; a clear error for bad arguments.

        ``kwargs`` is the call's own keyword dict: it is completed in place and returned.
        """
        if args:
            if len(args) > len(self._input_names):
                raise TypeError(
                    f"{self._name}() takes {len(self._input_names)} inputs "
                    f"({', '.join(self._input_names)}) but {len(args)} positional arguments were given"
                )
            for n, a in zip(self._input_names, args):
                if n in kwargs:
                    raise TypeError(f"{self._name}() got multiple values for input {n!r}")
                kwargs[n] = a
        for n, d in self._defaults:
            if n not in kwargs:
                kwargs[n] = d
        if kwargs.keys() != self._input_set:
            unknown = [k for k in kwargs if k not in self._input_set]
            if unknown:
                raise TypeError(
                    f"{self._name}() got unexpected input(s) {', '.join(map(repr, unknown))}; "
                    f"its inputs are: {', '.join(self._input_names) or '(none)'}"
                )
            missing = [k for k in self._input_names if k not in kwargs]
            raise TypeError(f"{self._name}() missing required input(s): {', '.join(map(repr, missing))}")
        return kwargs
