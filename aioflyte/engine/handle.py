"""Run handles: start a run in the background, watch each node's state, cancel it, await its result."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aioflyte.engine import events
from aioflyte.engine.signals import provider_for
from aioflyte.runscope import RunState, run_scope


@dataclass
class NodeState:
    """One node (or eager child call) of a run: status, attempts and timings."""

    id: str
    name: str
    status: str = "pending"  # pending | running | succeeded | failed | cancelled | skipped
    attempts: int = 0
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.ended_at or time.time()) - self.started_at


@dataclass
class RunTracker:
    """Node states of one run, updated by the engine; listeners are called on every change."""

    nodes: dict[str, NodeState] = field(default_factory=dict)
    listeners: list[Callable[[NodeState], None]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    #: items of the map tasks started so far, by the mapped entity's name (progress views show them as totals)
    map_totals: dict[str, int] = field(default_factory=dict)

    def map_started(self, name: str, items: int) -> None:
        self.map_totals[name] = self.map_totals.get(name, 0) + items

    def _emit(self, st: NodeState) -> None:
        for cb in list(self.listeners):
            cb(st)

    def node_started(self, node_id: str, node: Any) -> None:
        st = self.nodes.get(node_id)
        if st is None:
            st = self.nodes[node_id] = NodeState(node_id, getattr(node, "name", node_id))
        st.status = "running"
        st.attempts += 1
        st.started_at = time.time()
        if events.on():
            events.event("node started", node=node_id, entity=st.name, attempt=st.attempts)
        self._emit(st)

    def node_finished(self, node_id: str, status: str, error: BaseException | None = None) -> None:
        st = self.nodes.get(node_id)
        if st is None:
            st = self.nodes[node_id] = NodeState(node_id, node_id)
        st.status = status
        st.ended_at = time.time()
        if error is not None:
            st.error = f"{type(error).__name__}: {error}"
        if events.on():
            took = st.duration
            events.event("node finished", node=node_id, entity=st.name, status=status,
                         seconds=round(took, 6) if took is not None else None, error=st.error)  # fmt: skip
        self._emit(st)


class RunHandle:
    """A run started with ``aioflyte.start``: its id, node states, ``cancel()``, and ``await`` for the result."""

    def __init__(self, run: RunState, task: asyncio.Task[Any]) -> None:
        self._run = run
        self._task = task

    @property
    def id(self) -> str:
        return self._run.execution_id.name

    @property
    def execution_id(self) -> Any:
        return self._run.execution_id

    @property
    def nodes(self) -> dict[str, NodeState]:
        return self._run.tracker.nodes

    @property
    def map_totals(self) -> dict[str, int]:
        """Items of the run's map tasks started so far, by mapped entity name."""
        return self._run.tracker.map_totals

    def on_change(self, callback: Callable[[NodeState], None]) -> None:
        """Call ``callback(node_state)`` on every node state change (progress bars, dashboards)."""
        self._run.tracker.listeners.append(callback)

    def done(self) -> bool:
        return self._task.done()

    def cancel(self) -> bool:
        return self._task.cancel()

    def set_signal(self, name: str, value: Any) -> None:
        """Resolve a gate (approve / wait_for_input) this run waits on, or will wait on."""
        provider_for(self._run).set(name, value)

    @property
    def status(self) -> str:
        if not self._task.done():
            return "running"
        if self._task.cancelled():
            return "cancelled"
        return "failed" if self._task.exception() is not None else "succeeded"

    def __await__(self) -> Any:
        return asyncio.shield(self._task).__await__()

    async def result(self) -> Any:
        return await self


def start_run(
    controller: Any, entity: Any, inputs: dict[str, Any], *, signals: dict[str, Any] | None = None
) -> RunHandle:
    """Start ``entity`` (inputs already bound) as a new run on the running loop, through ``controller``."""
    loop = asyncio.get_running_loop()
    run = RunState(loop=loop)
    run.tracker = RunTracker()
    if signals:
        provider_for(run).update(signals)

    name = getattr(entity, "name", repr(entity))

    async def main() -> Any:
        with run_scope(run):
            if not events.on():
                return await controller.run_entity(entity, inputs)
            run_id = run.execution_id.name
            events.event("run started", run=run_id, entity=name)
            started = time.monotonic()
            try:
                result = await controller.run_entity(entity, inputs)
            except BaseException as e:
                took = round(time.monotonic() - started, 6)
                events.event("run failed", run=run_id, entity=name, seconds=took, error=f"{type(e).__name__}: {e}")
                raise
            events.event("run succeeded", run=run_id, entity=name, seconds=round(time.monotonic() - started, 6))
            return result

    return RunHandle(run, loop.create_task(main(), name=f"aioflyte-run:{name}"))


def start(entity: Any, *args: Any, signals: dict[str, Any] | None = None, **inputs: Any) -> RunHandle:
    """Start ``entity`` as a new run on the running loop and return its handle at once."""
    return entity.start(*args, signals=signals, **inputs)
