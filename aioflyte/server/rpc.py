"""Turns exceptions raised by a handler into explicit gRPC statuses: the handler's ``AdminError`` code, else
INTERNAL (never UNKNOWN), with protobuf details in ``grpc-status-details-bin`` as flyteadmin sends them.

Services are added with :func:`add_service`, not the generated ``add_*Servicer_to_server``: the request arrives as
bytes and is parsed here, so a request that does not decode is answered INVALID_ARGUMENT (grpc would answer it
UNKNOWN or INTERNAL itself), and a method the servicer does not implement UNIMPLEMENTED."""

from __future__ import annotations

import errno
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from google.protobuf import any_pb2, message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.rpc import status_pb2

from aioflyte.server.errors import AdminError, Internal, InvalidArgument

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
            if e.outcome is not None:  # an answer of the protocol, not a failure (an identical re-registration)
                log.info("%s: %s (answered %s: %s)", fn.__name__, e.outcome, e.code.name, e.message)
            else:
                log.info("%s failed: %s %s", fn.__name__, e.code.name, e.message)
            await abort(context, e)
        except grpc.aio.AbortError:
            raise
        except Exception as e:  # a bug or a storage failure: still an explicit code, with the cause in the message
            if isinstance(e, OSError) and e.errno == errno.ENAMETOOLONG:  # a name in the request makes a path
                error = InvalidArgument(f"{fn.__name__}: a name in the request is too long for a file name: {e}")
                log.info("%s failed: %s %s", fn.__name__, error.code.name, error.message)
                await abort(context, error)
            log.exception("%s crashed", fn.__name__)
            await abort(context, Internal(f"{fn.__name__} failed: {type(e).__name__}: {e}"))
        raise AssertionError("unreachable: abort() raises")  # pragma: no cover

    return wrapper


def _unimplemented(service: str, method: str) -> Handler[Any]:
    async def call(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{service}.{method} is not served by aioflyte's server")

    return call


def _decoding(impl: Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]], request_type: Any, name: str) -> Any:
    """The method behind a handler that receives the request's bytes: parse, then call ``impl``."""

    async def call(data: bytes, context: grpc.aio.ServicerContext) -> Any:
        try:
            request = request_type.FromString(data)
        except Exception as e:  # DecodeError, or nesting too deep: the client sent something else
            error = InvalidArgument(
                f"{name}: the request is not a valid {request_type.DESCRIPTOR.full_name} message "
                f"({len(data)} bytes): {type(e).__name__}: {e}"
            )
            log.info("%s failed: %s %s", name, error.code.name, error.message)
            await abort(context, error)
        try:
            return await impl(request, context)
        except grpc.aio.AbortError:
            raise
        except AdminError as e:  # a method not wrapped by @handler: its code all the same
            log.info("%s failed: %s %s", name, e.code.name, e.message)
            await abort(context, e)
        except Exception as e:  # a method not wrapped by @handler: still an explicit code
            log.exception("%s crashed", name)
            await abort(context, Internal(f"{name} failed: {type(e).__name__}: {e}"))

    return call


def add_service(server: grpc.aio.Server, servicer: Any, service: ServiceDescriptor, base: type | None = None) -> None:
    """Serve ``servicer``'s methods for ``service`` on ``server`` (unary calls; the request parsed by us).

    ``base`` is the generated ``*Servicer`` class: a method the servicer does not override answers UNIMPLEMENTED."""
    handlers = {}
    for method in service.methods:
        request_type = message_factory.GetMessageClass(method.input_type)
        response_type = message_factory.GetMessageClass(method.output_type)
        impl = getattr(type(servicer), method.name, None)
        if impl is None or (base is not None and impl is getattr(base, method.name, None)):
            impl = _unimplemented(service.name, method.name)
        bound = impl.__get__(servicer, type(servicer))
        handlers[method.name] = grpc.unary_unary_rpc_method_handler(
            _decoding(bound, request_type, method.name),
            request_deserializer=None,
            response_serializer=response_type.SerializeToString,
        )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name, handlers),))
