"""``HashMethod`` on task outputs, carried to the tasks they feed.

An output declared ``Annotated[T, HashMethod(fn)]`` has the hash ``fn(value)`` (flytekit puts it on the output's
literal). Locally, values pass between tasks as Python objects, so the run remembers each such value's hash by
identity, and a cached task that receives the very same object uses that hash for it in its cache key, as a
downstream task on Flyte sees the upstream literal's hash.
"""

from __future__ import annotations

import typing
from typing import Any

from aioflyte.runscope import RunState
from aioflyte.types.engine import HashMethod


def output_hashers(iface: Any) -> tuple[tuple[str, HashMethod[Any]], ...]:
    """(output name, its HashMethod) for each output annotated with one."""
    found = []
    for name, t in iface.outputs.items():
        if typing.get_origin(t) is typing.Annotated:
            for m in t.__metadata__:
                if isinstance(m, HashMethod):
                    found.append((name, m))
                    break
    return tuple(found)


def record(run: RunState, iface: Any, hashers: tuple[tuple[str, HashMethod[Any]], ...], result: Any) -> None:
    """Remember the hashes of a call's annotated outputs for the rest of the run (the values are kept alive
    with them, so their identities stay theirs)."""
    values = iface.unpack_outputs(result, "task")
    table = run.hashes
    if table is None:
        table = run.hashes = {}
    for name, method in hashers:
        v = values[name]
        table[id(v)] = (v, method.calculate(v))


def hash_of(run: RunState, value: Any) -> str | None:
    """The HashMethod hash an upstream output gave ``value`` in this run, if it is such an output."""
    table = run.hashes
    if not table:
        return None
    found = table.get(id(value))
    return found[1] if found is not None and found[0] is value else None
