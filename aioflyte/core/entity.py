"""What every callable entity shares: a name, a typed interface, and binding call arguments to inputs."""

from __future__ import annotations

from typing import Any

from aioflyte.core.interface import NO_DEFAULT, Interface


class Entity:
    """Mixin: binds ``(*args, **kwargs)`` to named inputs, filling defaults, with clear errors."""

    node_kind = "task"
    _name: str

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
