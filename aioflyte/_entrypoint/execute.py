"""One task execution in a container: load the task, read ``inputs.pb``, run once, write outputs or an error.

Every phase classifies its own failures (see ``errors.py``), so the document written on failure says whose
fault it was and whether a retry can help. Retries, timeouts and caching are the platform's job here: the
body runs exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from typing import Any

from flyteidl.core import literals_pb2 as _lit

from aioflyte._entrypoint import errors
from aioflyte._entrypoint.literals import join, offload, unwrap
from aioflyte._entrypoint.resolver import load_resolver
from aioflyte.core.artifact import (
    DYNAMIC_PARTITIONS,
    OUTPUT_METADATA,
    Granularity,
    OutputMetadataTracker,
    artifact_spec_of,
)
from aioflyte.core.artifact_records import encode_runtime
from aioflyte.core.context import execution_parameters
from aioflyte.core.deck import DECK_FILE_NAME, start_timeline, task_deck_page
from aioflyte.core.secrets import requested_values
from aioflyte.engine.task_runner import run_task_body
from aioflyte.exceptions import FlyteArrayIndexError as FlyteArrayIndexError
from aioflyte.exceptions import FlyteSystemException, FlyteUserException, IgnoreOutputs, TypeTransformerFailedError
from aioflyte.io.literals import read_literal_map
from aioflyte.models.identifier import Identifier, ResourceType, WorkflowExecutionIdentifier
from aioflyte.runscope import RunState, TaskFrame, run_scope, task_frame
from aioflyte.types.engine import TypeEngine, type_name

log = logging.getLogger("aioflyte.entrypoint")


@dataclasses.dataclass
class Request:
    """What the command line asks for (already normalised: unfilled templates are None)."""

    inputs: str
    output_prefix: str
    raw_output_prefix: str | None = None
    checkpoint_path: str | None = None
    prev_checkpoint: str | None = None
    resolver: str | None = None
    resolver_args: list[str] = dataclasses.field(default_factory=list)
    dynamic_addl_distro: str | None = None
    dynamic_dest_dir: str | None = None
    test: bool = False


class ContainerRun(RunState):
    """The run of a task container: the platform's raw output prefix is used as given (no execution name added)."""

    __slots__ = ()

    @property
    def raw_output_prefix(self) -> str:
        if self.raw_output_base:
            return self.raw_output_base.rstrip("/")
        return super().raw_output_prefix


def _env(*names: str, default: str = "") -> str:
    return errors._env(*names) or default


def execution_id() -> WorkflowExecutionIdentifier | None:
    name = _env("FLYTE_INTERNAL_EXECUTION_ID", "_F_NM")
    if not name:
        return None  # RunState makes a local one
    return WorkflowExecutionIdentifier(
        _env("FLYTE_INTERNAL_EXECUTION_PROJECT", "_F_PRJ"), _env("FLYTE_INTERNAL_EXECUTION_DOMAIN", "_F_DM"), name
    )


def task_id(task: Any, run: RunState) -> Identifier:
    """The task's id from ``FLYTE_INTERNAL_TASK_*``, defaulting to the run's project/domain and the task's name."""
    return Identifier(
        ResourceType.TASK,
        _env("FLYTE_INTERNAL_TASK_PROJECT", "_F_TK_PRJ", default=run.execution_id.project),
        _env("FLYTE_INTERNAL_TASK_DOMAIN", "_F_TK_DM", default=run.execution_id.domain),
        _env("FLYTE_INTERNAL_TASK_NAME", "_F_TK_NM", default=getattr(task, "name", "")),
        _env("FLYTE_INTERNAL_TASK_VERSION", "_F_TK_V", default=getattr(task, "version", None) or "local"),
    )


