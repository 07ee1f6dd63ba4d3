"""Running a task through its connector: ``run_connector`` (the one loop, used by local runs and by
``aioflyte serve``) and the mixins that make a task's local ``execute`` that loop.

An async connector's job is created, then ``get`` is polled with exponential backoff (tenacity) until the job's
phase is terminal; if the caller is cancelled (a run cancelled, a task's ``timeout``) or polling fails, the job is
deleted before the error goes on. Everything runs on the caller's event loop; only a connector's plain ``def``
methods run on worker threads.

The mixins need the task's ``TaskTemplate``, which the serializer (``aioflyte.remote``, above this layer) makes:
``aioflyte/__init__.py`` registers it in ``aioflyte.core.serializer``, as it registers the local engine.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from aioflyte.core.connector import (
    AsyncConnectorBase,
    ConnectorRegistry,
    Resource,
    ResourceMeta,
    SyncConnectorBase,
    is_terminal_phase,
    mirror_async_methods,
    render_task_template,
)

if typing.TYPE_CHECKING:
    from aioflyte.models.task import TaskTemplate

__all__ = [
    "AsyncConnectorExecutorMixin",
    "PollPolicy",
    "SyncConnectorExecutorMixin",
    "run_connector",
]

_SUCCEEDED, _RETRYABLE_FAILED = 3, 8


@dataclasses.dataclass(frozen=True)
class PollPolicy:
    """How often ``get`` is polled: ``initial`` seconds after the first answer, doubling up to ``maximum``.

    The default reads ``AIOFLYTE_CONNECTOR_POLL_INITIAL`` and ``AIOFLYTE_CONNECTOR_POLL_MAX`` (seconds).
    """

    initial: float = 0.1
    maximum: float = 5.0

    @classmethod
    def from_env(cls) -> PollPolicy:
        def read(name: str, default: float) -> float:
            raw = os.environ.get(name)
            if raw is None:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise ValueError(f"{name} expects a number of seconds, got {raw!r}") from None
            if value <= 0:
                raise ValueError(f"{name} expects a positive number of seconds, got {raw!r}")
            return value

        initial = read("AIOFLYTE_CONNECTOR_POLL_INITIAL", cls.initial)
        return cls(initial=initial, maximum=max(initial, read("AIOFLYTE_CONNECTOR_POLL_MAX", cls.maximum)))


async def run_connector(
    connector: AsyncConnectorBase | SyncConnectorBase,
    task_template: TaskTemplate,
    output_prefix: str,
    inputs: Any = None,
    *,
    task_execution_metadata: Any = None,
    on_update: Callable[[Resource], Awaitable[None]] | None = None,
    on_created: Callable[[ResourceMeta], Awaitable[None]] | None = None,
    poll: PollPolicy | None = None,
) -> Resource:
    """Run one task execution through ``connector`` until it ends; its last ``Resource``.

    ``on_created`` is awaited with the job's ``ResourceMeta``, ``on_update`` with every ``Resource`` polled (the
    server records phases and log links with them). Cancelling the caller deletes the job, then re-raises.
    """
    kwargs: dict[str, Any] = {"task_template": task_template, "output_prefix": output_prefix, "inputs": inputs}
    if task_execution_metadata is not None:
        kwargs["task_execution_metadata"] = task_execution_metadata
    if isinstance(connector, SyncConnectorBase):
        kwargs.pop("task_execution_metadata", None)
        resource = _checked(connector, "do", await mirror_async_methods(connector.do, **kwargs))
        if on_update is not None:
            await on_update(resource)
        return resource
    if not isinstance(connector, AsyncConnectorBase):
        raise TypeError(
            f"run_connector: parameter 'connector' expects an AsyncConnectorBase or SyncConnectorBase, "
            f"got {type(connector).__name__}"
        )
    meta = await mirror_async_methods(connector.create, **kwargs)
    try:
        if on_created is not None:
            await on_created(meta)
        return await _poll(connector, meta, on_update, poll or PollPolicy.from_env())
    except BaseException as e:
        import asyncio

        try:
            await asyncio.shield(mirror_async_methods(connector.delete, resource_meta=meta))
        except Exception as delete_error:  # the original error goes on; say that the job may still run
            if hasattr(e, "add_note"):
                e.add_note(f"aioflyte: deleting the connector's job {meta!r} failed too: {delete_error!r}")
        raise


def _checked(connector: Any, method: str, resource: Any) -> Resource:
    if not isinstance(resource, Resource):
        raise TypeError(
            f"connector {type(connector).__name__}.{method} must return a Resource, got {type(resource).__name__}"
        )
    return resource


async def _poll(
    connector: AsyncConnectorBase,
    meta: ResourceMeta,
    on_update: Callable[[Resource], Awaitable[None]] | None,
    poll: PollPolicy,
) -> Resource:
    from tenacity import AsyncRetrying, retry_if_result, wait_exponential

    async def get_once() -> Resource:
        resource = _checked(connector, "get", await mirror_async_methods(connector.get, resource_meta=meta))
        if on_update is not None:
            await on_update(resource)
        return resource

    retrying = AsyncRetrying(
        retry=retry_if_result(lambda r: not is_terminal_phase(r.phase)),
        wait=wait_exponential(multiplier=poll.initial, min=poll.initial, max=poll.maximum),
        reraise=True,
    )
    return typing.cast(Resource, await retrying(get_once))


def task_template_of(task: Any) -> TaskTemplate:
    """The task as serialized (a ``TaskTemplate`` model), as a connector receives it."""
    from aioflyte.core.serializer import task_template_pb
    from aioflyte.models.task import TaskTemplate

    return TaskTemplate.from_flyte_idl(task_template_pb(task))


# --- the mixins -----------------------------------------------------------------------------------------------


class _ConnectorExecutor:
    """What both mixins share: ``execute`` runs the task through the connector registered for its type."""

    @property
    def _connector_container(self) -> bool:
        """Whether the task's template carries a container (flytekit: only if its task class makes one)."""
        from aioflyte.core.python_function_task import PythonFunctionTask, PythonInstanceTask

        return isinstance(self, (PythonFunctionTask, PythonInstanceTask))

    async def execute(self, **kwargs: Any) -> Any:
        from aioflyte.core.python_function_task import PythonFunctionTask
        from aioflyte.runscope import RUN

        task: Any = self
        run = RUN.get()
        if isinstance(task, PythonFunctionTask) and run is not None and not run.local:
            # in the task's own container (started by the connector on a cluster): run the function
            return await _function_body(task, kwargs)
        return await run_locally(task, kwargs)


