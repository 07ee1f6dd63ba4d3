"""Runs a compiled graph: a node starts the moment its last upstream node finishes, concurrently with the rest.

Per graph, a plan is computed once (node order, in-graph upstream counts, dependents, input bindings). A run
keeps a countdown of unfinished upstream nodes per node. The task that finishes a node stores its outputs and
continues with one node that became ready; every other node that became ready gets an asyncio task of its own.
So no task exists for a node before it can run, no node waits on another, and a chain of N nodes costs one
task instead of N.

Failure policies: FAIL_IMMEDIATELY cancels every running node at the first failure and raises it;
FAIL_AFTER_EXECUTABLE_NODES_COMPLETE lets nodes that do not depend on the failure finish first (the ones that
do are skipped). Either way, when this returns or raises, no node task of the run is left running.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from aioflyte.core.graph import START_NODE, Const, Node, Ref, WorkflowGraph, resolve
from aioflyte.core.options import WorkflowFailurePolicy
from aioflyte.runscope import RunState

#: A task running a chain of nodes gives the loop a turn after this many of them.
_YIELD_EVERY = 64

# The node-id prefix for graphs that the running node starts (a dynamic task's graph), set only when a run's
# node states are tracked (``aioflyte.start``): ids are then ``<node id>-<inner node id>``, unique in the run.
_PREFIX: contextvars.ContextVar[str] = contextvars.ContextVar("aioflyte_graph_prefix", default="")


def current_prefix() -> str:
    """The node-id prefix for a graph started by the node running in this context."""
    return _PREFIX.get()


class _GraphPlan:
    """What a run of a graph needs, computed once per graph."""

    __slots__ = ("bindings", "dependents", "fail_fast", "indegree", "nodes", "roots", "source", "unpack")

    def __init__(self, graph: WorkflowGraph) -> None:
        self.source = graph.nodes  # the list this plan was made from (a new compile makes a new list)
        self.nodes: list[Node] = list(graph.nodes)
        index = {n.id: i for i, n in enumerate(self.nodes)}
        self.dependents: list[list[int]] = [[] for _ in self.nodes]
        self.indegree: list[int] = []
        for i, node in enumerate(self.nodes):
            ups = [index[u] for u in node.upstream_ids() if u in index]  # outer nodes count as done
            self.indegree.append(len(ups))
            for u in ups:
                self.dependents[u].append(i)
        self.roots = [i for i, d in enumerate(self.indegree) if d == 0]
        #: per node: (input name, binding, node id, var) -- node id/var set for a plain reference (the fast case)
        self.bindings: list[list[tuple[str, Any, str | None, str]]] = [
            [
                (k, b, b.node_id, b.var) if isinstance(b, Ref) and not b.attr_path else (k, b, None, "")
                for k, b in node.bindings.items()
            ]
            for node in self.nodes
        ]
        #: per node: the name of its one bare output, or None (no outputs, or a tuple to unpack)
        self.unpack: list[str | None] = []
        for node in self.nodes:
            iface = node.entity.python_interface
            self.unpack.append(next(iter(iface.outputs)) if iface.single_output else None)
        self.fail_fast = graph.failure_policy != WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE


def _plan(graph: WorkflowGraph) -> _GraphPlan:
    plan = graph.__dict__.get("_run_plan")
    if plan is None or plan.source is not graph.nodes or len(plan.nodes) != len(graph.nodes):
        plan = graph.__dict__["_run_plan"] = _GraphPlan(graph)
    return plan


def _note(e: BaseException, node: Node, graph: WorkflowGraph) -> None:
    if hasattr(e, "add_note"):
        e.add_note(f"aioflyte: node {node.id} ({node.name}) of workflow {graph.name} failed")


class _GraphRun:
    """One run of a graph: the countdowns, the running node tasks, the failures."""

    def __init__(
        self,
        controller: Any,
        graph: WorkflowGraph,
        plan: _GraphPlan,
        results: dict[str, dict[str, Any]],
        run: RunState,
        prefix: str,
    ) -> None:
        self.controller = controller
        self.graph = graph
        self.plan = plan
        self.results = results
        self.run = run
        self.prefix = prefix
        self.tracker = run.tracker
        self.remaining = list(plan.indegree)
        self.running: dict[asyncio.Task[Any], int] = {}
        self.failures: dict[int, BaseException] = {}
        self.stopping = False
        self.loop = asyncio.get_running_loop()
        self.finished: asyncio.Future[None] = self.loop.create_future()

    def _inputs(self, i: int) -> dict[str, Any]:
        results = self.results
        out = {}
        for k, b, node_id, var in self.plan.bindings[i]:
            if node_id is not None:
                out[k] = results[node_id][var]
            elif isinstance(b, Const):
                out[k] = b.value
            else:
                out[k] = resolve(b, results)
        return out

    def start(self, i: int) -> None:
        """Start node ``i`` (whose upstream nodes are all done) in a task of its own."""
        task = self.loop.create_task(self._run_from(i), name=f"aioflyte:{self.graph.name}:{self.plan.nodes[i].id}")
        self.running[task] = i
        task.add_done_callback(self._done)

    async def _run_from(self, i: int) -> None:
        """Run node ``i``, then, in this same task, the next node it made ready (a chain costs one task).

        Other nodes it made ready get tasks of their own. The loop gets a turn every ``_YIELD_EVERY`` nodes,
        so a long chain of nodes that never await does not hold it.
        """
        plan, results, run, prefix, controller = self.plan, self.results, self.run, self.prefix, self.controller
        task = asyncio.current_task()
        assert task is not None
        steps = 0
        while True:
            node = plan.nodes[i]
            inputs = self._inputs(i)
            if self.tracker is None:
                value = await controller.run_node(node, inputs, run, prefix)
            else:
                value = await self._tracked(node, inputs)
            name = plan.unpack[i]
            if name is not None:
                results[node.id] = {name: value}
            else:
                iface = node.entity.python_interface
                results[node.id] = iface.unpack_outputs(value, f"node {node.id} ({node.name})")
            if self.tracker is not None:
                self.tracker.node_finished(prefix + node.id, "succeeded")
            if self.stopping:
                return
            nxt = -1
            remaining = self.remaining
            for d in plan.dependents[i]:
                remaining[d] -= 1
                if remaining[d] == 0:
                    if nxt < 0:
                        nxt = d
                    else:
                        self.start(d)
            if nxt < 0:
                return
            i = self.running[task] = nxt
            steps += 1
            if steps % _YIELD_EVERY == 0:
                await asyncio.sleep(0)

    async def _tracked(self, node: Node, inputs: dict[str, Any]) -> Any:
        node_id = self.prefix + node.id
        self.tracker.node_started(node_id, node)
        _PREFIX.set(node_id + "-")  # this task's own context: graphs the node starts nest under its id
        return await self.controller.run_node(node, inputs, self.run, self.prefix)

    def _done(self, task: asyncio.Task[Any]) -> None:
        i = self.running.pop(task)
        if task.cancelled():
            if self.tracker is not None:
                self.tracker.node_finished(self.prefix + self.plan.nodes[i].id, "cancelled")
        else:
            exc = task.exception()
            if exc is not None:
                if self.tracker is not None:
                    self.tracker.node_finished(self.prefix + self.plan.nodes[i].id, "failed", exc)
                self._failed(i, exc)
        if not self.running and not self.finished.done():
            self.finished.set_result(None)

    def _failed(self, i: int, exc: BaseException) -> None:
        _note(exc, self.plan.nodes[i], self.graph)
        self.failures[i] = exc
        if self.plan.fail_fast:
            self.stopping = True
            for t in self.running:
                t.cancel()
        else:
            self._skip_downstream(i)

    def _skip_downstream(self, i: int) -> None:
        """Nodes that depend (transitively) on a failed node never run: they are skipped."""
        stack = list(self.plan.dependents[i])
        seen: set[int] = set()
        while stack:
            d = stack.pop()
            if d in seen:
                continue
            seen.add(d)
            self.remaining[d] = -1  # never reaches 0: not started
            if self.tracker is not None:
                self.tracker.node_finished(self.prefix + self.plan.nodes[d].id, "skipped")
            stack.extend(self.plan.dependents[d])

    async def cancel_all(self) -> None:
        self.stopping = True
        tasks = list(self.running)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


async def run_graph(
    controller: Any,
    graph: WorkflowGraph,
    inputs: dict[str, Any],
    run: RunState,
    prefix: str = "",
    outer: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run ``graph`` with ``inputs`` (each node through ``controller.run_node``); the workflow outputs by name.

    ``outer`` holds outputs of nodes outside this graph that its bindings may reference (a conditional
    branch's nodes reference the enclosing workflow's nodes); they count as done.
    """
    results: dict[str, dict[str, Any]] = dict(outer) if outer else {}
    results[START_NODE] = inputs
    plan = _plan(graph)
    if plan.nodes:
        state = _GraphRun(controller, graph, plan, results, run, prefix)
        for i in plan.roots:
            state.start(i)
        if state.running:
            try:
                await state.finished
            except BaseException:  # this run was cancelled: so is every node it runs
                await state.cancel_all()
                raise
        if state.failures:
            first = state.failures[min(state.failures)]  # the first failure in node order
            await _on_failure(controller, graph, inputs, run, first)
    return {k: resolve(b, results) for k, b in graph.outputs.items()}


async def _on_failure(
    controller: Any, graph: WorkflowGraph, inputs: dict[str, Any], run: RunState, error: BaseException
) -> None:
    """Run the failure node (``on_failure``) with the workflow's inputs and the error, then re-raise."""
    node = graph.failure_node
    if node is not None:
        handler_inputs = {k: resolve(b, {START_NODE: inputs}) for k, b in node.bindings.items()}
        if "err" in node.entity.python_interface.inputs:
            from aioflyte.exceptions import FlyteError

            handler_inputs["err"] = FlyteError.from_exception(error, node_id=_failed_node_id(error))
        await controller.run_node(node, handler_inputs, run)
    raise error


def _failed_node_id(error: BaseException) -> str:
    for note in getattr(error, "__notes__", []):
        if note.startswith("aioflyte: node "):
            return note.split()[2]
    return ""
