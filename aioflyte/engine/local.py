"""LocalController: runs every kind of entity in this process, on the current event loop.

Authoring code (``aioflyte.core``) says what a task, workflow, launch plan, map task, conditional or gate is;
this module decides how each runs locally, dispatching on the entity's kind to the engine's interpreters: the
task pipeline (``task_runner``), the graph scheduler (``graph_runner``), the map fan-out (``map_runner``),
branches, gates and launch plans. A call outside any run starts a new run (``aioflyte.runscope``).
"""

from __future__ import annotations

import asyncio
import inspect
from asyncio import _get_running_loop
from contextvars import copy_context
from sys import _getframe
from types import CoroutineType
from typing import Any

from aioflyte.core.artifact import Artifact, ArtifactQuery
from aioflyte.core.conditional import Branch
from aioflyte.core.context import execution_scope
from aioflyte.core.gate import Gate
from aioflyte.core.graph import Node, WorkflowGraph
from aioflyte.core.launch_plan import LaunchPlan
from aioflyte.core.map_task import ArrayNodeMapTask
from aioflyte.core.task import PythonTask, raise_type_error
from aioflyte.core.testing import MOCKED, answer_mocked, mock_for
from aioflyte.core.workflow import WorkflowBase
from aioflyte.engine.call_start import start_task
from aioflyte.engine.eager_scope import EAGER_SCOPE, join_current, task_on
from aioflyte.engine.own_context import RETURNED, Call, finish, first_step
from aioflyte.engine.slots import parallelism
from aioflyte.engine.task_runner import (
    CONVERSION_ERRORS,
    convert_hot_inputs,
    convert_outputs,
    note,
    plan_for,
    resolve_awaitables,
    run_direct,
    run_pipeline,
)
from aioflyte.exceptions import FlyteEntityNotCallable
from aioflyte.runscope import RUN, TASK_FRAME, DirectCall, RunState, run_scope
from aioflyte.types.engine import TypeEngine

_new = object.__new__
#: code flags of what awaits a call inside another coroutine: a coroutine, a generator-based one, an async generator
_AWAITER = inspect.CO_COROUTINE | inspect.CO_ITERABLE_COROUTINE | inspect.CO_ASYNC_GENERATOR
#: input values that are artifact queries (a default resolved when the run starts)
_QUERY_TYPES = (Artifact, ArtifactQuery)


def _node_entity(node: Node) -> Any:
    """The node's entity with its ``with_overrides`` applied (computed once per node)."""
    cached = node.__dict__.get("_entity_with_overrides")
    if cached is None:
        cached = node.entity
        if node.overrides and hasattr(cached, "with_overrides_applied"):
            cached = cached.with_overrides_applied(node.overrides)
        node.__dict__["_entity_with_overrides"] = cached
    return cached


