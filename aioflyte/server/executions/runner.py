"""Running a task execution as local processes: one per attempt, the task's container command with its templates
filled, ``FLYTE_INTERNAL_*`` set, in its own process group (so terminating it kills everything it started).

Each attempt writes under ``<raw>/<project>/<domain>/<name>/``: ``inputs.pb`` (shared), ``attempt-<n>/`` (the
output prefix: ``outputs.pb`` or ``error.pb``; the process runs in ``attempt-<n>/work/``, never in the server's
working directory), ``checkpoints/<n>/``, and the process's output in ``logs/attempt-<n>.log``. RECOVERABLE errors
(and processes that die without a document) are retried up to the task's ``retries``; the task's ``timeout`` bounds
each attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from flyteidl.core import dynamic_job_pb2, errors_pb2, execution_pb2, literals_pb2, tasks_pb2

from aioflyte.server.executions import rawcontainer, taskvars
from aioflyte.server.executions.processes import ProcessTable, with_parent_death_signal
from aioflyte.server.executions.taskenv import MissingExecutable, TaskEnvironment

_KILL_GRACE = 2.0


@dataclass
class Outcome:
    """How an execution's attempts ended: outputs, or an error (``aborted`` when it was terminated)."""

    outputs: literals_pb2.LiteralMap | None = None
    outputs_uri: str = ""
    error: execution_pb2.ExecutionError | None = None
    recoverable: bool = False
    attempts: int = 0
    #: what a dynamic task wrote instead of outputs (``futures.pb``): the nodes the platform runs for it
    futures: dynamic_job_pb2.DynamicJobSpec | None = None
    #: the ``deck.html`` the attempt wrote under its output prefix (a task with ``generates_deck``), or ""
    deck_uri: str = ""


