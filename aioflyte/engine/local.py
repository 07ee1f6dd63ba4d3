"""LocalController: runs tasks in this process through the pipeline cache -> retries -> timeout -> execute.

Per task, a plan is computed once: the local converters of its inputs and outputs (DESIGN decision 5) and
whether any pipeline stage applies. A task with none (no cache, retries, timeout or environment) takes a
direct path whose cost is a few attribute reads on top of the function call.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aioflyte.core.context import _FRAME, _RUN, RunState, TaskFrame
from aioflyte.core.task import PythonTask, raise_type_error
from aioflyte.exceptions import FlyteInterfaceException, FlyteTimeout, is_retryable
from aioflyte.types.engine import TypeEngine, TypeTransformerFailedError


class _Plan:
    __slots__ = (
        "inputs",
        "inputs_types",
        "outputs",
        "fast_in",
        "fast_out",
        "direct",
        "single_out",
        "timeout",
        "simple_out",
    )

    def __init__(self, task: PythonTask) -> None:
        iface = task.python_interface
        self.inputs = [(n, t, TypeEngine.local_converter(t)) for n, (t, _) in iface.inputs.items()]
        self.outputs = [(n, t, TypeEngine.local_converter(t)) for n, t in iface.outputs.items()]
        self.inputs_types = {n: t for n, t, _ in self.inputs}
        self.fast_in = all(c is not None for _, _, c in self.inputs)
        self.fast_out = all(c is not None for _, _, c in self.outputs)
        md = task.metadata
        self.timeout = md.timeout.total_seconds() if md.timeout is not None else None
        self.direct = not (md.cache or md.retries or self.timeout or task.environment)
        self.single_out = len(iface.outputs) == 1 and iface.output_tuple is None and not iface.positional_outputs
        self.simple_out = self.single_out and self.fast_out


def plan_for(task: PythonTask) -> _Plan:
    plan = task._plan
    if plan is None:
        plan = task._plan = _Plan(task)
    return plan


def _convert_inputs_fast(task: PythonTask, plan: _Plan, inputs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for n, _, conv in plan.inputs:
        v = inputs[n]
        try:
            out[n] = conv(v)  # type: ignore[misc]
        except (TypeTransformerFailedError, TypeError, ValueError, AssertionError) as e:
            raise_type_error(f"task {task.name}", "input", n, plan.inputs_types[n], v, e)
    return out


async def convert_inputs(task: PythonTask, plan: _Plan, inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs as the task's body must see them: checked and round-tripped (fast path where identical)."""
    if plan.fast_in:
        return _convert_inputs_fast(task, plan, inputs)
    out = {}
    for n, t, conv in plan.inputs:
        v = inputs[n]
        try:
            out[n] = conv(v) if conv is not None else await TypeEngine.local_round_trip(None, v, t)
        except (TypeTransformerFailedError, TypeError, ValueError, AssertionError) as e:
            raise_type_error(f"task {task.name}", "input", n, t, v, e)
    return out


def _convert_single_output(task: PythonTask, plan: _Plan, result: Any) -> Any:
    n, t, conv = plan.outputs[0]
    try:
        return conv(result)  # type: ignore[misc]
    except (TypeTransformerFailedError, TypeError, ValueError, AssertionError) as e:
        raise_type_error(f"task {task.name}", "output", n, t, result, e)


async def convert_outputs(task: PythonTask, plan: _Plan, result: Any) -> Any:
    """The body's return value as the caller must see it (checked and round-tripped)."""
    if plan.single_out and plan.fast_out:
        return _convert_single_output(task, plan, result)
    iface = task.python_interface
    values = iface.unpack_outputs(result, f"task {task.name}")
    out = {}
    for n, t, conv in plan.outputs:
        v = values[n]
        try:
            out[n] = conv(v) if conv is not None else await TypeEngine.local_round_trip(None, v, t)
        except (TypeTransformerFailedError, TypeError, ValueError, AssertionError) as e:
            raise_type_error(f"task {task.name}", "output", n, t, v, e)
    return iface.pack_outputs(out)


def _note(e: BaseException, task: PythonTask, attempt: int) -> None:
    if hasattr(e, "add_note") and not getattr(e, "_aioflyte_noted", False):
        total = task.metadata.retries + 1
        e.add_note(f"aioflyte: raised by task {task.name!r} (attempt {attempt + 1} of {total})")
        try:
            e._aioflyte_noted = True  # type: ignore[attr-defined]
        except AttributeError:
            pass


