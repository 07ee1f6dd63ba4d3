"""Connectors, connector tasks and sensors that the engine and server tests run (``aioflyte serve`` imports this
module with ``--connector-module connector_examples``; its task processes import it for the Python tasks).

Every connector call is appended to ``EVENTS`` as ``(method, job id, thread name)`` and, when
``CONNECTOR_EVENTS_FILE`` is set, to that file as a line (so a test can see what a server process did).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import typing
import uuid

from flyteidl.core.execution_pb2 import TaskExecution, TaskLog

from aioflyte import task, workflow
from aioflyte.core.base_task import PythonTask, TaskMetadata, kwtypes
from aioflyte.core.interface import Interface
from aioflyte.core.python_function_task import PythonFunctionTask
from aioflyte.extend import TaskPlugins
from aioflyte.extend.backend.base_connector import (
    AsyncConnectorBase,
    AsyncConnectorExecutorMixin,
    ConnectorRegistry,
    Resource,
    ResourceMeta,
    SyncConnectorBase,
    SyncConnectorExecutorMixin,
)
from aioflyte.sensor import BaseSensor, FileSensor

EVENTS: list[tuple[str, str, str]] = []
#: job id -> polls left before it succeeds
_LEFT: dict[str, int] = {}


def record(method: str, job: str) -> None:
    thread = threading.current_thread().name
    EVENTS.append((method, job, thread))
    path = os.environ.get("CONNECTOR_EVENTS_FILE")
    if path:
        with open(path, "a") as f:
            f.write(f"{method} {job} {thread}\n")


def events(method: str) -> list[tuple[str, str, str]]:
    return [e for e in EVENTS if e[0] == method]


def _int_input(inputs: typing.Any, name: str) -> int:
    return inputs.literals[name].scalar.primitive.integer


# --- an async connector: counts down, then succeeds with x * 2 ------------------------------------------------


@dataclasses.dataclass
class CountdownMeta(ResourceMeta):
    job_id: str
    x: int
    output_prefix: str = ""


class CountdownConnector(AsyncConnectorBase):
    name = "Countdown"

    def __init__(self) -> None:
        super().__init__(task_type_name="countdown", metadata_type=CountdownMeta)

    async def create(self, task_template, output_prefix, inputs=None, **kwargs) -> CountdownMeta:
        job = uuid.uuid4().hex
        _LEFT[job] = int(task_template.custom["ticks"])
        record("create", job)
        return CountdownMeta(job_id=job, x=_int_input(inputs, "x"), output_prefix=output_prefix)

    async def get(self, resource_meta: CountdownMeta, **kwargs) -> Resource:
        record("get", resource_meta.job_id)
        _LEFT[resource_meta.job_id] -= 1
        left = _LEFT[resource_meta.job_id]
        if left > 0:
            link = TaskLog(name="Countdown console", uri=f"https://countdown.example/{resource_meta.job_id}")
            return Resource(phase=TaskExecution.RUNNING, message=f"{left} left", log_links=[link])
        return Resource(phase=TaskExecution.SUCCEEDED, outputs={"o0": resource_meta.x * 2})

    async def delete(self, resource_meta: CountdownMeta, **kwargs) -> None:
        record("delete", resource_meta.job_id)


# --- an async connector whose job never ends (until deleted) ----------------------------------------------------


@dataclasses.dataclass
class ForeverMeta(ResourceMeta):
    job_id: str


class ForeverConnector(AsyncConnectorBase):
    name = "Forever"

    def __init__(self) -> None:
        super().__init__(task_type_name="forever", metadata_type=ForeverMeta)

    async def create(self, task_template, output_prefix, inputs=None, **kwargs) -> ForeverMeta:
        job = uuid.uuid4().hex
        record("create", job)
        return ForeverMeta(job_id=job)

    async def get(self, resource_meta: ForeverMeta, **kwargs) -> Resource:
        record("get", resource_meta.job_id)
        return Resource(phase=TaskExecution.RUNNING)

    async def delete(self, resource_meta: ForeverMeta, **kwargs) -> None:
        record("delete", resource_meta.job_id)


# --- an async connector with plain def methods; its job writes outputs.pb itself, or fails --------------------


@dataclasses.dataclass
class FileJobMeta(ResourceMeta):
    job_id: str
    output_prefix: str
    x: int


class FileJobConnector(AsyncConnectorBase):
    """``x >= 0``: writes ``outputs.pb`` (o0 = x + 1) and succeeds with no outputs in the Resource; ``x == -1``:
    fails; ``x == -2``: fails retryably."""

    name = "FileJob"

    def __init__(self) -> None:
        super().__init__(task_type_name="file_job", metadata_type=FileJobMeta)

    def create(self, task_template, output_prefix, inputs=None, **kwargs) -> FileJobMeta:
        job = uuid.uuid4().hex
        record("create", job)
        return FileJobMeta(job_id=job, output_prefix=output_prefix, x=_int_input(inputs, "x"))

    def get(self, resource_meta: FileJobMeta, **kwargs) -> Resource:
        record("get", resource_meta.job_id)
        if resource_meta.x == -1:
            return Resource(phase=TaskExecution.FAILED, message="quota exceeded")
        if resource_meta.x == -2:
            return Resource(phase=TaskExecution.RETRYABLE_FAILED, message="try again")
        from flyteidl.core import literals_pb2

        lm = literals_pb2.LiteralMap()
        lm.literals["o0"].scalar.primitive.integer = resource_meta.x + 1
        path = f"{resource_meta.output_prefix}/outputs.pb"
        if "://" in path and not path.startswith("file://"):
            raise ValueError(f"this test connector writes local files only, got {path}")
        path = path.removeprefix("file://")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(lm.SerializeToString())
        return Resource(phase=TaskExecution.SUCCEEDED)

    def delete(self, resource_meta: FileJobMeta, **kwargs) -> None:
        record("delete", resource_meta.job_id)


# --- a sync connector: upper-cases its text input, on a worker thread ------------------------------------------


class ShoutConnector(SyncConnectorBase):
    name = "Shout"

    def __init__(self) -> None:
        super().__init__(task_type_name="shout")

    def do(self, task_template, output_prefix, inputs=None, **kwargs) -> Resource:
        record("do", "-")
        text = inputs.literals["text"].scalar.primitive.string_value
        return Resource(phase=TaskExecution.SUCCEEDED, outputs={"o0": text.upper() + task_template.custom["suffix"]})


# --- an async connector that runs a function task's own command (as a cluster connector runs its container) ----


@dataclasses.dataclass
class CommandMeta(ResourceMeta):
    pid: int


_PROCESSES: dict[int, typing.Any] = {}


class CommandConnector(AsyncConnectorBase):
    """Runs the task template's container args (``aioflyte-execute ...``, templates filled) as a local process."""

    name = "Command"

    def __init__(self) -> None:
        super().__init__(task_type_name="command", metadata_type=CommandMeta)

    async def create(self, task_template, output_prefix, inputs=None, **kwargs) -> CommandMeta:
        import asyncio
        import sys

        args = list(task_template.container.args)
        assert "{{.input}}" not in args, "the template's args were not rendered"
        argv = [sys.executable, "-m", "aioflyte.entrypoint", *args[1:]] if args[0] == "aioflyte-execute" else args
        process = await asyncio.create_subprocess_exec(*argv, env={**os.environ, "PYTHONPATH": _pythonpath()})
        _PROCESSES[process.pid] = process
        record("create", str(process.pid))
        return CommandMeta(pid=process.pid)

    async def get(self, resource_meta: CommandMeta, **kwargs) -> Resource:
        process = _PROCESSES[resource_meta.pid]
        if process.returncode is None:
            try:
                import asyncio

                await asyncio.wait_for(process.wait(), 0.05)
            except TimeoutError:
                return Resource(phase=TaskExecution.RUNNING)
        if process.returncode != 0:
            return Resource(phase=TaskExecution.FAILED, message=f"exit code {process.returncode}")
        return Resource(phase=TaskExecution.SUCCEEDED)  # the entrypoint wrote outputs.pb

    async def delete(self, resource_meta: CommandMeta, **kwargs) -> None:
        process = _PROCESSES.pop(resource_meta.pid, None)
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()


