"""Who an execution runs as and what it may read: ``SecurityContext``, ``Identity`` (flyteidl ``core.security``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from aioflyte.exceptions import FlyteValidationException

if TYPE_CHECKING:
    from flyteidl.core import security_pb2


@dataclass(frozen=True)
class Secret:
    """A secret a task requests by ``group`` and ``key`` (as in flytekit's ``Secret``)."""

    class MountType(enum.IntEnum):
        ANY = 0
        ENV_VAR = 1
        FILE = 2

    group: str | None = None
    key: str | None = None
    group_version: str | None = None
    mount_requirement: Secret.MountType = MountType.ANY
    env_var: str | None = None

    def __post_init__(self) -> None:
        if not self.group and not self.key:
            raise FlyteValidationException("Secret needs a group or a key (Secret(group=..., key=...))")


def _check_type(owner: str, name: str, value: Any, expected: type, optional: bool = True) -> None:
    """Raise TypeError naming the class, the parameter, the expected and the actual type."""
    if (value is None and optional) or isinstance(value, expected):
        return
    want = expected.__name__ + (" or None" if optional else "")
    raise TypeError(f"{owner}: parameter {name!r} expects {want}, got {type(value).__name__} ({value!r})")


def secret_idl(secret: Secret) -> security_pb2.Secret:
    """The ``flyteidl.core.security_pb2.Secret`` message of a secret request."""
    from flyteidl.core import security_pb2

    return security_pb2.Secret(
        group=secret.group,
        group_version=secret.group_version,
        key=secret.key,
        mount_requirement=cast(security_pb2.Secret.MountType, int(secret.mount_requirement)),  # the same numbers
        env_var=secret.env_var,
    )


def _secret_from_idl(pb: Any) -> Secret:
    return Secret(
        group=pb.group or None,
        key=pb.key or None,
        group_version=pb.group_version or None,
        mount_requirement=Secret.MountType(pb.mount_requirement),
        env_var=pb.env_var or None,
    )


@dataclass(frozen=True)
class OAuth2Client:
    """An OAuth2 client: its id, and the ``Secret`` that holds its client secret."""

    client_id: str
    client_secret: Secret

    def __post_init__(self) -> None:
        _check_type("OAuth2Client", "client_id", self.client_id, str, optional=False)
        _check_type("OAuth2Client", "client_secret", self.client_secret, Secret, optional=False)

    def to_flyte_idl(self) -> Any:
        """The ``flyteidl.core.security_pb2.OAuth2Client`` message."""
        from flyteidl.core import security_pb2

        return security_pb2.OAuth2Client(client_id=self.client_id, client_secret=secret_idl(self.client_secret))

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> OAuth2Client:
        return cls(client_id=pb.client_id, client_secret=_secret_from_idl(pb.client_secret))


@dataclass(frozen=True)
class OAuth2TokenRequest:
    """A token the platform fetches for the execution with ``client``'s credentials."""

    class Type(enum.IntEnum):
        CLIENT_CREDENTIALS = 0

    name: str
    client: OAuth2Client
    idp_discovery_endpoint: str | None = None
    token_endpoint: str | None = None
    type_: OAuth2TokenRequest.Type = Type.CLIENT_CREDENTIALS

    def __post_init__(self) -> None:
        _check_type("OAuth2TokenRequest", "name", self.name, str, optional=False)
        _check_type("OAuth2TokenRequest", "client", self.client, OAuth2Client, optional=False)
        _check_type("OAuth2TokenRequest", "idp_discovery_endpoint", self.idp_discovery_endpoint, str)
        _check_type("OAuth2TokenRequest", "token_endpoint", self.token_endpoint, str)

    def to_flyte_idl(self) -> Any:
        """The ``flyteidl.core.security_pb2.OAuth2TokenRequest`` message."""
        from flyteidl.core import security_pb2

        return security_pb2.OAuth2TokenRequest(
            name=self.name,
            type=cast(security_pb2.OAuth2TokenRequest.Type, int(self.type_)),  # the same numbers
            client=self.client.to_flyte_idl(),
            idp_discovery_endpoint=self.idp_discovery_endpoint,
            token_endpoint=self.token_endpoint,
        )

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> OAuth2TokenRequest:
        return cls(
            name=pb.name,
            client=OAuth2Client.from_flyte_idl(pb.client),
            idp_discovery_endpoint=pb.idp_discovery_endpoint or None,
            token_endpoint=pb.token_endpoint or None,
            type_=cls.Type(pb.type),
        )


@dataclass(frozen=True)
class Identity:
    """The identity an execution runs as: IAM role, Kubernetes service account, OAuth2 client, user."""

    iam_role: str | None = None
    k8s_service_account: str | None = None
    oauth2_client: OAuth2Client | None = None
    execution_identity: str | None = None

    def __post_init__(self) -> None:
        for name in ("iam_role", "k8s_service_account", "execution_identity"):
            _check_type("Identity", name, getattr(self, name), str)
        _check_type("Identity", "oauth2_client", self.oauth2_client, OAuth2Client)

    def to_flyte_idl(self) -> Any:
        """The ``flyteidl.core.security_pb2.Identity`` message."""
        from flyteidl.core import security_pb2

        return security_pb2.Identity(
            iam_role=self.iam_role,
            k8s_service_account=self.k8s_service_account,
            oauth2_client=self.oauth2_client.to_flyte_idl() if self.oauth2_client else None,
            execution_identity=self.execution_identity,
        )

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> Identity:
        return cls(
            iam_role=pb.iam_role or None,
            k8s_service_account=pb.k8s_service_account or None,
            oauth2_client=OAuth2Client.from_flyte_idl(pb.oauth2_client) if pb.HasField("oauth2_client") else None,
            execution_identity=pb.execution_identity or None,
        )


def _list_of(owner: str, name: str, value: Any, item_type: type) -> list[Any] | None:
    """``None`` stays ``None``; one item becomes a list of one (as flytekit does); items are type-checked."""
    if value is None:
        return None
    items = [value] if isinstance(value, item_type) else value
    if not isinstance(items, (list, tuple)):
        raise TypeError(
            f"{owner}: parameter {name!r} expects a list of {item_type.__name__}, got {type(value).__name__}"
        )
    for item in items:
        _check_type(owner, name, item, item_type, optional=False)
    return list(items)


@dataclass(frozen=True)
class SecurityContext:
    """What an execution runs as (``run_as``) and the ``secrets`` and OAuth2 ``tokens`` it may use."""

    run_as: Identity | None = None
    secrets: list[Secret] | None = None
    tokens: list[OAuth2TokenRequest] | None = None

    def __post_init__(self) -> None:
        _check_type("SecurityContext", "run_as", self.run_as, Identity)
        object.__setattr__(self, "secrets", _list_of("SecurityContext", "secrets", self.secrets, Secret))
        object.__setattr__(self, "tokens", _list_of("SecurityContext", "tokens", self.tokens, OAuth2TokenRequest))

    @property
    def is_empty(self) -> bool:
        """True when nothing is set (``to_flyte_idl`` then returns ``None``, as flytekit's does)."""
        return self.run_as is None and self.secrets is None and self.tokens is None

    def to_flyte_idl(self) -> Any:
        """The ``flyteidl.core.security_pb2.SecurityContext`` message, or ``None`` when nothing is set."""
        from flyteidl.core import security_pb2

        if self.is_empty:
            return None
        return security_pb2.SecurityContext(
            run_as=self.run_as.to_flyte_idl() if self.run_as else None,
            secrets=[secret_idl(s) for s in self.secrets or ()],
            tokens=[t.to_flyte_idl() for t in self.tokens or ()],
        )

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> SecurityContext:
        """Read a message; empty lists read as ``None``, unless that would turn the message into ``None``."""
        run_as = Identity.from_flyte_idl(pb.run_as) if pb.HasField("run_as") else None
        secrets = [_secret_from_idl(s) for s in pb.secrets] or None
        tokens = [OAuth2TokenRequest.from_flyte_idl(t) for t in pb.tokens] or None
        if run_as is None and secrets is None and tokens is None:
            secrets = []
        return cls(run_as=run_as, secrets=secrets, tokens=tokens)