async def _with_timeout(task: PythonTask, seconds: float, coro: Any) -> Any:
    if hasattr(asyncio, "timeout"):
        cm = asyncio.timeout(seconds)
        try:
            async with cm:
                return await coro
        except TimeoutError:
            if cm.expired():
                raise FlyteTimeout(f"task {task.name} timed out after {seconds:g}s") from None
            raise
    task_ = asyncio.ensure_future(coro)
    done, _ = await asyncio.wait({task_}, timeout=seconds)
    if not done:
        task_.cancel()
        raise FlyteTimeout(f"task {task.name} timed out after {seconds:g}s")
    return task_.result()


async def run_attempt(
    task: PythonTask, plan: _Plan, run: RunState, inputs: dict[str, Any], attempt: int, call_id: str | None = None
) -> Any:
    """One attempt: context frame, environment, timeout, the body, then output conversion."""
    from aioflyte.engine import env

    token = _FRAME.set(TaskFrame(task, run, attempt, _FRAME.get(), call_id))
    try:
        with env.applied(task.environment):
            try:
                if plan.timeout:
                    result = await _with_timeout(task, plan.timeout, task.execute(**inputs))
                else:
                    result = await task.execute(**inputs)
            except BaseException as e:
                _note(e, task, attempt)
                raise
    finally:
        _FRAME.reset(token)
    if plan.simple_out:
        return _convert_single_output(task, plan, result)
    return await convert_outputs(task, plan, result)


async def _run_direct(task: PythonTask, plan: _Plan, run: RunState, inputs: dict[str, Any]) -> Any:
    """The whole pipeline when no stage applies: convert, call, convert."""
    if plan.fast_in:
        inputs = _convert_inputs_fast(task, plan, inputs)
    else:
        inputs = await convert_inputs(task, plan, inputs)
    token = _FRAME.set(TaskFrame(task, run, 0, _FRAME.get()))
    try:
        result = await task.execute(**inputs)
    except BaseException as e:
        _note(e, task, 0)
        raise
    finally:
        _FRAME.reset(token)
    if plan.simple_out:
        return _convert_single_output(task, plan, result)
    return await convert_outputs(task, plan, result)


async def run_with_retries(task: PythonTask, plan: _Plan, run: RunState, raw: dict[str, Any]) -> Any:
    """Flyte's retry rule: recoverable user errors and system errors retry up to ``retries`` times."""
    retries = task.metadata.retries
    inputs = await convert_inputs(task, plan, raw)
    if not retries:
        return await run_attempt(task, plan, run, inputs, 0)
    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential, wait_random

    from aioflyte.engine.config import settings

    retrying = AsyncRetrying(
        stop=stop_after_attempt(retries + 1),
        retry=retry_if_exception(is_retryable),
        wait=wait_exponential(multiplier=settings.retry_initial_delay, max=settings.retry_max_delay)
        + wait_random(0, settings.retry_jitter),
        reraise=True,
    )
    import uuid

    call_id = uuid.uuid4().hex[:16]  # shared by the attempts: attempt n finds attempt n-1's checkpoint
    async for attempt in retrying:
        with attempt:
            n = attempt.retry_state.attempt_number - 1
            # Each attempt gets fresh inputs, as on a cluster where every attempt reads inputs.pb.
            fresh = inputs if n == 0 else await convert_inputs(task, plan, raw)
            return await run_attempt(task, plan, run, fresh, n, call_id)
    raise AssertionError("unreachable")  # pragma: no cover


def _node_entity(node: Any) -> Any:
    """The node's entity with its ``with_overrides`` applied (computed once per node)."""
    cached = node.__dict__.get("_entity_with_overrides")
    if cached is None:
        cached = node.entity
        if node.overrides and hasattr(cached, "with_overrides_applied"):
            cached = cached.with_overrides_applied(node.overrides)
        node.__dict__["_entity_with_overrides"] = cached
    return cached


