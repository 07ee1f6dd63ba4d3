"""flytekit's ``flytekit.core.constants``: the names Flyte gives files, nodes and settings, with flytekit 1.16's
values (aioflyte writes and reads the same ones)."""

from __future__ import annotations

from aioflyte.configuration.image import FLYTE_INTERNAL_IMAGE_ENV_VAR as FLYTE_INTERNAL_IMAGE_ENV_VAR
from aioflyte.core.graph import START_NODE
from aioflyte.core.resources import SHARED_MEMORY_MOUNT_NAME as SHARED_MEMORY_MOUNT_NAME
from aioflyte.core.resources import SHARED_MEMORY_MOUNT_PATH as SHARED_MEMORY_MOUNT_PATH
from aioflyte.types.generic import MSGPACK

# The files a task container reads and writes under its input and output prefixes.
INPUT_FILE_NAME = "inputs.pb"
OUTPUT_FILE_NAME = "outputs.pb"
FUTURES_FILE_NAME = "futures.pb"  # a dynamic task's DynamicJobSpec
ERROR_FILE_NAME = "error.pb"
REQUIREMENTS_FILE_NAME = "requirements.txt"

# Node ids of a workflow graph.
START_NODE_ID = START_NODE
END_NODE_ID = "end-node"
GLOBAL_INPUT_NODE_ID = ""
DEFAULT_FAILURE_NODE_ID = "efn"  # an eager workflow's failure node

CONTAINER_ARRAY_TASK = "container_array"  # the task type of a map task over a container task

# Eager workflows: the environment variable marking the root execution, and the tags on the executions they start.
EAGER_ROOT_ENV_NAME = "_F_EE_ROOT"
EAGER_TAG_KEY = "eager-exec"
EAGER_TAG_ROOT_KEY = "eager-root-exec"

FLYTE_FAIL_ON_ERROR = "FLYTE_FAIL_ON_ERROR"  # set: a failing task container also exits non-zero
FLYTE_USE_OLD_DC_FORMAT = "FLYTE_USE_OLD_DC_FORMAT"
RUNTIME_PACKAGES_ENV_NAME = "_F_RUNTIME_PACKAGES"
SOURCE_CODE = "source_code"

# Literal metadata: values stored as msgpack, and the annotation that makes a cache key of them.
MESSAGEPACK = MSGPACK
CACHE_KEY_METADATA = "cache-key-metadata"
SERIALIZATION_FORMAT = "serialization-format"

__all__ = [
    "CACHE_KEY_METADATA",
    "CONTAINER_ARRAY_TASK",
    "DEFAULT_FAILURE_NODE_ID",
    "EAGER_ROOT_ENV_NAME",
    "EAGER_TAG_KEY",
    "EAGER_TAG_ROOT_KEY",
    "END_NODE_ID",
    "ERROR_FILE_NAME",
    "FLYTE_FAIL_ON_ERROR",
    "FLYTE_INTERNAL_IMAGE_ENV_VAR",
    "FLYTE_USE_OLD_DC_FORMAT",
    "FUTURES_FILE_NAME",
    "GLOBAL_INPUT_NODE_ID",
    "INPUT_FILE_NAME",
    "MESSAGEPACK",
    "OUTPUT_FILE_NAME",
    "REQUIREMENTS_FILE_NAME",
    "RUNTIME_PACKAGES_ENV_NAME",
    "SERIALIZATION_FORMAT",
    "SHARED_MEMORY_MOUNT_NAME",
    "SHARED_MEMORY_MOUNT_PATH",
    "SOURCE_CODE",
    "START_NODE_ID",
]
