"""``RemoteController``: the Controller (``aioflyte.core.controller``) that turns each entity an eager workflow
awaits into an execution on a Flyte backend, so the same eager code runs locally and on a cluster.

Each call is registered if missing (once per entity), converted to literals, and launched under a cap on the
executions in flight (default 1,000) and a launch rate limit (``qps``). Child executions are named
deterministically from the parent execution's name, the launched entity's id, a hash of the input literals
and the call's sequence number, so running the same parent again (same ``execution_name``) finds the children
that already ran: a child that succeeded is reused, one still running is awaited, one that failed or was
aborted is launched again under the next name (``...-r1``).

ONE watcher task per controller follows every outstanding child: each tick is a single ``ListExecutions`` call
for the executions updated since the previous tick (``gte(updated_at, ...)``, paged only when more than a page
changed), so the status calls per second do not grow with the number of outstanding executions. Ticks start
at ``min_poll`` and back off to ``max_poll`` while nothing changes.

A child that fails raises :class:`FlyteRemoteExecutionFailed` in the awaiting coroutine. Cancelling the
awaiting coroutine (or the eager run) terminates the child; leaving the controller terminates whatever is
still running. A call made in a Task of its own (``asyncio.gather``, ``create_task``) joins the eager body's
scope (``aioflyte.engine.eager_scope``) like a local one: when the body ends, that Task is cancelled, which
terminates its child execution, before the eager run's error or result goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import logging
import re
import secrets
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from flyteidl.admin import common_pb2, execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2

from aioflyte.engine.eager_scope import join_current
from aioflyte.exceptions import FlyteEntityAlreadyExistsException, FlyteException, FlyteRemoteError
from aioflyte.exceptions import FlyteRemoteExecutionFailed as FlyteRemoteExecutionFailed
from aioflyte.remote.client.admin import describe_execution

if TYPE_CHECKING:
    from aioflyte.core.graph import WorkflowGraph
    from aioflyte.remote.remote import FlyteRemote

log = logging.getLogger("aioflyte.remote")

Phase = core_execution_pb2.WorkflowExecution
TERMINAL = frozenset({Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED, Phase.TIMED_OUT})
#: How far back a watcher tick looks before the newest update seen, after one that brought newer updates
#: (changes committed late with an earlier stamp; clock steps).
_OVERLAP_NS = 2_000_000_000
#: Every this many seconds one tick looks back a whole minute (a safety net; the rate stays constant).
_SWEEP_EVERY = 60.0
_SWEEP_NS = 60_000_000_000
#: Relaunches of a deterministic name whose earlier execution failed (``-r1`` ... ``-r9``).
_MAX_RELAUNCH = 9
_NAME_PART = re.compile(r"[^a-z0-9-]+")


def _rfc3339(ns: int) -> str:
    moment = datetime.datetime.fromtimestamp(ns / 1e9, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _slug(text: str, limit: int) -> str:
    return _NAME_PART.sub("-", text.lower()).strip("-")[:limit].rstrip("-")


class _RateLimiter:
    """At most ``rate`` acquisitions per second, evenly spaced (a leaky bucket with a burst of one second)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            self._next = max(self._next, now - 1.0)  # unused capacity accumulates for one second at most
            wait = self._next - now
            self._next += self.interval
        if wait > 0:
            await asyncio.sleep(wait)


class _Target:
    """A registered entity to launch: its backend id, the interface to convert with, a label for messages."""

    def __init__(self, launch_id: identifier_pb2.Identifier, interface: Any, what: str, kind: str) -> None:
        self.launch_id = launch_id
        self.interface = interface
        self.what = what
        self.kind = kind


