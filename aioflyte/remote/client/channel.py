"""The grpc.aio channel every stub of a client shares: plaintext or TLS, with credentials on every call.

TLS verifies the server against the system roots, or against ``root_certificates`` (``ca_cert_file_path``);
``insecure_skip_verify`` trusts whatever certificate the server presents (fetched first, as flytekit does).
:class:`AuthInterceptor` adds each authenticator's ``(key, "Bearer TOKEN")`` to the metadata of every call (unary
and streaming, whatever the service) and, when a unary call is answered UNAUTHENTICATED, refreshes the token once
and retries it. Calls to ``AuthMetadataService`` go out without credentials: that is how clients learn to get them.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from typing import Any

import grpc

from aioflyte.remote.client.auth import AUTH_METADATA_SERVICE, Authenticator

_Continuation = Any  # Callable[[ClientCallDetails, request], Awaitable[call]]


def _method_name(method: str | bytes) -> str:
    return method.decode() if isinstance(method, bytes) else method


class AuthInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
    grpc.aio.StreamUnaryClientInterceptor,
    grpc.aio.StreamStreamClientInterceptor,
):
    """Attaches the authenticators' tokens to every call; retries a unary call once after UNAUTHENTICATED."""

    def __init__(self, authenticators: Sequence[Authenticator]) -> None:
        self.authenticators = tuple(authenticators)

    async def _details(self, details: grpc.aio.ClientCallDetails) -> tuple[grpc.aio.ClientCallDetails, list[str]]:
        if _method_name(details.method).startswith(AUTH_METADATA_SERVICE):
            return details, []
        pairs = [await a.metadata() for a in self.authenticators]
        keys = {key for key, _ in pairs}
        metadata = grpc.aio.Metadata(*[(k, v) for k, v in (details.metadata or ()) if k not in keys], *pairs)
        return details._replace(metadata=metadata), [value for _, value in pairs]

    async def intercept_unary_unary(
        self, continuation: _Continuation, client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        details, sent = await self._details(client_call_details)
        call = await continuation(details, request)
        if not sent:
            return call
        try:
            await call
        except grpc.aio.AioRpcError as e:
            if e.code() != grpc.StatusCode.UNAUTHENTICATED:
                return call
            # the token may have been revoked or the backend restarted: one new token, one more try
            if not await self.authenticators[0].refresh(sent[0]):
                return call
            details, _ = await self._details(client_call_details)
            return await continuation(details, request)
        return call

    async def intercept_unary_stream(
        self, continuation: _Continuation, client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        details, _ = await self._details(client_call_details)
        return await continuation(details, request)

    async def intercept_stream_unary(
        self, continuation: _Continuation, client_call_details: grpc.aio.ClientCallDetails, request_iterator: Any
    ) -> Any:
        details, _ = await self._details(client_call_details)
        return await continuation(details, request_iterator)

    async def intercept_stream_stream(
        self, continuation: _Continuation, client_call_details: grpc.aio.ClientCallDetails, request_iterator: Any
    ) -> Any:
        details, _ = await self._details(client_call_details)
        return await continuation(details, request_iterator)


def split_endpoint(endpoint: str, default_port: int = 443) -> tuple[str, int]:
    """``host:port`` (or ``[v6]:port``, or a bare host) as ``(host, port)``."""
    endpoint = endpoint.removeprefix("dns:///")
    if endpoint.startswith("["):
        host, _, rest = endpoint[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, sep, port = endpoint.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return endpoint, default_port


async def fetch_server_certificate(endpoint: str, timeout: float = 30.0) -> bytes:
    """The PEM certificate the TLS server at ``endpoint`` presents, unverified (for ``insecure_skip_verify``)."""
    host, port = split_endpoint(endpoint)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=context), timeout)
    except (OSError, asyncio.TimeoutError) as e:
        raise ConnectionError(f"cannot fetch the TLS certificate of {endpoint}: {type(e).__name__}: {e}") from None
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.transport.abort()  # no TLS shutdown: servers may never answer close_notify
    return ssl.DER_cert_to_PEM_cert(der).encode()


def make_channel(
    endpoint: str,
    *,
    insecure: bool,
    root_certificates: bytes | None = None,
    options: Sequence[tuple[str, Any]] = (),
    authenticators: Sequence[Authenticator] = (),
) -> grpc.aio.Channel:
    """A grpc.aio channel to ``endpoint``: plaintext when ``insecure``, else TLS verified against
    ``root_certificates`` (PEM) or the system roots; with :class:`AuthInterceptor` when there are authenticators."""
    interceptors = [AuthInterceptor(authenticators)] if authenticators else None
    if insecure:
        return grpc.aio.insecure_channel(endpoint, options=list(options), interceptors=interceptors)
    credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
    return grpc.aio.secure_channel(endpoint, credentials, options=list(options), interceptors=interceptors)


def tls_handshake_failed(error: BaseException) -> bool:
    """Whether a call failed in the TLS handshake (an untrusted certificate, or a plaintext server): retrying will
    not help."""
    if not isinstance(error, grpc.aio.AioRpcError) or error.code() != grpc.StatusCode.UNAVAILABLE:
        return False
    return "handshake failed" in (error.details() or "").lower()


def connection_hint(error: grpc.aio.AioRpcError, insecure: bool, endpoint: str) -> str:
    """A hint to append to a failed call's message when it looks like a plaintext/TLS or certificate mismatch."""
    if error.code() != grpc.StatusCode.UNAVAILABLE:
        return ""
    detail = error.details() or ""
    if insecure:
        if "Socket closed" in detail or "Connection reset" in detail:
            return (
                f" (this client connects to {endpoint} in plaintext (insecure=True): if the server serves TLS, set "
                "insecure=False and, for a private CA, ca_cert_file_path)"
            )
        return ""
    if "WRONG_VERSION_NUMBER" in detail or "Socket closed" in detail:
        return f" (the server at {endpoint} does not seem to speak TLS: for a plaintext server set insecure=True)"
    if "CERTIFICATE_VERIFY_FAILED" in detail:
        return (
            f" (the TLS certificate of {endpoint} is not trusted: set ca_cert_file_path to the PEM of the CA that "
            "signed it, or insecure_skip_verify=True to trust it unverified)"
        )
    if "Peer name" in detail and "not in peer certificate" in detail:
        return f" (the TLS certificate of {endpoint} is not issued for this host name: connect by a name it lists)"
    return ""
