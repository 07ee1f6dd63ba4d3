"""The one call path of :class:`~aioflyte.remote.client.admin.AdminClient`: the grpc.aio channel (opened on first
use, inside the running loop), retries of transient failures, and translation of errors.

Transient failures (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) are retried with exponential backoff and
full jitter (tenacity) for up to ``retry_timeout`` seconds; every other failure raises at once, as the exception of
:mod:`aioflyte.remote.client.exceptions` for its status code, naming the entity.

Until the backend has answered once, the retries stop after ``connect_timeout`` seconds (5 by default), each attempt
bounded by what is left of it: an endpoint nothing listens on (or that drops packets) fails within about that long
with ``FlyteRemoteUnavailableException`` "cannot reach Flyte Admin at <endpoint> ...", not after the whole
``retry_timeout``. Once it has answered, a backend that goes away (a restart) is waited for up to ``retry_timeout``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from types import TracebackType
from typing import Any

import grpc
from flyteidl.admin import common_pb2
from flyteidl.service import admin_pb2_grpc
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)
from typing_extensions import Self

from aioflyte.exceptions import (
    FlyteEntityAlreadyExistsException,
    FlyteEntityExistsDifferentStructureException,
    FlyteEntityNotExistException,
)
from aioflyte.remote.client.auth import Authenticator, AuthMetadataDiscovery
from aioflyte.remote.client.channel import (
    connection_hint,
    fetch_server_certificate,
    make_channel,
    tls_handshake_failed,
)
from aioflyte.remote.client.errors import is_transient, translate
from aioflyte.remote.client.ids import NamedEntityIdentifier, sort_by

log = logging.getLogger("aioflyte.remote")

#: Reconnect quickly after the backend comes back (grpc's default backoff starts at 1 s and grows to 120 s).
_CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
)


class AdminTransport:
    """The channel, the retries and the error translation that every Admin call goes through (the calls
    themselves are :class:`~aioflyte.remote.client.admin.AdminClient`'s); see ``AdminClient`` for the arguments.
    """

    def __init__(
        self,
        endpoint: str,
        insecure: bool = True,
        *,
        timeout: float = 30.0,
        retry_timeout: float = 30.0,
        connect_timeout: float = 5.0,
        max_attempts: int = 20,
        initial_backoff: float = 0.05,
        max_backoff: float = 2.0,
        root_certificates: bytes | None = None,
        metadata: Sequence[tuple[str, str]] = (),
        options: Sequence[tuple[str, Any]] = (),
        auth: Callable[[AuthMetadataDiscovery], Sequence[Authenticator]] | Sequence[Authenticator] = (),
        insecure_skip_verify: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.insecure = insecure
        self.timeout = timeout
        self.retry_timeout = retry_timeout
        #: how long calls keep trying to reach a backend that has never answered this client
        self.connect_timeout = connect_timeout
        #: the backend has answered a call (from then on, unavailability is retried for ``retry_timeout``)
        self.reached = False
        self.max_attempts = max_attempts
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.metadata = tuple(metadata)
        self.retries = 0  # transient failures retried so far (observability, tests)
        self._root_certificates = root_certificates
        self._options = _CHANNEL_OPTIONS + tuple(options)
        self._channel: grpc.aio.Channel | None = None
        self._stub: admin_pb2_grpc.AdminServiceStub | None = None
        self._stubs: dict[Callable[[grpc.aio.Channel], Any], Any] = {}  # other services' stubs on the channel
        #: what the backend's AuthMetadataService says (token endpoint, metadata key); asked on first need
        self.auth_discovery = AuthMetadataDiscovery(endpoint)
        #: credentials sent on every call of every stub on the channel (see ``aioflyte.remote.client.auth``)
        self.authenticators: tuple[Authenticator, ...] = tuple(auth(self.auth_discovery) if callable(auth) else auth)
        self.insecure_skip_verify = insecure_skip_verify and not insecure

    # --- lifecycle --------------------------------------------------------------------------------------------

    def _admin(self) -> admin_pb2_grpc.AdminServiceStub:
        """The stub, creating the channel on first use (inside the running loop)."""
        if self._stub is None:
            self._channel = make_channel(
                self.endpoint, insecure=self.insecure, root_certificates=self._root_certificates,
                options=self._options, authenticators=self.authenticators,
            )  # fmt: skip
            self.auth_discovery.bind(self._channel)
            self._stub = admin_pb2_grpc.AdminServiceStub(self._channel)
        return self._stub

    async def close(self) -> None:
        """Close the channel (cancelling calls in flight); the client can be used again afterwards."""
        if self._channel is not None:
            channel, self._channel, self._stub = self._channel, None, None
            self._stubs.clear()
            await channel.close()
        for authenticator in self.authenticators:
            await authenticator.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- the one call path ------------------------------------------------------------------------------------

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        error = state.outcome.exception() if state.outcome else None
        code = error.code().name if isinstance(error, grpc.aio.AioRpcError) else type(error).__name__
        log.info("admin call failed with %s; retry %d in %.2fs", code, state.attempt_number, state.upcoming_sleep)

    def _channel_ready(self) -> bool:
        return self._channel is not None and self._channel.get_state() == grpc.ChannelConnectivity.READY

    @property
    def channel(self) -> grpc.aio.Channel:
        """The grpc.aio channel (created on first use); stubs of Flyte's other services can share it."""
        self._admin()
        assert self._channel is not None
        return self._channel

    def _service_stub(self, factory: Callable[[grpc.aio.Channel], Any]) -> Any:
        """One stub per service for the current channel (not a new one per call)."""
        channel = self.channel
        found = self._stubs.get(factory)
        if found is None:
            found = self._stubs[factory] = factory(channel)
        return found

    async def call_service(
        self, stub: Callable[[grpc.aio.Channel], Any], method: str, request: Any, entity: str | None = None
    ) -> Any:
        """Call ``method`` of another service's stub (e.g. ``SignalServiceStub``) on this client's channel, with
        the same retries, metadata and error translation as the admin calls."""
        return await self._call(method, request, entity, stub=stub)

    async def _call(
        self,
        method: str,
        request: Any,
        entity: str | None = None,
        *,
        stub: Callable[[grpc.aio.Channel], Any] | None = None,
    ) -> Any:
        """Call ``method`` with retries of transient errors; failures raise ``FlyteRemoteError`` subclasses."""
        budget = self.retry_timeout if self.reached else self.connect_timeout
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda e: is_transient(e) and not tls_handshake_failed(e)),
            wait=wait_random_exponential(multiplier=self.initial_backoff, max=self.max_backoff),
            stop=stop_after_delay(budget) | stop_after_attempt(self.max_attempts),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        if self.insecure_skip_verify and self._root_certificates is None:
            # trust whatever certificate the server presents (flytekit's insecure_skip_verify)
            self._root_certificates = await fetch_server_certificate(self.endpoint)
        deadline = time.monotonic() + budget
        try:
            async for attempt in retrying:
                with attempt:
                    rpc = getattr(self._admin() if stub is None else self._service_stub(stub), method)
                    timeout = self.timeout
                    if not self.reached:  # an unreachable endpoint must not hold a call for the whole timeout
                        timeout = min(timeout, max(deadline - time.monotonic(), 0.5))
                    try:
                        response = await rpc(request, timeout=timeout, metadata=self.metadata or None)
                    except grpc.aio.AioRpcError as e:
                        if not is_transient(e) or self._channel_ready():
                            self.reached = True  # the backend answered (an error of its own)
                        raise
                    self.reached = True
                    return response
        except grpc.aio.AioRpcError as e:
            error = translate(e, method, entity)
            if not self.reached and is_transient(e):
                error.message = (
                    f"cannot reach Flyte Admin at {self.endpoint}: no answer within {self.connect_timeout:g}s "
                    f"(is the server running there?); {method} failed with {e.code().name}: {e.details()}"
                )
            error.message += connection_hint(e, self.insecure, self.endpoint)
            raise error from e
        raise AssertionError("unreachable")  # pragma: no cover

    async def _register(self, method: str, request: Any, entity: str) -> bool:
        try:
            await self._call(method, request, entity)
        except FlyteEntityExistsDifferentStructureException:
            raise
        except FlyteEntityAlreadyExistsException:
            return False
        return True

    async def _pages(self, list_call: Any, **kwargs: Any) -> AsyncIterator[Any]:
        token = ""
        while True:
            items, token = await list_call(token=token, **kwargs)
            for item in items:
                yield item
            if not token or not items:
                return

    async def _latest(self, list_call: Any, kind: str, project: str, domain: str, name: str) -> Any:
        """The most recently registered version of a name (how Flyte clients fetch "latest")."""
        items, _ = await list_call(project, domain, name, limit=1, sort=sort_by("created_at"))
        if not items:
            entity = f"{kind} {project}/{domain}/{name}"
            raise FlyteEntityNotExistException(
                f"{entity} does not exist (no version is registered)", code=grpc.StatusCode.NOT_FOUND, entity=entity
            )
        return items[0]

    @staticmethod
    def _resource_list(
        project: str, domain: str, name: str, limit: int, token: str, sort: common_pb2.Sort | None, filters: str
    ) -> common_pb2.ResourceListRequest:
        return common_pb2.ResourceListRequest(
            id=NamedEntityIdentifier(project=project, domain=domain, name=name),
            limit=limit,
            token=token,
            sort_by=sort,
            filters=filters,
        )

    @staticmethod
    def _ids_request(
        project: str, domain: str, limit: int, token: str, sort: common_pb2.Sort | None, filters: str
    ) -> common_pb2.NamedEntityIdentifierListRequest:
        return common_pb2.NamedEntityIdentifierListRequest(
            project=project, domain=domain, limit=limit, token=token, sort_by=sort, filters=filters
        )
