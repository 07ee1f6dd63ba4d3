"""flytekit's ``flytekit.exceptions.user``: the user errors, under the names flytekit gives them.

Every class is aioflyte's own (defined in ``aioflyte.exceptions``), so ``except`` clauses written against these
names catch what aioflyte raises. Two have another name in aioflyte: ``FlyteDataNotFoundException`` is
``FlyteDataNotFoundError`` and ``FlyteDisapprovalException`` is ``GateRejected``.
"""

from __future__ import annotations

from aioflyte.exceptions import FlyteAssertion as FlyteAssertion
from aioflyte.exceptions import FlyteAuthenticationException as FlyteAuthenticationException
from aioflyte.exceptions import FlyteCompilationException as FlyteCompilationException
from aioflyte.exceptions import FlyteDataNotFoundError as FlyteDataNotFoundException
from aioflyte.exceptions import FlyteEntityAlreadyExistsException as FlyteEntityAlreadyExistsException
from aioflyte.exceptions import FlyteEntityNotExistException as FlyteEntityNotExistException
from aioflyte.exceptions import FlyteEntityNotFoundException as FlyteEntityNotFoundException
from aioflyte.exceptions import FlyteFailureNodeInputMismatchException as FlyteFailureNodeInputMismatchException
from aioflyte.exceptions import FlyteInvalidInputException as FlyteInvalidInputException
from aioflyte.exceptions import FlyteMissingReturnValueException as FlyteMissingReturnValueException
from aioflyte.exceptions import FlyteMissingTypeException as FlyteMissingTypeException
from aioflyte.exceptions import FlytePromiseAttributeResolveException as FlytePromiseAttributeResolveException
from aioflyte.exceptions import FlyteRecoverableException as FlyteRecoverableException
from aioflyte.exceptions import FlyteTimeout as FlyteTimeout
from aioflyte.exceptions import FlyteTypeException as FlyteTypeException
from aioflyte.exceptions import FlyteUserException as FlyteUserException
from aioflyte.exceptions import FlyteUserRuntimeException as FlyteUserRuntimeException
from aioflyte.exceptions import FlyteValidationException as FlyteValidationException
from aioflyte.exceptions import FlyteValueException as FlyteValueException
from aioflyte.exceptions import GateRejected as FlyteDisapprovalException

__all__ = [
    "FlyteAssertion",
    "FlyteAuthenticationException",
    "FlyteCompilationException",
    "FlyteDataNotFoundException",
    "FlyteDisapprovalException",
    "FlyteEntityAlreadyExistsException",
    "FlyteEntityNotExistException",
    "FlyteEntityNotFoundException",
    "FlyteFailureNodeInputMismatchException",
    "FlyteInvalidInputException",
    "FlyteMissingReturnValueException",
    "FlyteMissingTypeException",
    "FlytePromiseAttributeResolveException",
    "FlyteRecoverableException",
    "FlyteTimeout",
    "FlyteTypeException",
    "FlyteUserException",
    "FlyteUserRuntimeException",
    "FlyteValidationException",
    "FlyteValueException",
]
