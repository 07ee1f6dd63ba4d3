"""flytekit's ``ClassStorageTaskResolver``: a resolver that keeps the tasks given to it in a list and finds one in a
container by its position there (for tasks made in a loop or by a factory, which no module attribute names).

Assign the resolver to a module-level variable: its ``location`` (what the container imports) is that module and
name, found when first asked. The tasks must be created and ``add``-ed in the same order wherever the module is
imported (at registration and in the container), as with flytekit.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from typing import Any

from aioflyte.core.base_task import PythonTask, TaskResolverMixin
from aioflyte.exceptions import FlyteResolverError


class ClassStorageTaskResolver(TaskResolverMixin):
    """Stores tasks in order (``add``); ``loader_args`` is a task's index, ``load_task`` the task at an index."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.mapping: list[PythonTask] = []
        self._module = _instantiating_module(type(self))
        self._location: str | None = None
        super().__init__(*args, **kwargs)

    @property
    def location(self) -> str:
        """``module.variable`` of this resolver (the module it was made in; the variable found there)."""
        if self._location is None:
            module = sys.modules.get(self._module) or importlib.import_module(self._module)
            names = [k for k, v in vars(module).items() if v is self]
            if not names:
                raise FlyteResolverError(
                    f"ClassStorageTaskResolver made in module {self._module!r} is not assigned to a variable of that "
                    "module: a container could not import it (assign it at module level, e.g. `resolver = "
                    "ClassStorageTaskResolver()`)"
                )
            module_name = self._module
            if module_name == "__main__":  # run as a script: the container imports it by its file's module name
                file = getattr(module, "__file__", None) or "__main__"
                module_name = inspect.getmodulename(file) or module_name
            self._location = f"{module_name}.{names[0]}"
        return self._location

    def name(self) -> str:
        return "ClassStorageTaskResolver"

    def get_all_tasks(self) -> list[PythonTask]:
        return self.mapping

    def add(self, t: PythonTask) -> None:
        """Keep ``t`` (its index is its position among the tasks added)."""
        self.mapping.append(t)

    def load_task(self, loader_args: list[str]) -> PythonTask:
        if len(loader_args) != 1:
            raise FlyteResolverError(
                f"ClassStorageTaskResolver {self._location or self._module}: expected one argument (a task's index), "
                f"got {loader_args!r}"
            )
        try:
            idx = int(loader_args[0])
        except ValueError:
            raise FlyteResolverError(
                f"ClassStorageTaskResolver: expected a task's index, got {loader_args[0]!r}"
            ) from None
        if not 0 <= idx < len(self.mapping):
            raise FlyteResolverError(
                f"ClassStorageTaskResolver: no task at index {idx} (it holds {len(self.mapping)}); were the tasks "
                "added in the same order as at registration?"
            )
        return self.mapping[idx]

    def loader_args(self, settings: Any, t: PythonTask) -> list[str]:
        for i, known in enumerate(self.mapping):
            if known is t:
                return [str(i)]
        raise FlyteResolverError(f"task {t.name!r} was not added to this ClassStorageTaskResolver")


def _instantiating_module(cls: type) -> str:
    """The module of the code that created the instance (past the ``__init__`` frames of its classes)."""
    inits = {vars(k)["__init__"].__code__ for k in cls.__mro__ if hasattr(vars(k).get("__init__"), "__code__")}
    frame = inspect.currentframe()
    try:
        f = frame.f_back if frame is not None else None
        while f is not None and (f.f_code in inits or f.f_code.co_name == "_instantiating_module"):
            f = f.f_back
        return str(f.f_globals.get("__name__", "__main__")) if f is not None else "__main__"
    finally:
        del frame


__all__ = ["ClassStorageTaskResolver"]
