"""Authentication for the local server, as flyteadmin does it for machine clients (off unless configured).

* ``AuthMetadataService`` tells clients where the OAuth2 token endpoint is (``GetOAuth2Metadata``) and which
  metadata key to send tokens in (``GetPublicClientConfig``); it is open to everyone.
* ``POST /oauth2/token`` on the server's HTTP endpoint exchanges client credentials (HTTP basic auth, or
  ``client_id``/``client_secret`` in the form) for an HMAC-signed access token that expires after ``token_ttl``.
* :class:`AuthInterceptor` answers every other call UNAUTHENTICATED unless it carries a valid, unexpired token.

Tokens are signed with a key made when the server starts, so a restarted server rejects the old ones.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import ssl
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from aiohttp import web
from flyteidl.service import auth_pb2, auth_pb2_grpc

from aioflyte.server.rpc import add_service

log = logging.getLogger("aioflyte.server.auth")

TOKEN_PATH = "/oauth2/token"
DEFAULT_METADATA_KEY = "authorization"
#: Method prefixes served without a token (clients call them to find out how to get one).
OPEN_METHODS = ("/flyteidl.service.AuthMetadataService/", "/grpc.health.v1.Health/")
_TOKEN_PREFIX = "v1"


class InvalidToken(Exception):
    """The token is malformed, forged or expired; the message says which (never the token)."""


@dataclass(frozen=True)
class AuthSettings:
    """The one confidential client the server accepts, and how its tokens look."""

    client_id: str
    client_secret: str = field(repr=False)
    token_ttl: float = 3600.0
    metadata_key: str = DEFAULT_METADATA_KEY
    scopes: tuple[str, ...] = ("all",)

    def __post_init__(self) -> None:
        if not self.client_id:
            raise ValueError("server auth needs a client id (--client-id)")
        if not self.client_secret:
            raise ValueError(f"server auth needs the secret of client {self.client_id!r} (--client-secret[-file])")
        if not self.token_ttl > 0:
            raise ValueError(f"--token-ttl must be a positive number of seconds, got {self.token_ttl!r}")
        key = self.metadata_key.strip().lower()
        if not key or key != self.metadata_key or key.endswith("-bin") or not key.isascii():
            raise ValueError(
                f"--auth-metadata-key must be a lowercase ASCII gRPC metadata key (not -bin), got {self.metadata_key!r}"
            )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and checks ``v1.<claims>.<hmac-sha256>`` access tokens with a per-process key."""

    def __init__(self, settings: AuthSettings, key: bytes | None = None) -> None:
        self.settings = settings
        self._key = key or secrets.token_bytes(32)
        self.issued = 0

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, f"{_TOKEN_PREFIX}.{payload}".encode(), hashlib.sha256).digest())

    def issue(self, subject: str, scopes: tuple[str, ...]) -> tuple[str, float]:
        """A new token for ``subject`` and its lifetime in seconds."""
        now = time.time()
        claims = {"sub": subject, "scp": list(scopes), "iat": now, "exp": now + self.settings.token_ttl}
        claims["jti"] = secrets.token_hex(8)
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        self.issued += 1
        return f"{_TOKEN_PREFIX}.{payload}.{self._sign(payload)}", self.settings.token_ttl

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims; ``InvalidToken`` if it is malformed, not signed by this server, or expired."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _TOKEN_PREFIX:
            raise InvalidToken("the access token is malformed")
        if not hmac.compare_digest(parts[2], self._sign(parts[1])):
            raise InvalidToken("the access token was not issued by this server (or the server restarted)")
        try:
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, binascii.Error):
            raise InvalidToken("the access token is malformed") from None
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), (int, float)):
            raise InvalidToken("the access token is malformed")
        if time.time() >= claims["exp"]:
            raise InvalidToken(f"the access token expired {time.time() - claims['exp']:.1f} s ago")
        return claims


