"""Runs a map task locally: bounded, lazily created fan-out with flytekit's failure rule.

A fixed number of worker tasks (the map's concurrency, at most one per item) pull the next item index from a
shared counter, so memory grows with the concurrency plus the result lists, never with one coroutine per
item. Each item is one ordinary call of the mapped entity through the controller, so its retries, timeout
and cache apply per item. When this returns or raises, no worker or item is left running.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from aioflyte.core.map_task import ArrayNodeMapTask
from aioflyte.engine import events
from aioflyte.exceptions import FlyteValidationException, MapTaskFailure
from aioflyte.runscope import RunState


class _Progress:
    """Shared state of one map run: the next index to hand out, the counts and the error that ends it."""

    __slots__ = ("failed", "fatal", "first_error", "first_index", "next", "succeeded")

    def __init__(self) -> None:
        self.next = 0
        self.succeeded = 0
        self.failed = 0
        self.first_error: BaseException | None = None
        self.first_index = -1
        self.fatal: BaseException | None = None


def _note(e: BaseException, mt: ArrayNodeMapTask, index: int, n: int) -> None:
    if hasattr(e, "add_note"):
        e.add_note(f"aioflyte: item {index} (of {n}) of map task {mt.name} failed")


def _mapped_lists(mt: ArrayNodeMapTask, inputs: dict[str, Any]) -> tuple[int, list[tuple[str, Any]]]:
    """The number of items and the mapped input lists; a clear error for non-lists or unequal lengths."""
    mapped = []
    for name in mt.mapped_inputs:
        v = inputs[name]
        if not isinstance(v, (list, tuple)):
            raise FlyteValidationException(
                f"map task {mt.name}: input {name!r} is mapped over and must be a list, got {type(v).__name__}"
            )
        mapped.append((name, v))
    lengths = {name: len(v) for name, v in mapped}
    if len(set(lengths.values())) > 1:
        got = ", ".join(f"{k}: {v}" for k, v in lengths.items())
        raise FlyteValidationException(
            f"map task {mt.name}: all mapped inputs must be lists of the same length, got lengths {got}"
        )
    return (next(iter(lengths.values())) if lengths else 0), mapped


def _failure(mt: ArrayNodeMapTask, p: _Progress, n: int, required: int) -> MapTaskFailure:
    rule = (
        f"min_successes={mt.min_successes}"
        if mt.min_successes is not None
        else f"min_success_ratio={mt.min_success_ratio:g}"
    )
    succeeded = p.succeeded
    rest = n - succeeded - p.failed
    first = p.first_error
    msg = (
        f"map task {mt.name}: {succeeded} of {n} items succeeded and {p.failed} failed"
        + (f" ({rest} not run or cancelled)" if rest else "")
        + f"; {required} successes were required ({rule}). "
        + (
            f"First failure: item {p.first_index}: {type(first).__name__}: {first}"
            if first is not None
            else "Items were cancelled."
        )
    )
    err = MapTaskFailure(
        msg, total=n, succeeded=succeeded, failed=p.failed, required=required, first_failed_index=p.first_index
    )
    err.__cause__ = first
    return err


async def run_map(controller: Any, mt: ArrayNodeMapTask, inputs: dict[str, Any], run: RunState) -> Any:
    """Run every item of ``mt`` with at most ``mt.max_in_flight`` at once; outputs collected by index."""
    n, mapped = _mapped_lists(mt, inputs)
    target = mt.target
    tiface = target.python_interface
    fixed = {k: inputs[k] for k in tiface.inputs if k in mt.bound_inputs and k in inputs}
    n_out = len(tiface.outputs)
    spread = tiface.output_tuple is not None or tiface.positional_outputs
    lists: list[list[Any]] = [[None] * n for _ in range(n_out)]
    required = mt.required_successes(n)
    if required > n:
        raise FlyteValidationException(
            f"map task {mt.name}: min_successes={required} but there are only {n} items to map over"
        )
    all_or_nothing = mt.min_successes is None and mt.min_success_ratio >= 1
    allowed_failures = n - required
    run_all = mt.run_all_sub_nodes
    call: Callable[[Any, dict[str, Any]], Any] = (
        controller.run_task if mt.target_kind == "task" else controller.run_entity
    )
    p = _Progress()
    tracker = getattr(run, "tracker", None)
    if tracker is not None:
        tracker.map_started(target.name, n)
    if events.on():
        events.event("map started", map=mt.name, items=n, required=required)

    def store(i: int, value: Any) -> None:
        p.succeeded += 1
        if events.on():
            events.event("map progress", map=mt.name, succeeded=p.succeeded, failed=p.failed, items=n)
        if n_out == 1 and not spread:
            lists[0][i] = value
        elif n_out:
            for lst, v in zip(lists, value):
                lst[i] = v

    async def worker() -> None:
        while p.fatal is None:
            i = p.next
            if i >= n:
                return
            p.next = i + 1
            item = dict(fixed)
            for name, values in mapped:
                item[name] = values[i]
            try:
                value = await call(target, item)
            except Exception as e:  # CancelledError is a BaseException: cancellation propagates
                _note(e, mt, i, n)
                p.failed += 1
                if events.on():
                    events.event("map item failed", map=mt.name, item=i, error=f"{type(e).__name__}: {e}")
                if p.first_error is None:
                    p.first_error, p.first_index = e, i
                if all_or_nothing:
                    if p.fatal is None:
                        p.fatal = e
                    raise
                if p.failed > allowed_failures and not run_all and p.fatal is None:
                    # Success is out of reach: stop now, as Flyte does, instead of running the rest.
                    p.fatal = _failure(mt, p, n, required)
                    raise p.fatal  # noqa: B904 - its __cause__ is the first failure, set by _failure
                continue
            store(i, value)

    if n:
        loop = asyncio.get_running_loop()
        width = mt.max_in_flight(n, run.max_parallelism or _default_parallelism())
        workers = [loop.create_task(worker(), name=f"aioflyte:{mt.short_name}:w{j}") for j in range(width)]
        try:
            await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            # On the first fatal failure, or when the map itself is cancelled: cancel all in-flight items
            # and wait until they are gone, so that nothing of this map outlives it.
            pending = [w for w in workers if not w.done()]
            for w in pending:
                w.cancel()
            if pending:
                await asyncio.wait(pending)
            unexpected = None
            for w in workers:
                if w.done() and not w.cancelled():
                    exc = w.exception()  # also marks it retrieved
                    if exc is not None and exc is not p.fatal and unexpected is None:
                        unexpected = exc
        if p.fatal is not None:
            raise p.fatal
        if unexpected is not None:
            raise unexpected
        if p.succeeded < required:  # run_all_sub_nodes: every item ran, too few succeeded
            raise _failure(mt, p, n, required)

    if n_out == 0:
        return None
    if n_out == 1:
        return lists[0]
    return tuple(lists)


def _default_parallelism() -> int:
    from aioflyte.engine.config import settings

    return settings.max_parallelism