def _pythonpath() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])


for _connector in (CountdownConnector(), ForeverConnector(), FileJobConnector(), ShoutConnector(), CommandConnector()):
    ConnectorRegistry.register(_connector, override=True)


# --- the tasks --------------------------------------------------------------------------------------------------


class CountdownTask(AsyncConnectorExecutorMixin, PythonTask):
    def __init__(self, name: str, ticks: int, **kwargs: typing.Any) -> None:
        super().__init__(
            task_type="countdown",
            name=name,
            interface=Interface(inputs=kwtypes(x=int), outputs=kwtypes(o0=int)),
            **kwargs,
        )
        self._ticks = ticks

    def get_custom(self, settings: typing.Any) -> dict[str, typing.Any]:
        return {"ticks": self._ticks}


class ForeverTask(AsyncConnectorExecutorMixin, PythonTask):
    def __init__(self, name: str, **kwargs: typing.Any) -> None:
        super().__init__(task_type="forever", name=name, interface=Interface(inputs=kwtypes(x=int)), **kwargs)


class FileJobTask(AsyncConnectorExecutorMixin, PythonTask):
    def __init__(self, name: str, **kwargs: typing.Any) -> None:
        super().__init__(
            task_type="file_job",
            name=name,
            interface=Interface(inputs=kwtypes(x=int), outputs=kwtypes(o0=int)),
            **kwargs,
        )