class AuthMetadataService(auth_pb2_grpc.AuthMetadataServiceServicer):
    """Where to get tokens (the HTTP endpoint's ``/oauth2/token``) and which metadata key to send them in."""

    def __init__(self, settings: AuthSettings, base_url: Callable[[], str]) -> None:
        self.settings = settings
        self._base_url = base_url

    async def GetOAuth2Metadata(
        self, request: auth_pb2.OAuth2MetadataRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.OAuth2MetadataResponse:
        base = self._base_url()
        return auth_pb2.OAuth2MetadataResponse(
            issuer=base,
            token_endpoint=base + TOKEN_PATH,
            grant_types_supported=["client_credentials"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            scopes_supported=list(self.settings.scopes),
            response_types_supported=["token"],
        )

    async def GetPublicClientConfig(
        self, request: auth_pb2.PublicClientAuthConfigRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.PublicClientAuthConfigResponse:
        return auth_pb2.PublicClientAuthConfigResponse(
            scopes=list(self.settings.scopes),
            authorization_metadata_key=self.settings.metadata_key,
            service_http_endpoint=self._base_url(),
        )


class OpenMetadataService(auth_pb2_grpc.AuthMetadataServiceServicer):
    """Auth off: no token endpoint (``GetOAuth2Metadata`` is UNIMPLEMENTED, as on a backend without auth), and
    ``GetPublicClientConfig`` gives only ``service_http_endpoint``, where clients find the console."""

    def __init__(self, base_url: Callable[[], str]) -> None:
        self._base_url = base_url

    async def GetPublicClientConfig(
        self, request: auth_pb2.PublicClientAuthConfigRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.PublicClientAuthConfigResponse:
        return auth_pb2.PublicClientAuthConfigResponse(
            authorization_metadata_key=DEFAULT_METADATA_KEY, service_http_endpoint=self._base_url()
        )


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="aioflyte"'
    return web.json_response({"error": error, "error_description": description}, status=status, headers=headers)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if not sep:
        return None
    return user, password


def redact_id(value: str) -> str:
    """A submitted client id as logs and errors show it: at most its first 3 characters (fewer for short ids, never
    more than a third of it) and its length, e.g. ``'abc…' (24 characters)``."""
    keep = min(3, len(value) // 3)
    return f"{value[:keep] + '…'!r} ({len(value)} characters)"


def _matches(settings: AuthSettings, client_id: str, secret: str) -> bool:
    id_ok = hmac.compare_digest(client_id.encode(), settings.client_id.encode())
    secret_ok = hmac.compare_digest(secret.encode(), settings.client_secret.encode())
    return id_ok and secret_ok


def token_handler(settings: AuthSettings, issuer: TokenIssuer) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The ``POST /oauth2/token`` handler (RFC 6749 client credentials grant, errors as in section 5.2)."""

    async def handle(request: web.Request) -> web.Response:
        form = await request.post()
        credentials = _basic_credentials(request.headers.get("Authorization", ""))
        if credentials is None and "client_id" in form:
            credentials = (str(form.get("client_id", "")), str(form.get("client_secret", "")))
        if credentials is None:
            return _oauth_error(401, "invalid_client", "client authentication is required (HTTP basic auth)")
        # RFC 6749 2.3.1 form-urlencodes id and secret inside basic auth; plain basic auth (curl -u) does not
        raw = credentials
        decoded = (urllib.parse.unquote_plus(raw[0]), urllib.parse.unquote_plus(raw[1]))
        client_id = raw[0]
        if not any(_matches(settings, *pair) for pair in {raw, decoded}):
            # the submitted id may be a secret pasted into the wrong field: only a short prefix is shown
            shown = redact_id(client_id)
            log.warning("token request refused: wrong credentials for client %s", shown)
            return _oauth_error(401, "invalid_client", f"unknown client {shown} or wrong client secret")
        grant = form.get("grant_type")
        if grant != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", f"grant_type must be client_credentials, got {grant!r}")
        requested = tuple(str(form.get("scope", "")).split())
        unknown = [s for s in requested if s not in settings.scopes]
        if unknown:
            return _oauth_error(400, "invalid_scope", f"unknown scopes {unknown} (this server has {settings.scopes})")
        scopes = requested or settings.scopes
        client_id = settings.client_id
        token, ttl = issuer.issue(client_id, scopes)
        log.info("issued an access token to client %r (expires in %g s)", client_id, ttl)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "scope": " ".join(scopes)}
        return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    return handle


def _denied(handler: grpc.RpcMethodHandler, message: str) -> grpc.RpcMethodHandler:
    """A handler of ``handler``'s kind that ends the call UNAUTHENTICATED with ``message``."""

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    async def streaming(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
        yield  # pragma: no cover  (makes this an async generator)

    serde = {"request_deserializer": handler.request_deserializer, "response_serializer": handler.response_serializer}
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(unary, **serde)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(streaming, **serde)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(unary, **serde)
    return grpc.stream_stream_rpc_method_handler(streaming, **serde)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Lets a call through only with ``<metadata_key>: Bearer <valid token>`` (``AuthMetadataService`` is open)."""

    def __init__(self, settings: AuthSettings, issuer: TokenIssuer, token_url: Callable[[], str]) -> None:
        self.settings = settings
        self.issuer = issuer
        self._token_url = token_url

    def _problem(self, metadata: Any) -> str | None:
        key = self.settings.metadata_key
        values = [m.value for m in metadata or () if m.key == key]
        if not values:
            return (
                f"authentication required: send an OAuth2 access token as {key!r} metadata ('Bearer TOKEN'); get "
                f"one with client credentials from {self._token_url()} (auth_mode ClientSecret)"
            )
        value = values[-1] if isinstance(values[-1], str) else values[-1].decode(errors="replace")
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return f"the {key!r} metadata must be 'Bearer TOKEN'"
        try:
            self.issuer.verify(token.strip())
        except InvalidToken as e:
            return f"{e}; get a new one from {self._token_url()}"
        return None

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method or ""
        if handler is None or method.startswith(OPEN_METHODS):
            return handler
        problem = self._problem(handler_call_details.invocation_metadata)
        if problem is None:
            return handler
        log.info("%s refused: %s", method, problem)
        return _denied(handler, problem)


def read_secret_file(path: str) -> str:
    """The client secret in ``path`` (surrounding whitespace stripped); a clear error when unreadable or empty."""
    try:
        with open(path, encoding="utf-8") as f:
            secret = f.read().strip()
    except OSError as e:
        raise ValueError(f"cannot read the client secret file {path!r}: {e.strerror or e}") from None
    if not secret:
        raise ValueError(f"the client secret file {path!r} is empty")
    return secret


class ServerSecurity:
    """The server's TLS certificate (gRPC port and HTTP endpoint) and client authentication; both off by default.

    ``tls_cert``/``tls_key`` are PEM files (the chain, then its private key). ``auth`` enables tokens.
    """

    def __init__(
        self, *, tls_cert: str | None = None, tls_key: str | None = None, auth: AuthSettings | None = None
    ) -> None:
        if bool(tls_cert) != bool(tls_key):
            raise ValueError("TLS needs both --tls-cert and --tls-key (a PEM certificate chain and its private key)")
        self.tls_cert, self.tls_key, self.auth = tls_cert, tls_key, auth
        self._pem: tuple[bytes, bytes] | None = None
        self._ssl: ssl.SSLContext | None = None
        if tls_cert and tls_key:
            self._pem = (_read_pem(tls_key, "private key"), _read_pem(tls_cert, "certificate"))
            self._ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            try:
                self._ssl.load_cert_chain(tls_cert, tls_key)
            except ssl.SSLError as e:
                raise ValueError(f"the TLS key {tls_key!r} does not fit the certificate {tls_cert!r}: {e}") from None
        self.issuer = TokenIssuer(auth) if auth is not None else None

    @property
    def ssl_context(self) -> ssl.SSLContext | None:
        """For the HTTP endpoint (None: plain HTTP)."""
        return self._ssl

    def interceptors(self, http_url: Callable[[], str]) -> list[grpc.aio.ServerInterceptor]:
        if self.auth is None or self.issuer is None:
            return []
        return [AuthInterceptor(self.auth, self.issuer, lambda: http_url() + TOKEN_PATH)]

    def attach(self, server: grpc.aio.Server, app: web.Application, http_url: Callable[[], str]) -> None:
        """Add ``AuthMetadataService`` to ``server`` and the token route to ``app`` (when auth is on); with auth off,
        the service only tells clients where the HTTP endpoint (and its web console) is."""
        if self.auth is None or self.issuer is None:
            auth_pb2_grpc.add_AuthMetadataServiceServicer_to_server(OpenMetadataService(http_url), server)
            return
        service = auth_pb2.DESCRIPTOR.services_by_name["AuthMetadataService"]
        add_service(
            server, AuthMetadataService(self.auth, http_url), service, auth_pb2_grpc.AuthMetadataServiceServicer
        )
        app.router.add_post(TOKEN_PATH, token_handler(self.auth, self.issuer))

    def add_port(self, server: grpc.aio.Server, address: str) -> int:
        """Bind ``address``: TLS when a certificate is configured, else plaintext; returns the port (0: failed)."""
        if self._pem is None:
            return server.add_insecure_port(address)
        return server.add_secure_port(address, grpc.ssl_server_credentials([self._pem]))


def _read_pem(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ValueError(f"cannot read the TLS {what} file {path!r}: {e.strerror or e}") from None
    if b"-----BEGIN" not in data:
        raise ValueError(f"the TLS {what} file {path!r} is not PEM")
    return data


def security_from_options(
    *,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    client_secret_file: str | None = None,
    token_ttl: float = 3600.0,
    auth_metadata_key: str = DEFAULT_METADATA_KEY,
) -> ServerSecurity:
    """``ServerSecurity`` from the command-line options (``ValueError`` naming the option when they are wrong)."""
    if client_secret and client_secret_file:
        raise ValueError("give the client secret once: --client-secret or --client-secret-file, not both")
    if client_secret_file:
        client_secret = read_secret_file(client_secret_file)
    auth = None
    if client_id or client_secret:
        if not client_id:
            raise ValueError("--client-secret/--client-secret-file need --client-id (the client they belong to)")
        auth = AuthSettings(client_id, client_secret or "", token_ttl=token_ttl, metadata_key=auth_metadata_key)
    return ServerSecurity(tls_cert=tls_cert, tls_key=tls_key, auth=auth)
