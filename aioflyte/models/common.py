"""flytekit's ``flytekit.models.common``: the model base class and the small admin messages (labels, notifications)."""

from __future__ import annotations

from typing import Any

from aioflyte.models._base import FlyteCustomIdlEntity, FlyteIdlEntity, _check_type

_ADMIN = "flyteidl.admin.common_pb2"


class NamedEntityIdentifier(FlyteIdlEntity, idl=f"{_ADMIN}:NamedEntityIdentifier"):
    """The project, domain and (optionally) name of a family of entities, across versions."""

    project: str
    domain: str
    name: str | None = None


class EmailNotification(FlyteIdlEntity, idl=f"{_ADMIN}:EmailNotification"):
    recipients_email: list[str]


class SlackNotification(FlyteIdlEntity, idl=f"{_ADMIN}:SlackNotification"):
    recipients_email: list[str]


class PagerDutyNotification(FlyteIdlEntity, idl=f"{_ADMIN}:PagerDutyNotification"):
    recipients_email: list[str]


class Notification(FlyteIdlEntity, idl=f"{_ADMIN}:Notification"):
    """The admin message of a notification: the phases it fires on and one of email, PagerDuty, Slack.

    What users write is ``aioflyte.Email``/``Slack``/``PagerDuty`` (``aioflyte.core.notification``); this is the
    message-level model flytekit keeps in ``flytekit.models.common``.
    """

    phases: list[int]
    email: EmailNotification | None = None
    pager_duty: PagerDutyNotification | None = None
    slack: SlackNotification | None = None


def _str_dict(owner: str, values: Any) -> dict[str, str]:
    if not isinstance(values, dict):
        raise TypeError(f"{owner}: parameter 'values' expects dict[str, str], got {type(values).__name__}")
    for k, v in values.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(
                f"{owner}: parameter 'values' expects dict[str, str], got item {k!r}: {v!r} "
                f"({type(k).__name__}: {type(v).__name__})"
            )
    return dict(values)


class Labels(FlyteIdlEntity, idl=f"{_ADMIN}:Labels"):
    """Kubernetes labels applied to an execution's resources."""

    values: dict[str, str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _str_dict("Labels", self.values))


class Annotations(FlyteIdlEntity, idl=f"{_ADMIN}:Annotations"):
    """Kubernetes annotations applied to an execution's resources."""

    values: dict[str, str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _str_dict("Annotations", self.values))


class UrlBlob(FlyteIdlEntity, idl=f"{_ADMIN}:UrlBlob"):
    """A signed URL to data and its size in bytes."""

    url: str
    bytes: int


class AuthRole(
    FlyteIdlEntity, idl=f"{_ADMIN}:AuthRole", none_if_empty=("assumable_iam_role", "kubernetes_service_account")
):
    """The IAM role and/or Kubernetes service account an execution runs as (older form of ``SecurityContext``)."""

    assumable_iam_role: str | None = None
    kubernetes_service_account: str | None = None

    def __post_init__(self) -> None:
        _check_type("AuthRole", "assumable_iam_role", self.assumable_iam_role, str)
        _check_type("AuthRole", "kubernetes_service_account", self.kubernetes_service_account, str)


class RawOutputDataConfig(FlyteIdlEntity, idl=f"{_ADMIN}:RawOutputDataConfig"):
    """Where an execution writes offloaded data (files, dataframes): a prefix such as ``s3://bucket/path``."""

    output_location_prefix: str

    def __post_init__(self) -> None:
        _check_type("RawOutputDataConfig", "output_location_prefix", self.output_location_prefix, str, optional=False)


class Envs(FlyteIdlEntity, idl=f"{_ADMIN}:Envs", rename={"envs": "values"}):
    """Environment variables set for an execution."""

    envs: dict[str, str]


__all__ = [
    "Annotations",
    "AuthRole",
    "EmailNotification",
    "Envs",
    "FlyteCustomIdlEntity",
    "FlyteIdlEntity",
    "Labels",
    "NamedEntityIdentifier",
    "Notification",
    "PagerDutyNotification",
    "RawOutputDataConfig",
    "SlackNotification",
    "UrlBlob",
]