class RemoteController:
    """Runs each awaited entity as an execution on the backend ``remote`` talks to.

    Use it through ``await eager_wf.run_remote(remote, inputs)``, or directly::

        async with RemoteController(remote, version="v1") as ctl:
            result = await ctl.run_eager(eager_wf, {"n": 3})

    ``execution_name`` names the parent (children's names derive from it; give the same name again to reuse
    the children of an earlier run; default: a fresh random name). ``version`` is the version local entities
    are registered under (default: a hash of each entity's serialized spec, as ``FlyteRemote.execute``).
    """

    def __init__(
        self,
        remote: FlyteRemote,
        *,
        project: str | None = None,
        domain: str | None = None,
        version: str | None = None,
        execution_name: str | None = None,
        max_in_flight: int = 1000,
        qps: float | None = 100.0,
        min_poll: float = 0.1,
        max_poll: float = 1.0,
        page_size: int = 500,
        serialization_settings: Any = None,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError(f"RemoteController max_in_flight must be at least 1, got {max_in_flight}")
        if qps is not None and qps <= 0:
            raise ValueError(f"RemoteController qps must be positive (or None for no limit), got {qps}")
        self.remote = remote
        self.project, self.domain = remote._project_domain(project, domain)
        self.version = version
        self.execution_name = execution_name or "e" + secrets.token_hex(8)
        self.max_in_flight = max_in_flight
        self.min_poll, self.max_poll, self.page_size = min_poll, max_poll, page_size
        self.serialization_settings = serialization_settings
        #: counters for observability and benchmarks
        self.stats = {"launched": 0, "reused": 0, "status_rpcs": 0, "terminated": 0, "in_flight_peak": 0}
        self._slots = asyncio.Semaphore(max_in_flight)
        self._in_flight = 0
        self._rate = _RateLimiter(qps)
        self._targets: dict[int, asyncio.Future[_Target]] = {}  # registrations by entity
        self._counters: dict[str, int] = {}
        self._waiting: dict[str, asyncio.Future[execution_pb2.Execution]] = {}
        self._running: dict[str, identifier_pb2.WorkflowExecutionIdentifier] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._watcher: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._since: int | None = None
        self._newest = 0  # the newest update any tick has seen
        self._last_sweep = time.monotonic()

    # --- the Controller protocol ------------------------------------------------------------------------------

    async def run_task(self, task: Any, inputs: dict[str, Any]) -> Any:
        return await self.run_entity(task, inputs)

    async def run_workflow(self, wf: Any, inputs: dict[str, Any], *, max_parallelism: int | None = None) -> Any:
        return await self.run_entity(wf, inputs)

    async def run_entity(self, entity: Any, inputs: dict[str, Any]) -> Any:
        """Launch ``entity`` with ``inputs`` as a child execution, wait for it, return its outputs."""
        join_current()  # inside an eager body, a call in a Task of its own ends with the body
        target = await self._target(entity)
        return await self._launch_and_wait(target, inputs)

    async def run_graph(self, graph: WorkflowGraph, inputs: dict[str, Any]) -> dict[str, Any]:
        """Run a compiled graph (a dynamic body's) in this process, each of its nodes a child execution."""
        from aioflyte.engine.graph_runner import run_graph
        from aioflyte.runscope import current_run

        run = current_run()
        if run is None:
            raise RuntimeError(f"RemoteController.run_graph({graph.name}) must be called inside a run")
        return await run_graph(self, graph, inputs, run)

    async def run_node(self, node: Any, inputs: dict[str, Any], run: Any, prefix: str = "") -> Any:
        """One node of a graph run here: its entity becomes a child execution (what ``run_graph`` calls)."""
        return await self.run_entity(node.entity, inputs)

    def start(self, entity: Any, inputs: dict[str, Any], *, signals: dict[str, Any] | None = None) -> Any:
        """Start ``entity`` as a child execution in the background; the handle's ``await`` gives its outputs."""
        from aioflyte.engine.handle import start_run

        if signals:
            raise ValueError(
                "RemoteController.start: signals of a remote execution are set on the backend "
                "(FlyteRemote.set_signal / approve), not when it starts"
            )
        return start_run(self, entity, inputs)

    # --- running an eager workflow ----------------------------------------------------------------------------

    async def run_eager(self, entity: Any, inputs: dict[str, Any] | None = None) -> Any:
        """Run the body of the eager workflow ``entity`` here, with this controller serving its awaits."""
        from aioflyte.core.controller import use_controller
        from aioflyte.engine.local import LocalController

        if not getattr(getattr(entity, "metadata", None), "is_eager", False):
            raise TypeError(f"run_eager runs @eager workflows; {getattr(entity, 'name', entity)!r} is not one")
        bound = entity.bind((), dict(inputs or {}))
        with use_controller(self):
            return await LocalController().run_task(entity, bound)

    # --- registration -----------------------------------------------------------------------------------------

    async def _target(self, entity: Any) -> _Target:
        """The entity registered on the backend (once per entity, however many calls wait for it; a call cancelled
        meanwhile does not cancel the registration the others wait for; a failed one is tried again next call)."""
        key = id(entity)
        registering = self._targets.get(key)
        if registering is None:
            registering = asyncio.ensure_future(self._register(entity))
            self._targets[key] = registering

            def forget_failure(done: asyncio.Future[_Target]) -> None:
                if (done.cancelled() or done.exception() is not None) and self._targets.get(key) is done:
                    del self._targets[key]

            registering.add_done_callback(forget_failure)
        return await asyncio.shield(registering)

    async def _register(self, entity: Any) -> _Target:
        from aioflyte.core.reference_entity import ReferenceEntity
        from aioflyte.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
        from aioflyte.remote.executions import _hash_version
        from aioflyte.remote.translator import entity_kind

        remote, p, d = self.remote, self.project, self.domain
        if isinstance(entity, (FlyteTask, FlyteLaunchPlan)):
            target, iface = entity, entity.python_interface
        elif isinstance(entity, FlyteWorkflow):
            target = await remote.fetch_launch_plan(entity.id.project, entity.id.domain, entity.name, entity.version)
            iface = entity.python_interface
        elif isinstance(entity, ReferenceEntity):
            target, iface, _ = await remote._registry.fetch_reference(entity)
        else:
            kind = entity_kind(entity)
            if kind not in ("task", "map_task", "workflow", "launch_plan"):
                raise TypeError(f"a remote eager workflow can await tasks, workflows and launch plans, not {entity!r}")
            settings = self.serialization_settings
            version = self.version or await _hash_version(entity, kind, p, d, settings, None)
            target = await remote._fetch_or_register(entity, kind, p, d, None, version, settings, None)
            iface = entity.python_interface if kind != "launch_plan" else target.python_interface
        what = f"{target.entity_type_text.lower()} {target.name}"
        kind = "task" if target.id.resource_type == identifier_pb2.TASK else "launch_plan"
        return _Target(target.id, iface, what, kind)

    # --- launching --------------------------------------------------------------------------------------------

    def _child_name(self, target: _Target, literals: literals_pb2.LiteralMap) -> str:
        h = hashlib.blake2b(digest_size=8)
        for part in (self.execution_name, target.launch_id.project, target.launch_id.domain,
                     target.launch_id.name, target.launch_id.version):  # fmt: skip
            h.update(part.encode())
            h.update(b"\0")
        h.update(literals.SerializeToString(deterministic=True))
        prefix = _slug(self.execution_name, 20)
        if not prefix[:1].isalpha():  # execution names start with a letter
            prefix = f"e{prefix}"[:20].rstrip("-")
        base = f"{prefix}-{h.hexdigest()}"
        n = self._counters.get(base, 0)
        self._counters[base] = n + 1
        return f"{base}-{n}"

    async def _launch_and_wait(self, target: _Target, inputs: dict[str, Any]) -> Any:
        from aioflyte.remote.executions import _to_literals

        given = dict(inputs)
        if target.kind == "task":  # tasks have no defaults on the backend: send the local ones
            for k, default in target.interface.defaults.items():
                given.setdefault(k, default)
        literals = await _to_literals(target.what, target.interface, given, {})
        name = self._child_name(target, literals)
        async with self._slots:
            self._in_flight += 1
            self.stats["in_flight_peak"] = max(self.stats["in_flight_peak"], self._in_flight)
            try:
                execution = await self._start(target, name, literals)
                if execution.closure.phase not in TERMINAL:
                    execution = await self._await_child(execution.id)
            finally:
                self._in_flight -= 1
        return await self._result(target, execution)

    async def _start(self, target: _Target, name: str, literals: literals_pb2.LiteralMap) -> execution_pb2.Execution:
        """Create the child (or find the one an earlier run of the parent made); cancellation-safe."""
        create = asyncio.ensure_future(self._create_or_reuse(target, name, literals))
        try:
            return await asyncio.shield(create)
        except asyncio.CancelledError:
            # the create call may still land: terminate whatever it creates
            self._spawn(self._terminate_when_created(create))
            raise

    async def _create_or_reuse(
        self, target: _Target, name: str, literals: literals_pb2.LiteralMap
    ) -> execution_pb2.Execution:
        client = self.remote.client
        for attempt in range(_MAX_RELAUNCH + 1):
            candidate = name if attempt == 0 else f"{name}-r{attempt}"
            ex_id = identifier_pb2.WorkflowExecutionIdentifier(project=self.project, domain=self.domain, name=candidate)
            await self._rate.acquire()
            self._expect(candidate)  # before the create: a child that finishes at once is not missed
            try:
                await client.create_execution(
                    self.project, self.domain, target.launch_id, literals, name=candidate, spec=self._spec()
                )
            except FlyteEntityAlreadyExistsException:
                existing = await client.get_execution(ex_id)
                phase = existing.closure.phase
                if phase in TERMINAL:
                    self._waiting.pop(candidate, None)
                    if phase != Phase.SUCCEEDED:
                        continue  # an earlier run's child failed: launch it again under the next name
                self.stats["reused"] += 1
                if phase not in TERMINAL:
                    self._running[candidate] = ex_id
                return existing
            except BaseException:
                self._waiting.pop(candidate, None)
                raise
            self.stats["launched"] += 1
            self._running[candidate] = ex_id
            return execution_pb2.Execution(id=ex_id)  # phase UNDEFINED: the watcher follows it
        raise FlyteException(
            f"{target.what}: execution {name} failed in {_MAX_RELAUNCH + 1} earlier runs of parent "
            f"{self.execution_name}; not launching it again"
        )

    def _spec(self) -> execution_pb2.ExecutionSpec:
        spec = execution_pb2.ExecutionSpec()
        spec.metadata.mode = execution_pb2.ExecutionMetadata.CHILD_WORKFLOW
        spec.labels.values["aioflyte-parent"] = _slug(self.execution_name, 63)
        return spec

    async def _result(self, target: _Target, execution: execution_pb2.Execution) -> Any:
        from aioflyte.io.literals import inline_or_stored
        from aioflyte.types.engine import TypeEngine

        closure = execution.closure
        label = f"{target.what} (execution {describe_execution(execution.id)})"
        if closure.phase != Phase.SUCCEEDED:
            if closure.HasField("error"):
                why = f"failed with {closure.error.code}: {closure.error.message}"
            elif closure.HasField("abort_metadata"):
                why = f"was aborted: {closure.abort_metadata.cause}"
            else:
                why = f"ended {Phase.Phase.Name(closure.phase)}"
            raise FlyteRemoteExecutionFailed(f"{label} {why}", execution)
        iface = target.interface
        if not iface.outputs:
            return None
        data = await self.remote.client.get_execution_data(execution.id)
        lm = await inline_or_stored(data.full_outputs, data.outputs)
        missing = [out_name for out_name in iface.outputs if out_name not in lm.literals]
        if missing:
            raise FlyteException(f"{label} succeeded without its output {missing[0]!r}")
        return iface.pack_outputs(await TypeEngine.literal_map_to_kwargs(None, lm, iface.outputs))

    # --- watching ---------------------------------------------------------------------------------------------

    def _expect(self, name: str) -> None:
        """Register interest in the execution ``name``; the watcher resolves it when it finishes."""
        if name not in self._waiting:
            self._waiting[name] = asyncio.get_running_loop().create_future()
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch(), name=f"remote eager watcher {self.execution_name}")
        self._wake.set()

    async def _await_child(self, ex_id: identifier_pb2.WorkflowExecutionIdentifier) -> execution_pb2.Execution:
        self._expect(ex_id.name)
        future = self._waiting[ex_id.name]
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            self._waiting.pop(ex_id.name, None)
            # a background task that close() also waits for, however the cancellation reached us
            await asyncio.shield(self._spawn(self._terminate(ex_id, "the awaiting eager call was cancelled")))
            raise
        finally:
            if future.done():
                self._waiting.pop(ex_id.name, None)

    async def _watch(self) -> None:
        try:
            await self._watch_loop()
        except Exception as e:  # a bug or an unexpected answer: fail the waiting calls rather than hang them
            log.exception("remote eager watcher of %s failed", self.execution_name)
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(FlyteException(f"the remote eager watcher failed: {type(e).__name__}: {e}"))

    async def _watch_loop(self) -> None:
        delay = self.min_poll
        while self._waiting:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                delay = self.min_poll  # a new child: look soon
            except asyncio.TimeoutError:
                pass
            try:
                changed = await self._tick()
            except FlyteRemoteError as e:  # the client retried transient errors already; keep watching
                log.warning("remote eager watcher: listing executions failed: %s", e)
                changed = False
            delay = self.min_poll if changed else min(delay * 2, self.max_poll)

    async def _tick(self) -> bool:
        """One look at what changed since the last tick; resolves finished children. True if any finished."""
        now = time.time_ns()
        since = self._since if self._since is not None else now - _SWEEP_NS
        if time.monotonic() - self._last_sweep > _SWEEP_EVERY:
            since, self._last_sweep = since - _SWEEP_NS, time.monotonic()
        filters = f"gte(updated_at,{_rfc3339(since)})"
        sort = common_pb2.Sort(key="updated_at", direction=common_pb2.Sort.ASCENDING)
        newest, finished, token = since, False, ""
        while True:
            page, token = await self.remote.client.list_executions(
                self.project, self.domain, limit=self.page_size, token=token, sort=sort, filters=filters
            )
            self.stats["status_rpcs"] += 1
            for execution in page:
                newest = max(newest, execution.closure.updated_at.ToNanoseconds())
                future = self._waiting.get(execution.id.name)
                if future is not None and not future.done() and execution.closure.phase in TERMINAL:
                    future.set_result(execution)
                    self._running.pop(execution.id.name, None)
                    finished = True
            if not token:
                break
        # look back over the overlap once after something newer appeared; when a tick saw nothing newer, the
        # previous tick already covered that window, so the next one starts at the newest update itself
        self._since = max(since, newest - _OVERLAP_NS if newest > self._newest else newest)
        self._newest = max(self._newest, newest)
        return finished

    # --- terminating ------------------------------------------------------------------------------------------

    async def _terminate(self, ex_id: identifier_pb2.WorkflowExecutionIdentifier, cause: str) -> None:
        self._running.pop(ex_id.name, None)
        try:
            await self.remote.client.terminate_execution(ex_id, cause)
            self.stats["terminated"] += 1
        except FlyteRemoteError as e:  # finished meanwhile (FAILED_PRECONDITION) or gone: nothing to stop
            log.debug("terminate %s: %s", describe_execution(ex_id), e)

    async def _terminate_when_created(self, create: asyncio.Future[execution_pb2.Execution]) -> None:
        with contextlib.suppress(Exception):
            execution = await create
            if execution.closure.phase not in TERMINAL:
                await self._terminate(execution.id, "the awaiting eager call was cancelled")

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def close(self) -> None:
        """Terminate the children still running, stop registrations in progress and the watcher."""
        pending = [t for t in self._targets.values() if not t.done()]
        for registering in pending:
            registering.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        running = list(self._running.values())
        await asyncio.gather(*(self._terminate(i, "the parent eager run ended") for i in running))
        for future in self._waiting.values():
            future.cancel()
        self._waiting.clear()
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None

    async def __aenter__(self) -> RemoteController:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.shield(self.close())


async def run_remote(
    entity: Any,
    remote: FlyteRemote,
    inputs: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """Run the eager workflow ``entity`` here with every awaited entity executed on ``remote``'s backend.

    ``options`` are :class:`RemoteController`'s (``execution_name``, ``version``, ``max_in_flight``, ``qps``,
    ``project``, ``domain``, ...). Children still running when the run ends (failed, cancelled) are terminated.
    """
    controller = RemoteController(remote, **options)
    try:
        return await controller.run_eager(entity, inputs)
    finally:
        await asyncio.shield(controller.close())


__all__ = ["FlyteRemoteExecutionFailed", "RemoteController", "run_remote"]