async def _convert_io(kind: str, entity: Any, types: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for n, t in types.items():
        v = values[n]
        try:
            out[n] = await TypeEngine.local_round_trip(None, v, t)
        except (TypeTransformerFailedError, TypeError, ValueError, AssertionError) as e:
            raise_type_error(f"{entity.node_kind.replace('_', ' ')} {entity.name}", kind, n, t, v, e)
    return out


class LocalController:
    """Runs entities in this process, on the current event loop."""

    async def run_workflow(self, wf: Any, inputs: dict[str, Any], *, max_parallelism: int | None = None) -> Any:
        """Run a workflow's graph (a new run unless called inside one) and return its Python result."""
        run = _RUN.get()
        if run is not None:
            return await self._workflow_in(wf, inputs, run)
        run = RunState(loop=asyncio.get_running_loop())
        run.max_parallelism = max_parallelism or getattr(wf.default_options, "max_parallelism", None)
        token = _RUN.set(run)
        try:
            return await self._workflow_in(wf, inputs, run)
        finally:
            _RUN.reset(token)
            run.close()

    async def _workflow_in(self, wf: Any, inputs: dict[str, Any], run: RunState, prefix: str = "") -> Any:
        from aioflyte.engine.graph_runner import run_graph

        iface = wf.python_interface
        inputs = await _convert_io("input", wf, iface.input_types, inputs)
        outputs = await run_graph(self, wf.graph, inputs, run, prefix)
        outputs = await _convert_io("output", wf, iface.outputs, outputs)
        return iface.pack_outputs(outputs)

    async def run_entity(self, entity: Any, inputs: dict[str, Any]) -> Any:
        """Run any entity outside a graph (a new run unless called inside one)."""
        kind = entity.node_kind
        if kind == "task":
            return await self.run_task(entity, inputs)
        if kind == "workflow":
            return await self.run_workflow(entity, inputs)
        run = _RUN.get()
        if run is not None:
            return await entity.run_local(self, inputs, run)
        run = RunState(loop=asyncio.get_running_loop())
        token = _RUN.set(run)
        try:
            return await entity.run_local(self, inputs, run)
        finally:
            _RUN.reset(token)
            run.close()

    async def run_node(self, node: Any, inputs: dict[str, Any], run: RunState) -> Any:
        """Run one graph node inside ``run``; task and array nodes take one of the run's parallelism slots."""
        entity = _node_entity(node)
        kind = entity.node_kind
        if kind == "task":
            async with run.parallelism():
                plan = entity._plan or plan_for(entity)
                if plan.direct:
                    return await _run_direct(entity, plan, run, inputs)
                return await self._run(entity, plan, run, inputs)
        if kind == "workflow":
            return await self._workflow_in(entity, inputs, run, prefix=f"{node.id}-")
        if kind == "array":
            async with run.parallelism():
                return await entity.run_local(self, inputs, run)
        return await entity.run_local(self, inputs, run)

    async def run_task(self, task: PythonTask, inputs: dict[str, Any]) -> Any:
        plan = task._plan or plan_for(task)
        run = _RUN.get()
        if run is None:
            run = RunState(loop=asyncio.get_running_loop())
            token = _RUN.set(run)
            try:
                if plan.direct:
                    return await _run_direct(task, plan, run, inputs)
                return await self._run(task, plan, run, inputs)
            finally:
                _RUN.reset(token)
                run.close()
        if run.tracker is not None:
            return await self._tracked(task, plan, run, inputs)
        if plan.direct:
            return await _run_direct(task, plan, run, inputs)
        return await self._run(task, plan, run, inputs)

    async def _tracked(self, task: PythonTask, plan: _Plan, run: RunState, inputs: dict[str, Any]) -> Any:
        """A call made at run time (e.g. inside an eager workflow) in a run that has a handle: record it."""
        from aioflyte.engine.ids import child_id

        cid = child_id(run.tracker.counters, task.name, inputs)
        run.tracker.node_started(cid, task)
        try:
            result = await (_run_direct(task, plan, run, inputs) if plan.direct else self._run(task, plan, run, inputs))
        except asyncio.CancelledError:
            run.tracker.node_finished(cid, "cancelled")
            raise
        except BaseException as e:
            run.tracker.node_finished(cid, "failed", e)
            raise
        run.tracker.node_finished(cid, "succeeded")
        return result

    async def _run(self, task: PythonTask, plan: _Plan, run: RunState, inputs: dict[str, Any]) -> Any:
        if plan.direct:
            return await _run_direct(task, plan, run, inputs)
        if task.metadata.cache:
            from aioflyte.engine.cached import run_cached

            return await run_cached(task, plan, run, inputs)
        return await run_with_retries(task, plan, run, inputs)


__all__ = ["LocalController", "FlyteInterfaceException"]
