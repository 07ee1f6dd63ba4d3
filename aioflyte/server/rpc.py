"""Turns exceptions raised by a handler into explicit gRPC statuses: the handler's ``AdminError`` code, else
INTERNAL (never UNKNOWN), with protobuf details in ``grpc-status-details-bin`` as flyteadmin sends them."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2
from google.rpc import status_pb2

from aioflyte.server.errors import AdminError, Internal

log = logging.getLogger("aioflyte.server")

T = TypeVar("T")
Handler = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[T]]

STATUS_DETAILS_KEY = "grpc-status-details-bin"


async def abort(context: grpc.aio.ServicerContext, error: AdminError) -> None:
    """End the call with ``error``'s code and message (and details, packed as a ``google.rpc.Status``)."""
    metadata: tuple[tuple[str, bytes], ...] = ()
    if error.details:
        packed = []
        for detail in error.details:
            any_msg = any_pb2.Any()
            any_msg.Pack(detail)
            packed.append(any_msg)
        status = status_pb2.Status(code=error.code.value[0], message=error.message, details=packed)
        metadata = ((STATUS_DETAILS_KEY, status.SerializeToString()),)
    await context.abort(error.code, error.message, trailing_metadata=metadata)


def handler(fn: Handler[T]) -> Handler[T]:
    """Wrap an RPC method so every failure reaches the client with an explicit status code."""

    @functools.wraps(fn)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> T:
        try:
            return await fn(self, request, context)
        except AdminError as e:
            log.info("%s failed: %s %s", fn.__name__, e.code.name, e.message)
            await abort(context, e)
        except grpc.aio.AbortError:
            raise
        except Exception as e:  # a bug or a storage failure: still an explicit code, with the cause in the message
            log.exception("%s crashed", fn.__name__)
            await abort(context, Internal(f"{fn.__name__} failed: {type(e).__name__}: {e}"))
        raise AssertionError("unreachable: abort() raises")  # pragma: no cover

    return wrapper
