"""Who an execution runs as and what it may read: ``SecurityContext``, ``Identity`` (flyteidl ``core.security``).

flytekit's ``flytekit.models.security``; ``Secret`` is also what tasks request (``aioflyte.Secret``).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Self

from aioflyte.exceptions import FlyteValidationException
from aioflyte.models._base import FlyteIdlEntity, _check_type

if TYPE_CHECKING:
    from flyteidl.core import security_pb2

_SEC = "flyteidl.core.security_pb2"


class Secret(FlyteIdlEntity, idl=f"{_SEC}:Secret", none_if_empty=("group", "key", "group_version", "env_var")):
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


def secret_idl(secret: Secret) -> security_pb2.Secret:
    """The ``flyteidl.core.security_pb2.Secret`` message of a secret request (``secret.to_flyte_idl()``)."""
    return secret.to_flyte_idl()


class OAuth2Client(FlyteIdlEntity, idl=f"{_SEC}:OAuth2Client"):
    """An OAuth2 client: its id, and the ``Secret`` that holds its client secret."""

    client_id: str
    client_secret: Secret

    def __post_init__(self) -> None:
        _check_type("OAuth2Client", "client_id", self.client_id, str, optional=False)
        _check_type("OAuth2Client", "client_secret", self.client_secret, Secret, optional=False)


class OAuth2TokenRequest(
    FlyteIdlEntity,
    idl=f"{_SEC}:OAuth2TokenRequest",
    rename={"type_": "type"},
    none_if_empty=("idp_discovery_endpoint", "token_endpoint"),
):
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


class Identity(
    FlyteIdlEntity,
    idl=f"{_SEC}:Identity",
    none_if_empty=("iam_role", "k8s_service_account", "execution_identity"),
):
    """The identity an execution runs as: IAM role, Kubernetes service account, OAuth2 client, user."""

    iam_role: str | None = None
    k8s_service_account: str | None = None
    oauth2_client: OAuth2Client | None = None
    execution_identity: str | None = None

    def __post_init__(self) -> None:
        for name in ("iam_role", "k8s_service_account", "execution_identity"):
            _check_type("Identity", name, getattr(self, name), str)
        _check_type("Identity", "oauth2_client", self.oauth2_client, OAuth2Client)


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


class SecurityContext(FlyteIdlEntity, idl=f"{_SEC}:SecurityContext", unset_if_empty=("secrets", "tokens")):
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
        return None if self.is_empty else super().to_flyte_idl()

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> Self:
        """Read a message; empty lists read as ``None``, unless that would turn the message into ``None``."""
        kwargs = cls._from_kwargs(pb)
        secrets, tokens = kwargs["secrets"] or None, kwargs["tokens"] or None
        if kwargs["run_as"] is None and secrets is None and tokens is None:
            secrets = []
        return cls(run_as=kwargs["run_as"], secrets=secrets, tokens=tokens)


__all__ = ["Identity", "OAuth2Client", "OAuth2TokenRequest", "Secret", "SecurityContext", "secret_idl"]