def command(template: tasks_pb2.TaskTemplate, values: dict[str, str]) -> list[str]:
    """The container's command line with the ``{{.input}}``-style templates filled (its executable as registered:
    ``TaskEnvironment.resolve`` finds it)."""
    args = [*template.container.command, *template.container.args]
    if not args and template.HasField("k8s_pod"):  # the pod's primary container (named in the template's config)
        from google.protobuf import json_format

        primary = template.config.get("primary_container_name", "primary")
        for c in json_format.MessageToDict(template.k8s_pod.pod_spec).get("containers", []):
            if c.get("name") == primary:
                args = [*c.get("command", []), *c.get("args", [])]
    if not args:
        raise ValueError(f"task {template.id.name} has no container command")
    filled = []
    for arg in args:
        for key, value in values.items():
            arg = arg.replace("{{." + key + "}}", value)
        filled.append(arg)
    return filled


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the process group, SIGKILL it after a short grace; wait for the leader."""
    kill_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), _KILL_GRACE)
    except asyncio.TimeoutError:
        pass
    kill_group(process.pid, signal.SIGKILL)  # children that outlived the leader go too
    await process.wait()


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return ""


class TaskRun:
    """The attempts of one task execution. ``process`` is the running attempt's process (for terminate)."""

    def __init__(
        self,
        template: tasks_pb2.TaskTemplate,
        execution_id: tuple[str, str, str],
        base: Path,
        raw_output_prefix: str,
        on_start: Callable[[int], Awaitable[None]] | None = None,
        envs: dict[str, str] | None = None,
        *,
        on_end: Callable[[int, Outcome], Awaitable[None]] | None = None,
        raw_prefix: str | None = None,
        workflow_name: str | None = None,
        base_env: dict[str, str] | None = None,
        task_env: TaskEnvironment | None = None,
    ) -> None:
        self.template = template
        self.execution_id = execution_id
        self.base = base
        self.raw_output_prefix = raw_output_prefix
        self.process: asyncio.subprocess.Process | None = None
        self.on_start = on_start  # async callable(pgid) when an attempt's process has started
        self.envs = envs or {}  # the execution spec's ``envs`` (and a map task item's index variables)
        self.on_end = on_end  # async callable(attempt, outcome) when an attempt has ended
        self.raw_prefix = raw_prefix or f"{raw_output_prefix.rstrip('/')}/{'/'.join(execution_id)}/raw"
        self.workflow_name = workflow_name
        #: what the process gets from the server's environment (``taskvars.inherited``), never all of it
        self.base_env = base_env if base_env is not None else taskvars.inherited(os.environ)
        self.attempt = 0  # the running (or last) attempt
        #: the interpreter and PATH the command's executable is found on (the server's --task-python/--task-path)
        self.task_env = task_env or TaskEnvironment()
        #: where each attempt's process is recorded while it runs (so a restarted server kills survivors)
        self.processes: ProcessTable | None = None

    def _env(self, attempt: int) -> dict[str, str]:
        project, domain, name = self.execution_id
        tid = self.template.id
        env = dict(self.base_env)
        env.update(taskvars.secret_variables(self.template, os.environ))
        env.update({e.key: e.value for e in self.template.container.env})
        env.update(self.envs)
        env.update(
            {
                "FLYTE_INTERNAL_EXECUTION_PROJECT": project,
                "FLYTE_INTERNAL_EXECUTION_DOMAIN": domain,
                "FLYTE_INTERNAL_EXECUTION_ID": name,
                "FLYTE_INTERNAL_EXECUTION_WORKFLOW": f"{tid.project}:{tid.domain}:{self.workflow_name or tid.name}",
                "FLYTE_INTERNAL_TASK_PROJECT": tid.project,
                "FLYTE_INTERNAL_TASK_DOMAIN": tid.domain,
                "FLYTE_INTERNAL_TASK_NAME": tid.name,
                "FLYTE_INTERNAL_TASK_VERSION": tid.version,
                "FLYTE_INTERNAL_PROJECT": tid.project,
                "FLYTE_INTERNAL_DOMAIN": tid.domain,
                "FLYTE_INTERNAL_NAME": tid.name,
                "FLYTE_INTERNAL_VERSION": tid.version,
                "FLYTE_ATTEMPT_NUMBER": str(attempt),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env["PATH"] = self.task_env.search_path  # what the command runs (pyflyte-fast-execute's child) resolves on
        return env

    async def run(self) -> Outcome:
        """Run attempts until one succeeds, fails for good, or the retries are used up."""
        retries = self.template.metadata.retries.retries
        timeout = self.template.metadata.timeout.ToTimedelta().total_seconds() or None
        outcome = Outcome()
        for attempt in range(retries + 1):
            self.attempt = attempt
            outcome = await self._attempt(attempt, timeout)
            outcome.attempts = attempt + 1
            if self.on_end is not None:
                await self.on_end(attempt, outcome)
            if outcome.error is None or not outcome.recoverable:
                return outcome
        return outcome

    async def _attempt(self, attempt: int, timeout: float | None) -> Outcome:
        out = self.base / f"attempt-{attempt}"
        out.mkdir(parents=True, exist_ok=True)
        logs = self.base / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"attempt-{attempt}.log"
        prev = str(self.base / "checkpoints" / str(attempt - 1)) if attempt > 0 else ""
        values = {
            "input": str(self.base / "inputs.pb"),
            "inputPrefix": str(self.base),
            "outputPrefix": str(out),
            "rawOutputDataPrefix": f"{self.raw_prefix}/{attempt}",
            "checkpointOutputPrefix": str(self.base / "checkpoints" / str(attempt)),
            "prevCheckpointPrefix": prev,
        }
        if any("{{.taskTemplatePath}}" in a for a in self.template.container.args):
            # a template-driven task (PythonCustomizedContainerTask) reads its own template, as on a cluster
            path = self.base / "task_template.pb"
            if not path.exists():
                await asyncio.to_thread(path.write_bytes, self.template.SerializeToString())
            values["taskTemplatePath"] = str(path)
        argv = command(self.template, values)
        dlc = rawcontainer.data_config(self.template)
        if dlc is not None:  # a raw container (ContainerTask): its command around Flyte's data protocol
            argv = await rawcontainer.prepare(self.template, dlc, self.base / "inputs.pb", out, argv)
        work = out / "work"  # the attempt's working directory (fast-registered code unpacks in it)
        work.mkdir(parents=True, exist_ok=True)
        try:
            argv = self.task_env.resolve(argv, str(work))
        except MissingExecutable as e:
            if dlc is not None:
                await rawcontainer.discard(out)
            return Outcome(
                error=execution_pb2.ExecutionError(
                    code="SYSTEM:ExecutableNotFound", message=f"task {self.template.id.name}: {e}",
                    kind=execution_pb2.ExecutionError.SYSTEM,
                )
            )  # fmt: skip
        # the task's stdout and stderr: the process needs a real file; opening it is one syscall per attempt
        with open(log_path, "ab") as log:  # noqa: ASYNC230
            # cancelled while spawning, asyncio kills the new process itself
            self.process = await asyncio.create_subprocess_exec(
                *with_parent_death_signal(argv), stdout=log, stderr=log, stdin=asyncio.subprocess.DEVNULL,
                env=self._env(attempt), cwd=work, start_new_session=True, umask=0o077,
            )  # fmt: skip
        process = self.process
        timed_out = False
        # no suspension point between the spawn and this try: every way out of it stops the process group
        try:
            if self.processes is not None:
                await self.processes.add(process.pid, "/".join(self.execution_id))
            if self.on_start is not None:
                await self.on_start(process.pid)
            await asyncio.wait_for(process.wait(), timeout)
        except asyncio.TimeoutError:
            timed_out = True
            await stop_process(process)
        except BaseException:  # cancelled (terminate, server stop), or on_start failed: never leave it behind
            await asyncio.shield(stop_process(process))
            if dlc is not None:
                await asyncio.shield(rawcontainer.discard(out))
            raise
        finally:
            kill_group(process.pid)  # anything the task left running in its group
            if self.processes is not None:
                await asyncio.shield(self.processes.remove(process.pid))
        if dlc is not None:
            if timed_out:
                await rawcontainer.discard(out)
            else:
                await rawcontainer.finish(self.template, out, process.returncode, values["rawOutputDataPrefix"])
        outcome = self._read(out, process.returncode, log_path, attempt, timed_out, timeout)
        deck = out / "deck.html"
        if self.template.metadata.generates_deck.value and deck.is_file():  # as Flyte's propeller reports it
            outcome.deck_uri = str(deck)
        return outcome

    def _redacted(self, message: str) -> str:
        """``message`` without the values of the secrets the task requested: whatever wrote it (aioflyte's
        entrypoint redacts its own; flytekit's ``pyflyte-execute`` and raw containers do not), the execution's
        error, which every client and the console show, never carries them."""
        from aioflyte.core.secrets import MIN_REDACTED_LENGTH, redact

        secrets = taskvars.secret_variables(self.template, os.environ)
        values = sorted({v for v in secrets.values() if len(v) >= MIN_REDACTED_LENGTH}, key=len, reverse=True)
        return redact(message, values) if values else message

    def _read(
        self, out: Path, code: int | None, log_path: Path, attempt: int, timed_out: bool, timeout: float | None
    ) -> Outcome:
        result = Outcome()
        if timed_out:
            result.error = execution_pb2.ExecutionError(
                code="USER:Timeout",
                message=f"task {self.template.id.name} attempt {attempt} timed out after {timeout:g}s",
                kind=execution_pb2.ExecutionError.USER,
            )
            result.recoverable = True
            return result
        outputs, error = out / "outputs.pb", out / "error.pb"
        if error.exists():
            doc = errors_pb2.ErrorDocument.FromString(error.read_bytes())
            kind = (
                execution_pb2.ExecutionError.SYSTEM
                if doc.error.origin == execution_pb2.ExecutionError.SYSTEM
                else execution_pb2.ExecutionError.USER
            )
            result.error = execution_pb2.ExecutionError(
                code=doc.error.code, message=self._redacted(doc.error.message), error_uri=str(error), kind=kind
            )
            if doc.error.HasField("timestamp"):
                result.error.timestamp.CopyFrom(doc.error.timestamp)
            result.recoverable = doc.error.kind == errors_pb2.ContainerError.RECOVERABLE
            return result
        futures = out / "futures.pb"
        if futures.exists():
            result.futures = dynamic_job_pb2.DynamicJobSpec.FromString(futures.read_bytes())
            return result
        if outputs.exists():
            result.outputs = literals_pb2.LiteralMap.FromString(outputs.read_bytes())
            result.outputs_uri = str(outputs)
            return result
        # no document: the process died (killed, crashed interpreter); Flyte retries such container failures
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        result.error = execution_pb2.ExecutionError(
            code="SYSTEM:ProcessFailed",
            message=self._redacted(
                f"the task process {how} without writing outputs.pb or error.pb; its output ends with:\n"
                f"{_tail(log_path)}"
            ),
            kind=execution_pb2.ExecutionError.SYSTEM,
        )
        result.recoverable = True
        return result
