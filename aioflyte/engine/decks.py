"""A task attempt that writes a deck page (``@task(enable_deck=True)``): the attempt as ``run_attempt`` runs it,
timed into the timeline deck, then the page (``aioflyte/core/deck.py``) written at ``current_context().deck_uri``
under the run's raw output prefix, and recorded for ``aioflyte.run(..., decks=True)``.

As in flytekit's local runs, an attempt that fails writes no page (a failed local run leaves nothing but the outputs
of the calls that finished: docs/failures.md); the container entrypoint writes one, as flytekit's does. The page is
rendered and written in a worker thread that a cancelled run waits for (``run_blocking``), so it never lands after
the run has ended. A page that cannot be written is logged, never a failure of the task.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aioflyte.core.context import TASK_FRAME, TaskFrame, params_for
from aioflyte.core.deck import DECK_FILES, DeckFile, start_timeline, task_deck_page, write_deck_file
from aioflyte.io.provider import is_remote, run_blocking
from aioflyte.runscope import RunState

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
    token = TASK_FRAME.set(frame)
    try:
        with env.applied(task.environment):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                body = start_body(task, plan, inputs)
                if plan.timeout:
                    body = _with_timeout(task, plan.timeout, body)
                result = await body
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
    finally:
        TASK_FRAME.reset(token)
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
