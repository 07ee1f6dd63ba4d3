"""Credentials for Flyte Admin calls: bearer tokens from OAuth2 client credentials, an external command or a
static token, cached and refreshed before they expire.

:func:`authenticators_for` picks them from a :class:`~aioflyte.configuration.PlatformConfig` as flytekit does
(``auth_mode``: ``ClientSecret`` / ``ExternalCommand``; ``proxy_command`` adds a ``proxy-authorization`` token).
The token endpoint, the metadata key tokens travel in and the default scopes are discovered from the backend's
``AuthMetadataService`` (``GetOAuth2Metadata``, ``GetPublicClientConfig``). Secrets and tokens never appear in
logs, reprs or error messages.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import shlex
import ssl
import time
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
from flyteidl.service import auth_pb2, auth_pb2_grpc

from aioflyte.exceptions import FlyteAuthenticationException as FlyteAuthenticationException
from aioflyte.remote.client.errors import TRANSIENT_CODES

if TYPE_CHECKING:  # pragma: no cover
    import aiohttp

    from aioflyte.configuration.config import PlatformConfig

log = logging.getLogger("aioflyte.remote.auth")

DEFAULT_HEADER_KEY = "authorization"
PROXY_HEADER_KEY = "proxy-authorization"
#: Refresh this fraction of a token's lifetime before it expires, but at most ``_MAX_MARGIN`` seconds before.
_MARGIN_FRACTION = 0.1
_MAX_MARGIN = 60.0
#: The gRPC service whose calls never carry credentials (clients call it to learn how to get them).
AUTH_METADATA_SERVICE = "/flyteidl.service.AuthMetadataService/"
#: An env var holding a ready bearer token (aioflyte's addition; flytekit has no equivalent).
ACCESS_TOKEN_ENV_VAR = "FLYTE_CREDENTIALS_ACCESS_TOKEN"


def http_ssl(ca_cert_file_path: str | None = None, insecure_skip_verify: bool = False) -> ssl.SSLContext | bool:
    """aiohttp's ``ssl=`` for HTTPS calls to the backend (token endpoint, data proxy URLs), from the platform's TLS
    settings: ``False`` skips verification, a context trusts ``ca_cert_file_path`` besides the system roots (signed
    URLs may point at a public object store), ``True`` the system roots."""
    if insecure_skip_verify:
        return False
    if ca_cert_file_path:
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=ca_cert_file_path)
        return context
    return True


@dataclass(frozen=True)
class ServerAuthConfig:
    """What the backend's ``AuthMetadataService`` says about getting and sending tokens."""

    token_endpoint: str = ""
    header_key: str = DEFAULT_HEADER_KEY
    scopes: tuple[str, ...] = ()
    audience: str = ""


