"""``aioflyte.extras.accelerators`` (flytekit's names and flyteidl forms) and ``DeckField`` on ``@task``."""

from __future__ import annotations

import pytest
from flyteidl.core import tasks_pb2

import aioflyte
from aioflyte import task
from aioflyte.deck import DeckField
from aioflyte.exceptions import FlyteValidationException
from aioflyte.extras import accelerators as acc


@pytest.mark.parametrize(
    "accelerator,device",
    [
        (acc.T4, "nvidia-tesla-t4"),
        (acc.A10G, "nvidia-a10g"),
        (acc.L4, "nvidia-l4"),
        (acc.L40S, "nvidia-l40s"),
        (acc.V100, "nvidia-tesla-v100"),
        (acc.H100, "nvidia-h100"),
        (acc.H200, "nvidia-h200"),
        (acc.GPUAccelerator("my-gpu"), "my-gpu"),
    ],
)
def test_gpu_constants_name_flytekits_devices(accelerator, device):
    assert accelerator.to_flyte_idl() == tasks_pb2.GPUAccelerator(device=device)


def test_multi_instance_gpus_family_partition_and_whole_device():
    assert acc.A100.to_flyte_idl() == tasks_pb2.GPUAccelerator(device="nvidia-tesla-a100")
    assert acc.A100.partition_2g_10gb.to_flyte_idl() == tasks_pb2.GPUAccelerator(
        device="nvidia-tesla-a100", partition_size="2g.10gb"
    )
    assert acc.A100_80GB.partition_7g_80gb.to_flyte_idl().partition_size == "7g.80gb"
    whole = acc.A100_80GB.unpartitioned.to_flyte_idl()
    assert whole.device == "nvidia-a100-80gb" and whole.unpartitioned
    assert acc.V5P.slice_2x4x4.to_flyte_idl() == tasks_pb2.GPUAccelerator(
        device="tpu-v5p-slice", partition_size="2x4x4"
    )
    assert isinstance(acc.A100, acc.MultiInstanceGPUAccelerator)
    assert isinstance(acc.T4, acc.BaseAccelerator)


def test_a_task_keeps_its_accelerator_and_runs_locally():
    @task(accelerator=acc.A100.partition_1g_5gb)
    def t(x: int) -> int:
        return x + 1

    assert t.accelerator is acc.A100.partition_1g_5gb
    assert aioflyte.run(t, x=1) == 2


def test_an_accelerator_that_is_not_one_is_an_error_naming_the_task_and_types():
    msg = r"task .*\.bad: parameter 'accelerator' expected an accelerator.*got str"
    with pytest.raises(FlyteValidationException, match=msg):

        @task(accelerator="nvidia-tesla-t4")
        def bad() -> None: ...


def test_deck_fields_default_to_all_when_the_deck_is_enabled_and_none_otherwise():
    @task(enable_deck=True)
    def on() -> None: ...

    @task
    def off() -> None: ...

    @task(enable_deck=True, deck_fields=(DeckField.INPUT, "Output"))
    def some() -> None: ...

    assert on.deck_fields == [
        DeckField.SOURCE_CODE,
        DeckField.DEPENDENCIES,
        DeckField.TIMELINE,
        DeckField.INPUT,
        DeckField.OUTPUT,
    ]
    assert off.deck_fields == []
    assert some.deck_fields == [DeckField.INPUT, DeckField.OUTPUT]
    assert DeckField.SOURCE_CODE.value == "Source Code"


def test_an_unknown_deck_field_is_an_error_naming_the_valid_ones():
    with pytest.raises(FlyteValidationException, match=r"'deck_fields' got 'Nope' \(str\).*DeckField.INPUT"):

        @task(enable_deck=True, deck_fields=("Nope",))
        def bad() -> None: ...


def test_labels_and_annotations_go_to_the_task_metadata():
    @task(labels={"team": "ml"}, annotations={"owner": "me"})
    def t() -> None: ...

    assert t.metadata.labels == {"team": "ml"}
    assert t.metadata.annotations == {"owner": "me"}
    with pytest.raises(FlyteValidationException, match=r"parameter 'annotations' expected dict\[str, str\], got list"):

        @task(annotations=["x"])
        def bad() -> None: ...
