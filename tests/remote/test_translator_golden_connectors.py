"""Connector tasks and sensors serialize as flytekit 1.16 serializes them (``golden_connectors/``, written by
``make_golden_area.py connectors`` with flytekit): task type, ``custom`` struct, no container for a task class that
makes none, no description, and the workflows and launch plans using them.

Compared modulo what ``test_translator_golden.py`` normalizes (runtime version and flavor, default image, command)
and one module path: flytekit's ``FileSensor`` lives in ``flytekit.sensor.file_sensor``, aioflyte's in
``aioflyte.sensor.file_sensor`` (the sensor's ``custom`` names the module the connector imports).
"""

from __future__ import annotations

import asyncio
import os

import pytest
from flyteidl.admin import task_pb2
from google.protobuf import text_format
from test_translator_golden import _KINDS, assert_same, file_name, settings

from aioflyte.remote.translator import registrable_entities

GOLDEN = os.path.join(os.path.dirname(__file__), "golden_connectors")
_MODULES = {"flytekit.sensor.file_sensor": "aioflyte.sensor.file_sensor"}


def golden_files() -> list[str]:
    return sorted(f for f in os.listdir(GOLDEN) if f[0].isdigit())


def load_golden(fname: str):
    msg = _KINDS[fname.rsplit("_", 1)[1].split(".")[0]]()
    with open(os.path.join(GOLDEN, fname)) as f:
        text_format.Parse(f.read(), msg)
    if isinstance(msg, task_pb2.TaskSpec) and msg.template.HasField("custom"):
        module = msg.template.custom.fields.get("sensor_module")
        if module is not None and module.string_value in _MODULES:
            module.string_value = _MODULES[module.string_value]
    return msg


@pytest.fixture(scope="module")
def ours():
    import serialization_connectors

    msgs = asyncio.run(registrable_entities(list(vars(serialization_connectors).values()), settings()))
    width = len(str(len(msgs) - 1))
    return {file_name(i, width, m): m for i, m in enumerate(msgs)}


def test_same_entities_in_the_same_order_as_pyflyte_package(ours):
    assert list(ours) == golden_files()


@pytest.mark.parametrize("fname", golden_files())
def test_message_equals_flytekits(ours, fname):
    assert_same(ours[fname], load_golden(fname), fname)


def test_a_sensor_and_a_task_class_have_no_container_a_function_task_has_one(ours):
    kinds = {
        m.template.id.name: m.template.WhichOneof("target") for m in ours.values() if isinstance(m, task_pb2.TaskSpec)
    }
    assert kinds["wait_for_file"] is None and kinds["countdown"] is None and kinds["echo"] is None
    assert kinds["serialization_connectors.read_text"] == "container"
