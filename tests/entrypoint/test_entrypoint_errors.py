"""A failing task yields error.pb (exit 0) with flytekit's code, kind and origin, and its message shape."""

from __future__ import annotations

import pytest
from entrypoint_helpers import RESOLVE, run_entrypoint
from flyteidl.core import errors_pb2, execution_pb2

pytestmark = pytest.mark.slow  # every test runs the entrypoint as a subprocess

RECOVERABLE = errors_pb2.ContainerError.RECOVERABLE
NON_RECOVERABLE = errors_pb2.ContainerError.NON_RECOVERABLE
USER = execution_pb2.ExecutionError.USER
SYSTEM = execution_pb2.ExecutionError.SYSTEM


async def _fail(store, name, inputs=None, **kw):
    await store.put_inputs(inputs or {"a": 3}, {k: type(v) for k, v in (inputs or {"a": 3}).items()})
    proc = run_entrypoint(store, [*RESOLVE, name], **kw)
    assert proc.returncode == 0, proc.stderr
    assert not await store.exists("out", "outputs.pb")
    return await store.error()


async def test_user_error_is_non_recoverable(store):
    err = await _fail(store, "fails_user")
    assert (err.code, err.kind, err.origin) == ("USER:RuntimeError", NON_RECOVERABLE, USER)
    # flytekit's message shape: the indented traceback, then the indented one-line summary
    assert err.message.startswith("Trace:\n\n    Traceback (most recent call last):\n")
    assert 'tasks_for_entrypoint.py", line' in err.message and "in fails_user" in err.message
    assert err.message.endswith("\nMessage:\n\n    ValueError: bad a=3")
    assert err.timestamp.seconds > 0 and err.worker == ""


@pytest.mark.parametrize(
    "name, code",
    [("fails_recoverable", "USER:Recoverable"), ("fails_timeout", "USER:Timeout")],
)
async def test_recoverable_user_errors(local_store, name, code):
    err = await _fail(local_store, name)
    assert (err.code, err.kind, err.origin) == (code, RECOVERABLE, USER)


async def test_exception_error_code_attribute_is_the_code(local_store):
    err = await _fail(local_store, "fails_coded")
    assert (err.code, err.kind, err.origin) == ("USER:QuotaExceeded", NON_RECOVERABLE, USER)
    assert err.message.endswith("QuotaExceeded: over quota")


async def test_system_exception_raised_by_the_task_is_a_recoverable_system_error(local_store):
    err = await _fail(local_store, "fails_system")
    assert (err.code, err.kind, err.origin) == ("SYSTEM", RECOVERABLE, SYSTEM)
    assert "FlyteSystemException: the store went away" in err.message


async def test_missing_inputs_file_is_a_recoverable_system_error(store):
    proc = run_entrypoint(store, [*RESOLVE, "add"], inputs=store.uri("nowhere", "inputs.pb"))
    assert proc.returncode == 0, proc.stderr
    err = await store.error()
    assert (err.code, err.kind, err.origin) == ("SYSTEM", RECOVERABLE, SYSTEM)
    assert "nowhere/inputs.pb" in err.message


async def test_wrong_output_type_is_a_non_recoverable_system_error(local_store):
    err = await _fail(local_store, "wrong_output")
    assert (err.code, err.kind, err.origin) == ("SYSTEM", NON_RECOVERABLE, SYSTEM)
    assert "output 'o0' expected int, got str" in err.message


async def test_input_of_the_wrong_type_is_a_non_recoverable_system_error(local_store):
    err = await _fail(local_store, "add", inputs={"a": "three", "b": 4})
    assert (err.code, err.kind, err.origin) == ("SYSTEM", NON_RECOVERABLE, SYSTEM)
    assert "input 'a' cannot be read as int" in err.message


async def test_missing_required_input(local_store):
    err = await _fail(local_store, "add", inputs={"a": 1})
    assert (err.code, err.kind, err.origin) == ("SYSTEM", NON_RECOVERABLE, SYSTEM)
    assert "no value for the required input 'b'" in err.message


@pytest.mark.parametrize(
    "args, needle",
    [
        (["task-module", "no_such_module_xyz", "task-name", "t"], "ModuleNotFoundError: No module named"),
        ([*RESOLVE, "no_such_task"], "has no attribute 'no_such_task'"),
        ([*RESOLVE, "not_a_task"], "not a task"),
        (["module", "tasks_for_entrypoint"], "expected arguments 'task-module <module> task-name <name>'"),
    ],
)
async def test_unloadable_task_is_a_non_recoverable_user_error(local_store, args, needle):
    await local_store.put_inputs({"a": 1}, {"a": int})
    proc = run_entrypoint(local_store, args)
    assert proc.returncode == 0, proc.stderr
    err = await local_store.error()
    assert (err.kind, err.origin) == (NON_RECOVERABLE, USER)
    assert err.code.startswith("USER:")
    assert needle in err.message


async def test_dynamic_task_without_serialization_settings_is_a_system_error(local_store):
    err = await _fail(local_store, "dyn", inputs={"n": 2})
    assert (err.code, err.kind, err.origin) == ("SYSTEM", NON_RECOVERABLE, SYSTEM)
    assert "_F_SS_C" in err.message


async def test_dynamic_task_writes_a_dynamic_job_spec(local_store):
    from flyteidl.core import dynamic_job_pb2

    from aioflyte.io import default_provider
    from aioflyte.remote.serialization import SerializationSettings

    settings = SerializationSettings.for_image("ghcr.io/x/y:1", version="v1", project="p", domain="d")
    await local_store.put_inputs({"n": 3}, {"n": int})
    proc = run_entrypoint(local_store, [*RESOLVE, "dyn"], env={"_F_SS_C": settings.serialized_context})
    assert proc.returncode == 0, proc.stderr
    assert not await local_store.exists("out", "error.pb")
    spec = dynamic_job_pb2.DynamicJobSpec()
    spec.ParseFromString(await default_provider().get_bytes(local_store.uri("out", "futures.pb")))
    assert len(spec.nodes) == 3 and len(spec.tasks) == 1
    assert {o.var for o in spec.outputs} == {"o0"}


async def test_fail_on_error_exits_1(local_store):
    await local_store.put_inputs({"a": 3}, {"a": int})
    proc = run_entrypoint(local_store, [*RESOLVE, "fails_user"], env={"FLYTE_FAIL_ON_ERROR": "true"})
    assert proc.returncode == 1
    assert await local_store.exists("out", "error.pb")


async def test_distributed_error_strategy_names_the_file_and_worker(local_store):
    import os

    await local_store.put_inputs({"a": 3}, {"a": int})
    env = {"FLYTE_INTERNAL_DIST_ERROR_STRATEGY": "Earliest", "FLYTE_INTERNAL_WORKER_NAME": "worker-3"}
    proc = run_entrypoint(local_store, [*RESOLVE, "fails_user"], env=env)
    assert proc.returncode == 0, proc.stderr
    (name,) = os.listdir(local_store.uri("out"))
    assert name.startswith("error-") and name.endswith(".pb")
    doc = errors_pb2.ErrorDocument()
    with open(local_store.uri("out", name), "rb") as fh:
        doc.ParseFromString(fh.read())
    assert doc.error.worker == "worker-3"
