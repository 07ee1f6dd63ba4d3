"""Accelerators for ``@task(accelerator=...)``, with flytekit's names (``flytekit.extras.accelerators``).

A task's accelerator is serialized in its template's ``extended_resources.gpu_accelerator``: the device name
the cluster knows, and for a multi-instance GPU (or TPU slice) the partition, or ``unpartitioned`` for a whole
device picked from a partitionable family::

    @task(limits=Resources(gpu="1"), accelerator=T4)                    # device "nvidia-tesla-t4"
    @task(limits=Resources(gpu="1"), accelerator=A100.partition_2g_10gb) # device + partition_size "2g.10gb"
    @task(limits=Resources(gpu="1"), accelerator=GPUAccelerator("nvidia-tesla-v100"))

Locally the accelerator only travels with the task (the engine does not schedule devices).
"""

from __future__ import annotations

import abc
import copy
from typing import ClassVar, Generic, TypeVar

from flyteidl.core import tasks_pb2

T = TypeVar("T")
MIG = TypeVar("MIG", bound="MultiInstanceGPUAccelerator")


class BaseAccelerator(abc.ABC, Generic[T]):
    """What every accelerator is: something with a flyteidl form. Subclass it for other device kinds."""

    @abc.abstractmethod
    def to_flyte_idl(self) -> T: ...


class GPUAccelerator(BaseAccelerator[tasks_pb2.GPUAccelerator]):
    """A GPU named by its device name, as configured on the cluster (prefer the constants below)."""

    def __init__(self, device: str) -> None:
        if not isinstance(device, str) or not device:
            raise ValueError(f"GPUAccelerator: parameter 'device' expected a non-empty str, got {device!r}")
        self._device = device

    @property
    def device(self) -> str:
        return self._device

    def to_flyte_idl(self) -> tasks_pb2.GPUAccelerator:
        return tasks_pb2.GPUAccelerator(device=self._device)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GPUAccelerator) and other._device == self._device

    def __hash__(self) -> int:
        return hash(("GPUAccelerator", self._device))

    def __repr__(self) -> str:
        return f"GPUAccelerator({self._device!r})"


A10G = GPUAccelerator("nvidia-a10g")
L4 = GPUAccelerator("nvidia-l4")
L4_VWS = GPUAccelerator("nvidia-l4-vws")
L40S = GPUAccelerator("nvidia-l40s")
K80 = GPUAccelerator("nvidia-tesla-k80")
M60 = GPUAccelerator("nvidia-tesla-m60")
P4 = GPUAccelerator("nvidia-tesla-p4")
P100 = GPUAccelerator("nvidia-tesla-p100")
T4 = GPUAccelerator("nvidia-tesla-t4")
V100 = GPUAccelerator("nvidia-tesla-v100")
H100 = GPUAccelerator("nvidia-h100")
H200 = GPUAccelerator("nvidia-h200")
RTX_PRO_6000 = GPUAccelerator("nvidia-rtx-pro-6000")


class MultiInstanceGPUAccelerator(BaseAccelerator[tasks_pb2.GPUAccelerator]):
    """A device family that can be split (NVIDIA MIG, TPU slices): the whole device or one partition.

    The family object itself (``A100``) leaves the choice to the cluster; ``.partition_*``/``.slice_*`` pick a
    partition; ``.unpartitioned`` asks for a whole device.
    """

    device: ClassVar[str]
    _partition_size: str | None

    @property
    def unpartitioned(self: MIG) -> MIG:
        instance = copy.deepcopy(self)
        instance._partition_size = None
        return instance

    @classmethod
    def partitioned(cls: type[MIG], partition_size: str) -> MIG:
        instance = cls()
        instance._partition_size = partition_size
        return instance

    @property
    def partition_size(self) -> str | None:
        return getattr(self, "_partition_size", None)

    def to_flyte_idl(self) -> tasks_pb2.GPUAccelerator:
        msg = tasks_pb2.GPUAccelerator(device=self.device)
        if not hasattr(self, "_partition_size"):  # the family: no preference
            return msg
        if self._partition_size is None:
            msg.unpartitioned = True
        else:
            msg.partition_size = self._partition_size
        return msg

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, MultiInstanceGPUAccelerator)
            and other.device == self.device
            and other.to_flyte_idl() == self.to_flyte_idl()
        )

    def __hash__(self) -> int:
        return hash((self.device, self.to_flyte_idl().SerializeToString()))

    def __repr__(self) -> str:
        if not hasattr(self, "_partition_size"):
            return f"{type(self).__name__.lstrip('_')}({self.device!r})"
        part = "unpartitioned" if self._partition_size is None else self._partition_size
        return f"{type(self).__name__.lstrip('_')}({self.device!r}, {part})"