async def _function_body(task: Any, inputs: dict[str, Any]) -> Any:
    import asyncio
    import inspect

    fn = task.task_function
    if inspect.iscoroutinefunction(fn):
        return await fn(**inputs)
    return await asyncio.to_thread(lambda: fn(**inputs))


async def run_locally(task: Any, inputs: dict[str, Any]) -> Any:
    """Run ``task`` through its connector in this process: serialize it, convert the inputs, drive the connector,
    and return its outputs as the task's Python return value."""
    from aioflyte.core.python_function_task import PythonFunctionTask
    from aioflyte.exceptions import FlyteRecoverableException, FlyteUserException
    from aioflyte.io.provider import default_provider
    from aioflyte.models.literals import LiteralMap
    from aioflyte.types.engine import TypeEngine

    template = task_template_of(task)
    connector = ConnectorRegistry.get_connector(template.type, template.task_type_version)
    iface = task.python_interface
    provider = default_provider()
    output_prefix = provider.random_remote_path()
    hints = {n: t for n, (t, _) in iface.inputs.items()}
    literal_map = await TypeEngine.dict_to_literal_map_pb(None, inputs, hints)
    if isinstance(task, PythonFunctionTask) and template.container is not None:
        # the connector runs the task's own command: it reads its inputs from the prefix
        await provider.put_bytes(f"{output_prefix}/inputs.pb", literal_map.SerializeToString())
        template = render_task_template(template, output_prefix)
    resource = await run_connector(connector, template, output_prefix, LiteralMap.from_flyte_idl(literal_map))
    if resource.phase != _SUCCEEDED:
        error = FlyteRecoverableException if resource.phase == _RETRYABLE_FAILED else FlyteUserException
        raise error(f"Failed to run the task {task.name} with error: {resource.message}")
    outputs = resource.outputs
    if not iface.outputs:
        return None
    if outputs is None:  # the job wrote outputs.pb itself
        from flyteidl.core import literals_pb2

        outputs = literals_pb2.LiteralMap.FromString(await provider.get_bytes(f"{output_prefix}/outputs.pb"))
    if not isinstance(outputs, dict):
        outputs = await TypeEngine._literal_map_to_kwargs(None, outputs, dict(iface.outputs))
    missing = [n for n in iface.outputs if n not in outputs]
    if missing:
        raise FlyteUserException(
            f"task {task.name}: its connector {type(connector).__name__} returned no value for output(s) "
            f"{', '.join(missing)} (it returned {sorted(outputs) or 'none'})"
        )
    values = [outputs[n] for n in iface.outputs]
    return values[0] if len(values) == 1 else tuple(values)


class AsyncConnectorExecutorMixin(_ConnectorExecutor):
    """Put before the task class (``class MyTask(AsyncConnectorExecutorMixin, PythonTask)``): run locally, the
    task goes through the async connector registered for its type (create, poll ``get``, ``delete`` when
    cancelled or timed out), on the event loop."""


class SyncConnectorExecutorMixin(_ConnectorExecutor):
    """Put before the task class (``class MyTask(SyncConnectorExecutorMixin, PythonTask)``): run locally, the
    task goes through the sync connector registered for its type (one ``do`` call)."""
