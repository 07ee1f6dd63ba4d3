"""The executions the server runs: created QUEUED, RUNNING while their task process runs, then SUCCEEDED, FAILED
or ABORTED. State changes are written to SQLite as they happen, so a restart finds every execution; the ones that
were still unfinished when the server went away are marked FAILED on the next start (never left RUNNING).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import string
from collections.abc import Callable
from pathlib import Path

from flyteidl.admin import execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, tasks_pb2
from google.protobuf import duration_pb2, timestamp_pb2

from aioflyte.server.executions.runner import Outcome, TaskRun
from aioflyte.server.executions.store import ExecutionStore
from aioflyte.server.store import Store, now_ns

log = logging.getLogger("aioflyte.server")

Phase = core_execution_pb2.WorkflowExecution
QUEUED, RUNNING, SUCCEEDED, FAILED, ABORTED = Phase.QUEUED, Phase.RUNNING, Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED
UNFINISHED = (Phase.UNDEFINED, QUEUED, RUNNING, Phase.SUCCEEDING, Phase.FAILING, Phase.ABORTING)
TERMINAL = (SUCCEEDED, FAILED, ABORTED, Phase.TIMED_OUT)

INTERRUPTED_CODE = "SYSTEM:ServerInterrupted"
STOPPED_MESSAGE = "the aioflyte server stopped while this execution was running; its task process was killed"
RESTART_MESSAGE = (
    "the aioflyte server was not running while this execution was unfinished (it crashed or was killed); "
    "the execution was marked failed when the server restarted"
)
_NAME_ALPHABET = string.ascii_lowercase + string.digits


def new_name() -> str:
    """A name as flyteadmin generates one: a letter, then 19 lowercase letters and digits."""
    return secrets.choice(string.ascii_lowercase) + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(19))


def timestamp(ns: int) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(ns)
    return ts


def _stamp(execution: execution_pb2.Execution, phase: int, ns: int) -> None:
    closure = execution.closure
    closure.phase = phase
    closure.updated_at.CopyFrom(timestamp(ns))
    if phase == RUNNING and not closure.HasField("started_at"):
        closure.started_at.CopyFrom(timestamp(ns))
    if phase in TERMINAL and closure.HasField("started_at"):
        duration = duration_pb2.Duration()
        duration.FromNanoseconds(max(0, ns - closure.started_at.ToNanoseconds()))
        closure.duration.CopyFrom(duration)


class ExecutionManager:
    """Creates, runs, terminates and recovers executions; at most ``max_processes`` task processes at once."""

    def __init__(self, store: Store, raw_output_prefix: str, *, max_processes: int = 32) -> None:
        self.store = ExecutionStore(store)
        self.raw_output_prefix = raw_output_prefix.removeprefix("file://")
        self._slots = asyncio.Semaphore(max_processes)
        self._running: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._aborts: dict[tuple[str, str, str], execution_pb2.AbortMetadata] = {}
        self._guard = asyncio.Lock()  # serializes read-modify-write of one execution's record

    def base(self, key: tuple[str, str, str]) -> Path:
        """Where an execution's inputs, outputs, errors and logs live."""
        return Path(self.raw_output_prefix, *key)

    async def open(self) -> int:
        """Create the table and fail the executions a previous server left unfinished; returns how many."""
        await self.store.open()
        failed = 0
        for execution in await self.store.unfinished(UNFINISHED):
            await self._fail(execution, INTERRUPTED_CODE, RESTART_MESSAGE)
            failed += 1
        if failed:
            log.warning("marked %d interrupted executions failed", failed)
        return failed

    async def close(self) -> None:
        """Kill running task processes and mark their executions failed (the server is stopping)."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _fail(self, execution: execution_pb2.Execution, code: str, message: str) -> None:
        ns = now_ns()
        execution.closure.error.CopyFrom(
            core_execution_pb2.ExecutionError(code=code, message=message, kind=core_execution_pb2.ExecutionError.SYSTEM)
        )
        _stamp(execution, FAILED, ns)
        await self.store.update(execution, ns)

    async def create(
        self,
        key: tuple[str, str, str],
        spec: execution_pb2.ExecutionSpec,
        template: tasks_pb2.TaskTemplate,
        inputs: literals_pb2.LiteralMap,
    ) -> execution_pb2.Execution | None:
        """Record the execution QUEUED and start it; None if an execution of that name exists already."""
        project, domain, name = key
        base = self.base(key)
        ns = now_ns()
        execution = execution_pb2.Execution(
            id=identifier_pb2.WorkflowExecutionIdentifier(project=project, domain=domain, name=name),
            spec=spec,
            closure=execution_pb2.ExecutionClosure(
                phase=QUEUED, created_at=timestamp(ns), updated_at=timestamp(ns), computed_inputs=inputs
            ),
        )
        execution.spec.ClearField("inputs")  # deprecated in the spec; full inputs come from GetExecutionData
        if not await self.store.insert(execution, ns):
            return None
        try:
            await asyncio.to_thread(base.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread((base / "inputs.pb").write_bytes, inputs.SerializeToString())
        except OSError as e:  # recorded, so never left QUEUED: the execution fails with the cause
            await self._fail(execution, "SYSTEM:InputsNotWritten", f"could not write inputs.pb under {base}: {e}")
            raise
        envs = {kv.key: kv.value for kv in spec.envs.values}
        self._running[key] = asyncio.create_task(self._run(key, template, envs), name=f"execution {'/'.join(key)}")
        return execution

    async def _update(
        self, key: tuple[str, str, str], change: Callable[[execution_pb2.Execution], object], pgid: int | None = None
    ) -> None:
        async with self._guard:
            execution = await self.store.get(*key)
            if execution is None:
                return
            change(execution)
            await self.store.update(execution, now_ns(), pgid)

    async def _run(self, key: tuple[str, str, str], template: tasks_pb2.TaskTemplate, envs: dict[str, str]) -> None:
        try:
            async with self._slots:

                async def started(pgid: int) -> None:
                    await self._update(key, lambda e: _stamp(e, RUNNING, now_ns()), pgid)

                run = TaskRun(template, key, self.base(key), self.raw_output_prefix, on_start=started, envs=envs)
                outcome = await run.run()
            await self._update(key, lambda e: self._finish(e, outcome))
        except asyncio.CancelledError:
            abort = self._aborts.pop(key, None)
            if abort is not None:
                await asyncio.shield(self._update(key, lambda e: self._abort(e, abort)))
            else:  # the server is stopping
                await asyncio.shield(
                    self._update(
                        key,
                        lambda e: (
                            e.closure.error.CopyFrom(
                                core_execution_pb2.ExecutionError(
                                    code=INTERRUPTED_CODE, message=STOPPED_MESSAGE,
                                    kind=core_execution_pb2.ExecutionError.SYSTEM,
                                )
                            ),
                            _stamp(e, FAILED, now_ns()),
                        ),
                    )
                )  # fmt: skip
            raise
        except Exception as e:  # a bug or an unrunnable command: the execution fails with the cause
            log.exception("execution %s crashed", "/".join(key))
            message = f"the server could not run the task: {type(e).__name__}: {e}"
            await self._update(
                key,
                lambda ex: (
                    ex.closure.error.CopyFrom(
                        core_execution_pb2.ExecutionError(
                            code="SYSTEM:Internal", message=message, kind=core_execution_pb2.ExecutionError.SYSTEM
                        )
                    ),
                    _stamp(ex, FAILED, now_ns()),
                ),
            )
        finally:
            self._running.pop(key, None)

    @staticmethod
    def _finish(execution: execution_pb2.Execution, outcome: Outcome) -> None:
        if outcome.error is not None:
            execution.closure.error.CopyFrom(outcome.error)
            _stamp(execution, FAILED, now_ns())
        else:
            execution.closure.outputs.uri = outcome.outputs_uri
            _stamp(execution, SUCCEEDED, now_ns())

    @staticmethod
    def _abort(execution: execution_pb2.Execution, abort: execution_pb2.AbortMetadata) -> None:
        execution.closure.abort_metadata.CopyFrom(abort)
        _stamp(execution, ABORTED, now_ns())

    async def terminate(self, key: tuple[str, str, str], cause: str, principal: str = "") -> bool:
        """Abort an unfinished execution, killing its process group; False if it had finished already."""
        execution = await self.store.get(*key)
        if execution is None or execution.closure.phase in TERMINAL:
            return False
        abort = execution_pb2.AbortMetadata(cause=cause, principal=principal)
        task = self._running.get(key)
        if task is None:  # not running in this server (cannot happen after open(), kept for safety)
            await self._update(key, lambda e: self._abort(e, abort))
            return True
        self._aborts[key] = abort
        task.cancel()
        await asyncio.wait([task])  # the process group is gone and ABORTED recorded when this returns
        return True

    async def read_outputs(self, execution: execution_pb2.Execution) -> literals_pb2.LiteralMap | None:
        uri = execution.closure.outputs.uri
        if not uri:
            return None
        data = await asyncio.to_thread(Path(uri.removeprefix("file://")).read_bytes)
        return literals_pb2.LiteralMap.FromString(data)

    async def read_inputs(self, key: tuple[str, str, str]) -> tuple[str, literals_pb2.LiteralMap]:
        path = self.base(key) / "inputs.pb"
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return str(path), literals_pb2.LiteralMap()
        return str(path), literals_pb2.LiteralMap.FromString(data)
