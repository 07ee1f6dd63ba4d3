"""The task pipeline: convert inputs -> (cache) -> retries -> timeout -> body -> convert outputs.

Per task, a ``TaskPlan`` is computed once: the local converters of its inputs and outputs (a value passed
between local tasks behaves as if it went through a literal round trip; converters skip the trip where it is
provably identical), how its body runs (an async function on the loop, a sync one on the worker threads or
processes, a subclass's own ``execute``), and whether any pipeline stage applies. A task with none (no cache,
retries, timeout or environment) takes the direct path in ``LocalController.run_task``.
"""

from __future__ import annotations

import asyncio
import inspect
import types
import uuid
import weakref
from collections.abc import Awaitable, Callable
from contextvars import copy_context
from types import CoroutineType
from typing import Any

from aioflyte.core.artifact import OUTPUT_METADATA
from aioflyte.core.container_task import ContainerTask
from aioflyte.core.context import TASK_FRAME, TaskFrame, execution_scope
from aioflyte.core.secrets import redact_exception
from aioflyte.core.task import PythonFunctionTask, PythonTask, raise_type_error
from aioflyte.engine import env, events, pools
from aioflyte.engine.artifacts import output_artifacts
from aioflyte.engine.eager_scope import EAGER_SCOPE, EagerScope
from aioflyte.engine.hashes import output_hashers, record
from aioflyte.engine.own_context import finish
from aioflyte.exceptions import FlyteTimeout, TypeTransformerFailedError, is_retryable
from aioflyte.runscope import RunState
from aioflyte.types.engine import TypeEngine

#: What a failed conversion raises; reported as a type error naming the task, the input/output and the types.
CONVERSION_ERRORS = (TypeTransformerFailedError, TypeError, ValueError, AssertionError)

Body = Callable[[PythonTask, dict[str, Any]], Awaitable[Any]]


def _thread_body(task: PythonTask, inputs: dict[str, Any]) -> Awaitable[Any]:
    return pools.in_thread(task.task_function, inputs)


async def _process_body(task: PythonTask, inputs: dict[str, Any]) -> Any:
    fn = task.task_function
    return await pools.run_in_process(fn.__module__, task._module_attr(), inputs)


async def _process_body_decks(task: PythonTask, inputs: dict[str, Any]) -> Any:
    from aioflyte.engine.decks import run_in_process_with_decks

    return await run_in_process_with_decks(task, inputs)


async def _async_execute_body(task: PythonTask, inputs: dict[str, Any]) -> Any:
    return await task.execute(**inputs)


# A call's coroutine, used unawaited as an input of other calls (flytekit's eager style), runs once: its Task.
_running: weakref.WeakKeyDictionary[Any, asyncio.Future[Any]] = weakref.WeakKeyDictionary()


def _resolved(value: Any) -> Awaitable[Any]:
    if inspect.iscoroutine(value):
        fut = _running.get(value)
        if fut is None:
            fut = _running[value] = asyncio.ensure_future(value)
        return fut
    return value


async def resolve_awaitables(inputs: dict[str, Any]) -> bool:
    """Await the inputs that are awaitables (calls not awaited by the caller), in place; whether there were any."""
    found = False
    for k, v in inputs.items():
        if inspect.isawaitable(v):
            inputs[k] = await _resolved(v)
            found = True
    return found


async def _eager_body(task: PythonTask, inputs: dict[str, Any]) -> Any:
    """An eager workflow's body: what it calls runs in its execution scope (``ExecutionState.mode``). A call it
    returns without awaiting (``return double(x=out)``, flytekit's style) is awaited (so are calls in a returned
    tuple).

    It runs in an eager scope of its own (``eager_scope``): whether it raises, is cancelled or returns, the calls it
    started in other Tasks and did not await are cancelled, and have finished, before its error or result goes on.
    """
    scope = EagerScope(task.name)
    token = EAGER_SCOPE.set(scope)
    try:
        try:
            with execution_scope("eager"):
                result = await task.task_function(**inputs)
                if isinstance(result, tuple) and any(inspect.isawaitable(v) for v in result):
                    done = [await _resolved(v) if inspect.isawaitable(v) else v for v in result]
                    result = type(result)(*done) if hasattr(result, "_fields") else tuple(done)
                elif inspect.isawaitable(result):
                    result = await _resolved(result)
        except BaseException as e:
            if await scope.close(returned=False) and not isinstance(e, asyncio.CancelledError):
                raise asyncio.CancelledError(f"eager {task.name} was cancelled while it stopped its calls") from e
            raise
        if await scope.close(returned=True):
            raise asyncio.CancelledError(f"eager {task.name} was cancelled while it stopped its calls")
        return result
    finally:
        EAGER_SCOPE.reset(token)


