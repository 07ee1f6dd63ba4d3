"""Connector tasks and sensors run locally: the task's ``execute`` drives its connector (create, poll ``get`` until
a terminal phase, ``delete`` when cancelled or timed out) on the event loop; a sync connector's plain ``do`` runs on
a worker thread. The connectors and tasks are in ``tests/support/connector_examples.py``."""

from __future__ import annotations

import asyncio
import os
import threading

import connector_examples as ce
import pytest

import aioflyte
from aioflyte.core.connector_exec import PollPolicy
from aioflyte.exceptions import FlyteConnectorNotFound, FlyteRecoverableException, FlyteTimeout, FlyteUserException


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch):
    monkeypatch.setenv("AIOFLYTE_CONNECTOR_POLL_INITIAL", "0.01")
    monkeypatch.setenv("AIOFLYTE_CONNECTOR_POLL_MAX", "0.05")


def _job_events(job: str) -> list[str]:
    return [m for m, j, _ in ce.EVENTS if j == job]


async def _until(predicate, what: str) -> None:
    for _ in range(2000):  # a guard against a hang, not a timing assertion
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_an_async_connector_task_polls_until_it_succeeds_on_the_loop():
    before = len(ce.events("create"))
    assert await ce.countdown(x=5) == 10
    (_, job, _) = ce.events("create")[before]
    assert _job_events(job) == ["create", "get", "get", "get"]  # ticks=3: RUNNING, RUNNING, SUCCEEDED
    main = threading.current_thread().name
    assert {t for _, j, t in ce.EVENTS if j == job} == {main}


async def test_a_sync_connector_task_does_its_work_on_a_worker_thread():
    before = len(ce.events("do"))
    assert await ce.shout(text="hey") == "HEY!"
    (_, _, thread) = ce.events("do")[before]
    assert thread != threading.current_thread().name


async def test_plain_def_connector_methods_run_on_worker_threads_and_outputs_pb_is_read():
    before = len(ce.events("create"))
    assert await ce.file_job(x=41) == 42  # the job wrote outputs.pb under its output prefix
    (_, job, _) = ce.events("create")[before]
    assert all(t != threading.current_thread().name for _, j, t in ce.EVENTS if j == job)


async def test_a_failed_job_fails_the_task_with_its_message():
    with pytest.raises(FlyteUserException, match="Failed to run the task file_job with error: quota exceeded"):
        await ce.file_job(x=-1)


async def test_a_retryable_failure_is_recoverable_and_retried_up_to_retries():
    before = len(ce.events("create"))
    with pytest.raises(FlyteRecoverableException, match="try again"):
        await ce.file_job_retried(x=-2)
    assert len(ce.events("create")) - before == 3  # retries=2: three attempts


async def test_cancelling_the_call_deletes_the_job():
    before = len(ce.events("create"))
    call = asyncio.ensure_future(ce.forever(x=1))
    await _until(lambda: len(ce.events("create")) > before and ce.events("get")[-1][1] == ce.events("create")[-1][1],
                 "the job was polled")  # fmt: skip
    job = ce.events("create")[before][1]
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert _job_events(job)[-1] == "delete"


async def test_the_tasks_timeout_ends_the_wait_and_deletes_the_job():
    before = len(ce.events("create"))
    with pytest.raises(FlyteTimeout, match="forever_with_timeout timed out"):
        await ce.forever_with_timeout(x=1)
    job = ce.events("create")[before][1]
    assert _job_events(job)[-1] == "delete"


async def test_a_task_type_without_a_connector_is_a_clear_error():
    with pytest.raises(FlyteConnectorNotFound, match="nobody_serves_this_v0"):
        await ce.unserved(x=1)


async def test_a_function_task_with_a_connector_has_its_command_run_by_the_connector():
    before = len(ce.events("create"))
    assert await ce.cube_elsewhere(x=3) == 27  # outputs.pb written by the entrypoint the connector started
    (_, pid, _) = ce.events("create")[before]
    assert int(pid) != os.getpid()


async def test_connector_tasks_run_as_nodes_of_a_workflow():
    assert await ce.connector_wf(x=3, text="go") == (7, "GO!", 4)


async def test_a_sync_script_runs_a_connector_task_with_aioflyte_run():
    assert await asyncio.to_thread(aioflyte.run, ce.countdown, x=2) == 4


# --- sensors ------------------------------------------------------------------------------------------------------


async def test_a_file_sensor_waits_for_the_file(tmp_path):
    path = str(tmp_path / "ready.txt")
    run = asyncio.ensure_future(ce.sensor_wf(path=path))
    await asyncio.sleep(0.2)
    assert not run.done()  # the file does not exist: the sensor cannot have finished
    with open(path, "w") as f:
        f.write("hello")
    assert await asyncio.wait_for(run, 60) == "hello"


async def test_a_file_sensor_times_out_when_the_file_never_comes(tmp_path):
    with pytest.raises(FlyteTimeout, match="wait_for_file_briefly"):
        await ce.wait_for_file_briefly(path=str(tmp_path / "never"))


async def test_a_sensor_with_a_config_is_recreated_from_its_class_and_poked_until_true():
    key = os.urandom(4).hex()
    assert await ce.counter_wf(key=key) == 2
    assert [m for m, k, _ in ce.EVENTS if k == key] == ["poke", "poke", "poke"]  # limit=2: True on the third


def test_poll_policy_reads_the_environment_and_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("AIOFLYTE_CONNECTOR_POLL_INITIAL", "0.5")
    monkeypatch.setenv("AIOFLYTE_CONNECTOR_POLL_MAX", "0.1")
    assert PollPolicy.from_env() == PollPolicy(initial=0.5, maximum=0.5)
    monkeypatch.setenv("AIOFLYTE_CONNECTOR_POLL_MAX", "soon")
    with pytest.raises(ValueError, match="AIOFLYTE_CONNECTOR_POLL_MAX expects a number of seconds, got 'soon'"):
        PollPolicy.from_env()
