"""What every callable entity shares: a name, a typed interface, and binding call arguments to inputs."""

from __future__ import annotations

import asyncio
from typing import Any

from aioflyte.core import context as _ctx
from aioflyte.core.interface import NO_DEFAULT, Interface


def value_or_awaitable(coro: Any) -> Any:
    """The coroutine to await; or, when called from a sync task's worker thread, its value.

    A sync task body runs in a worker thread; calling an entity there runs it on the run's own loop and
    waits, as flytekit users expect (no hidden loop is started).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        run = _ctx._RUN.get()
        if run is not None and run.loop is not None and run.loop.is_running():
            return asyncio.run_coroutine_threadsafe(coro, run.loop).result()
    return coro


class Entity:
    """What every callable entity shares: binding arguments to inputs and the call protocol.

    Calling an entity inside a workflow body being compiled adds a node and returns promises; anywhere
    else it returns an awaitable that runs it through the current Controller (DESIGN decisions 1, 2).
    """

    node_kind = "task"
    _name: str

    def _run_coroutine(self, inputs: dict[str, Any]) -> Any:
        """The coroutine that runs this entity with bound inputs (subclasses pick the Controller method)."""
        return _ctx.get_controller().run_entity(self, inputs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        state = _ctx._COMPILATION.get()
        if state is not None:
            return state.add_call(self, args, kwargs)
        return value_or_awaitable(self._run_coroutine(self.bind(args, kwargs)))

    def start(self, *args: Any, **kwargs: Any) -> Any:
        """Start a run in the background and return its handle (states, cancellation, ``await`` for result)."""
        from aioflyte.engine.handle import start

        return start(self, *args, **kwargs)

    def _init_binding(self, interface: Interface) -> None:
        self._input_names = tuple(interface.inputs)
        self._input_set = frozenset(interface.inputs)
        self._defaults = tuple((k, v[1]) for k, v in interface.inputs.items() if v[1] is not NO_DEFAULT)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """Inputs by name from a call's arguments, defaults filled; a clear error for bad arguments."""
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
