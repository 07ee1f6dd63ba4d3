"""The connector and sensor API under flytekit's names and module paths: the registry, the agent aliases,
``Resource`` / ``ResourceMeta`` on the wire, the phase helpers, and clear errors for bad input."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from flyteidl.admin import agent_pb2
from flyteidl.core.execution_pb2 import TaskExecution, TaskLog

import aioflyte
from aioflyte.core.base_task import TaskMetadata
from aioflyte.core.connector_exec import run_connector
from aioflyte.exceptions import FlyteConnectorNotFound, FlyteSystemException, FlyteValidationException
from aioflyte.extend.backend import base_agent, base_connector, utils
from aioflyte.models.literals import LiteralMap
from aioflyte.sensor import BaseSensor, FileSensor, SensorEngine
from aioflyte.sensor.base_sensor import SensorMetadata


@dataclasses.dataclass
class Inner:
    region: str


@dataclasses.dataclass
class JobMeta(base_connector.ResourceMeta):
    job_id: str
    inner: Inner | None = None


class _Async(base_connector.AsyncConnectorBase):
    name = "Unit Async"

    def __init__(self, task_type: str = "unit_async", version: int = 0) -> None:
        super().__init__(task_type_name=task_type, task_type_version=version, metadata_type=JobMeta)

    async def create(self, task_template, output_prefix, inputs=None, **kwargs):
        return JobMeta(job_id="j")

    async def get(self, resource_meta, **kwargs):
        return "not a resource"

    async def delete(self, resource_meta, **kwargs):
        return None


class _Sync(base_connector.SyncConnectorBase):
    name = "Unit Sync"

    def __init__(self) -> None:
        super().__init__(task_type_name="unit_sync")

    def do(self, task_template, output_prefix, inputs=None, **kwargs):
        return base_connector.Resource(phase=TaskExecution.SUCCEEDED)


def test_the_agent_names_are_the_connector_classes():
    assert base_agent.AsyncAgentBase is base_connector.AsyncConnectorBase
    assert base_agent.SyncAgentBase is base_connector.SyncConnectorBase
    assert base_agent.AgentRegistry is base_connector.ConnectorRegistry
    assert base_agent.AsyncAgentExecutorMixin is base_connector.AsyncConnectorExecutorMixin
    assert base_agent.SyncAgentExecutorMixin is base_connector.SyncConnectorExecutorMixin
    assert base_connector.ConnectorRegistry.get_agent is base_connector.ConnectorRegistry.get_connector
    assert utils.get_agent_secret is utils.get_connector_secret
    assert aioflyte.SensorEngine is SensorEngine


def test_the_registry_finds_by_type_and_version_and_refuses_a_second_connector():
    registry = base_connector.ConnectorRegistry
    v1 = _Async("unit_versioned", 1)
    registry.register(v1, override=True)
    assert registry.get_connector("unit_versioned", 1) is v1
    with pytest.raises(FlyteConnectorNotFound, match="unit_versioned_v0"):
        registry.get_connector("unit_versioned")
    with pytest.raises(ValueError, match="Duplicate connector for task type: unit_versioned_v1"):
        registry.register(_Async("unit_versioned", 1))
    registry.register(_Sync(), override=True)
    meta = registry.get_connector_metadata("Unit Sync")
    assert isinstance(meta, agent_pb2.Agent) and meta.is_sync and list(meta.supported_task_types) == ["unit_sync"]
    assert any(a.name == "Sensor" for a in registry.list_connectors())
    with pytest.raises(TypeError, match="parameter 'connector' expects an AsyncConnectorBase or SyncConnectorBase"):
        registry.register(object())  # type: ignore[arg-type]


def test_connector_not_found_is_flytekits_system_error():
    assert issubclass(FlyteConnectorNotFound, FlyteSystemException) and issubclass(
        FlyteConnectorNotFound, AssertionError
    )
    with pytest.raises(FlyteConnectorNotFound, match="Cannot find connector for name: nobody"):
        base_connector.ConnectorRegistry.get_connector_metadata("nobody")


def test_resource_meta_travels_as_json_and_comes_back_typed():
    meta = JobMeta(job_id="q-1", inner=Inner(region="eu"))
    assert JobMeta.decode(meta.encode()) == meta


async def test_a_resource_converts_to_flyteidl_and_back():
    log = TaskLog(name="console", uri="https://x/1")
    r = base_connector.Resource(
        phase=TaskExecution.SUCCEEDED, message="ok", log_links=[log], outputs={"n": 3}, custom_info={"k": "v"}
    )
    pb = await r.to_flyte_idl()
    assert isinstance(pb, agent_pb2.Resource) and pb.outputs.literals["n"].scalar.primitive.integer == 3
    back = base_connector.Resource.from_flyte_idl(pb)
    assert back.phase == TaskExecution.SUCCEEDED and back.message == "ok" and back.custom_info == {"k": "v"}
    assert back.log_links == [log] and isinstance(back.outputs, LiteralMap)


def test_phase_helpers_are_flytekits():
    assert utils.convert_to_flyte_phase("Succeeded") == TaskExecution.SUCCEEDED
    assert utils.convert_to_flyte_phase("internal_error") == TaskExecution.RETRYABLE_FAILED
    assert utils.convert_to_flyte_phase("pending") == TaskExecution.INITIALIZING
    with pytest.raises(ValueError, match="Unrecognized state: weird"):
        utils.convert_to_flyte_phase("weird")
    assert utils.is_terminal_phase(TaskExecution.ABORTED) and not utils.is_terminal_phase(TaskExecution.RUNNING)


def test_task_category_rejects_bad_input_naming_the_parameter():
    with pytest.raises(TypeError, match="TaskCategory: parameter 'version' expects int, got str"):
        base_connector.TaskCategory("t", "1")  # type: ignore[arg-type]
    assert str(base_connector.TaskCategory("t", 2)) == "t_v2"


async def test_a_connector_returning_something_else_than_a_resource_is_a_clear_error():
    with pytest.raises(TypeError, match=r"connector _Async\.get must return a Resource, got str"):
        await run_connector(_Async(), None, "/tmp/x")  # type: ignore[arg-type]


# --- sensors ------------------------------------------------------------------------------------------------------


def test_a_sensors_inputs_are_pokes_parameters_and_it_has_no_outputs():
    s = FileSensor(name="unit_file_sensor", timeout=30)
    assert s.task_type == "sensor"
    assert s.python_interface.input_types == {"path": str} and s.python_interface.outputs == {}
    assert s.metadata.timeout == datetime.timedelta(seconds=30)
    assert s.get_custom(None) == dataclasses.asdict(
        SensorMetadata(sensor_module="aioflyte.sensor.file_sensor", sensor_name="FileSensor")
    )


def test_sensor_settings_are_checked_with_clear_errors():
    class NoAnnotation(BaseSensor):
        async def poke(self, thing) -> bool:  # type: ignore[override]
            return True

    with pytest.raises(FlyteValidationException, match=r"'thing' of NoAnnotation\.poke has no type annotation"):
        NoAnnotation(name="unit_no_annotation")
    with pytest.raises(FlyteValidationException, match="parameter 'sensor_config' expects a SensorConfig"):
        FileSensor(name="unit_bad_config", sensor_config=42)
    with pytest.raises(FlyteValidationException, match=r"parameter 'timeout' expected datetime\.timedelta"):
        FileSensor(name="unit_bad_timeout", timeout="soon")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot set both timeout and metadata"):
        FileSensor(name="unit_both", timeout=5, metadata=TaskMetadata(timeout=datetime.timedelta(seconds=9)))
    s = FileSensor(name="unit_metadata", timeout=5, metadata=TaskMetadata(retries=1))
    assert s.metadata.timeout == datetime.timedelta(seconds=5) and s.metadata.retries == 1
