"""flytekit's ``flytekit.exceptions.system``: the platform's errors, under the names flytekit gives them.

Every class is aioflyte's own (defined in ``aioflyte.exceptions``). A ``FlyteSystemException`` is retried up to a
task's ``retries``; ``FlyteDownloadDataException`` and ``FlyteUploadDataException`` are what aioflyte's data plane
raises when a transfer fails after its retries (both are ``FlyteDataTransferError``, an ``OSError``).
"""

from __future__ import annotations

from aioflyte.exceptions import FlyteAgentNotFound as FlyteAgentNotFound
from aioflyte.exceptions import FlyteConnectorNotFound as FlyteConnectorNotFound
from aioflyte.exceptions import FlyteDownloadDataException as FlyteDownloadDataException
from aioflyte.exceptions import FlyteEntrypointNotLoadable as FlyteEntrypointNotLoadable
from aioflyte.exceptions import FlyteException as FlyteException
from aioflyte.exceptions import FlyteNonRecoverableSystemException as FlyteNonRecoverableSystemException
from aioflyte.exceptions import FlyteNotImplementedException as FlyteNotImplementedException
from aioflyte.exceptions import FlyteSystemAssertion as FlyteSystemAssertion
from aioflyte.exceptions import FlyteSystemException as FlyteSystemException
from aioflyte.exceptions import FlyteSystemUnavailableException as FlyteSystemUnavailableException
from aioflyte.exceptions import FlyteUploadDataException as FlyteUploadDataException

__all__ = [
    "FlyteAgentNotFound",
    "FlyteConnectorNotFound",
    "FlyteDownloadDataException",
    "FlyteEntrypointNotLoadable",
    "FlyteException",
    "FlyteNonRecoverableSystemException",
    "FlyteNotImplementedException",
    "FlyteSystemAssertion",
    "FlyteSystemException",
    "FlyteSystemUnavailableException",
    "FlyteUploadDataException",
]