def array_index() -> int:
    """The item a map task container runs: ``$BATCH_JOB_ARRAY_INDEX_OFFSET`` plus the variable named by
    ``$BATCH_JOB_ARRAY_INDEX_VAR_NAME`` (flytekit's rule; with neither set, item 0)."""
    try:
        offset = int(os.environ.get("BATCH_JOB_ARRAY_INDEX_OFFSET") or 0)
        var = os.environ.get("BATCH_JOB_ARRAY_INDEX_VAR_NAME")
        if not var:
            return offset
        if var not in os.environ:
            raise FlyteArrayIndexError(f"BATCH_JOB_ARRAY_INDEX_VAR_NAME names {var!r}, which is not set")
        return offset + int(os.environ[var])
    except ValueError as e:
        raise FlyteArrayIndexError(f"the array index environment is not an integer: {e}") from None


def _frame(task: Any, run: RunState, req: Request) -> TaskFrame:
    """The task's frame, with the platform's checkpoint locations, task id and output prefix in its context."""
    from aioflyte.core.checkpoint import Checkpoint

    attempt = os.environ.get("FLYTE_ATTEMPT_NUMBER", "")
    frame = TaskFrame(task, run, attempt=int(attempt) if attempt.isdigit() else 0)
    params = execution_parameters(run, frame)
    if req.checkpoint_path:
        params._checkpoint = Checkpoint(req.checkpoint_path, req.prev_checkpoint)
    params._task_id = task_id(task, run)
    params._output_metadata_prefix = req.output_prefix
    if getattr(task, "enable_deck", False):  # where Flyte's backends (and aioflyte serve) look for the deck
        params._deck_uri = join(req.output_prefix, DECK_FILE_NAME)
    frame.params = params  # current_context() returns these instead of building its own
    return frame


def _kind(entity: Any) -> str:
    """``map``, ``dynamic``, ``eager`` or ``task``; a clear user error for anything that is not a task."""
    from aioflyte.core.map_task import ArrayNodeMapTask

    if isinstance(entity, ArrayNodeMapTask):
        if entity.target_kind != "task":
            raise FlyteUserException(
                f"map task {entity.name} maps a {entity.target_kind.replace('_', ' ')}; only mapped tasks run in "
                "a task container (the platform launches mapped launch plans itself)"
            )
        return "map"
    node_kind = getattr(entity, "node_kind", None)
    if node_kind not in (None, "task") or not callable(getattr(entity, "execute", None)):
        what = f"a {node_kind.replace('_', ' ')}" if node_kind else type(entity).__name__
        raise FlyteUserException(f"the resolver returned {what} ({entity!r}), not a task")
    mode = getattr(getattr(entity, "execution_mode", None), "name", "DEFAULT")
    return {"DYNAMIC": "dynamic", "EAGER": "eager"}.get(mode, "task")


async def read_inputs(provider: Any, uri: str) -> _lit.LiteralMap:
    return await read_literal_map(uri, provider)


async def _convert_inputs(
    provider: Any, task: Any, literals: dict[str, _lit.Literal], fixed: dict[str, Any]
) -> dict[str, Any]:
    """Python inputs of ``task``: from the literals, else the fixed values, else the interface's defaults."""
    iface = task.python_interface
    kwargs: dict[str, Any] = {}
    for n, t in iface.input_types.items():
        if n not in literals:
            continue
        lit = await unwrap(provider, literals[n])
        try:  # TypeEngine.literal_map_to_kwargs, one input at a time so that a failure names its input
            kwargs[n] = await TypeEngine.async_to_python_value(None, lit, t)
        except FlyteSystemException:
            raise
        except Exception as e:
            raise TypeTransformerFailedError(
                f"task {task.name}: input {n!r} cannot be read as {type_name(t)} from a "
                f"{_literal_kind(lit)} literal: {e}"
            ) from e
    defaults = iface.defaults
    for n in iface.inputs:
        if n in kwargs:
            continue
        if n in fixed:
            kwargs[n] = fixed[n]
        elif n in defaults:
            kwargs[n] = defaults[n]
        else:
            raise TypeTransformerFailedError(
                f"task {task.name}: inputs.pb has no value for the required input {n!r} "
                f"(it has {', '.join(sorted(literals)) or 'none'})"
            )
    return kwargs


