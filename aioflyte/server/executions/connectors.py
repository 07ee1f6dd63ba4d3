"""Task nodes whose task type has a connector registered in the server's process: run in-process through the
connector (``aioflyte.core.connector_exec.run_connector``), as Flyte's propeller hands them to a connector service,
instead of as a container command. Sensors (task type ``sensor``) are such tasks: the sensor connector is loaded
with the server, other connectors from the modules named by ``--connector-module`` (or
``AIOFLYTE_CONNECTOR_MODULES``).

Each attempt is a task execution (phase, log links, outputs); ``RETRYABLE_FAILED`` attempts are retried up to the
task's ``retries``, the task's ``timeout`` bounds each attempt, and terminating the execution deletes the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flyteidl.admin import agent_pb2
from flyteidl.core import execution_pb2, identifier_pb2, literals_pb2, tasks_pb2

from aioflyte.core.connector import ConnectorRegistry, Resource, render_task_template
from aioflyte.core.connector_exec import run_connector
from aioflyte.server.executions.records import TaskRecord, write_literals
from aioflyte.server.executions.runner import Outcome
from aioflyte.server.store import now_ns

log = logging.getLogger("aioflyte.server")

#: Modules the server always imports: the connectors aioflyte ships (the sensor connector).
BUILTIN_CONNECTOR_MODULES = ("aioflyte.sensor",)
#: The variable naming more connector modules (comma-separated), read beside ``--connector-module``.
CONNECTOR_MODULES_ENV_VAR = "AIOFLYTE_CONNECTOR_MODULES"
_SUCCEEDED, _RETRYABLE_FAILED = execution_pb2.TaskExecution.SUCCEEDED, execution_pb2.TaskExecution.RETRYABLE_FAILED


def connector_modules(given: Iterable[str] = ()) -> list[str]:
    """The modules to import for connectors: the built-in ones, ``given``, then the environment variable's."""
    env = [m.strip() for m in os.environ.get(CONNECTOR_MODULES_ENV_VAR, "").split(",") if m.strip()]
    out: list[str] = []
    for m in (*BUILTIN_CONNECTOR_MODULES, *given, *env):
        if m not in out:
            out.append(m)
    return out


def load_connectors(modules: Iterable[str] = ()) -> list[str]:
    """Import the connector modules (each registers its connectors when imported); the task types now served.

    A module that cannot be imported is an error naming it (the server does not start half-configured)."""
    for name in connector_modules(modules):
        try:
            importlib.import_module(name)
        except Exception as e:
            raise ImportError(f"connector module {name!r} cannot be imported: {type(e).__name__}: {e}") from e
    served = sorted(str(c) for c in ConnectorRegistry._REGISTRY)
    log.info("connectors serve task types: %s", ", ".join(served))
    return served


def connector_for(template: tasks_pb2.TaskTemplate) -> Any:
    """The connector registered in this process for the template's task type and version, or None."""
    return ConnectorRegistry.find(template.type, template.task_type_version)


def _metadata(
    key: tuple[str, str, str], template: tasks_pb2.TaskTemplate, node_id: Any, attempt: int, envs: dict[str, str]
) -> Any:
    from aioflyte.models.task import TaskExecutionMetadata

    project, domain, _ = key
    pb = agent_pb2.TaskExecutionMetadata(
        task_execution_id=identifier_pb2.TaskExecutionIdentifier(
            task_id=template.id, node_execution_id=node_id, retry_attempt=attempt
        ),
        namespace=f"{project}-{domain}",
        environment_variables=envs,
    )
    return TaskExecutionMetadata.from_flyte_idl(pb)


async def _outputs(resource: Resource, prefix: Path, template: tasks_pb2.TaskTemplate) -> literals_pb2.LiteralMap:
    """The attempt's outputs as a literal map: what ``get``/``do`` returned, else the ``outputs.pb`` the job wrote."""
    from aioflyte.types.engine import TypeEngine

    outputs = resource.outputs
    if outputs is None:
        path = prefix / "outputs.pb"
        if template.interface.outputs.variables and path.exists():
            return literals_pb2.LiteralMap.FromString(await asyncio.to_thread(path.read_bytes))
        return literals_pb2.LiteralMap()
    if isinstance(outputs, dict):
        types = {n: TypeEngine.guess_python_type(v.type) for n, v in template.interface.outputs.variables.items()}
        return await TypeEngine.dict_to_literal_map_pb(None, outputs, types)
    if isinstance(outputs, literals_pb2.LiteralMap):
        return outputs
    return outputs.to_flyte_idl()


