"""Connector tasks and sensors whose serialized forms are compared with flytekit 1.16's (``golden_connectors/``,
written by ``make_golden_area.py connectors``, which imports this module with ``aioflyte`` standing for
``flytekit``)."""

import datetime
import typing
from dataclasses import dataclass

from aioflyte import kwtypes, task, workflow
from aioflyte.core.base_task import PythonTask
from aioflyte.core.interface import Interface
from aioflyte.core.python_function_task import PythonFunctionTask
from aioflyte.extend import TaskPlugins
from aioflyte.extend.backend.base_connector import AsyncConnectorExecutorMixin, SyncConnectorExecutorMixin
from aioflyte.sensor.base_sensor import BaseSensor
from aioflyte.sensor.file_sensor import FileSensor


@dataclass
class Threshold:
    limit: int

    def to_dict(self) -> typing.Dict[str, typing.Any]:
        return {"limit": self.limit}

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


class AboveSensor(BaseSensor):
    """A sensor with a config; the connector re-creates it as ``AboveSensor("sensor", config={"limit": ...})``."""

    def __init__(self, name: str, config=None, **kwargs):
        if isinstance(config, dict):
            config = Threshold.from_dict(config)
        super().__init__(name=name, sensor_config=config, **kwargs)

    async def poke(self, value: int) -> bool:
        return value > self._sensor_config.limit


class CountdownTask(AsyncConnectorExecutorMixin, PythonTask):
    def __init__(self, name: str, ticks: int, **kwargs):
        super().__init__(
            task_type="countdown",
            name=name,
            interface=Interface(inputs=kwtypes(x=int), outputs=kwtypes(o0=int)),
            **kwargs,
        )
        self._ticks = ticks

    def get_custom(self, settings):
        return {"ticks": self._ticks}


class EchoTask(SyncConnectorExecutorMixin, PythonTask):
    def __init__(self, name: str, **kwargs):
        super().__init__(
            task_type="echo_sync",
            name=name,
            interface=Interface(inputs=kwtypes(text=str), outputs=kwtypes(o0=str)),
            **kwargs,
        )

    def get_custom(self, settings):
        return {"upper": True}


@dataclass
class RemoteRunConfig:
    cluster: str


class RemoteFunctionTask(AsyncConnectorExecutorMixin, PythonFunctionTask[RemoteRunConfig]):
    """A function task a connector runs elsewhere (its template keeps the container the connector starts)."""

    def __init__(self, task_config, task_function, **kwargs):
        super().__init__(task_config=task_config, task_function=task_function, task_type="remote_function", **kwargs)

    def get_custom(self, settings):
        return {"cluster": self.task_config.cluster}


TaskPlugins.register_pythontask_plugin(RemoteRunConfig, RemoteFunctionTask)


@task(task_config=RemoteRunConfig(cluster="gpu-pool"))
def remote_square(x: int) -> int:
    return x * x


wait_for_file = FileSensor(name="wait_for_file")
wait_with_timeout = FileSensor(name="wait_with_timeout", timeout=datetime.timedelta(minutes=5))
above = AboveSensor(name="above", config=Threshold(limit=10))
countdown = CountdownTask(name="countdown", ticks=3)
echo = EchoTask(name="echo")


@task
def read_text(path: str) -> str:
    with open(path) as f:
        return f.read()


@workflow
def sensor_wf(path: str) -> str:
    s = wait_for_file(path=path)
    r = read_text(path=path)
    s >> r
    return r


@workflow
def connector_wf(x: int, text: str) -> typing.Tuple[int, str]:
    above(value=x)
    return countdown(x=x), echo(text=text)