def _literal_kind(lit: _lit.Literal) -> str:
    kind = lit.WhichOneof("value") or "empty"
    if kind == "scalar":
        return lit.scalar.WhichOneof("value") or "empty scalar"
    return kind


async def _map_item_inputs(provider: Any, mt: Any, lm: _lit.LiteralMap) -> dict[str, Any]:
    """The inputs of one item of a map task: element ``array_index()`` of each mapped list, bound inputs whole."""
    index = array_index()
    literals: dict[str, _lit.Literal] = {}
    for name in mt.target.python_interface.inputs:
        if name not in lm.literals:
            continue
        lit = await unwrap(provider, lm.literals[name])
        if name in mt.mapped_inputs:
            if lit.WhichOneof("value") != "collection":
                raise TypeTransformerFailedError(
                    f"map task {mt.name}: mapped input {name!r} expected a collection literal, "
                    f"got {lit.WhichOneof('value')}"
                )
            items = lit.collection.literals
            if not 0 <= index < len(items):
                raise FlyteArrayIndexError(
                    f"map task {mt.name}: array index {index} is out of range for input {name!r} "
                    f"of {len(items)} item(s)"
                )
            lit = items[index]
        literals[name] = lit
    return await _convert_inputs(provider, mt.target, literals, mt.bound_inputs_values)


async def _convert_outputs(task: Any, result: Any) -> tuple[_lit.LiteralMap, dict[str, Any]]:
    """The outputs literal map (and each output's literal type) for what the body returned."""
    from aioflyte.core.task import raise_type_error

    iface = task.python_interface
    values = iface.unpack_outputs(result, f"task {task.name}")
    types = {n: TypeEngine.to_literal_type(t) for n, t in iface.outputs.items()}

    async def one(n: str, t: Any) -> _lit.Literal:
        try:
            return await TypeEngine.async_to_literal(None, values[n], t, types[n])
        except FlyteSystemException:
            raise
        except (TypeTransformerFailedError, TypeError, ValueError, AssertionError) as e:
            raise_type_error(
                f"task {task.name}", "output", n, t, values[n], e, secrets=getattr(task, "secret_requests", None)
            )
            raise  # unreachable: raise_type_error raises

    done = await asyncio.gather(*(one(n, t) for n, t in iface.outputs.items()), return_exceptions=True)
    lm = _lit.LiteralMap()
    for (n, _), lit in zip(iface.outputs.items(), done):
        if isinstance(lit, BaseException):
            raise lit
        lm.literals[n].CopyFrom(lit)
    return lm, types


def _artifact_metadata(task: Any, result: Any, tracker: OutputMetadataTracker, outputs: _lit.LiteralMap) -> None:
    """Put what ``create_from`` set for each output on its literal's metadata (``_uap``), where Flyte (and
    ``aioflyte serve``) read the partitions of the artifact the output becomes."""
    iface = task.python_interface
    values = iface.unpack_outputs(result, f"task {task.name}")
    for n, t in iface.outputs.items():
        spec = artifact_spec_of(t)
        if spec is None:
            continue
        meta = tracker.get(values[n])
        if meta is None:
            found = tracker.for_artifact(spec.artifact)
            meta = found[0] if len(found) == 1 else None
        if meta is None or not (meta.dynamic_partitions or meta.time_partition):
            continue
        granularity = spec.artifact.time_partition_granularity or Granularity.DAY
        outputs.literals[n].metadata[DYNAMIC_PARTITIONS] = encode_runtime(
            meta.dynamic_partitions, meta.time_partition, granularity
        )


