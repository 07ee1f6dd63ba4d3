"""What every part of ``FlyteRemote`` shares: the config, the default project and domain, and the one
:class:`~aioflyte.remote.client.AdminClient` (created on first use; its gRPC channel opens on its first call, inside
the running loop), plus the defaulting of project, domain and version that registration and lookups apply.
"""

from __future__ import annotations

from typing import Any

from flyteidl.core import identifier_pb2

from aioflyte.configuration.config import Config
from aioflyte.configuration.image import ImageConfig
from aioflyte.remote.client import AdminClient
from aioflyte.remote.client.auth import authenticators_for, http_ssl
from aioflyte.remote.client.ids import ExecutionIdentifier, Identifier, ResourceType
from aioflyte.remote.serialization import SerializationSettings

TASK, LAUNCH_PLAN = identifier_pb2.TASK, identifier_pb2.LAUNCH_PLAN


class RemoteSession:
    """The backend a ``FlyteRemote`` talks to, and its defaults. ``client_kwargs`` go to the ``AdminClient``."""

    def __init__(
        self,
        config: Config,
        default_project: str | None = None,
        default_domain: str | None = None,
        client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.default_project = default_project
        self.default_domain = default_domain
        self._client_kwargs = dict(client_kwargs or {})
        self._client: AdminClient | None = None
        #: the backend's HTTP endpoint as it publishes it (None: not asked yet; "": it publishes none)
        self._service_http: str | None = None

    @property
    def client(self) -> AdminClient:
        """The async Admin client (created on first use; its channel opens on its first call)."""
        if self._client is None:
            platform = self.config.platform
            root_certificates = None
            if not platform.insecure and platform.ca_cert_file_path:
                try:
                    # read once, when the client is made (it is a certificate: small), before any call is awaited
                    with open(platform.ca_cert_file_path, "rb") as f:
                        root_certificates = f.read()
                except OSError as e:
                    raise FileNotFoundError(
                        f"ca_cert_file_path {platform.ca_cert_file_path!r} (FLYTE_PLATFORM_CA_CERT_FILE_PATH or "
                        f"admin.caCertFilePath) cannot be read: {e.strerror or e}"
                    ) from None
            kwargs = dict(self._client_kwargs)
            kwargs.setdefault("auth", lambda discovery: authenticators_for(platform, discovery))
            kwargs.setdefault("insecure_skip_verify", platform.insecure_skip_verify and not root_certificates)
            endpoint = platform.endpoint.removeprefix("dns:///")
            self._client = AdminClient(endpoint, platform.insecure, root_certificates=root_certificates, **kwargs)
        return self._client

    async def close(self) -> None:
        """Close the gRPC channel; the session can be used again afterwards (it reconnects)."""
        if self._client is not None:
            await self._client.close()

    def http_ssl(self) -> Any:
        """aiohttp's ``ssl=`` for the backend's signed URLs, from the platform's TLS settings."""
        platform = self.config.platform
        return http_ssl(platform.ca_cert_file_path, platform.insecure_skip_verify)

    # --- defaults ---------------------------------------------------------------------------------------------

    def project_domain(self, project: str | None, domain: str | None) -> tuple[str, str]:
        """``project`` and ``domain``, else the defaults; a ValueError when either is still missing."""
        p, d = project or self.default_project, domain or self.default_domain
        if not p or not d:
            raise ValueError(
                "project and domain are needed: pass them, or give FlyteRemote a default_project and default_domain"
            )
        return p, d

    def resolve_identifier(
        self, t: ResourceType, name: str, version: str | None, ss: SerializationSettings | None
    ) -> Identifier:
        """The identifier to register ``name`` under: project, domain and version from ``ss``, else the defaults."""
        ident = Identifier(
            resource_type=t,
            project=(ss.project if ss is not None and ss.project else self.default_project) or "",
            domain=(ss.domain if ss is not None and ss.domain else self.default_domain) or "",
            name=name,
            version=version or (ss.version if ss is not None else None) or "",
        )
        missing = [f for f in ("project", "domain", "name", "version") if not getattr(ident, f)]
        if missing:
            raise ValueError(
                f"cannot register {name or 'entity'}: no {', '.join(missing)} (pass version=, or set them in the "
                "SerializationSettings or FlyteRemote's default_project/default_domain)"
            )
        return ident

    def settings(
        self,
        settings: SerializationSettings | None,
        version: str | None,
        project: str | None = None,
        domain: str | None = None,
    ) -> SerializationSettings:
        """Settings with project, domain and version filled in, so references between entities resolve."""
        if settings is None:
            settings = SerializationSettings(image_config=ImageConfig.auto_default_image())
        resolved = settings.replace(
            project=project or settings.project or self.default_project,
            domain=domain or settings.domain or self.default_domain,
            version=version or settings.version,
        )
        for field in ("project", "domain", "version"):
            if not getattr(resolved, field):
                raise ValueError(
                    f"registration needs a {field}: pass version=, or set it in the SerializationSettings or "
                    "FlyteRemote's default_project/default_domain"
                )
        return resolved

    # --- console links ----------------------------------------------------------------------------------------

    async def learn_console_endpoint(self) -> None:
        """Ask the backend once where its HTTP endpoint is (``GetPublicClientConfig``'s ``service_http_endpoint``;
        ``aioflyte serve`` publishes the port its console is on), for :meth:`console_http_domain`."""
        if self._service_http is not None or self.config.platform.console_endpoint:
            return
        from flyteidl.service import auth_pb2, auth_pb2_grpc

        try:
            response = await self.client.call_service(
                auth_pb2_grpc.AuthMetadataServiceStub, "GetPublicClientConfig", auth_pb2.PublicClientAuthConfigRequest()
            )
        except Exception:  # a backend without AuthMetadataService: the console is derived from the endpoint
            self._service_http = ""
            return
        self._service_http = response.service_http_endpoint.rstrip("/")

    def console_http_domain(self) -> str:
        """Where the console is: ``console_endpoint`` if configured, else the HTTP endpoint the backend publishes
        (once learned), else the Admin endpoint over http(s)."""
        platform = self.config.platform
        if platform.console_endpoint:
            return platform.console_endpoint.rstrip("/")
        if self._service_http:
            return self._service_http
        protocol = "http" if platform.insecure else "https"
        endpoint = platform.endpoint.removeprefix("dns:///")
        return f"{protocol}://{endpoint}"

    def console_url(self, entity: Any) -> str:
        """The console page of an execution, or of an entity version (task, workflow or launch plan)."""
        base = f"{self.console_http_domain()}/console"
        ident = getattr(entity, "id", entity)
        if isinstance(ident, ExecutionIdentifier):
            return f"{base}/projects/{ident.project}/domains/{ident.domain}/executions/{ident.name}"
        ex_id = getattr(ident, "execution_id", None)
        if ex_id is not None and not isinstance(ident, Identifier):  # node or task execution
            if isinstance(ex_id, ExecutionIdentifier):
                return f"{base}/projects/{ex_id.project}/domains/{ex_id.domain}/executions/{ex_id.name}"
        if not isinstance(ident, Identifier):
            raise ValueError(f"cannot generate a console URL for {entity!r}")
        rt = {TASK: "task", LAUNCH_PLAN: "launch_plan"}.get(ident.resource_type, "workflow")
        return f"{base}/projects/{ident.project}/domains/{ident.domain}/{rt}/{ident.name}/version/{ident.version}"


__all__ = ["RemoteSession"]