class AuthMetadataDiscovery:
    """Asks the backend's ``AuthMetadataService`` once (per channel) how to authenticate; caches the answer."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._channel: grpc.aio.Channel | None = None
        self._config: ServerAuthConfig | None = None
        self._lock = asyncio.Lock()

    def bind(self, channel: grpc.aio.Channel) -> None:
        """Use ``channel`` (its calls to ``AuthMetadataService`` go out without credentials)."""
        if channel is not self._channel:
            self._channel, self._config = channel, None
            self._lock = asyncio.Lock()

    async def get(self, *, require_token_endpoint: bool = False) -> ServerAuthConfig:
        if self._config is None:
            async with self._lock:
                if self._config is None:
                    self._config = await self._fetch()
        if require_token_endpoint and not self._config.token_endpoint:
            raise FlyteAuthenticationException(
                f"the backend at {self.endpoint} publishes no OAuth2 token endpoint (GetOAuth2Metadata), so client "
                "credentials cannot be exchanged for a token"
            )
        return self._config

    async def _fetch(self) -> ServerAuthConfig:
        if self._channel is None:
            raise RuntimeError("AuthMetadataDiscovery is not bound to a channel")
        stub = auth_pb2_grpc.AuthMetadataServiceStub(self._channel)
        try:
            client = await stub.GetPublicClientConfig(auth_pb2.PublicClientAuthConfigRequest(), timeout=30)
            oauth2 = await stub.GetOAuth2Metadata(auth_pb2.OAuth2MetadataRequest(), timeout=30)
        except grpc.aio.AioRpcError as e:
            if e.code() in TRANSIENT_CODES:
                raise  # the backend is unreachable: the caller's call fails (or is retried) as any call would
            if e.code() == grpc.StatusCode.UNIMPLEMENTED:
                log.info("%s serves no AuthMetadataService; sending tokens as %r", self.endpoint, DEFAULT_HEADER_KEY)
                return ServerAuthConfig()
            raise FlyteAuthenticationException(
                f"cannot discover how to authenticate with {self.endpoint} (AuthMetadataService): "
                f"{e.code().name}: {e.details()}"
            ) from e
        return ServerAuthConfig(
            token_endpoint=oauth2.token_endpoint,
            header_key=(client.authorization_metadata_key or DEFAULT_HEADER_KEY).lower(),
            scopes=tuple(client.scopes),
            audience=client.audience,
        )


class Authenticator(ABC):
    """Bearer-token credentials for one metadata key, cached; refreshed ahead of expiry and on demand."""

    def __init__(self, discovery: AuthMetadataDiscovery | None = None, header: str | None = None) -> None:
        self._discovery = discovery
        self._header = header  # fixed metadata key; else the backend's (discovered), else "authorization"
        self._token: str | None = None
        self._refresh_at: float | None = None  # monotonic time to refresh at; None: until rejected
        self._lock = asyncio.Lock()
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self.fetches = 0  # tokens obtained so far (observability, tests)

    async def header_key(self) -> str:
        if self._header is not None:
            return self._header
        if self._discovery is not None:
            return (await self._discovery.get()).header_key
        return DEFAULT_HEADER_KEY

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop:  # a client reused from another loop (e.g. a new asyncio.run)
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def _due(self) -> bool:
        return self._token is None or (self._refresh_at is not None and time.monotonic() >= self._refresh_at)

    async def metadata(self) -> tuple[str, str]:
        """``(key, "Bearer TOKEN")`` for the next call, fetching a token first if none is cached or it is due."""
        if self._due():
            async with self._loop_lock():
                if self._due():
                    await self._renew()
        assert self._token is not None
        return await self.header_key(), f"Bearer {self._token}"

    async def refresh(self, rejected: str | None) -> bool:
        """Replace the token the backend rejected (``rejected``: the metadata value that was sent); concurrent
        callers that saw the same rejection fetch once. False when this authenticator cannot get a new one."""
        async with self._loop_lock():
            if self._token is not None and rejected != f"Bearer {self._token}":
                return True  # another call refreshed it already
            await self._renew()
        return True

    async def _renew(self) -> None:
        token, expires_in = await self._fetch()
        if not token:
            raise FlyteAuthenticationException(f"{self.describe()} returned an empty access token")
        self.fetches += 1
        self._token = token
        if expires_in and expires_in > 0:
            margin = min(_MAX_MARGIN, expires_in * _MARGIN_FRACTION)
            self._refresh_at = time.monotonic() + expires_in - margin
        else:
            self._refresh_at = None
        log.debug("%s: new token (expires in %s s)", self.describe(), expires_in)

    @abstractmethod
    async def _fetch(self) -> tuple[str, float | None]:
        """A new token and its lifetime in seconds (None: unknown)."""

    @abstractmethod
    def describe(self) -> str:
        """Names the credentials source in messages (never the secret)."""

    async def aclose(self) -> None:  # noqa: B027  (most authenticators hold no connections)
        """Release connections (the cached token is kept)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class StaticTokenAuthenticator(Authenticator):
    """A token given up front (e.g. from ``FLYTE_CREDENTIALS_ACCESS_TOKEN``); it is never refreshed."""

    def __init__(
        self, token: str, source: str = "a static access token", discovery: AuthMetadataDiscovery | None = None
    ) -> None:
        super().__init__(discovery)
        self._static, self._source = token.strip(), source

    async def refresh(self, rejected: str | None) -> bool:
        return False  # nothing new to offer: the call fails with the backend's reason

    async def _fetch(self) -> tuple[str, float | None]:
        return self._static, None

    def describe(self) -> str:
        return self._source


