"""Task nodes and array nodes (map tasks) of a workflow execution: the task's container command run as local
processes with :class:`TaskRun` (one directory per node, or per array item), under the manager's process bound,
with the task cache (``discoverable`` tasks) in front.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any

from flyteidl.core import catalog_pb2, dynamic_job_pb2, literals_pb2, tasks_pb2, types_pb2, workflow_pb2

from aioflyte.core.artifact_records import ArtifactError
from aioflyte.server.artifacts import record_outputs
from aioflyte.server.executions.arraydecks import external_resources, write_items_deck
from aioflyte.server.executions.connectors import connector_for, no_connector_error, run_connector_task
from aioflyte.server.executions.records import (
    NodeFailed,
    NodeRecord,
    RunContext,
    TaskRecord,
    cache_key,
    id_key,
    user_error,
    write_literals,
)
from aioflyte.server.executions.runner import Outcome, TaskRun
from aioflyte.server.executions.typecheck import matches
from aioflyte.server.store import now_ns

#: The variable a map task item's index is in (``BATCH_JOB_ARRAY_INDEX_VAR_NAME`` names it).
ARRAY_INDEX_VAR = "AIOFLYTE_ARRAY_INDEX"


def task_template(ctx: RunContext, node: workflow_pb2.Node) -> tasks_pb2.TaskTemplate:
    """The node's task, with the node's retries and timeout (``with_overrides``) applied."""
    ref = node.task_node.reference_id
    found = ctx.tasks.get(id_key(ref))
    if found is None:
        raise user_error("SYSTEM:TaskNotFound", f"node {node.id} references task {ref.name}@{ref.version}, which is "
                         "not in the workflow closure")  # fmt: skip
    template = tasks_pb2.TaskTemplate()
    template.CopyFrom(found)
    md = node.metadata
    if md.HasField("retries"):
        template.metadata.retries.CopyFrom(md.retries)
    if md.HasField("timeout") and md.timeout.ToNanoseconds() > 0:
        template.metadata.timeout.CopyFrom(md.timeout)
    return template


async def _attempts(
    ctx: RunContext, rec: NodeRecord, template: tasks_pb2.TaskTemplate, base: Any, envs: dict[str, str],
    record: TaskRecord | None,
) -> Outcome:  # fmt: skip
    """Run the task's attempts under a process slot; each attempt recorded as a task execution."""

    async def started(pgid: int) -> None:
        if ctx.on_task_start is not None:
            await ctx.on_task_start(pgid)
        if record is not None:
            await record.start(run.attempt, base / "logs" / f"attempt-{run.attempt}.log")

    async def ended(attempt: int, outcome: Outcome) -> None:
        if outcome.deck_uri and record is not None:  # Flyte reports it on the node execution (its closure)
            rec.ne.closure.deck_uri = outcome.deck_uri
        if record is not None:
            await record.end(outcome.outputs_uri, outcome.error)

    run = TaskRun(
        template, ctx.key, base, ctx.manager.raw_output_prefix, on_start=started,
        envs={**ctx.manager.platform_env, **ctx.envs(), **envs}, on_end=ended,
        raw_prefix=ctx.manager.task_raw_prefix(base),
        workflow_name=ctx.workflow_name, task_env=ctx.manager.task_env,
        base_env=ctx.manager.base_env,
    )  # fmt: skip
    run.processes = ctx.manager.processes
    try:
        async with contextlib.AsyncExitStack() as stack:
            if ctx.parallelism is not None:  # the execution's max_parallelism first, then the server's bound
                await stack.enter_async_context(ctx.parallelism)
            await stack.enter_async_context(ctx.manager.slots)
            return await run.run()
    except asyncio.CancelledError:
        if record is not None:
            await asyncio.shield(record.end(aborted=True))
        raise


async def run_task_node(
    ctx: RunContext, node: workflow_pb2.Node, rec: NodeRecord, inputs: literals_pb2.LiteralMap
) -> literals_pb2.LiteralMap | dynamic_job_pb2.DynamicJobSpec:
    """The node's outputs (from the cache, or a run of its task), or the dynamic job its task returned."""
    template = task_template(ctx, node)
    rec.ne.closure.task_node_metadata.cache_status = catalog_pb2.CACHE_DISABLED
    key = cache_key(template, inputs) if template.metadata.discoverable else None
    if key is not None:
        hit = None if ctx.spec.overwrite_cache else await ctx.nodes.cached(key)
        if hit is not None:
            rec.ne.closure.task_node_metadata.cache_status = catalog_pb2.CACHE_HIT
            return hit
        rec.ne.closure.task_node_metadata.cache_status = catalog_pb2.CACHE_MISS
    base = rec.dir
    await write_literals(base / "inputs.pb", inputs)
    connector = connector_for(template)
    if connector is not None:  # run in-process by the connector registered for its type (sensors, ...)
        done = await run_connector_task(
            template, connector, inputs, base, ctx.key, envs=ctx.envs(), record=TaskRecord(rec, template),
            node_id=rec.ne.id, parallelism=ctx.parallelism,
        )  # fmt: skip
        if done.error is not None:
            raise NodeFailed(done.error)
        outputs = done.outputs or literals_pb2.LiteralMap()
    else:
        if template.WhichOneof("target") is None:
            raise NodeFailed(no_connector_error(template))
        outcome = await _attempts(ctx, rec, template, base, {}, TaskRecord(rec, template))
        if outcome.error is not None:
            raise NodeFailed(outcome.error)
        if outcome.futures is not None:
            return outcome.futures
        outputs = outcome.outputs or literals_pb2.LiteralMap()
    if key is not None:
        await ctx.nodes.cache(key, outputs, now_ns())
        rec.ne.closure.task_node_metadata.cache_status = catalog_pb2.CACHE_POPULATED
    await record_artifacts(ctx, template, inputs, outputs)
    return outputs