async def _run(entity: Any, kind: str, req: Request, run: RunState, provider: Any) -> dict[str, bytes]:
    """Inputs, body, outputs; returns the files to write under the output prefix."""
    try:
        lm = await read_inputs(provider, req.inputs)
    except Exception as e:
        raise errors.system_failure(e) from e
    task = entity.target if kind == "map" else entity
    try:
        if kind == "map":
            kwargs = await _map_item_inputs(provider, entity, lm)
        else:
            kwargs = await _convert_inputs(provider, task, dict(lm.literals), {})
    except Exception as e:
        raise errors.conversion_failure(e) from e
    if kind == "dynamic":
        return await _run_dynamic(task, kwargs, run, req, provider)
    tracker = OutputMetadataTracker()
    token = OUTPUT_METADATA.set(tracker)  # what Artifact.create_from sets in the body
    frame = _frame(task, run, req)
    deck = frame.params is not None and frame.params.deck_uri is not None
    if deck:
        start_timeline(task, frame.params)
    shown = dict(kwargs)
    try:
        with task_frame(frame), _timed(frame.params if deck else None, "Execute user level code"):
            if kind == "eager":
                from aioflyte._entrypoint.eager import eager_controller

                async with eager_controller(task):
                    result = await run_task_body(task, kwargs)
            else:
                result = await run_task_body(task, kwargs)
    except Exception as e:
        if deck:
            await _publish_deck(provider, task, frame.params, shown, None)
        raise errors.user_failure(e) from e
    finally:
        OUTPUT_METADATA.reset(token)
    try:
        with _timed(frame.params if deck else None, "Translate Python values to literals"):
            outputs, types = await _convert_outputs(task, result)
        if tracker.output_metadata:
            _artifact_metadata(task, result, tracker, outputs)
        files = offload(req.output_prefix, outputs, types)
    except Exception as e:
        raise errors.conversion_failure(e) from e
    if deck:
        await _publish_deck(
            provider, task, frame.params, shown, task.python_interface.unpack_outputs(result, task.name)
        )
    return files


@contextlib.contextmanager
def _timed(params: Any, name: str) -> Any:
    """Time the block into the timeline deck of ``params`` (nothing when None)."""
    if params is None:
        yield
        return
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        params.timeline_deck.append_time_info(
            {"Name": name, "WallTime": time.perf_counter() - wall, "ProcessTime": time.process_time() - cpu}
        )


async def _publish_deck(
    provider: Any, task: Any, params: Any, inputs: dict[str, Any], outputs: dict[str, Any] | None
) -> None:  # fmt: skip
    """Write the attempt's ``deck.html`` under the output prefix; a failure to do so is logged, never the task's."""
    uri = params.deck_uri
    try:
        page = await asyncio.to_thread(task_deck_page, task, params, inputs, outputs)
        await provider.put_bytes(uri, page.encode("utf-8"))
    except Exception as e:
        log.error("task %s: its deck could not be written to %s: %s", task.name, uri, e)
        return
    log.info("task %s wrote its deck to %s", task.name, uri)


