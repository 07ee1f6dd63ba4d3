"""``map_task``: run a task (or launch plan) once per element of its list inputs, as one array node.

``map_task(t)`` is an entity whose inputs are ``list[T]`` for each input ``T`` of ``t`` (inputs fixed with
``functools.partial`` stay scalars and go to every item) and whose outputs are ``list[T]`` per output of ``t``
(``list[Optional[T]]`` when some items may fail: ``min_success_ratio < 1`` or ``min_successes``). In a workflow
body a call adds one array node; elsewhere ``await mt(x=[...])`` runs it. Locally the engine keeps at most
``concurrency`` items in flight and creates work lazily, so memory grows with the concurrency, not with the
number of items: see ``engine/map_runner.py``.
"""

from __future__ import annotations

import copy
import functools
import math
import typing
from typing import Any

from aioflyte.core.entity import Entity
from aioflyte.core.interface import NO_DEFAULT, Interface
from aioflyte.exceptions import FlyteValidationException
from aioflyte.exceptions import MapTaskFailure as MapTaskFailure

#: The most items in flight when ``concurrency=0`` ("unbounded" in flytekit): all items, up to this many at once.
MAX_UNBOUNDED_CONCURRENCY = 1000


def _check_count(name: str, param: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise FlyteValidationException(f"map_task({name}): {param} expected a non-negative int or None, got {value!r}")


def _target_kind(target: Any) -> str:
    kind = getattr(target, "node_kind", None)
    if kind is None or not hasattr(target, "python_interface"):
        what = getattr(target, "__qualname__", None) or type(target).__name__
        raise FlyteValidationException(
            f"map_task() expects a task, a functools.partial of a task, or a launch plan; got {what!r}"
            + (" (decorate the function with @task)" if callable(target) else "")
        )
    if kind == "array":
        raise FlyteValidationException(f"map_task({target.name}): mapping over a map task is not supported")
    if kind == "workflow":
        raise FlyteValidationException(
            f"map_task({target.name}): a workflow cannot be mapped; map a task, or a launch plan of the workflow"
        )
    if getattr(target, "task_type", None) == "raw-container":  # flytekit refuses it too
        raise FlyteValidationException(
            f"map_task({target.name}): a ContainerTask cannot be mapped (flytekit maps Python tasks only); "
            "map a @task that runs the command, or call the ContainerTask in a @dynamic loop"
        )
    mode = getattr(target, "execution_mode", None)
    if kind == "task" and mode is not None and getattr(mode, "name", "DEFAULT") != "DEFAULT":
        raise FlyteValidationException(
            f"map_task({target.name}): only plain tasks can be mapped, not @{mode.name.lower()} tasks"
        )
    return kind


def _name_parts(target: Any) -> tuple[str, str]:
    """(module, short name) of the mapped entity, as flytekit derives them for a map task's name."""
    fn = getattr(target, "task_function", None)
    if fn is not None:
        return fn.__module__, fn.__name__.rsplit(".", 1)[-1]
    mod, _, short = target.name.rpartition(".")
    return mod, short


def _with_metadata(target: Any, metadata: Any) -> Any:
    """A copy of the mapped task whose metadata is ``metadata`` (each item runs with its retries, timeout and
    cache settings)."""
    from aioflyte.core.base_task import TaskMetadata

    if not isinstance(metadata, TaskMetadata):
        raise FlyteValidationException(
            f"map_task({target.name}): metadata expected a TaskMetadata, got {type(metadata).__name__}"
        )
    if getattr(target, "node_kind", None) != "task" or not hasattr(target, "with_overrides_applied"):
        raise FlyteValidationException(f"map_task({target.name}): metadata= applies to mapped tasks only")
    import dataclasses

    md = dataclasses.replace(metadata)
    t = copy.copy(target)
    t._metadata = md
    t._plan = None
    t._cache_config = None
    if md.cache:
        from aioflyte.core.cache import resolve_cache

        cfg, version, serialize, ignored = resolve_cache(
            target.name,
            getattr(target, "task_function", None),
            True,
            md.cache_version or None,
            md.cache_serialize,
            md.cache_ignore_input_vars,
            None,
            None,
            None,
        )
        md.cache_version, md.cache_serialize, md.cache_ignore_input_vars = version, serialize, ignored
        t._cache_config = cfg
    return t


class ArrayNodeMapTask(Entity):
    """A task or launch plan mapped over list inputs: one array node with flytekit's name and interface."""

    node_kind = "array"

    def __init__(
        self,
        target: Any,
        concurrency: int | None = None,
        min_successes: int | None = None,
        min_success_ratio: float | None = 1.0,
        run_all_sub_nodes: bool = False,
        bound_inputs: typing.Iterable[str] | None = None,
        bound_inputs_values: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        fixed: dict[str, Any] = {}
        partial = None
        if isinstance(target, functools.partial):
            partial = target
            if target.args:
                raise FlyteValidationException(
                    f"map_task(): functools.partial of {getattr(target.func, 'name', target.func)!r} binds "
                    f"{len(target.args)} positional argument(s); bind fixed inputs by name, e.g. partial(t, y=1)"
                )
            fixed.update(target.keywords)
            target = target.func
        kind = _target_kind(target)
        where = target.name
        _check_count(where, "concurrency", concurrency)
        _check_count(where, "min_successes", min_successes)
        if min_success_ratio is not None and (
            isinstance(min_success_ratio, bool)
            or not isinstance(min_success_ratio, (int, float))
            or not 0 <= min_success_ratio <= 1
        ):
            raise FlyteValidationException(
                f"map_task({where}): min_success_ratio expected a number between 0 and 1, got {min_success_ratio!r}"
            )
        fixed.update(bound_inputs_values or {})
        bound = set(bound_inputs or ()) | set(fixed)
        tiface = target.python_interface
        unknown = sorted(bound - set(tiface.inputs))
        if unknown:
            raise FlyteValidationException(
                f"map_task({where}): fixed input(s) {', '.join(map(repr, unknown))} are not inputs of {where} "
                f"(its inputs: {', '.join(tiface.inputs) or 'none'})"
            )
        self._target = target
        self._partial = partial
        self._kind = kind
        self._concurrency = concurrency
        self._min_successes = min_successes
        self._min_success_ratio = 1.0 if min_success_ratio is None else min_success_ratio
        self._run_all_sub_nodes = bool(run_all_sub_nodes)
        self._bound_inputs = frozenset(bound)
        self._bound_values = dict(fixed)
        metadata = kwargs.pop("metadata", None)
        self._extra = kwargs
        if metadata is not None:
            # flytekit's map_task(t, metadata=TaskMetadata(...)): the array node's own metadata (retries, timeout,
            # cache, ... of each item), in place of the mapped task's
            target = self._target = _with_metadata(target, metadata)
            metadata = target.metadata
        self._metadata = metadata
        self._optional_outputs = min_successes is not None or self._min_success_ratio != 1

        inputs: dict[str, tuple[Any, Any]] = {}
        for n, (t, d) in tiface.inputs.items():
            if n in bound:
                inputs[n] = (t, fixed.get(n, d))
            else:
                inputs[n] = (list[t], NO_DEFAULT)  # type: ignore[valid-type]
        outputs = {
            n: list[typing.Optional[t]] if self._optional_outputs else list[t]  # type: ignore[valid-type]  # noqa: UP045
            for n, t in tiface.outputs.items()
        }
        self._interface = Interface(inputs, outputs, None, len(outputs) > 1, tiface.docstring)
        self._mapped_inputs = tuple(n for n in tiface.inputs if n not in bound)

        if kind == "launch_plan":
            self._name = target.name  # flytekit names a launch plan's array node after the launch plan
        else:
            mod, short = _name_parts(target)
            key = f"{','.join(sorted(bound))}{concurrency}{min_successes}{min_success_ratio}"
            import hashlib

            digest = hashlib.md5(key.encode("utf-8"), usedforsecurity=False).hexdigest()
            self._name = f"{mod}.map_{short}_{digest}-arraynode"
        self._init_binding(self._interface)

    # --- identity and settings (what the serializer reads) ---------------------------------------
    @property
    def short_name(self) -> str:
        return self._name.rsplit(".", 1)[-1]

    @property
    def target(self) -> Any:
        """The mapped entity (the task itself for a ``functools.partial``)."""
        return self._target

    @property
    def python_function_task(self) -> Any:
        return self._target

    @property
    def target_kind(self) -> str:
        """``node_kind`` of the mapped entity: ``task`` or ``launch_plan``."""
        return self._kind

    @property
    def partial(self) -> functools.partial[Any] | None:
        return self._partial

    @property
    def concurrency(self) -> int | None:
        return self._concurrency

    @property
    def min_successes(self) -> int | None:
        return self._min_successes

    @property
    def min_success_ratio(self) -> float:
        return self._min_success_ratio

    @property
    def run_all_sub_nodes(self) -> bool:
        return self._run_all_sub_nodes

    @property
    def bound_inputs(self) -> frozenset[str]:
        """Inputs passed whole to every item (not mapped): ``partial`` keywords and ``bound_inputs``."""
        return self._bound_inputs

    @property
    def bound_inputs_values(self) -> dict[str, Any]:
        """Values of the bound inputs fixed at ``map_task`` time (``partial`` keywords, ``bound_inputs_values``)."""
        return dict(self._bound_values)

    @property
    def mapped_inputs(self) -> tuple[str, ...]:
        return self._mapped_inputs

    @property
    def optional_outputs(self) -> bool:
        """True when failed items leave ``None`` in the output lists (``list[Optional[T]]``)."""
        return self._optional_outputs

    @property
    def metadata(self) -> Any:
        """The ``metadata=`` given to ``map_task``, else the mapped task's."""
        return self._metadata if self._metadata is not None else getattr(self._target, "metadata", None)

    @property
    def task_type(self) -> str:
        return getattr(self._target, "task_type", "python-task")

    @property
    def task_type_version(self) -> int:
        return 1

    @property
    def settings(self) -> dict[str, Any]:
        """Other flytekit ``map_task`` keyword arguments, kept for serialization."""
        return self._extra

    def required_successes(self, n: int) -> int:
        """How many of ``n`` items must succeed: ``min_successes`` if set, else ``ceil(n * min_success_ratio)``."""
        if self._min_successes is not None:
            return self._min_successes
        # round() first so that e.g. 10 * 0.7 == 7.000000000000001 needs 7 successes, not 8
        return math.ceil(round(n * self._min_success_ratio, 9))

    def max_in_flight(self, n: int, run_parallelism: int) -> int:
        """Items running at once: ``concurrency``; None inherits the run's parallelism (as on Flyte);
        0 ("unbounded") means all items but at most ``MAX_UNBOUNDED_CONCURRENCY``."""
        c = self._concurrency
        if c is None:
            c = run_parallelism
        elif c == 0:
            c = MAX_UNBOUNDED_CONCURRENCY
        return max(1, min(n, c))

    def with_overrides_applied(self, overrides: dict[str, Any]) -> ArrayNodeMapTask:
        """A copy whose mapped task has a node's ``with_overrides`` applied (resources, retries, ... per item)."""
        t = copy.copy(self)
        t.__dict__.setdefault("_overridden_from", self)  # the original: what task_mock() keys mocks by
        if hasattr(self._target, "with_overrides_applied"):
            t._target = self._target.with_overrides_applied(overrides)
        return t

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, interface={self._interface!r})"


def map_task(
    target: Any,
    concurrency: int | None = None,
    min_successes: int | None = None,
    min_success_ratio: float = 1.0,
    **kwargs: Any,
) -> ArrayNodeMapTask:
    """Map ``target`` (a task, a ``functools.partial`` of one, or a launch plan) over list inputs.

    ``concurrency``: items in flight at once (None: the run's parallelism; 0: all, capped at
    ``MAX_UNBOUNDED_CONCURRENCY``). With ``min_success_ratio=1`` and no ``min_successes`` the first failed
    item fails the map (cancelling the others); otherwise failed items become None and the map fails only
    when fewer than ``min_successes`` (else ``ceil(n * min_success_ratio)``) items succeed.
    flytekit's other keyword arguments (``run_all_sub_nodes``, ``bound_inputs``, ...) are accepted and kept.
    """
    return ArrayNodeMapTask(
        target,
        concurrency=concurrency,
        min_successes=min_successes,
        min_success_ratio=min_success_ratio,
        **kwargs,
    )


__all__ = ["MAX_UNBOUNDED_CONCURRENCY", "ArrayNodeMapTask", "MapTaskFailure", "map_task"]