async def record_artifacts(
    ctx: RunContext, template: tasks_pb2.TaskTemplate, inputs: literals_pb2.LiteralMap, outputs: literals_pb2.LiteralMap
) -> None:
    """Record the artifacts the task's outputs are (its interface names them); a partition that cannot be known
    fails the node, naming the task, output and artifact."""
    if not any(v.HasField("artifact_partial_id") for v in template.interface.outputs.variables.values()):
        return
    project, domain, name = ctx.key
    try:
        await record_outputs(ctx.manager.entities, project, domain, f"task {template.id.name} (execution {name})",
                             template.interface, inputs, outputs)  # fmt: skip
    except ArtifactError as e:
        raise user_error("USER:ArtifactPartitions", str(e)) from None


def _in_union(item: literals_pb2.Literal, element: types_pb2.LiteralType) -> literals_pb2.Literal:
    """An item of a collection of optional values, wrapped in the union variant it matches (as flytekit writes
    ``Optional`` values), so that a failed item's none is never read as another variant."""
    if element.WhichOneof("type") != "union_type" or item.scalar.WhichOneof("value") == "union":
        return item
    variant = next((v for v in element.union_type.variants if matches(item, v)), None)
    if variant is None:
        return item
    out = literals_pb2.Literal()
    out.scalar.union.value.CopyFrom(item)
    out.scalar.union.type.CopyFrom(variant)
    return out


def _required_successes(array: workflow_pb2.ArrayNode, n: int) -> int:
    if array.WhichOneof("success_criteria") == "min_successes":
        return min(array.min_successes, n)
    ratio = array.min_success_ratio if array.HasField("min_success_ratio") else 1.0
    return math.ceil(ratio * n)


async def run_array_node(
    ctx: RunContext, node: workflow_pb2.Node, rec: NodeRecord, inputs: literals_pb2.LiteralMap
) -> literals_pb2.LiteralMap:
    """A map task: one process per item (at most ``parallelism`` at once), outputs gathered into collections."""
    array = node.array_node
    sub = array.node
    if sub.WhichOneof("target") != "task_node":
        raise user_error("SYSTEM:Unsupported", f"array node {node.id} maps a {sub.WhichOneof('target')}; the local "
                         "server maps tasks only")  # fmt: skip
    template = task_template(ctx, sub)
    bound = set(array.bound_inputs)
    mapped = [k for k in inputs.literals if k not in bound and inputs.literals[k].WhichOneof("value") == "collection"]
    sizes = {len(inputs.literals[k].collection.literals) for k in mapped}
    if len(sizes) > 1:
        raise user_error("USER:MapInputMismatch", f"map task {template.id.name}: the mapped inputs {sorted(mapped)} "
                         f"have different lengths {sorted(sizes)}")  # fmt: skip
    n = sizes.pop() if sizes else 0
    limit = asyncio.Semaphore(array.parallelism or max(n, 1))
    await write_literals(rec.dir / "inputs.pb", inputs)
    record = TaskRecord(rec, template)
    await record.start(0, None)

    async def item(i: int) -> Outcome:
        base = rec.dir / str(i)
        await write_literals(base / "inputs.pb", inputs)
        envs = {"BATCH_JOB_ARRAY_INDEX_VAR_NAME": ARRAY_INDEX_VAR, ARRAY_INDEX_VAR: str(i),
                "BATCH_JOB_ARRAY_INDEX_OFFSET": "0"}  # fmt: skip
        async with limit:
            return await _attempts(ctx, rec, template, base, envs, None)

    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(item(i)) for i in range(n)]
    except asyncio.CancelledError:
        await asyncio.shield(record.end(aborted=True))
        raise
    outcomes = [t.result() for t in tasks]
    if record.current is not None:  # each item's process log, as Flyte lists an array node's subtask logs
        for i, o in enumerate(outcomes):
            log = rec.dir / str(i) / "logs" / f"attempt-{max(o.attempts - 1, 0)}.log"
            record.current.closure.logs.add(uri=f"file://{log}", name=f"Item {i} log")
        external_resources(record.current, rec, outcomes)
    deck = await write_items_deck(rec.dir, template.id.name, [o.deck_uri for o in outcomes])
    if deck:
        rec.ne.closure.deck_uri = deck
    failed = [o for o in outcomes if o.error is not None]
    if n - len(failed) < _required_successes(array, n):
        first = failed[0].error
        assert first is not None
        message = (
            f"map task {template.id.name}: {len(failed)} of {n} item(s) failed, "
            f"fewer than the {_required_successes(array, n)} required succeeded; first error: {first.message}"
        )
        error = type(first)()
        error.CopyFrom(first)
        error.message = message
        await record.end(error=error)
        raise NodeFailed(error)
    outputs = literals_pb2.LiteralMap()
    for name, var in template.interface.outputs.variables.items():
        coll = outputs.literals[name].collection
        coll.SetInParent()
        for o in outcomes:
            item = literals_pb2.Literal()
            if o.outputs is not None and name in o.outputs.literals:
                item.CopyFrom(o.outputs.literals[name])
            else:
                item.scalar.none_type.SetInParent()
            coll.literals.append(_in_union(item, var.type.collection_type))
    uri = await write_literals(rec.dir / "outputs.pb", outputs)
    await record.end(uri)
    return outputs
