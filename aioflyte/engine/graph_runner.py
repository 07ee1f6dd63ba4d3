"""Runs a compiled graph: every node an asyncio task that starts when its upstream nodes are done.

Failure policies: FAIL_IMMEDIATELY cancels every running node at the first failure and raises it;
FAIL_AFTER_EXECUTABLE_NODES_COMPLETE lets nodes that do not depend on the failure finish first. Either way,
when this returns or raises, no node task of the run is left running (structured concurrency).
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from aioflyte.core.context import RunState
from aioflyte.core.graph import START_NODE, Node, WorkflowGraph, resolve

_PREFIX: contextvars.ContextVar[str] = contextvars.ContextVar("aioflyte_graph_prefix", default="")


def current_prefix() -> str:
    """The node-id prefix of the graph whose node is running (a branch node runs its case under it)."""
    return _PREFIX.get()


class UpstreamFailed(Exception):
    """A node did not run because a node it depends on failed or was skipped."""


def outputs_dict(interface: Any, value: Any) -> dict[str, Any]:
    """An entity's Python return value as outputs by name (the inverse of ``pack_outputs``)."""
    outs = interface.outputs
    if not outs:
        return {}
    if len(outs) == 1 and interface.output_tuple is None and not interface.positional_outputs:
        return {next(iter(outs)): value}
    return dict(zip(outs, value))


def _note(e: BaseException, node: Node, graph: WorkflowGraph) -> None:
    if hasattr(e, "add_note"):
        e.add_note(f"aioflyte: node {node.id} ({node.name}) of workflow {graph.name} failed")


async def run_graph(
    controller: Any,
    graph: WorkflowGraph,
    inputs: dict[str, Any],
    run: RunState,
    prefix: str = "",
    outer: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run ``graph`` with ``inputs``; returns the workflow outputs by name.

    ``outer`` holds outputs of nodes outside this graph that its bindings may reference (a conditional
    branch's nodes reference the enclosing workflow's nodes); they count as done.
    """
    from aioflyte.core.options import WorkflowFailurePolicy

    results: dict[str, dict[str, Any]] = dict(outer or {})
    results[START_NODE] = inputs
    if not graph.nodes:
        return {k: resolve(b, results) for k, b in graph.outputs.items()}
    loop = asyncio.get_running_loop()
    done: dict[str, asyncio.Future[bool]] = {n.id: loop.create_future() for n in graph.nodes}
    tracker = run.tracker

    async def run_node(node: Node) -> None:
        ok = False
        try:
            for up in node.upstream_ids():
                if up in done and not await done[up]:
                    raise UpstreamFailed(node.id)
            node_inputs = {k: resolve(b, results) for k, b in node.bindings.items()}
            if tracker is not None:
                tracker.node_started(prefix + node.id, node)
            value = await controller.run_node(node, node_inputs, run)
            results[node.id] = outputs_dict(node.entity.python_interface, value)
            ok = True
            if tracker is not None:
                tracker.node_finished(prefix + node.id, "succeeded")
        except UpstreamFailed:
            if tracker is not None:
                tracker.node_finished(prefix + node.id, "skipped")
            raise
        except asyncio.CancelledError:
            if tracker is not None:
                tracker.node_finished(prefix + node.id, "cancelled")
            raise
        except BaseException as e:
            if tracker is not None:
                tracker.node_finished(prefix + node.id, "failed", e)
            _note(e, node, graph)
            raise
        finally:
            fut = done[node.id]
            if not fut.done():
                fut.set_result(ok)

    token = _PREFIX.set(prefix)  # each node task copies the context, and so sees its graph's prefix
    try:
        tasks = {loop.create_task(run_node(n), name=f"aioflyte:{graph.name}:{n.id}"): n for n in graph.nodes}
    finally:
        _PREFIX.reset(token)
    fail_fast = graph.failure_policy != WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION if fail_fast else asyncio.ALL_COMPLETED)
    except BaseException:
        await _cancel_all(tasks)
        raise
    first: BaseException | None = None
    for t in tasks:  # the first real failure in node order (not its skipped downstream nodes)
        if t.done() and not t.cancelled():
            exc = t.exception()
            if exc is not None and not isinstance(exc, UpstreamFailed) and first is None:
                first = exc
    if first is not None:
        await _cancel_all(tasks)
        return await _on_failure(controller, graph, inputs, run, first)
    return {k: resolve(b, results) for k, b in graph.outputs.items()}


async def _cancel_all(tasks: dict[asyncio.Task[None], Node]) -> None:
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _on_failure(
    controller: Any, graph: WorkflowGraph, inputs: dict[str, Any], run: RunState, error: BaseException
) -> dict[str, Any]:
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
