"""A task body run in the process pool (``executor="process"``) that calls other tasks gets their values, as a
body on the worker threads does (it used to get a coroutine back)."""

from __future__ import annotations

from process_calling_tasks import calls_in_process, calls_in_process_with_deck

import aioflyte


def test_a_process_body_calling_sync_and_async_tasks_gets_their_values():
    assert aioflyte.run(calls_in_process, x=1) == 40


async def test_a_process_body_with_a_deck_calling_a_task_gets_its_value():
    assert await calls_in_process_with_deck(x=4) == 5
