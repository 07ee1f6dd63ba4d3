"""The entrypoint runs a task in a real subprocess: inputs.pb in, outputs.pb out, on local disk and on S3."""

from __future__ import annotations

import pytest
from entrypoint_helpers import RESOLVE, Store, run_entrypoint
from flyteidl.core import literals_pb2

from aioflyte.io import default_provider
from aioflyte.types.engine import TypeEngine
from aioflyte.types.file import FlyteFile

pytestmark = pytest.mark.slow  # every test runs the entrypoint as a subprocess


async def test_task_reads_inputs_and_writes_outputs(store):
    await store.put_inputs({"a": 3, "b": 4}, {"a": int, "b": int})
    proc = run_entrypoint(store, [*RESOLVE, "add"])
    assert proc.returncode == 0, proc.stderr
    lm = await store.outputs()
    assert list(lm.literals) == ["o0"]
    assert lm.literals["o0"].scalar.primitive.integer == 7
    assert not await store.exists("out", "error.pb")


async def test_async_task_named_outputs_and_defaults(local_store):
    await local_store.put_inputs({"xs": [1, 2, 3]}, {"xs": list[int]})  # 'name' takes its default
    proc = run_entrypoint(local_store, [*RESOLVE, "summarize"], resolver="aioflyte.entrypoint.default_resolver")
    assert proc.returncode == 0, proc.stderr
    assert await local_store.value("total", int) == 6
    assert await local_store.value("label", str) == "xs:3"


async def test_task_without_outputs_writes_an_empty_map(local_store):
    await local_store.put_inputs({"a": 1}, {"a": int})
    proc = run_entrypoint(local_store, [*RESOLVE, "nothing"], resolver=None)  # no --resolver: the default
    assert proc.returncode == 0, proc.stderr
    assert len((await local_store.outputs()).literals) == 0


async def test_context_execution_and_task_ids_raw_prefix_and_checkpoint(store):
    await store.put_inputs({"a": 1}, {"a": int})
    await store.put("checkpoints/0/_checkpoint", b"saved by attempt 0")
    env = {
        "FLYTE_INTERNAL_EXECUTION_PROJECT": "flytesnacks",
        "FLYTE_INTERNAL_EXECUTION_DOMAIN": "development",
        "FLYTE_INTERNAL_EXECUTION_ID": "f8a3b2c1",
        "FLYTE_INTERNAL_TASK_PROJECT": "tproj",
        "FLYTE_INTERNAL_TASK_DOMAIN": "tdom",
        "FLYTE_INTERNAL_TASK_NAME": "tasks_for_entrypoint.context_report",
        "FLYTE_INTERNAL_TASK_VERSION": "v7",
        "FLYTE_ATTEMPT_NUMBER": "1",
    }
    proc = run_entrypoint(
        store,
        [*RESOLVE, "context_report"],
        args=["--prev-checkpoint", store.uri("checkpoints", "0")],
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    report = await store.value("o0", dict[str, str])
    assert report == {
        "execution_id": "flytesnacks:development:f8a3b2c1",
        "task_id": "tproj/tdom/tasks_for_entrypoint.context_report/v7",
        "raw_output_prefix": store.uri("raw"),  # as given: no execution name appended
        "checkpoint_dest": store.uri("checkpoints", "1"),
        "checkpoint_src": store.uri("checkpoints", "0"),
        "prev": "saved by attempt 0",
        "attempt": "1",
    }
    assert await default_provider().get_bytes(store.uri("checkpoints", "1", "_checkpoint")) == b"saved by attempt"


async def test_flytefile_input_stored_on_s3(s3_bucket, tmp_path):
    store = Store("s3", f"s3://{s3_bucket}/run")
    data = f"s3://{s3_bucket}/data/hello.txt"
    await default_provider().put_bytes(data, b"hello from s3")
    await store.put_inputs({"f": FlyteFile(data)}, {"f": FlyteFile})
    for name, want in (("read_file", "HELLO FROM S3"), ("read_file_async", "hello from s3")):
        proc = run_entrypoint(store, [*RESOLVE, name], prefix=name)
        assert proc.returncode == 0, proc.stderr
        assert await store.value("o0", str, prefix=name) == want


async def test_flytefile_output_is_uploaded_under_the_raw_output_prefix(store):
    await store.put_inputs({"text": "written in the container"}, {"text": str})
    proc = run_entrypoint(store, [*RESOLVE, "write_file"])
    assert proc.returncode == 0, proc.stderr
    blob = (await store.outputs()).literals["o0"].scalar.blob
    assert blob.uri.startswith(store.uri("raw") + "/") and blob.uri.endswith("/out.txt")
    assert await default_provider().get_bytes(blob.uri) == b"written in the container"


async def test_eager_task_runs_its_calls_in_the_container(local_store):
    await local_store.put_inputs({"n": 4}, {"n": int})
    proc = run_entrypoint(local_store, [*RESOLVE, "eager_sum"])
    assert proc.returncode == 0, proc.stderr
    assert await local_store.value("o0", int) == 6


async def test_test_flag_resolves_without_running(local_store):
    proc = run_entrypoint(local_store, [*RESOLVE, "add"], inputs="/nonexistent/inputs.pb", args=["--test"])
    assert proc.returncode == 0, proc.stderr
    assert not await local_store.exists("out")


async def test_offloaded_literals_in_and_out(local_store):
    """With literal offloading on (``_F_L_MIN_SIZE_MB``), big outputs go to their own file; offloaded inputs
    are fetched."""
    n_lit = await TypeEngine.to_literal(None, 2_000_000, int)
    uri = await local_store.put("n_offloaded.pb", n_lit.SerializeToString())
    lm = literals_pb2.LiteralMap()
    lm.literals["n"].offloaded_metadata.uri = uri
    await local_store.put("inputs.pb", lm.SerializeToString())
    proc = run_entrypoint(local_store, [*RESOLVE, "big_text"], env={"_F_L_MIN_SIZE_MB": "1"})
    assert proc.returncode == 0, proc.stderr
    out = (await local_store.outputs()).literals["o0"]
    assert out.WhichOneof("value") == "offloaded_metadata"
    assert out.offloaded_metadata.uri == local_store.uri("out", "o0_offloaded_metadata.pb")
    assert out.offloaded_metadata.inferred_type.simple == 3  # STRING
    assert out.hash
    with open(out.offloaded_metadata.uri, "rb") as fh:
        full = literals_pb2.Literal.FromString(fh.read())
    assert full.scalar.primitive.string_value == "x" * 2_000_000
    assert out.offloaded_metadata.size_bytes == full.ByteSize()


async def test_eager_failure_handler_succeeds_with_nothing_to_stop(local_store):
    """The ``<eager>-cleanup`` task aioflyte.remote registers: it gets the eager task's inputs."""
    await local_store.put_inputs({"n": 4}, {"n": int})
    args = ["eager", "failure", "handler"]
    proc = run_entrypoint(local_store, args, resolver="aioflyte.entrypoint.eager_failure_task_resolver")
    assert proc.returncode == 0, proc.stderr
    assert len((await local_store.outputs()).literals) == 0
