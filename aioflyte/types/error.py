"""flytekit's ``flytekit.types.error``: ``FlyteError``, what a workflow's ``on_failure`` handler receives as ``err``
(the failure's message and the failed node's id). It is defined in ``aioflyte.exceptions``."""

from aioflyte.exceptions import FlyteError as FlyteError

__all__ = ["FlyteError"]
