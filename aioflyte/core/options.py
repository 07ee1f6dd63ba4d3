"""Execution options of launch plans and runs: ``Options`` and the pieces it carries, as flytekit names them.

``Labels``, ``Annotations``, ``AuthRole`` and ``RawOutputDataConfig`` are the model classes of
``aioflyte.models.common`` (flytekit's ``flytekit.models.common``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from aioflyte.core.notification import Notification
from aioflyte.exceptions import FlyteValidationException
from aioflyte.models.common import Annotations as Annotations
from aioflyte.models.common import AuthRole as AuthRole
from aioflyte.models.common import Labels as Labels
from aioflyte.models.common import RawOutputDataConfig as RawOutputDataConfig
from aioflyte.models.security import Identity, SecurityContext


def _check_type(owner: str, name: str, value: Any, expected: type, optional: bool = True) -> None:
    """Raise TypeError naming the class, the parameter, the expected and the actual type."""
    if value is None and optional:
        return
    if isinstance(value, expected) and (expected is bool or not isinstance(value, bool)):
        return
    want = expected.__name__ + (" or None" if optional else "")
    raise TypeError(f"{owner}: parameter {name!r} expects {want}, got {type(value).__name__} ({value!r})")


class WorkflowFailurePolicy(enum.IntEnum):
    """What a workflow does when a node fails (flyteidl ``WorkflowMetadata.OnFailurePolicy``)."""

    FAIL_IMMEDIATELY = 0
    FAIL_AFTER_EXECUTABLE_NODES_COMPLETE = 1


@dataclass
class Options:
    """Settings for a launch plan at registration, or overrides for one execution."""

    labels: Labels | None = None
    annotations: Annotations | None = None
    raw_output_data_config: RawOutputDataConfig | None = None
    security_context: SecurityContext | None = None
    max_parallelism: int | None = None
    notifications: list[Notification] | None = None
    disable_notifications: bool | None = None
    overwrite_cache: bool | None = None

    def __post_init__(self) -> None:
        _check_type("Options", "labels", self.labels, Labels)
        _check_type("Options", "annotations", self.annotations, Annotations)
        _check_type("Options", "raw_output_data_config", self.raw_output_data_config, RawOutputDataConfig)
        _check_type("Options", "security_context", self.security_context, SecurityContext)
        _check_type("Options", "max_parallelism", self.max_parallelism, int)
        if self.max_parallelism is not None and self.max_parallelism < 0:
            raise FlyteValidationException(f"Options: max_parallelism must be >= 0, got {self.max_parallelism}")
        if self.notifications is not None:
            if not isinstance(self.notifications, (list, tuple)):
                raise TypeError(
                    f"Options: parameter 'notifications' expects a list of Notification, "
                    f"got {type(self.notifications).__name__}"
                )
            for n in self.notifications:
                _check_type("Options", "notifications", n, Notification, optional=False)
            self.notifications = list(self.notifications)
        _check_type("Options", "disable_notifications", self.disable_notifications, bool)
        _check_type("Options", "overwrite_cache", self.overwrite_cache, bool)

    @classmethod
    def default_from(cls, k8s_service_account: str | None = None, raw_data_prefix: str | None = None) -> Options:
        """Options running as ``k8s_service_account`` and writing offloaded data under ``raw_data_prefix``."""
        return cls(
            raw_output_data_config=RawOutputDataConfig(raw_data_prefix) if raw_data_prefix else None,
            security_context=(
                SecurityContext(run_as=Identity(k8s_service_account=k8s_service_account))
                if k8s_service_account
                else None
            ),
        )