async def _run_dynamic(
    task: Any, kwargs: dict[str, Any], run: RunState, req: Request, provider: Any
) -> dict[str, bytes]:
    """Compile the dynamic body with the real inputs into ``futures.pb`` (a DynamicJobSpec) for the platform.

    A body that calls no entity yields its outputs directly (``outputs.pb``), as flytekit does.
    """
    from aioflyte.remote.serialization import SERIALIZED_CONTEXT_ENV_VAR, SerializationSettings
    from aioflyte.remote.translator import dynamic_job_spec

    transport = os.environ.get(SERIALIZED_CONTEXT_ENV_VAR)
    if not transport:
        e = FlyteSystemException(
            f"dynamic task {task.name}: the serialization settings ({SERIALIZED_CONTEXT_ENV_VAR}) are missing from "
            "the environment; register the task with aioflyte (or pyflyte), which sets them"
        )
        raise errors.system_failure(e, recoverable=False)
    try:
        settings = SerializationSettings.from_transport(transport)
    except Exception as e:
        raise errors.system_failure(e, recoverable=False) from e
    frame = _frame(task, run, req)
    deck = frame.params is not None and frame.params.deck_uri is not None
    if deck:
        start_timeline(task, frame.params)
    shown = dict(kwargs)
    try:
        with task_frame(frame), _timed(frame.params if deck else None, "Compile the dynamic workflow"):
            spec = await dynamic_job_spec(task, kwargs, settings)
    except Exception as e:
        if deck:
            await _publish_deck(provider, task, frame.params, shown, None)
        raise errors.user_failure(e) from e
    if deck:  # its outputs are the nodes' to make: no output deck
        await _publish_deck(provider, task, frame.params, shown, None)
    if isinstance(spec, _lit.LiteralMap):
        return {"outputs.pb": spec.SerializeToString()}
    return {"futures.pb": spec.SerializeToString()}


def serialization_settings_of_container() -> Any:
    """Install the serialization settings the platform passes (``_F_SS_C``) for the task's run, where
    ``FlyteContextManager.current_context().serialization_settings`` reads them, as flytekit's entrypoint does;
    without them (or when they do not parse: a dynamic task then reports it), nothing changes."""
    from aioflyte.core.context import SERIALIZATION_SETTINGS
    from aioflyte.remote.serialization import SERIALIZED_CONTEXT_ENV_VAR, SerializationSettings

    transport = os.environ.get(SERIALIZED_CONTEXT_ENV_VAR)
    try:
        settings = SerializationSettings.from_transport(transport) if transport else None
    except Exception as e:
        log.warning("the serialization settings in %s do not parse: %s", SERIALIZED_CONTEXT_ENV_VAR, e)
        settings = None
    return _installed(SERIALIZATION_SETTINGS, settings) if settings is not None else contextlib.nullcontext()


@contextlib.contextmanager
def _installed(var: Any, value: Any) -> Any:
    token = var.set(value)
    try:
        yield value
    finally:
        var.reset(token)


async def execute(req: Request) -> str | None:
    """Run the request; returns the name of the error file written under the output prefix, or None."""
    from aioflyte.io import default_provider

    provider = default_provider()
    entity: Any = None
    try:
        try:
            resolver = load_resolver(req.resolver)
            async_load = getattr(resolver, "async_load_task", None)  # a resolver that reads from the data plane
            if callable(async_load):
                entity = await async_load(list(req.resolver_args))
            else:
                entity = resolver.load_task(list(req.resolver_args))
            kind = _kind(entity)
        except Exception as e:
            raise errors.user_failure(e) from e
        if req.test:
            log.info("--test: resolved %r (%s); not running it", getattr(entity, "name", entity), kind)
            return None
        run = ContainerRun(execution_id(), req.raw_output_prefix, local=False, loop=asyncio.get_running_loop())
        with run_scope(run), serialization_settings_of_container():
            files = await _run(entity, kind, req, run, provider)
        try:
            for name, data in files.items():
                await provider.put_bytes(join(req.output_prefix, name), data)
        except Exception as e:
            raise errors.system_failure(e) from e
        return None
    except errors.TaskFailure as f:
        if isinstance(f.cause, IgnoreOutputs) and f.origin == errors.USER:
            log.warning("the task raised IgnoreOutputs (%s): no outputs are written", f.cause)
            return None
        name = errors.error_file_name()
        # the values of the secrets the task requested never reach the error document (or the log)
        doc = errors.error_document(f, redact=requested_values(getattr(entity, "secret_requests", None)))
        how = "recoverable" if f.kind == errors.RECOVERABLE else "non-recoverable"
        log.error("task failed (%s, %s):\n%s", f.code, how, doc.error.message)
        await provider.put_bytes(join(req.output_prefix, name), doc.SerializeToString())
        return name