async def _container_body(task: PythonTask, inputs: dict[str, Any]) -> Any:
    from aioflyte.engine.containers import run_container

    return await run_container(task, inputs)  # type: ignore[arg-type]  # a ContainerTask (see _body_of)


def _sync_execute_body(task: PythonTask, inputs: dict[str, Any]) -> Awaitable[Any]:
    return pools.in_thread(task.execute, inputs)


def _body_of(task: PythonTask) -> tuple[Callable[..., Awaitable[Any]] | None, Body]:
    """(the async function to call directly, or None; the body runner otherwise) for ``task``.

    Sync bodies never block the loop: a function task's runs on the shared worker threads (or the process pool
    with ``executor="process"``); a subclass that overrides ``execute`` with a plain ``def`` (flytekit style)
    has it run on the worker threads too. A ``ContainerTask`` runs its command (``engine/containers.py``). An
    ``@eager`` body runs in its eager scope (``_eager_body``).
    """
    if isinstance(task, ContainerTask) and type(task).execute is ContainerTask.execute:
        return None, _container_body  # its command, through the raw-container protocol (engine/containers.py)
    if isinstance(task, PythonFunctionTask) and type(task).execute is PythonFunctionTask.execute:
        if task.is_async:
            if task.execution_mode is PythonFunctionTask.ExecutionBehavior.EAGER:
                return None, _eager_body
            fn = task.task_function
            # called directly only if calling it makes a coroutine (an ``async def``; a function merely marked as
            # a coroutine function, Python 3.12's ``inspect.markcoroutinefunction``, may return another awaitable)
            native = isinstance(fn, types.FunctionType) and fn.__code__.co_flags & inspect.CO_COROUTINE
            return (fn if native else None), _async_execute_body
        if task.executor == "process":  # with a deck, the decks the body makes come back (engine/decks.py)
            return None, _process_body_decks if getattr(task, "enable_deck", False) else _process_body
        return None, _thread_body
    if inspect.iscoroutinefunction(type(task).execute):
        return None, _async_execute_body
    return None, _sync_execute_body


def _positional(fn: Callable[..., Any] | None) -> bool:
    """Whether ``fn``'s first parameter can be passed by position (the engine then passes a sole input so)."""
    if fn is None:
        return False
    params = list(inspect.signature(fn).parameters.values())
    return bool(params) and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD)


