"""``Environment``: a named set of ``@task`` parameters shared by many tasks (flytekit's ``Environment``).

``env = Environment(retries=2, requests=Resources(cpu="1"))`` holds the parameters; ``@env.task`` (or
``@env``) makes a task with them, ``@env.task(timeout=60)`` adds or replaces some for one task, ``env.extend``
makes a new environment from this one, ``env.update`` changes this one. Nested dicts (``environment``,
``labels``, ...) are merged key by key, as flytekit merges them.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, Callable

from aioflyte.exceptions import FlyteValidationException

_TASK_FUNCTION = "_task_function"


def inherit(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` laid over a deep copy of ``old``: dicts merge key by key, every other value replaces."""
    out = copy.deepcopy(old)
    for key, value in new.items():
        if key in out and isinstance(value, dict) and isinstance(out[key], dict):
            out[key] = inherit(out[key], value)
        else:
            out[key] = value
    return out


def _check(where: str, overrides: dict[str, Any]) -> None:
    """Unknown ``@task`` parameters are an error now, naming the environment, not when a task is made."""
    from aioflyte.core.task import _EXTRA_PARAMETERS, task

    if _TASK_FUNCTION in overrides:
        raise KeyError(f"{where}: cannot override the task function ({_TASK_FUNCTION!r})")
    valid = (set(inspect.signature(task).parameters) - {_TASK_FUNCTION, "kwargs"}) | _EXTRA_PARAMETERS | {"executor"}
    unknown = sorted(k for k in overrides if k not in valid)
    if unknown:
        import difflib

        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, sorted(valid), n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        plural = "s" if len(hints) > 1 else ""
        raise FlyteValidationException(f"{where}: unknown @task parameter{plural} {', '.join(hints)}")


class Environment:
    """Task parameters shared by the tasks made with ``@env.task``."""

    def __init__(self, **overrides: Any) -> None:
        _check("Environment", overrides)
        self.overrides: dict[str, Any] = dict(overrides)

    def update(self, **overrides: Any) -> None:
        """Change this environment's parameters (dicts merged key by key)."""
        _check("Environment.update", overrides)
        self.overrides = inherit(self.overrides, overrides)

    def extend(self, **overrides: Any) -> Environment:
        """A new environment: this one's parameters with ``overrides`` laid over them."""
        _check("Environment.extend", overrides)
        return self.__class__(**inherit(self.overrides, overrides))

    def __call__(self, _task_function: Callable[..., Any] | None = None, /, **overrides: Any) -> Any:
        """``@env.task`` / ``@env.task(**more)``: a task made with this environment's parameters."""
        from aioflyte.core.task import task

        return self._decorate(task, "task", _task_function, overrides)

    task = __call__

    def dynamic(self, _task_function: Callable[..., Any] | None = None, /, **overrides: Any) -> Any:
        """``@env.dynamic``: a dynamic workflow task made with this environment's parameters."""
        from aioflyte.core.dynamic import dynamic

        return self._decorate(dynamic, "dynamic", _task_function, overrides)

    def _decorate(
        self, make: Callable[..., Any], what: str, fn: Callable[..., Any] | None, overrides: dict[str, Any]
    ) -> Any:
        if fn is not None:
            if not callable(fn):
                raise ValueError(
                    f"Environment.{what}: the first positional argument must be a callable, got {type(fn).__name__}"
                )
            return make(fn, **self.overrides)
        _check(f"Environment.{what}", overrides)
        merged = inherit(self.overrides, overrides)

        def inner(f: Callable[..., Any]) -> Any:
            return make(f, **merged)

        return inner

    def show(self) -> None:
        """Print the parameters in a panel (rich), as flytekit does."""
        from rich.console import Console
        from rich.panel import Panel
        from rich.pretty import Pretty

        Console().print(Panel.fit(Pretty(self.overrides)))

    def __repr__(self) -> str:
        return f"Environment({', '.join(f'{k}={v!r}' for k, v in self.overrides.items())})"


__all__ = ["Environment", "inherit"]
