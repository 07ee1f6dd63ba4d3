"""aioflyte: flytekit's authoring API on an asyncio-native engine.

The public names are the ``X as X`` imports in the ``TYPE_CHECKING`` block below: that block is the one export
list. Type checkers read it as written; at run time it is read (once, on first attribute access) to import each
name lazily (PEP 562), so ``import aioflyte`` stays cheap. Add a public name by adding one line there.

The default controller (the local engine) is registered here, above the authoring layer, and built on first use;
so is the serializer that gives a connector task run locally its ``TaskTemplate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aioflyte._lazy import lazy_exports
from aioflyte._version import __version__
from aioflyte.core.controller import Controller, set_default_controller_factory
from aioflyte.core.serializer import set_parameter_map_factory, set_task_template_factory

if TYPE_CHECKING:  # the export list (see the module docstring)
    from aioflyte._run import run as run
    from aioflyte.configuration.config import Config as Config
    from aioflyte.configuration.serialization import FastSerializationSettings as FastSerializationSettings
    from aioflyte.configuration.serialization import SerializationSettings as SerializationSettings
    from aioflyte.core.artifact import Artifact as Artifact
    from aioflyte.core.base_sql_task import SQLTask as SQLTask
    from aioflyte.core.base_task import TaskMetadata as TaskMetadata
    from aioflyte.core.cache import Cache as Cache
    from aioflyte.core.cache import CacheFunctionBody as CacheFunctionBody
    from aioflyte.core.cache import CachePolicy as CachePolicy
    from aioflyte.core.cache import VersionParameters as VersionParameters
    from aioflyte.core.checkpoint import Checkpoint as Checkpoint
    from aioflyte.core.compile import create_node as create_node
    from aioflyte.core.conditional import conditional as conditional
    from aioflyte.core.container_task import ContainerTask as ContainerTask
    from aioflyte.core.context import ExecutionParameters as ExecutionParameters
    from aioflyte.core.context import current_context as current_context
    from aioflyte.core.context import new_context as new_context
    from aioflyte.core.context_manager import FlyteContext as FlyteContext
    from aioflyte.core.context_manager import FlyteContextManager as FlyteContextManager
    from aioflyte.core.controller import Controller as Controller
    from aioflyte.core.controller import use_controller as use_controller
    from aioflyte.core.deck import Deck as Deck
    from aioflyte.core.documentation import Description as Description
    from aioflyte.core.documentation import Documentation as Documentation
    from aioflyte.core.documentation import SourceCode as SourceCode
    from aioflyte.core.dynamic import dynamic as dynamic
    from aioflyte.core.eager import eager as eager
    from aioflyte.core.environment import Environment as Environment
    from aioflyte.core.gate import approve as approve
    from aioflyte.core.gate import sleep as sleep
    from aioflyte.core.gate import wait_for_input as wait_for_input
    from aioflyte.core.interface import Interface as Interface
    from aioflyte.core.interface import kwtypes as kwtypes
    from aioflyte.core.launch_plan import LaunchPlan as LaunchPlan
    from aioflyte.core.map_task import map_task as map_task
    from aioflyte.core.notification import Email as Email
    from aioflyte.core.notification import PagerDuty as PagerDuty
    from aioflyte.core.notification import Slack as Slack
    from aioflyte.core.notification import WorkflowExecutionPhase as WorkflowExecutionPhase
    from aioflyte.core.options import Annotations as Annotations
    from aioflyte.core.options import AuthRole as AuthRole
    from aioflyte.core.options import Labels as Labels
    from aioflyte.core.options import Options as Options
    from aioflyte.core.options import RawOutputDataConfig as RawOutputDataConfig
    from aioflyte.core.options import WorkflowFailurePolicy as WorkflowFailurePolicy
    from aioflyte.core.pod_template import PodTemplate as PodTemplate
    from aioflyte.core.promise import NodeOutput as NodeOutput
    from aioflyte.core.promise import Promise as Promise
    from aioflyte.core.promise import VoidPromise as VoidPromise
    from aioflyte.core.python_function_task import PythonInstanceTask as PythonInstanceTask
    from aioflyte.core.reference import get_reference_entity as get_reference_entity
    from aioflyte.core.reference_entity import LaunchPlanReference as LaunchPlanReference
    from aioflyte.core.reference_entity import ReferenceEntity as ReferenceEntity
    from aioflyte.core.reference_entity import ReferenceLaunchPlan as ReferenceLaunchPlan
    from aioflyte.core.reference_entity import ReferenceTask as ReferenceTask
    from aioflyte.core.reference_entity import ReferenceWorkflow as ReferenceWorkflow
    from aioflyte.core.reference_entity import TaskReference as TaskReference
    from aioflyte.core.reference_entity import WorkflowReference as WorkflowReference
    from aioflyte.core.reference_entity import reference_launch_plan as reference_launch_plan
    from aioflyte.core.reference_entity import reference_task as reference_task
    from aioflyte.core.reference_entity import reference_workflow as reference_workflow
    from aioflyte.core.resources import Resources as Resources
    from aioflyte.core.schedule import CronSchedule as CronSchedule
    from aioflyte.core.schedule import FixedRate as FixedRate
    from aioflyte.core.secrets import Secret as Secret
    from aioflyte.core.secrets import SecretsManager as SecretsManager
    from aioflyte.core.task import PythonFunctionTask as PythonFunctionTask
    from aioflyte.core.task import PythonTask as PythonTask
    from aioflyte.core.task import task as task
    from aioflyte.core.workflow import ImperativeWorkflow as ImperativeWorkflow
    from aioflyte.core.workflow import PythonFunctionWorkflow as PythonFunctionWorkflow
    from aioflyte.core.workflow import Workflow as Workflow
    from aioflyte.core.workflow import WorkflowBase as WorkflowBase
    from aioflyte.core.workflow import workflow as workflow
    from aioflyte.engine.handle import RunHandle as RunHandle
    from aioflyte.engine.handle import start as start
    from aioflyte.engine.local import LocalController as LocalController
    from aioflyte.exceptions import FlyteError as FlyteError
    from aioflyte.exceptions import FlyteRecoverableException as FlyteRecoverableException
    from aioflyte.exceptions import FlyteRemoteExecutionFailed as FlyteRemoteExecutionFailed
    from aioflyte.exceptions import FlyteTimeout as FlyteTimeout
    from aioflyte.exceptions import FlyteTypeException as FlyteTypeException
    from aioflyte.exceptions import MapTaskFailure as MapTaskFailure
    from aioflyte.exceptions import TypeTransformerFailedError as TypeTransformerFailedError
    from aioflyte.image_spec.image_spec import ImageSpec as ImageSpec
    from aioflyte.lazy_import.lazy_module import lazy_module as lazy_module
    from aioflyte.loggers import LOGGING_RICH_FMT_ENV_VAR as LOGGING_RICH_FMT_ENV_VAR
    from aioflyte.loggers import logger as logger
    from aioflyte.models.core.types import BlobType as BlobType
    from aioflyte.models.literals import Blob as Blob
    from aioflyte.models.literals import BlobMetadata as BlobMetadata
    from aioflyte.models.literals import Literal as Literal
    from aioflyte.models.literals import Scalar as Scalar
    from aioflyte.models.security import Identity as Identity
    from aioflyte.models.security import SecurityContext as SecurityContext
    from aioflyte.models.types import LiteralType as LiteralType
    from aioflyte.plugins import entry_points as entry_points
    from aioflyte.plugins import load_implicit_plugins as load_implicit_plugins
    from aioflyte.remote.controller import RemoteController as RemoteController
    from aioflyte.remote.remote import FlyteRemote as FlyteRemote
    from aioflyte.sensor.sensor_engine import SensorEngine as SensorEngine
    from aioflyte.types.directory import BatchSize as BatchSize
    from aioflyte.types.directory import FlyteDirectory as FlyteDirectory
    from aioflyte.types.engine import HashMethod as HashMethod
    from aioflyte.types.engine import TypeEngine as TypeEngine
    from aioflyte.types.engine import TypeTransformer as TypeTransformer
    from aioflyte.types.file import FlyteFile as FlyteFile
    from aioflyte.types.pickle import FlytePickle as FlytePickle
    from aioflyte.types.structured import StructuredDataset as StructuredDataset
    from aioflyte.types.structured import StructuredDatasetDecoder as StructuredDatasetDecoder
    from aioflyte.types.structured import StructuredDatasetEncoder as StructuredDatasetEncoder
    from aioflyte.types.structured import StructuredDatasetFormat as StructuredDatasetFormat
    from aioflyte.types.structured import StructuredDatasetTransformerEngine as StructuredDatasetTransformerEngine
    from aioflyte.types.structured import StructuredDatasetType as StructuredDatasetType

__getattr__, __dir__ = lazy_exports(__name__, __file__, globals())


def _local_controller() -> Controller:
    from aioflyte.engine.local import LocalController

    return LocalController()


set_default_controller_factory(_local_controller)


def _task_template(task: Any) -> Any:
    """A task's flyteidl ``TaskTemplate``, as a connector run locally receives it."""
    from aioflyte.configuration.serialization import SerializationSettings
    from aioflyte.remote.serialization import default_image_config
    from aioflyte.remote.translator.tasks import task_template

    return task_template(task, SerializationSettings(image_config=default_image_config()))


set_task_template_factory(_task_template)


async def _parameter_map(inputs: dict[str, tuple[Any, Any]]) -> Any:
    """Launch plan parameters as flyteidl's ``ParameterMap`` (``LaunchPlan.parameters``)."""
    from aioflyte.remote.translator.literals import parameter_map

    return await parameter_map(inputs)


set_parameter_map_factory(_parameter_map)