class ShoutTask(SyncConnectorExecutorMixin, PythonTask):
    def __init__(self, name: str, suffix: str, **kwargs: typing.Any) -> None:
        super().__init__(
            task_type="shout",
            name=name,
            interface=Interface(inputs=kwtypes(text=str), outputs=kwtypes(o0=str)),
            **kwargs,
        )
        self._suffix = suffix

    def get_custom(self, settings: typing.Any) -> dict[str, typing.Any]:
        return {"suffix": self._suffix}


@dataclasses.dataclass
class CommandConfig:
    note: str


class CommandTask(AsyncConnectorExecutorMixin, PythonFunctionTask[CommandConfig]):
    """A function task its connector runs as a process of its own (``@task(task_config=CommandConfig(...))``)."""

    def __init__(self, task_config: CommandConfig, task_function: typing.Any, **kwargs: typing.Any) -> None:
        super().__init__(task_config=task_config, task_function=task_function, task_type="command", **kwargs)

    def get_custom(self, settings: typing.Any) -> dict[str, typing.Any]:
        return {"note": self.task_config.note}


TaskPlugins.register_pythontask_plugin(CommandConfig, CommandTask)


class UnservedTask(AsyncConnectorExecutorMixin, PythonTask):
    """A connector task whose type no connector serves."""

    def __init__(self, name: str, **kwargs: typing.Any) -> None:
        super().__init__(task_type="nobody_serves_this", name=name, interface=Interface(inputs=kwtypes(x=int)))


countdown = CountdownTask(name="countdown", ticks=3)
forever = ForeverTask(name="forever")
forever_with_timeout = ForeverTask(name="forever_with_timeout", metadata=TaskMetadata(timeout=1))
file_job = FileJobTask(name="file_job")
file_job_retried = FileJobTask(name="file_job_retried", metadata=TaskMetadata(retries=2))
shout = ShoutTask(name="shout", suffix="!")
unserved = UnservedTask(name="unserved")


# --- sensors ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Limit:
    limit: int

    def to_dict(self) -> dict[str, typing.Any]:
        return {"limit": self.limit}

    @classmethod
    def from_dict(cls, d: dict[str, typing.Any]) -> Limit:
        return cls(limit=int(d["limit"]))


class CounterSensor(BaseSensor):
    """Done once it has been poked more than ``limit`` times for the same ``key`` (in the process poking it)."""

    POKES: typing.ClassVar[dict[str, int]] = {}

    def __init__(self, name: str, config: typing.Any = None, **kwargs: typing.Any) -> None:
        if isinstance(config, dict):
            config = Limit.from_dict(config)
        super().__init__(name=name, sensor_config=config, **kwargs)

    async def poke(self, key: str) -> bool:
        n = self.POKES[key] = self.POKES.get(key, 0) + 1
        record("poke", key)
        return n > self._sensor_config.limit


wait_for_file = FileSensor(name="wait_for_file")
wait_for_file_briefly = FileSensor(name="wait_for_file_briefly", timeout=1)
counter = CounterSensor(name="counter", config=Limit(limit=2))


@task
def read_text(path: str) -> str:
    with open(path) as f:
        return f.read()


@task
async def add_one(x: int) -> int:
    return x + 1


@task(task_config=CommandConfig(note="elsewhere"))
def cube_elsewhere(x: int) -> int:
    return x * x * x


@workflow
def sensor_wf(path: str) -> str:
    ready = wait_for_file(path=path)
    text = read_text(path=path)
    ready >> text
    return text


@task
def write_text(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


@workflow
def write_and_wait_wf(path: str) -> str:
    """The sensor waits beside the step that writes its file (they have no edge between them)."""
    write_text(path=path, text="written by a step")
    ready = wait_for_file(path=path)
    text = read_text(path=path)
    ready >> text
    return text


@workflow
def connector_wf(x: int, text: str) -> typing.Tuple[int, str, int]:
    c = countdown(x=x)
    return add_one(x=c), shout(text=text), file_job(x=x)


@workflow
def forever_wf(x: int) -> None:
    forever(x=x)


@workflow
def counter_wf(key: str) -> int:
    done = counter(key=key)
    n = add_one(x=1)
    done >> n
    return n
