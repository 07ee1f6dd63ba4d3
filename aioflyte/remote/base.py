"""The construction, properties and lifecycle of ``FlyteRemote`` (:class:`RemoteBase`), and the parts it is made of.

Each part is in its own module and is given what it uses:

* :class:`~aioflyte.remote.session.RemoteSession`: the config, the defaults and the one
  :class:`~aioflyte.remote.client.AdminClient` (grpc.aio) that every call goes through;
* :class:`~aioflyte.remote.registry.Registry`: registration and lookup (``register_*``, ``fetch_*``, ...);
* :class:`~aioflyte.remote.executions.Executions`: ``execute``, ``wait``, ``sync_execution``, ...;
* :class:`~aioflyte.remote.signals.Signals`, :class:`~aioflyte.remote.data.DataTransfer`,
  :class:`~aioflyte.remote.fast.FastRegistration` and :class:`~aioflyte.remote.backfill.Backfills`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from typing_extensions import Self

from aioflyte.configuration.config import Config
from aioflyte.remote.backfill import Backfills
from aioflyte.remote.client import AdminClient
from aioflyte.remote.client.dataproxy import DataProxyClient
from aioflyte.remote.client.ids import Identifier
from aioflyte.remote.client.signal import SignalClient
from aioflyte.remote.data import DataTransfer
from aioflyte.remote.entities import FlyteLaunchPlan, FlyteTask
from aioflyte.remote.executions import Executions
from aioflyte.remote.fast import FastRegistration
from aioflyte.remote.registry import Registry
from aioflyte.remote.serialization import SerializationSettings
from aioflyte.remote.session import RemoteSession
from aioflyte.remote.signals import Signals

#: flytekit's default; where ``upload_file`` would put data (unused by registration).
DEFAULT_DATA_UPLOAD_LOCATION = "flyte://my-s3-bucket/data"


class RemoteBase:
    """What :class:`~aioflyte.remote.remote.FlyteRemote` is made of (its parts, built from the config), how it is
    constructed, its properties and its lifecycle; ``FlyteRemote`` adds the calls."""

    def __init__(
        self,
        config: Config,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_DATA_UPLOAD_LOCATION,
        interactive_mode_enabled: bool | None = None,
        **kwargs: Any,
    ) -> None:
        if config is None or config.platform is None or not config.platform.endpoint:
            raise ValueError("FlyteRemote needs a Config with a platform endpoint (e.g. Config.for_endpoint(...))")
        self._data_upload_location = data_upload_location
        self._interactive_mode_enabled = bool(interactive_mode_enabled)
        self._session = session = RemoteSession(config, default_project, default_domain, kwargs)
        self._registry = registry = Registry(session)
        self._executions = executions = Executions(session, registry)
        self._signals = Signals(session)
        self._data = data = DataTransfer(session)
        self._fast = FastRegistration(session, registry, data)
        self._backfills = Backfills(session, registry, executions)

    # --- construction -----------------------------------------------------------------------------------------

    @classmethod
    def auto(
        cls,
        config_file: Any = None,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_DATA_UPLOAD_LOCATION,
        interactive_mode_enabled: bool = False,
        **kwargs: Any,
    ) -> Self:
        """A remote configured from the environment and config file (``Config.auto``)."""
        return cls(
            Config.auto(config_file), default_project, default_domain, data_upload_location,
            interactive_mode_enabled, **kwargs,
        )  # fmt: skip

    @classmethod
    def for_endpoint(
        cls,
        endpoint: str,
        insecure: bool = False,
        data_config: Any = None,
        config_file: Any = None,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = DEFAULT_DATA_UPLOAD_LOCATION,
        interactive_mode_enabled: bool = False,
        **kwargs: Any,
    ) -> Self:
        """A remote for ``endpoint`` (``host:port``); ``insecure=True`` for plaintext (e.g. the local server)."""
        config = Config.for_endpoint(endpoint, insecure, data_config, config_file)
        return cls(config, default_project, default_domain, data_upload_location, interactive_mode_enabled, **kwargs)

    @classmethod
    def for_sandbox(
        cls,
        default_project: str | None = None,
        default_domain: str | None = None,
        data_upload_location: str = "s3://my-s3-bucket/data",
        interactive_mode_enabled: bool = False,
        **kwargs: Any,
    ) -> Self:
        """A remote for the flytectl sandbox (``localhost:30080``, plaintext)."""
        return cls(
            Config.for_sandbox(), default_project, default_domain, data_upload_location,
            interactive_mode_enabled, **kwargs,
        )  # fmt: skip

    # --- properties and lifecycle -----------------------------------------------------------------------------

    @property
    def config(self) -> Config:
        return self._session.config

    @property
    def default_project(self) -> str | None:
        return self._session.default_project

    @property
    def default_domain(self) -> str | None:
        return self._session.default_domain

    @property
    def data_upload_location(self) -> str:
        return self._data_upload_location

    @property
    def interactive_mode_enabled(self) -> bool:
        return self._interactive_mode_enabled

    @property
    def client(self) -> AdminClient:
        """The async Admin client (created on first use; its channel opens on its first call)."""
        return self._session.client

    @property
    def signal_client(self) -> SignalClient:
        """The SignalService calls, on the same channel (and retries) as :attr:`client`."""
        return self._signals.signal_client

    @property
    def dataproxy(self) -> DataProxyClient:
        """The data proxy client, on the admin client's channel."""
        return self._data.dataproxy

    async def close(self) -> None:
        """Close the gRPC channel; the remote can be used again afterwards (it reconnects)."""
        await self._session.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return (
            f"FlyteRemote({self.config.platform.endpoint!r}, default_project={self.default_project!r}, "
            f"default_domain={self.default_domain!r})"
        )

    # --- what RemoteController, the CLI and tests use of the parts --------------------------------------------

    def _project_domain(self, project: str | None, domain: str | None) -> tuple[str, str]:
        return self._session.project_domain(project, domain)

    def _settings(
        self,
        settings: SerializationSettings | None,
        version: str | None,
        project: str | None = None,
        domain: str | None = None,
    ) -> SerializationSettings:
        return self._session.settings(settings, version, project, domain)

    def _http_ssl(self) -> Any:
        return self._session.http_ssl()

    async def _register_all(
        self, messages: list[Any], settings: SerializationSettings, version: str | None
    ) -> list[Identifier | None]:
        return await self._registry.register_all(messages, settings, version)

    async def _fetch_or_register(
        self,
        entity: Any,
        kind: str,
        project: str,
        domain: str,
        name: str | None,
        version: str,
        settings: SerializationSettings | None,
        options: Any,
    ) -> FlyteTask | FlyteLaunchPlan:
        return await self._registry.fetch_or_register(entity, kind, project, domain, name, version, settings, options)

    # --- console links ----------------------------------------------------------------------------------------

    def generate_console_http_domain(self) -> str:
        """Where the console is: ``console_endpoint`` if configured, else the Admin endpoint over http(s)."""
        return self._session.console_http_domain()

    def generate_console_url(self, entity: Any) -> str:
        """The console page of an execution, or of an entity version (task, workflow or launch plan)."""
        return self._session.console_url(entity)


__all__ = ["DEFAULT_DATA_UPLOAD_LOCATION", "RemoteBase"]