class TaskPlan:
    """What the engine computes once per task (and per ``with_overrides`` copy)."""

    __slots__ = (
        "artifacts",
        "body",
        "deck",
        "direct",
        "fast_in",
        "fast_out",
        "fn",
        "hashers",
        "hot",
        "inputs",
        "out_conv",
        "out_exact",
        "outputs",
        "sole_exact",
        "timeout",
        "waits",
    )

    def __init__(self, task: PythonTask) -> None:
        iface = task.python_interface
        self.inputs = [(n, t, TypeEngine.local_converter(t)) for n, (t, _) in iface.inputs.items()]
        self.outputs = [(n, t, TypeEngine.local_converter(t)) for n, t in iface.outputs.items()]
        self.fast_in = all(c is not None for _, _, c in self.inputs)
        self.fast_out = all(c is not None for _, _, c in self.outputs)
        md = task.metadata
        self.timeout = md.timeout.total_seconds() if md.timeout is not None else None
        #: outputs annotated with a HashMethod, whose hashes the run remembers for downstream cache keys
        self.hashers = output_hashers(iface)
        #: outputs annotated with an Artifact, recorded in the local artifact store when produced
        self.artifacts = output_artifacts(iface)
        #: the task writes a deck page per attempt (engine/decks.py)
        self.deck = bool(getattr(task, "enable_deck", False))
        self.direct = not (
            md.cache or md.retries or self.timeout or task.environment or self.hashers or self.artifacts or self.deck
        )
        #: the converter of the one bare output, when that is all the output conversion there is
        self.out_conv = self.outputs[0][2] if iface.single_output and self.fast_out else None
        self.fn, self.body = _body_of(task)
        #: (name, type) of a task's one input when its converter passes values of exactly that type unchanged and
        #: the body takes it by position
        exact = [(n, getattr(c, "exact_type", None)) for n, _, c in self.inputs]
        self.sole_exact = exact[0] if len(exact) == 1 and exact[0][1] is not None and _positional(self.fn) else None
        #: the type the one bare output's converter passes unchanged, if it has one
        self.out_exact = getattr(self.out_conv, "exact_type", None)
        #: the controller's inlined path applies: direct, and inputs convert without a round trip
        self.hot = self.direct and self.fast_in
        #: the task's last call on that path waited in its body (the path picks how to run the body's first step)
        self.waits = False


def plan_for(task: PythonTask) -> TaskPlan:
    plan = task._plan
    if plan is None:
        plan = task._plan = TaskPlan(task)
    return plan


