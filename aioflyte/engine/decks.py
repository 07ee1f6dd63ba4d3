"""A task attempt that writes a deck page (``@task(enable_deck=True)``): the attempt as ``run_attempt`` runs it,
timed into the timeline deck, then the page (``aioflyte/core/deck.py``) written at ``current_context().deck_uri``
under the run's raw output prefix, and recorded for ``aioflyte.run(..., decks=True)``.

As in flytekit's local runs, an attempt that fails writes no page (a failed local run leaves nothing but the outputs
of the calls that finished: docs/failures.md); the container entrypoint writes one, as flytekit's does. The page is
rendered and written in a worker thread that a cancelled run waits for (``run_blocking``), so it never lands after
the run has ended. A page that cannot be written is logged, never a failure of the task.

A body that runs in the process pool (``executor="process"``) makes its decks in the worker process:
``run_in_process_with_decks`` gives it a context there with the same deck API (``process_body_with_decks``), and
its decks come back rendered with its result, or on its error, and join the attempt's decks in the order it made
them. Only tasks with ``enable_deck=True`` take this way (``task_runner._body_of`` picks it once per task).
"""

from __future__ import annotations

import logging
import time
from contextvars import copy_context
from types import CoroutineType
from typing import Any

from aioflyte.core.context import TASK_FRAME, TaskFrame, current_context, params_for
from aioflyte.core.deck import (
    DECK_FILES,
    SHIPPED_DECKS_ATTR,
    DeckFile,
    export_decks,
    import_decks,
    process_context,
    process_context_spec,
    start_timeline,
    task_deck_page,
    write_deck_file,
)
from aioflyte.engine import pools
from aioflyte.engine.own_context import finish
from aioflyte.io.provider import is_remote, run_blocking
from aioflyte.runscope import IN_PROCESS_BODY, RunState

log = logging.getLogger("aioflyte.decks")


def _render_and_write(
    task: Any, params: Any, inputs: dict[str, Any], outputs: dict[str, Any] | None, uri: str
) -> None:  # fmt: skip
    write_deck_file(uri, task_deck_page(task, params, inputs, outputs))


async def write_page(uri: str, page: str) -> None:
    from aioflyte.io import default_provider

    await default_provider().put_bytes(uri, page.encode("utf-8"))


async def run_attempt_with_deck(
    task: Any, plan: Any, run: RunState, inputs: dict[str, Any], attempt: int, call_id: str | None, convert: bool
) -> Any:
    from aioflyte.engine import env
    from aioflyte.engine.task_runner import _with_timeout, convert_outputs, note, start_body

    frame = TaskFrame(task, run, attempt, call_id)
    params = params_for(run, frame)
    start_timeline(task, params)
    shown = dict(inputs)  # the body may consume its arguments
    ctx = copy_context()  # the body runs in a context of its own with its frame in it (engine/own_context.py)
    ctx.run(TASK_FRAME.set, frame)
    try:
        with env.applied(task.environment):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                body = ctx.run(start_body, task, plan, inputs)
                if plan.timeout:
                    body = _with_timeout(task, plan.timeout, body)
                result = await (finish(ctx, body) if type(body) is CoroutineType else body)
            finally:
                params.timeline_deck.append_time_info(
                    {
                        "Name": "Execute user level code",
                        "WallTime": time.perf_counter() - wall,
                        "ProcessTime": time.process_time() - cpu,
                    }
                )
    except BaseException as e:
        note(e, task, attempt)
        raise
    outputs = task.python_interface.unpack_outputs(result, f"task {task.name}")
    wall, cpu = time.perf_counter(), time.process_time()
    out = await convert_outputs(task, plan, result) if convert else result
    params.timeline_deck.append_time_info(
        {"Name": "Convert outputs", "WallTime": time.perf_counter() - wall, "ProcessTime": time.process_time() - cpu}
    )
    await _publish(task, params, attempt, shown, outputs)
    return out


async def _publish(
    task: Any, params: Any, attempt: int, inputs: dict[str, Any], outputs: dict[str, Any] | None
) -> None:  # fmt: skip
    uri = params.deck_uri
    if uri is None:
        return
    try:
        if is_remote(uri):
            page = await run_blocking(task_deck_page, task, params, inputs, outputs)
            await write_page(uri, page)
        else:  # one trip to a worker thread: render and write
            await run_blocking(_render_and_write, task, params, inputs, outputs, uri)
    except Exception as e:
        log.error("task %s: its deck could not be written to %s: %s", task.name, uri, e)
        return
    log.info("task %s wrote its deck to %s", task.name, uri)
    files = DECK_FILES.get()
    if files is not None:
        files.append(DeckFile(task.name, attempt, uri))


async def run_in_process_with_decks(task: Any, inputs: dict[str, Any]) -> Any:
    """Run the body of ``task`` (``executor="process"``, ``enable_deck=True``) in the process pool; the decks it
    makes there join the attempt's context, whether it returns or raises."""
    import asyncio

    params = current_context()
    spec = process_context_spec(params)
    fn = task.task_function
    loop = asyncio.get_running_loop()
    try:
        result, shipped = await loop.run_in_executor(
            pools.process_pool(), process_body_with_decks, fn.__module__, task._module_attr(), inputs, spec
        )
    except BaseException as e:
        shipped = vars(e).pop(SHIPPED_DECKS_ATTR, None) if hasattr(e, "__dict__") else None
        if shipped is not None:
            import_decks(params, shipped)
        raise
    import_decks(params, shipped)
    return result


def process_body_with_decks(module: str, name: str, kwargs: dict[str, Any], spec: tuple[Any, ...]) -> Any:
    """Runs in the worker process: the body, with a context of its own (``process_context``) installed, and
    (its result, its decks) returned; on an error, the decks ride on the error (``SHIPPED_DECKS_ATTR``)."""
    task = pools.load_body(module, name)
    fn = getattr(task, "task_function", task)
    params = process_context(spec)
    start = len(params.decks)
    run = RunState(params.execution_id)
    run.outside = True  # stands for the attempt's run: its scratch space is made inside the worker's own
    frame = TaskFrame(task, run, params.attempt_number)
    frame.params = params
    token = TASK_FRAME.set(frame)
    IN_PROCESS_BODY.append(True)  # a task the body calls runs to completion here (core/entity.value_or_awaitable)
    try:
        result = fn(**kwargs)
    except BaseException as e:
        try:
            setattr(e, SHIPPED_DECKS_ATTR, export_decks(params, start))
        except Exception as failed:  # an error without attributes, or a deck that cannot render: the error wins
            log.warning("task %s: the decks of its failed body are lost: %s", name, failed)
        raise
    finally:
        IN_PROCESS_BODY.pop()
        TASK_FRAME.reset(token)
    return result, export_decks(params, start)
