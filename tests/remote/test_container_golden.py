"""``ContainerTask``s serialize as flytekit 1.16 serializes them (``golden_container/``, written by flytekit with
``make_golden_area.py container``), compared modulo what legitimately differs (see test_translator_golden.py); and what
flytekit cannot serialize (an ``io_strategy``) has the form Flyte's ``DataLoadingConfig`` and ``K8sPod`` define.
flytekit needs the ``kubernetes`` package to serialize a pod template (``in_pod``): install it beside flytekit before
regenerating."""

from __future__ import annotations

import asyncio
import os

import pytest
from flyteidl.core import tasks_pb2
from google.protobuf import text_format
from test_translator_golden import _KINDS, assert_same, file_name, settings

from aioflyte import ContainerTask, PodTemplate, kwtypes
from aioflyte.remote.translator import get_serializable, registrable_entities

GOLDEN = os.path.join(os.path.dirname(__file__), "golden_container")


def golden_files() -> list[str]:
    return sorted(f for f in os.listdir(GOLDEN) if f[0].isdigit())


def load(fname: str) -> object:
    msg = _KINDS[fname.rsplit("_", 1)[1].split(".")[0]]()
    with open(os.path.join(GOLDEN, fname)) as f:
        text_format.Parse(f.read(), msg)
    return msg


@pytest.fixture(scope="module")
def ours():
    import serialization_container

    msgs = asyncio.run(registrable_entities(list(vars(serialization_container).values()), settings()))
    width = len(str(len(msgs) - 1))
    return {file_name(i, width, m): m for i, m in enumerate(msgs)}


def test_same_entities_in_the_same_order_as_pyflyte_package(ours):
    assert list(ours) == golden_files()


@pytest.mark.parametrize("fname", golden_files())
def test_message_equals_flytekits(ours, fname):
    assert_same(ours[fname], load(fname), fname)


async def test_io_strategy_sets_the_mode_of_its_direction():
    def spec(strategy):
        t = ContainerTask(name="io", image="alpine", command=["true"], io_strategy=strategy)
        return asyncio.ensure_future(get_serializable(t, settings()))

    down = (await spec(ContainerTask.IOStrategy.DOWNLOAD_STREAM)).template.container.data_config.io_strategy
    up = (await spec(ContainerTask.IOStrategy.UPLOAD_EAGER)).template.container.data_config.io_strategy
    assert down == tasks_pb2.IOStrategy(download_mode=tasks_pb2.IOStrategy.DOWNLOAD_STREAM)
    assert up == tasks_pb2.IOStrategy(upload_mode=tasks_pb2.IOStrategy.UPLOAD_EAGER)
    assert ContainerTask.IOStrategy.UPLOAD_EAGER is not ContainerTask.IOStrategy.DOWNLOAD_STREAM


async def test_in_a_pod_template_the_container_is_the_pods_primary_and_the_pod_has_the_data_config():
    t = ContainerTask(
        name="in_pod",
        image="alpine:3.19",
        input_data_dir="/var/inputs",
        output_data_dir="/var/outputs",
        inputs=kwtypes(x=int),
        outputs=kwtypes(y=int),
        command=["sh", "-c", "echo {{.inputs.x}} > /var/outputs/y"],
        pod_template=PodTemplate(primary_container_name="main", labels={"team": "data"}),
    )
    tt = (await get_serializable(t, settings())).template
    assert tt.type == "raw-container"
    assert not tt.HasField("container")
    assert dict(tt.config) == {"primary_container_name": "main"}
    assert tt.k8s_pod.data_config == tasks_pb2.DataLoadingConfig(
        enabled=True, input_path="/var/inputs", output_path="/var/outputs", format=tasks_pb2.DataLoadingConfig.JSON
    )
    (main,) = [c for c in tt.k8s_pod.pod_spec["containers"] if c["name"] == "main"]
    assert main["image"] == "alpine:3.19"
    assert list(main["command"]) == ["sh", "-c", "echo {{.inputs.x}} > /var/outputs/y"]
    assert dict(tt.k8s_pod.metadata.labels) == {"team": "data"}