def no_connector_error(template: tasks_pb2.TaskTemplate) -> execution_pb2.ExecutionError:
    """The error of a task with nothing to run: no container, and no connector for its type in this server."""
    return _error(
        "SYSTEM:ConnectorNotFound",
        f"task {template.id.name} (type {template.type!r}, version {template.task_type_version}) has no container, "
        "and this server has no connector for its type: start it with --connector-module <a module registering one>",
    )


def _error(code: str, message: str, kind: int = execution_pb2.ExecutionError.USER) -> execution_pb2.ExecutionError:
    return execution_pb2.ExecutionError(code=code, message=message, kind=kind)  # type: ignore[arg-type]


async def run_connector_task(
    template: tasks_pb2.TaskTemplate,
    connector: Any,
    inputs: literals_pb2.LiteralMap,
    base: Path,
    key: tuple[str, str, str],
    *,
    envs: dict[str, str] | None = None,
    record: TaskRecord | None = None,
    node_id: identifier_pb2.NodeExecutionIdentifier | None = None,
    parallelism: asyncio.Semaphore | None = None,
) -> Outcome:
    """Run one task execution through ``connector`` (attempts under ``base/attempt-<n>/``, each recorded on
    ``record`` when given): its outputs, or the last attempt's error."""
    from aioflyte.models.literals import LiteralMap
    from aioflyte.models.task import TaskTemplate

    retries = template.metadata.retries.retries
    timeout = template.metadata.timeout.ToTimedelta().total_seconds() or None
    if node_id is None:
        p, d, n = key
        node_id = identifier_pb2.NodeExecutionIdentifier(
            node_id="n0", execution_id=identifier_pb2.WorkflowExecutionIdentifier(project=p, domain=d, name=n)
        )
    outcome = Outcome()
    for attempt in range(retries + 1):
        outcome = Outcome(attempts=attempt + 1)
        prefix = base / f"attempt-{attempt}"
        await asyncio.to_thread(prefix.mkdir, parents=True, exist_ok=True)
        model = TaskTemplate.from_flyte_idl(template)
        if template.HasField("container"):  # the connector runs the task's own command: inputs beside its outputs
            await write_literals(prefix / "inputs.pb", inputs)
            model = render_task_template(model, str(prefix))
        if record is not None:
            await record.start(attempt, None)

        async def update(resource: Resource) -> None:
            te = record.current if record is not None else None
            if te is not None and resource.log_links:
                del te.closure.logs[:]
                te.closure.logs.extend(resource.log_links)
                await record.node.ctx.nodes.put_task(te, now_ns())  # type: ignore[union-attr]

        try:
            async with contextlib.AsyncExitStack() as stack:
                if parallelism is not None:  # the execution's max_parallelism (a connector job is no process)
                    await stack.enter_async_context(parallelism)
                resource = await asyncio.wait_for(
                    run_connector(
                        connector, model, str(prefix), LiteralMap.from_flyte_idl(inputs),
                        task_execution_metadata=_metadata(key, template, node_id, attempt, envs or {}),
                        on_update=update,
                    ),
                    timeout,
                )  # fmt: skip
        except TimeoutError:
            outcome.error = _error(
                "USER:Timeout", f"task {template.id.name} attempt {attempt} timed out after {timeout:g}s"
            )
            outcome.recoverable = True
        except asyncio.CancelledError:
            if record is not None:
                await asyncio.shield(record.end(aborted=True))
            raise
        except Exception as e:  # the connector failed (create, get or do raised)
            outcome.error = _error(
                "USER:ConnectorError",
                f"task {template.id.name}: connector {type(connector).__name__} failed: {type(e).__name__}: {e}",
            )
        else:
            if resource.phase == _SUCCEEDED:
                try:
                    outputs = await _outputs(resource, prefix, template)
                except Exception as e:
                    outcome.error = _error(
                        "USER:OutputsError", f"task {template.id.name}: cannot read its outputs: {e}"
                    )
                else:
                    outcome.outputs = outputs
                    outcome.outputs_uri = await write_literals(prefix / "outputs.pb", outputs)
            else:
                phase = execution_pb2.TaskExecution.Phase.Name(resource.phase)
                outcome.recoverable = resource.phase == _RETRYABLE_FAILED
                outcome.error = _error(
                    "USER:ConnectorRetryableFailure" if outcome.recoverable else "USER:ConnectorFailed",
                    f"Failed to run the task {template.id.name} with error: {resource.message} (phase {phase})",
                )
        if record is not None:
            await record.end(outcome.outputs_uri, outcome.error)
        if outcome.error is None or not outcome.recoverable:
            return outcome
    return outcome
