"""A map task container runs the one item named by the array index variables and writes its scalar outputs."""

from __future__ import annotations

import pytest
from entrypoint_helpers import RESOLVE, run_entrypoint
from flyteidl.core import errors_pb2, execution_pb2

pytestmark = pytest.mark.slow  # every test runs the entrypoint as a subprocess

ARRAY = "flytekit.core.array_node_map_task.ArrayNodeMapTaskResolver"
DEFAULT = "flytekit.core.python_auto_container.default_task_resolver"


def _index(i: int, offset: int | None = None) -> dict[str, str]:
    env = {"BATCH_JOB_ARRAY_INDEX_VAR_NAME": "AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX": str(i)}
    if offset is not None:
        env["BATCH_JOB_ARRAY_INDEX_OFFSET"] = str(offset)
    return env


async def _inputs(store):
    await store.put_inputs({"x": [1, 2, 3, 4], "y": [10, 20, 30, 40]}, {"x": list[int], "y": list[int]})


@pytest.mark.parametrize("index, offset", [(1, None), (0, 2)])
async def test_array_node_resolver_runs_one_item(store, index, offset):
    await _inputs(store)
    args = ["vars", "", "resolver", DEFAULT, *RESOLVE, "square_plus"]
    proc = run_entrypoint(store, args, resolver=ARRAY, env=_index(index, offset), prefix="item")
    assert proc.returncode == 0, proc.stderr
    lm = await store.outputs("item")
    item = index + (offset or 0)
    x, y = [1, 2, 3, 4][item], [10, 20, 30, 40][item]
    # the item's output is a scalar of the mapped task's type; the platform assembles the list
    assert lm.literals["o0"].WhichOneof("value") == "scalar"
    assert lm.literals["o0"].scalar.primitive.integer == x * x + y


async def test_module_level_map_task_through_the_default_resolver(local_store):
    await _inputs(local_store)
    proc = run_entrypoint(local_store, [*RESOLVE, "squares"], env=_index(3))
    assert proc.returncode == 0, proc.stderr
    assert await local_store.value("o0", int) == 16 + 40


async def test_bound_inputs_are_passed_whole(local_store):
    await local_store.put_inputs({"x": [5, 6], "y": 1}, {"x": list[int], "y": int})
    args = ["vars", "y", "resolver", "aioflyte.entrypoint.default_resolver", *RESOLVE, "square_plus"]
    proc = run_entrypoint(local_store, args, resolver="aioflyte.entrypoint.map_task_resolver", env=_index(1))
    assert proc.returncode == 0, proc.stderr
    assert await local_store.value("o0", int) == 37


async def test_partial_value_used_when_inputs_lack_it(local_store):
    await local_store.put_inputs({"x": [5, 6]}, {"x": list[int]})
    proc = run_entrypoint(local_store, [*RESOLVE, "squares_y10"], env=_index(0))
    assert proc.returncode == 0, proc.stderr
    assert await local_store.value("o0", int) == 35


async def test_index_out_of_range_is_a_system_error(local_store):
    await _inputs(local_store)
    proc = run_entrypoint(local_store, [*RESOLVE, "squares"], env=_index(7))
    assert proc.returncode == 0, proc.stderr
    err = await local_store.error()
    assert (err.origin, err.kind) == (execution_pb2.ExecutionError.SYSTEM, errors_pb2.ContainerError.NON_RECOVERABLE)
    assert "array index 7 is out of range" in err.message


async def test_index_variable_named_but_unset_is_a_system_error(local_store):
    await _inputs(local_store)
    proc = run_entrypoint(local_store, [*RESOLVE, "squares"], env={"BATCH_JOB_ARRAY_INDEX_VAR_NAME": "NOPE_IDX"})
    assert proc.returncode == 0, proc.stderr
    err = await local_store.error()
    assert err.origin == execution_pb2.ExecutionError.SYSTEM
    assert "'NOPE_IDX', which is not set" in err.message


async def test_failing_item_reports_a_user_error(local_store):
    await local_store.put_inputs({"a": [1, 2]}, {"a": list[int]})
    args = ["vars", "", "resolver", DEFAULT, *RESOLVE, "fails_recoverable"]
    proc = run_entrypoint(local_store, args, resolver=ARRAY, env=_index(1))
    assert proc.returncode == 0, proc.stderr
    err = await local_store.error()
    assert (err.code, err.kind, err.origin) == (
        "USER:Recoverable",
        errors_pb2.ContainerError.RECOVERABLE,
        execution_pb2.ExecutionError.USER,
    )
    assert "try again, a=2" in err.message
