"""What Admin calls raise: one exception per kind of gRPC failure, naming the entity the call was about.

The classes live in ``aioflyte.exceptions`` (with every other user-facing exception); they are re-exported here.
"""

from __future__ import annotations

from aioflyte.exceptions import FlyteEntityAlreadyExistsException as FlyteEntityAlreadyExistsException
from aioflyte.exceptions import (
    FlyteEntityExistsDifferentStructureException as FlyteEntityExistsDifferentStructureException,
)
from aioflyte.exceptions import FlyteEntityNotExistException as FlyteEntityNotExistException
from aioflyte.exceptions import FlyteInvalidInputException as FlyteInvalidInputException
from aioflyte.exceptions import FlytePermissionDeniedException as FlytePermissionDeniedException
from aioflyte.exceptions import FlyteRemoteError as FlyteRemoteError
from aioflyte.exceptions import FlyteRemoteTimeoutException as FlyteRemoteTimeoutException
from aioflyte.exceptions import FlyteRemoteUnavailableException as FlyteRemoteUnavailableException
from aioflyte.exceptions import FlyteRemoteUnimplementedException as FlyteRemoteUnimplementedException