def convert_inputs_fast(
    task: PythonTask, plan: TaskPlan, inputs: dict[str, Any], into: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The inputs converted (``plan.fast_in``: every converter is sync) into ``into``: a new dict, or ``inputs``
    itself when the caller does not keep it."""
    out: dict[str, Any] = {} if into is None else into
    for n, t, conv in plan.inputs:
        v = inputs[n]
        try:
            out[n] = conv(v)  # type: ignore[misc]
        except CONVERSION_ERRORS as e:
            raise_type_error(f"task {task.name}", "input", n, t, v, e)
    return out


async def convert_inputs(task: PythonTask, plan: TaskPlan, inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs as the task's body must see them: checked and round-tripped (fast path where identical). An input
    that is a call not awaited yet is awaited first (``inputs`` then holds its value)."""
    if plan.fast_in:
        try:
            return convert_inputs_fast(task, plan, inputs)
        except Exception:
            if not await resolve_awaitables(inputs):
                raise
            return convert_inputs_fast(task, plan, inputs)
    await resolve_awaitables(inputs)
    out = {}
    for n, t, conv in plan.inputs:
        v = inputs[n]
        try:
            out[n] = conv(v) if conv is not None else await TypeEngine.local_round_trip(None, v, t)
        except CONVERSION_ERRORS as e:
            raise_type_error(f"task {task.name}", "input", n, t, v, e)
    return out


def convert_hot_inputs(task: PythonTask, plan: TaskPlan, inputs: dict[str, Any]) -> None:
    """Convert the inputs of a direct-path call in place (``plan.hot``); a sole input whose value is of exactly
    its type needs nothing."""
    sole = plan.sole_exact
    if sole is None or type(inputs[sole[0]]) is not sole[1]:
        convert_inputs_fast(task, plan, inputs, inputs)


def start_body(task: PythonTask, plan: TaskPlan, inputs: dict[str, Any]) -> Awaitable[Any]:
    """The awaitable that runs the task's body once with converted inputs: an async function's coroutine (a sole
    input passed by position), or the body runner's (a sync body's worker-thread future, a subclass's execute)."""
    fn: Any = plan.fn
    if fn is None:
        return plan.body(task, inputs)
    sole = plan.sole_exact
    return fn(inputs[sole[0]]) if sole is not None else fn(**inputs)


def convert_single_output(task: PythonTask, plan: TaskPlan, result: Any) -> Any:
    """The one bare output converted by ``plan.out_conv``; a type error naming the task and output."""
    try:
        return plan.out_conv(result)  # type: ignore[misc]
    except CONVERSION_ERRORS as e:
        n, t, _ = plan.outputs[0]
        raise_type_error(f"task {task.name}", "output", n, t, result, e, secrets=task.secret_requests)


async def convert_outputs(task: PythonTask, plan: TaskPlan, result: Any) -> Any:
    """The body's return value as the caller must see it (checked and round-tripped)."""
    if plan.out_conv is not None:
        return convert_single_output(task, plan, result)
    iface = task.python_interface
    values = iface.unpack_outputs(result, f"task {task.name}")
    out = {}
    for n, t, conv in plan.outputs:
        v = values[n]
        try:
            out[n] = conv(v) if conv is not None else await TypeEngine.local_round_trip(None, v, t)
        except CONVERSION_ERRORS as e:
            raise_type_error(f"task {task.name}", "output", n, t, v, e, secrets=task.secret_requests)
    return iface.pack_outputs(out)


def note(e: BaseException, task: PythonTask, attempt: int) -> None:
    """Add which task (and attempt) raised ``e`` to its notes, once (Python 3.11+: exception notes); the values of
    the secrets the task requested are redacted from its message."""
    if task.secret_requests and not getattr(e, "_aioflyte_noted", False):
        redact_exception(e, task.secret_requests)
    if hasattr(e, "add_note") and not getattr(e, "_aioflyte_noted", False):
        e.add_note(f"aioflyte: raised by task {task.name!r} (attempt {attempt + 1} of {task.metadata.retries + 1})")
        try:
            e._aioflyte_noted = True  # type: ignore[attr-defined]
        except AttributeError:
            pass


async def _with_timeout(task: PythonTask, seconds: float, body: Awaitable[Any]) -> Any:
    if not hasattr(asyncio, "timeout"):  # Python 3.10
        try:
            return await asyncio.wait_for(body, seconds)
        except asyncio.TimeoutError:
            raise FlyteTimeout(f"task {task.name} timed out after {seconds:g}s") from None
    cm = asyncio.timeout(seconds)
    try:
        async with cm:
            return await body
    except TimeoutError:
        if cm.expired():
            raise FlyteTimeout(f"task {task.name} timed out after {seconds:g}s") from None
        raise


async def run_attempt(
    task: PythonTask,
    plan: TaskPlan,
    run: RunState,
    inputs: dict[str, Any],
    attempt: int = 0,
    call_id: str | None = None,
    convert: bool = True,
) -> Any:
    """One attempt with converted inputs: the task's frame, its environment and timeout (when it has them), the
    body, then output conversion (unless ``convert`` is false: the cache converts them itself). Every path of
    the pipeline ends here."""
    if plan.deck:
        from aioflyte.engine.decks import run_attempt_with_deck

        return await run_attempt_with_deck(task, plan, run, inputs, attempt, call_id, convert)
    ctx = copy_context()  # the body runs in a context of its own with its frame in it (engine/own_context.py)
    ctx.run(TASK_FRAME.set, TaskFrame(task, run, attempt, call_id))
    debug = events.on()
    if debug:
        events.event("attempt started", task=task.name, attempt=attempt, retries=task.metadata.retries)
    # the environment is set before the body starts (a sync body's thread starts running at once), and only when
    # the task has one
    environment = task.environment
    if environment:
        env.apply(environment)
    try:
        body = ctx.run(start_body, task, plan, inputs)
        if plan.timeout:
            body = _with_timeout(task, plan.timeout, body)
        if type(body) is CoroutineType:
            try:
                result = ctx.run(body.send, None)  # its first step; a body that never waits ends here
            except StopIteration as done:
                result = done.value
            else:
                result = await finish(ctx, body, result)
        else:  # a sync body's worker-thread future
            result = await body
    except BaseException as e:
        note(e, task, attempt)
        if debug:
            retry = attempt < task.metadata.retries and isinstance(e, Exception) and is_retryable(e)
            events.event("attempt failed", task=task.name, attempt=attempt, error=f"{type(e).__name__}: {e}",
                         will_retry=retry)  # fmt: skip
        raise
    finally:
        if environment:
            env.restore(environment)
    if debug:
        events.event("attempt succeeded", task=task.name, attempt=attempt)
    return await convert_outputs(task, plan, result) if convert else result


async def run_with_retries(
    task: PythonTask, plan: TaskPlan, run: RunState, raw: dict[str, Any], convert: bool = True
) -> Any:
    """Flyte's retry rule: recoverable user errors and system errors retry up to ``retries`` times."""
    retries = task.metadata.retries
    inputs = await convert_inputs(task, plan, raw)
    if not retries:
        return await run_attempt(task, plan, run, inputs, convert=convert)
    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential, wait_random

    from aioflyte.engine.config import settings

    retrying = AsyncRetrying(
        stop=stop_after_attempt(retries + 1),
        retry=retry_if_exception(is_retryable),
        wait=wait_exponential(multiplier=settings.retry_initial_delay, max=settings.retry_max_delay)
        + wait_random(0, settings.retry_jitter),
        reraise=True,
    )
    call_id = uuid.uuid4().hex[:16]  # shared by the attempts: attempt n finds attempt n-1's checkpoint
    async for attempt in retrying:
        with attempt:
            n = attempt.retry_state.attempt_number - 1
            # Each attempt gets fresh inputs, as on a cluster where every attempt reads inputs.pb.
            fresh = inputs if n == 0 else await convert_inputs(task, plan, raw)
            return await run_attempt(task, plan, run, fresh, n, call_id, convert)
    raise AssertionError("unreachable")  # pragma: no cover


async def run_pipeline(task: PythonTask, plan: TaskPlan, run: RunState, inputs: dict[str, Any]) -> Any:
    """The whole pipeline (what is not the direct path): cache, then retries, timeout and environment."""
    if plan.artifacts:
        return await _run_producing_artifacts(task, plan, run, inputs)
    if task.metadata.cache:
        from aioflyte.engine.cached import run_cached

        result = await run_cached(task, plan, run, inputs)
    else:
        result = await run_with_retries(task, plan, run, inputs)
    if plan.hashers:
        record(run, task.python_interface, plan.hashers, result)
    return result


async def _run_producing_artifacts(task: PythonTask, plan: TaskPlan, run: RunState, inputs: dict[str, Any]) -> Any:
    """The pipeline for a task whose outputs are artifacts: its ``create_from`` calls tracked, the artifacts
    recorded once it succeeded (from a cache hit too: Flyte records the outputs a cached run gives)."""
    from aioflyte.core.artifact_records import ArtifactError
    from aioflyte.engine.artifacts import new_tracker, record_outputs

    tracker, token = new_tracker()
    try:
        if task.metadata.cache:
            from aioflyte.engine.cached import run_cached

            result = await run_cached(task, plan, run, inputs)
        else:
            result = await run_with_retries(task, plan, run, inputs)
    finally:
        OUTPUT_METADATA.reset(token)
    if plan.hashers:
        record(run, task.python_interface, plan.hashers, result)
    try:
        await record_outputs(f"task {task.name}", task.python_interface, plan.artifacts, inputs, result, tracker)
    except ArtifactError:
        # a cache hit runs no body: partitions the body would set are unknown, and the artifact was recorded
        # when the cached run produced it
        if not (task.metadata.cache and not tracker.output_metadata):
            raise
    return result


async def run_direct(task: PythonTask, plan: TaskPlan, run: RunState, inputs: dict[str, Any]) -> Any:
    """A task none of whose stages applies: convert the inputs, one attempt (``plan.direct``)."""
    converted = convert_inputs_fast(task, plan, inputs) if plan.fast_in else await convert_inputs(task, plan, inputs)
    return await run_attempt(task, plan, run, converted)


async def run_task_body(task: Any, inputs: dict[str, Any]) -> Any:
    """Run the body once with already-converted inputs, where the engine runs bodies (the container entrypoint's
    way to run a task: no conversions, retries or timeout, which are the platform's job there)."""
    if isinstance(task, PythonTask):
        return await start_body(task, plan_for(task), inputs)
    result = task.execute(**inputs)  # a task-like object of another kind (e.g. the eager cleanup handler)
    return await result if inspect.isawaitable(result) else result