class CommandAuthenticator(Authenticator):
    """Runs ``command`` and uses what it prints on stdout as the token (flytekit's ``ExternalCommand``)."""

    def __init__(
        self,
        command: Sequence[str],
        discovery: AuthMetadataDiscovery | None = None,
        *,
        header: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(discovery, header)
        if not command:
            raise ValueError("auth_mode ExternalCommand needs a command (PlatformConfig.command, admin.command)")
        self.command = [str(part) for part in command]
        self.timeout = timeout

    def describe(self) -> str:
        return f"the token command {shlex.join(self.command)!r}"

    async def _fetch(self) -> tuple[str, float | None]:
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as e:
            raise FlyteAuthenticationException(f"cannot run {self.describe()}: {e.strerror or e}") from None
        try:
            out, err = await asyncio.wait_for(process.communicate(), self.timeout)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            raise FlyteAuthenticationException(f"{self.describe()} did not finish within {self.timeout:g} s") from None
        except BaseException:  # cancelled: leave no process behind
            if process.returncode is None:
                process.kill()
                await process.wait()
            raise
        if process.returncode != 0:
            stderr = err.decode(errors="replace").strip()[-2000:] or "(no output on stderr)"
            raise FlyteAuthenticationException(
                f"{self.describe()} failed with exit code {process.returncode}: {stderr}"
            )
        token = out.decode(errors="replace").strip()
        if not token:
            raise FlyteAuthenticationException(f"{self.describe()} printed no token on stdout")
        return token, None


class ClientCredentialsAuthenticator(Authenticator):
    """OAuth2 client credentials: POSTs ``grant_type=client_credentials`` with HTTP basic auth to the token endpoint
    the backend publishes, and uses the ``access_token`` until shortly before ``expires_in`` runs out."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        discovery: AuthMetadataDiscovery,
        *,
        scopes: Sequence[str] = (),
        audience: str | None = None,
        http_proxy_url: str | None = None,
        ca_cert_file_path: str | None = None,
        insecure_skip_verify: bool = False,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(discovery)
        if not client_id:
            raise ValueError("auth_mode ClientSecret needs a client id (PlatformConfig.client_id, admin.clientId)")
        if not client_secret:
            raise ValueError(
                f"auth_mode ClientSecret needs the secret of client {client_id!r} (client_credentials_secret, "
                "admin.clientSecretLocation, admin.clientSecretEnvVar or FLYTE_CREDENTIALS_CLIENT_SECRET)"
            )
        self.client_id = client_id
        self.__secret = client_secret
        self._server_config = discovery
        self.scopes = tuple(scopes)
        self.audience = audience
        self.http_proxy_url = http_proxy_url
        self.ca_cert_file_path = ca_cert_file_path
        self.insecure_skip_verify = insecure_skip_verify
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self.token_endpoint: str | None = None

    def describe(self) -> str:
        where = f" at {self.token_endpoint}" if self.token_endpoint else ""
        return f"the OAuth2 token endpoint{where} (client credentials of client {self.client_id!r})"

    def _basic_auth(self) -> str:
        # RFC 6749 2.3.1: form-urlencode both parts before joining them for HTTP basic auth
        pair = f"{urllib.parse.quote_plus(self.client_id)}:{urllib.parse.quote_plus(self.__secret)}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    def _ssl(self) -> ssl.SSLContext | bool:
        return http_ssl(self.ca_cert_file_path, self.insecure_skip_verify)

    def _http(self) -> aiohttp.ClientSession:
        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or getattr(self._session, "_loop", loop) is not loop:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def _fetch(self) -> tuple[str, float | None]:
        import aiohttp

        server = await self._server_config.get(require_token_endpoint=True)
        self.token_endpoint = server.token_endpoint
        form = {"grant_type": "client_credentials"}
        scopes = self.scopes or server.scopes
        if scopes:
            form["scope"] = " ".join(scopes)
        audience = self.audience or server.audience
        if audience:
            form["audience"] = audience
        headers = {"Authorization": self._basic_auth(), "Accept": "application/json", "Cache-Control": "no-cache"}
        try:
            async with self._http().post(
                server.token_endpoint, data=form, headers=headers, proxy=self.http_proxy_url, ssl=self._ssl()
            ) as resp:
                body: Any
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = (await resp.text())[:500]
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise FlyteAuthenticationException(f"cannot reach {self.describe()}: {type(e).__name__}: {e}") from None
        if status != 200:
            reason = body
            if isinstance(body, dict):
                reason = ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k)) or body
            hint = " (wrong client id or secret?)" if status == 401 else ""
            raise FlyteAuthenticationException(f"{self.describe()} answered HTTP {status}{hint}: {reason}")
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise FlyteAuthenticationException(f"{self.describe()} answered without an access_token")
        expires_in = body.get("expires_in")
        return body["access_token"], float(expires_in) if isinstance(expires_in, (int, float)) else None

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            if not session.closed:
                await session.close()


_CLIENT_SECRET_MODES = frozenset({"ClientSecret", "basic", "client_credentials"})
_COMMAND_MODES = frozenset({"ExternalCommand", "external_process"})


def authenticators_for(platform: PlatformConfig, discovery: AuthMetadataDiscovery) -> list[Authenticator]:
    """The authenticators ``platform`` asks for (empty: calls go out without credentials).

    ``ClientSecret`` (also ``basic``, ``client_credentials``) and ``ExternalCommand`` (also ``external_process``)
    are honoured as in flytekit. Otherwise (``Pkce``, ``DeviceFlow``: interactive flows aioflyte does not run) a
    token in ``FLYTE_CREDENTIALS_ACCESS_TOKEN`` is sent if set, else nothing. ``proxy_command`` adds a token for a
    proxy in front of Flyte, sent as ``proxy-authorization``.
    """
    mode = str(platform.auth_mode)
    found: list[Authenticator] = []
    if mode in _CLIENT_SECRET_MODES:
        found.append(
            ClientCredentialsAuthenticator(
                platform.client_id or "",
                platform.client_credentials_secret or "",
                discovery,
                scopes=platform.scopes or (),
                audience=platform.audience,
                http_proxy_url=platform.http_proxy_url,
                ca_cert_file_path=platform.ca_cert_file_path,
                insecure_skip_verify=platform.insecure_skip_verify,
            )
        )
    elif mode in _COMMAND_MODES:
        found.append(CommandAuthenticator(platform.command or (), discovery))
    else:
        token = os.environ.get(ACCESS_TOKEN_ENV_VAR, "").strip()
        if token:
            found.append(StaticTokenAuthenticator(token, f"the access token in {ACCESS_TOKEN_ENV_VAR}", discovery))
    if platform.proxy_command:
        found.append(CommandAuthenticator(platform.proxy_command, header=PROXY_HEADER_KEY))
    return found