class _A100_Base(MultiInstanceGPUAccelerator):
    device = "nvidia-tesla-a100"


class _A100(_A100_Base):
    """An NVIDIA A100 (40 GB); its MIG partitions are attributes."""

    partition_1g_5gb = _A100_Base.partitioned("1g.5gb")
    partition_2g_10gb = _A100_Base.partitioned("2g.10gb")
    partition_3g_20gb = _A100_Base.partitioned("3g.20gb")
    partition_4g_20gb = _A100_Base.partitioned("4g.20gb")
    partition_7g_40gb = _A100_Base.partitioned("7g.40gb")


A100 = _A100()


class _A100_80GB_Base(MultiInstanceGPUAccelerator):
    device = "nvidia-a100-80gb"


class _A100_80GB(_A100_80GB_Base):
    """An NVIDIA A100 80 GB; its MIG partitions are attributes."""

    partition_1g_10gb = _A100_80GB_Base.partitioned("1g.10gb")
    partition_2g_20gb = _A100_80GB_Base.partitioned("2g.20gb")
    partition_3g_40gb = _A100_80GB_Base.partitioned("3g.40gb")
    partition_4g_40gb = _A100_80GB_Base.partitioned("4g.40gb")
    partition_7g_80gb = _A100_80GB_Base.partitioned("7g.80gb")


A100_80GB = _A100_80GB()


class _V5E_Base(MultiInstanceGPUAccelerator):
    device = "tpu-v5-lite-podslice"


class _V5E(_V5E_Base):
    """A Google Cloud TPU v5e; its slice topologies are attributes."""

    slice_1x1 = _V5E_Base.partitioned("1x1")
    slice_2x2 = _V5E_Base.partitioned("2x2")
    slice_2x4 = _V5E_Base.partitioned("2x4")
    slice_4x4 = _V5E_Base.partitioned("4x4")
    slice_4x8 = _V5E_Base.partitioned("4x8")
    slice_8x8 = _V5E_Base.partitioned("8x8")
    slice_8x16 = _V5E_Base.partitioned("8x16")
    slice_16x16 = _V5E_Base.partitioned("16x16")


V5E = _V5E()


class _V5P_Base(MultiInstanceGPUAccelerator):
    device = "tpu-v5p-slice"


class _V5P(_V5P_Base):
    """A Google Cloud TPU v5p; its slice topologies are attributes."""

    slice_2x2x1 = _V5P_Base.partitioned("2x2x1")
    slice_2x2x2 = _V5P_Base.partitioned("2x2x2")
    slice_2x4x4 = _V5P_Base.partitioned("2x4x4")
    slice_4x4x4 = _V5P_Base.partitioned("4x4x4")
    slice_4x4x8 = _V5P_Base.partitioned("4x4x8")
    slice_4x8x8 = _V5P_Base.partitioned("4x8x8")
    slice_8x8x8 = _V5P_Base.partitioned("8x8x8")
    slice_8x8x16 = _V5P_Base.partitioned("8x8x16")
    slice_8x16x16 = _V5P_Base.partitioned("8x16x16")
    slice_16x16x16 = _V5P_Base.partitioned("16x16x16")
    slice_16x16x24 = _V5P_Base.partitioned("16x16x24")


V5P = _V5P()


class _V6E_Base(MultiInstanceGPUAccelerator):
    device = "tpu-v6e-slice"


class _V6E(_V6E_Base):
    """A Google Cloud TPU v6e; its slice topologies are attributes."""

    slice_1x1 = _V6E_Base.partitioned("1x1")
    slice_2x2 = _V6E_Base.partitioned("2x2")
    slice_2x4 = _V6E_Base.partitioned("2x4")
    slice_4x4 = _V6E_Base.partitioned("4x4")
    slice_4x8 = _V6E_Base.partitioned("4x8")
    slice_8x8 = _V6E_Base.partitioned("8x8")
    slice_8x16 = _V6E_Base.partitioned("8x16")
    slice_16x16 = _V6E_Base.partitioned("16x16")


V6E = _V6E()

__all__ = [
    "A10G",
    "A100",
    "A100_80GB",
    "H100",
    "H200",
    "K80",
    "L4",
    "L4_VWS",
    "L40S",
    "M60",
    "P4",
    "P100",
    "RTX_PRO_6000",
    "T4",
    "V5E",
    "V5P",
    "V6E",
    "V100",
    "BaseAccelerator",
    "GPUAccelerator",
    "MultiInstanceGPUAccelerator",
]