async def _convert_io(kind: str, entity: Any, types: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    if kind == "input":
        await resolve_awaitables(values)  # inputs that are calls not awaited yet (flytekit's eager style)
    out = {}
    for n, t in types.items():
        v = values[n]
        try:
            out[n] = await TypeEngine.local_round_trip(None, v, t)
        except CONVERSION_ERRORS as e:
            raise_type_error(f"{entity.node_kind.replace('_', ' ')} {entity.name}", kind, n, t, v, e)
    return out


def _own_task(loop: object) -> bool:
    """Whether the asyncio Task running on ``loop`` has a task call (a ``run_task``) as its coroutine.

    For a call that just ended without waiting, that means its Task ends with it: the call is the Task's coroutine,
    or it ran in the body of the call that is (whose own joining covers the Task). A call awaited in a Task running
    other code (the eager body's own Task, a helper coroutine) gives False, as does a call with no Task.
    """
    t = task_on(loop)
    if t is None:
        return False
    coro = t.get_coro()  # a native coroutine, or a generator or another Coroutine a Task may also run
    return type(coro) is CoroutineType and coro.cr_code is _RUN_TASK


def _new_run(max_parallelism: int | None = None) -> RunState:
    run = RunState(loop=asyncio.get_running_loop())
    run.max_parallelism = max_parallelism
    return run


class LocalController:
    """Runs entities in this process, on the current event loop (the default ``Controller``)."""

    # --- tasks: the hot path ------------------------------------------------------------------------------------

    #: a task call made on the running loop: started at once when its body can end without waiting (a
    #: ``Completed`` then), else ``run_task``'s coroutine (``call_start.py``)
    start_task = start_task

    async def run_task(self, task: PythonTask, inputs: dict[str, Any]) -> Any:
        """Run a task (a new run unless called inside one); its Python return value.

        The direct path (no cache, retries, timeout or environment; inputs that convert without a literal round
        trip) is written out here, in this one small coroutine frame: convert the inputs in place, copy the
        caller's context, start the body (an async function's coroutine, or a sync one's worker-thread future) and
        run it in the copy with the task's frame set there (``own_context.py``), convert the output. ``inputs`` is
        the caller's own dict (a call's keyword arguments): it is not kept.

        Inside an eager body, a call whose asyncio Task goes on after it joins the eager's scope (``eager_scope``),
        so that the eager run's end stops that Task: a call that waits, or one awaited inside a Task that is not
        the call's own. A call that is its Task's coroutine (``gather`` or ``create_task`` wrapped it) and ends
        without waiting ends its Task too: nothing is left to stop, and it does not join.
        """
        plan = task._plan
        run = RUN.get()
        if plan is None or run is None or not plan.hot or run.tracker is not None:
            return await self._run_task(task, inputs)
        if MOCKED and mock_for(task) is not None:  # aioflyte.testing.task_mock / patch
            return await answer_mocked(task, mock_for(task), inputs)
        scope = EAGER_SCOPE.get()
        if scope is not None and scope.closed:
            scope.join()  # refuses the call: the eager has ended
        sole = plan.sole_exact
        if sole is None or type(inputs[sole[0]]) is not sole[1]:  # a sole input of exactly its type needs nothing
            try:
                convert_hot_inputs(task, plan, inputs)
            except Exception:
                if scope is not None:
                    scope.join()  # resolving the inputs may wait: the Task goes on meanwhile
                if not await resolve_awaitables(inputs):  # an input that is a call not awaited yet (eager style)
                    raise
                convert_hot_inputs(task, plan, inputs)
        # the body runs in a context of its own, with the task's frame in it (own_context.py says why); the frame
        # is made a TaskFrame only if the body asks (current_frame)
        try:
            if plan.waits and _getframe(1).f_code.co_flags & _AWAITER == 0 and _own_task(_get_running_loop()):
                # a task whose last call waited, called as its asyncio Task's coroutine: the Task's context is
                # this call's (the Task copied it when it was made), so the frame is set there and the body awaited
                # as is (no context copy, no driver: less held while it waits); the frame before is put back as a
                # value after (a reset token would be held while the body waits)
                if scope is not None:
                    scope.join()  # (before the frame changes: the scope tells the eager's calls by their frame)
                outer = TASK_FRAME.get()
                frame = _new(DirectCall)
                frame.task = task
                frame.run = run
                frame.made = None
                TASK_FRAME.set(frame)
                try:
                    body = plan.fn(inputs[sole[0]]) if sole is not None else plan.fn(**inputs)
                    del inputs
                    result = await body
                finally:
                    TASK_FRAME.set(outer)
            else:  # the body in a copy of the context, with the call as its frame
                call = _new(Call)  # a Call, made without __init__ (one per call)
                call.task = task
                call.run = run
                call.made = None
                ctx = copy_context()
                if plan.fn is None:  # the body runner's: a sync body's worker-thread future (its thread copies
                    ctx.run(TASK_FRAME.set, call)  # ctx), or a coroutine
                    body = ctx.run(plan.body, task, inputs)
                    del inputs
                    if scope is not None:
                        scope.join()
                    if type(body) is CoroutineType:
                        result = await finish(ctx, body)
                    else:
                        result = await body
                elif not plan.waits:  # an async function's coroutine (a sole input passed by position), whose
                    # first step runs through a generator that sets the frame and keeps the result (first_step)
                    body = plan.fn(inputs[sole[0]]) if sole is not None else plan.fn(**inputs)
                    del inputs  # the body holds its arguments now
                    body = first_step(call, body)
                    result = ctx.run(next, body, RETURNED)  # its first step; a body that never waits ends here
                    if result is RETURNED:
                        if scope is not None and not _own_task(scope.loop):
                            scope.join()
                        result = call.value
                    else:
                        plan.waits = True
                        if scope is not None:
                            scope.join()
                        try:
                            await call.drive(ctx, body, result)
                        finally:  # the call, its context and the context's frame (the call) refer to each other
                            call.ctx = call.body = None
                        result = call.value
                else:  # a task whose last call waited, awaited inside other code: its coroutine, stepped directly
                    ctx.run(TASK_FRAME.set, call)
                    body = plan.fn(inputs[sole[0]]) if sole is not None else plan.fn(**inputs)
                    del inputs
                    try:
                        result = ctx.run(body.send, None)
                    except StopIteration as e:
                        plan.waits = False
                        if scope is not None and not _own_task(scope.loop):
                            scope.join()
                        result = e.value
                    else:
                        if scope is not None:
                            scope.join()
                        try:
                            result = await call.drive(ctx, body, result)
                        finally:
                            call.ctx = call.body = None
        except BaseException as e:
            note(e, task, 0)
            if scope is not None and not scope.closed and not _own_task(scope.loop):
                scope.join()  # a call that failed without waiting, in a Task that goes on (it may catch the error)
            raise
        if type(result) is plan.out_exact:
            return result
        if scope is not None and not scope.closed:
            scope.join()  # the conversion may wait: the Task goes on after the body (joining twice is harmless)
        return await convert_outputs(task, plan, result)

    async def _run_task(self, task: PythonTask, inputs: dict[str, Any]) -> Any:
        """``run_task`` off its direct path: mocks, a call outside any run, tasks with a pipeline or a tracker."""
        if MOCKED and mock_for(task) is not None:  # aioflyte.testing.task_mock / patch
            return await answer_mocked(task, mock_for(task), inputs)
        plan = task._plan or plan_for(task)
        run = RUN.get()
        if run is None:  # a call outside any run starts one
            with run_scope(_new_run()):
                return await self.run_task(task, inputs)
        if plan.hot and run.tracker is None:  # the plan was made just now
            return await self.run_task(task, inputs)
        join_current()
        return await self._task_in_run(task, plan, run, inputs)

    async def _task_in_run(self, task: PythonTask, plan: Any, run: RunState, inputs: dict[str, Any]) -> Any:
        if run.tracker is not None:
            return await self._tracked(task, plan, run, inputs)
        if plan.direct:
            return await run_direct(task, plan, run, inputs)
        return await run_pipeline(task, plan, run, inputs)

    async def _tracked(self, task: PythonTask, plan: Any, run: RunState, inputs: dict[str, Any]) -> Any:
        """A call made at run time (e.g. inside an eager workflow) in a run that has a handle: record it."""
        from aioflyte.engine.ids import child_id

        tracker = run.tracker
        cid = child_id(tracker.counters, task.name, inputs)
        tracker.node_started(cid, task)
        try:
            result = await (run_direct if plan.direct else run_pipeline)(task, plan, run, inputs)
        except asyncio.CancelledError:
            tracker.node_finished(cid, "cancelled")
            raise
        except BaseException as e:
            tracker.node_finished(cid, "failed", e)
            raise
        tracker.node_finished(cid, "succeeded")
        return result

    # --- workflows and graphs -------------------------------------------------------------------------------------

    async def run_workflow(
        self, wf: WorkflowBase, inputs: dict[str, Any], *, max_parallelism: int | None = None
    ) -> Any:
        """Run a workflow's graph (a new run unless called inside one); its Python return value."""
        if MOCKED and (mock := mock_for(wf)) is not None:
            return await answer_mocked(wf, mock, inputs)
        scope = EAGER_SCOPE.get()
        if scope is not None:  # a call an eager body made: it joins; inside, the graph runner's Tasks are its own
            scope.join()
            token = EAGER_SCOPE.set(None)
            try:
                return await self.run_workflow(wf, inputs, max_parallelism=max_parallelism)
            finally:
                EAGER_SCOPE.reset(token)
        run = RUN.get()
        if run is not None:
            return await self._workflow_in(wf, inputs, run)
        limit = max_parallelism or getattr(wf.default_options, "max_parallelism", None)
        with run_scope(_new_run(limit)) as run:
            return await self._workflow_in(wf, inputs, run)

    async def _workflow_in(self, wf: WorkflowBase, inputs: dict[str, Any], run: RunState, prefix: str = "") -> Any:
        from aioflyte.engine.graph_runner import run_graph

        iface = wf.python_interface
        if any(isinstance(v, _QUERY_TYPES) for v in inputs.values()):  # defaults that are artifact queries
            from aioflyte.engine.artifacts import resolve_inputs

            inputs = await resolve_inputs(f"workflow {wf.name}", iface.input_types, inputs)
        inputs = await _convert_io("input", wf, iface.input_types, inputs)
        with execution_scope("workflow"):  # what ExecutionState.mode reports in its nodes
            outputs = await run_graph(self, wf.graph, inputs, run, prefix)
        outputs = await _convert_io("output", wf, iface.outputs, outputs)
        result = iface.pack_outputs(outputs)
        from aioflyte.engine.artifacts import output_artifacts, record_outputs

        specs = output_artifacts(iface)
        if specs:  # outputs annotated with an Artifact: recorded as the workflow's (its partitions from its inputs)
            await record_outputs(f"workflow {wf.name}", iface, specs, inputs, result, None)
        return result

    async def run_graph(self, graph: WorkflowGraph, inputs: dict[str, Any]) -> dict[str, Any]:
        """Run a compiled graph (a dynamic task's) inside the current run; its outputs by name."""
        from aioflyte.engine.graph_runner import current_prefix, run_graph

        run = RUN.get()
        if run is None:
            with run_scope(_new_run()) as run:
                return await run_graph(self, graph, inputs, run)
        return await run_graph(self, graph, inputs, run, current_prefix())

    # --- any entity -----------------------------------------------------------------------------------------------

    async def run_entity(self, entity: Any, inputs: dict[str, Any]) -> Any:
        """Run any entity outside a graph (a new run unless called inside one)."""
        if MOCKED and (mock := mock_for(entity)) is not None:
            return await answer_mocked(entity, mock, inputs)
        if isinstance(entity, PythonTask):
            return await self.run_task(entity, inputs)
        if isinstance(entity, WorkflowBase):
            return await self.run_workflow(entity, inputs)
        scope = EAGER_SCOPE.get()
        if scope is not None:  # as run_workflow: a map task's workers, a launch plan's graph are its runner's
            scope.join()
            token = EAGER_SCOPE.set(None)
            try:
                return await self.run_entity(entity, inputs)
            finally:
                EAGER_SCOPE.reset(token)
        run = RUN.get()
        if run is not None:
            return await self._dispatch(entity, inputs, run)
        with run_scope(_new_run()) as run:
            return await self._dispatch(entity, inputs, run)

    async def run_node(self, node: Node, inputs: dict[str, Any], run: RunState, prefix: str = "") -> Any:
        """Run one graph node inside ``run``; task and array nodes take one of the run's parallelism slots."""
        entity = node.__dict__.get("_entity_with_overrides") or _node_entity(node)
        if MOCKED and (mock := mock_for(entity)) is not None:
            return await answer_mocked(entity, mock, inputs)
        if isinstance(entity, PythonTask):
            slots = run.parallelism or parallelism(run)
            if not slots.try_acquire():
                await slots.acquire()
            try:
                plan = entity._plan or plan_for(entity)
                if plan.direct:
                    return await run_direct(entity, plan, run, inputs)
                return await run_pipeline(entity, plan, run, inputs)
            finally:
                slots.release()
        if isinstance(entity, WorkflowBase):
            return await self._workflow_in(entity, inputs, run, prefix=f"{prefix}{node.id}-")
        if isinstance(entity, ArrayNodeMapTask):
            slots = parallelism(run)
            await slots.acquire()
            try:
                return await self._dispatch(entity, inputs, run)
            finally:
                slots.release()
        return await self._dispatch(entity, inputs, run, prefix)

    async def _dispatch(self, entity: Any, inputs: dict[str, Any], run: RunState, prefix: str = "") -> Any:
        """The local interpreter of each node kind other than tasks and workflows (which the callers run)."""
        if isinstance(entity, ArrayNodeMapTask):
            from aioflyte.engine.map_runner import run_map

            return await run_map(self, entity, inputs, run)
        if isinstance(entity, LaunchPlan):
            from aioflyte.engine.launch_plans import run_launch_plan

            return await run_launch_plan(self, entity, inputs, run)
        if isinstance(entity, Branch):
            from aioflyte.engine.branches import run_branch

            return await run_branch(self, entity, inputs, run, prefix)
        if isinstance(entity, Gate):
            from aioflyte.engine.gates import run_gate

            return await run_gate(entity, inputs, run)
        kind = getattr(entity, "node_kind", type(entity).__name__).replace("_", " ")
        why = entity.local_run_error() if hasattr(entity, "local_run_error") else None
        raise FlyteEntityNotCallable(
            why
            or f"{kind} {getattr(entity, 'name', entity)!r} ({type(entity).__name__}) cannot run locally: "
            "the local engine runs tasks, workflows, launch plans, map tasks, conditionals and gates"
        )

    # --- background runs ------------------------------------------------------------------------------------------

    def start(self, entity: Any, inputs: dict[str, Any], *, signals: dict[str, Any] | None = None) -> Any:
        """Start ``entity`` as a new run on the running loop; its ``RunHandle`` at once."""
        from aioflyte.engine.handle import start_run

        return start_run(self, entity, inputs, signals=signals)


__all__ = ["LocalController"]

#: the code of ``LocalController.run_task`` (``_own_task`` tells a Task whose coroutine is a task call by it)
_RUN_TASK = LocalController.run_task.__code__
