"""``TaskMetadata``: the per-task settings that Flyte keeps in a task template's metadata."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from aioflyte.exceptions import FlyteValidationException


def to_timedelta(entity: str, timeout: datetime.timedelta | int | float | None) -> datetime.timedelta | None:
    """Normalise ``timeout`` (timedelta or seconds) and reject nonsense with a clear error."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (datetime.timedelta, int, float)):
        raise FlyteValidationException(
            f"{entity}: parameter 'timeout' expected datetime.timedelta or seconds (int/float), "
            f"got {type(timeout).__name__}"
        )
    td = timeout if isinstance(timeout, datetime.timedelta) else datetime.timedelta(seconds=timeout)
    if td.total_seconds() <= 0:
        raise FlyteValidationException(f"{entity}: parameter 'timeout' must be positive, got {timeout!r}")
    return td


@dataclass
class TaskMetadata:
    """Metadata of a task, with flytekit's field names."""

    cache: bool = False
    cache_serialize: bool = False
    cache_version: str = ""
    cache_ignore_input_vars: tuple[str, ...] = ()
    interruptible: bool | None = None
    deprecated: str = ""
    retries: int = 0
    timeout: datetime.timedelta | None = None
    pod_template_name: str | None = None
    generates_deck: bool = False
    is_eager: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise FlyteValidationException(
                f"parameter 'retries' expected a non-negative int, got {type(self.retries).__name__} ({self.retries!r})"
            )
        if self.cache and not self.cache_version:
            raise FlyteValidationException("caching is enabled but cache_version is empty")
