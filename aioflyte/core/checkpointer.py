"""flytekit's ``flytekit.core.checkpointer``: ``Checkpoint`` and ``SyncCheckpoint`` (one class in aioflyte, with
sync methods and ``a``-prefixed coroutines), defined in ``aioflyte.core.checkpoint``."""

from aioflyte.core.checkpoint import Checkpoint as Checkpoint
from aioflyte.core.checkpoint import SyncCheckpoint as SyncCheckpoint

__all__ = ["Checkpoint", "SyncCheckpoint"]
