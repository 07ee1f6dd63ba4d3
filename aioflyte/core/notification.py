"""Notifications sent when a workflow execution ends: ``Email``, ``Slack``, ``PagerDuty`` (as in flytekit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable

from aioflyte.core._idl import IdlHelpers
from aioflyte.exceptions import FlyteValidationException
from aioflyte.models.core.execution import WorkflowExecutionPhase as WorkflowExecutionPhase

_TERMINAL_PHASES = (
    WorkflowExecutionPhase.SUCCEEDED,
    WorkflowExecutionPhase.FAILED,
    WorkflowExecutionPhase.ABORTED,
    WorkflowExecutionPhase.TIMED_OUT,
)


def _phases(owner: str, phases: Any) -> list[WorkflowExecutionPhase]:
    """Check ``phases`` is a non-empty list of terminal phases; return them as enum members."""
    if isinstance(phases, (str, bytes)) or not isinstance(phases, Iterable):
        raise TypeError(f"{owner}: parameter 'phases' expects a list of WorkflowExecutionPhase, got {phases!r}")
    out = []
    for p in phases:
        if isinstance(p, bool) or not isinstance(p, int):
            raise TypeError(
                f"{owner}: parameter 'phases' expects WorkflowExecutionPhase members, got {type(p).__name__} ({p!r})"
            )
        if p not in _TERMINAL_PHASES:
            raise FlyteValidationException(
                f"{owner}: phase {WorkflowExecutionPhase.enum_to_string(p)} ({int(p)}) is not terminal; notifications "
                f"are sent only for {', '.join(t.name for t in _TERMINAL_PHASES)}"
            )
        out.append(WorkflowExecutionPhase(p))
    if not out:
        raise FlyteValidationException(f"{owner}: give at least one phase, e.g. [WorkflowExecutionPhase.FAILED]")
    return out


@dataclass(frozen=True)
class Notification(IdlHelpers):
    """Base of the notification kinds: the terminal ``phases`` to notify on, and who to tell."""

    phases: list[WorkflowExecutionPhase]
    recipients_email: list[str]
    _kind: ClassVar[str] = ""  # the flyteidl oneof field: email, slack or pager_duty
    VALID_PHASES: ClassVar[tuple[WorkflowExecutionPhase, ...]] = ()  # set below: the terminal phases

    @property
    def email(self) -> Any:
        """The email part of the message (None unless this is an ``Email``), as flytekit's model has it."""
        return self.to_flyte_idl().email if self._kind == "email" else None

    @property
    def slack(self) -> Any:
        return self.to_flyte_idl().slack if self._kind == "slack" else None

    @property
    def pager_duty(self) -> Any:
        return self.to_flyte_idl().pager_duty if self._kind == "pager_duty" else None

    def __post_init__(self) -> None:
        owner = type(self).__name__
        if not self._kind:
            raise TypeError("Notification is a base class: use Email, Slack or PagerDuty")
        object.__setattr__(self, "phases", _phases(owner, self.phases))
        recipients = self.recipients_email
        if isinstance(recipients, (str, bytes)) or not isinstance(recipients, Iterable):
            raise TypeError(f"{owner}: parameter 'recipients_email' expects a list of str, got {recipients!r}")
        recipients = list(recipients)
        for r in recipients:
            if not isinstance(r, str):
                raise TypeError(
                    f"{owner}: parameter 'recipients_email' expects str items, got {type(r).__name__} ({r!r})"
                )
        object.__setattr__(self, "recipients_email", recipients)

    def to_flyte_idl(self) -> Any:
        """The ``flyteidl.admin.common_pb2.Notification`` message."""
        from flyteidl.admin import common_pb2

        message = {
            "email": common_pb2.EmailNotification,
            "slack": common_pb2.SlackNotification,
            "pager_duty": common_pb2.PagerDutyNotification,
        }[self._kind]
        notification = common_pb2.Notification(phases=[int(p) for p in self.phases])  # type: ignore[misc]
        getattr(notification, self._kind).CopyFrom(message(recipients_email=self.recipients_email))
        return notification

    @staticmethod
    def from_flyte_idl(pb: Any) -> Notification:
        """The ``Email``, ``Slack`` or ``PagerDuty`` a ``Notification`` message describes."""
        kind = pb.WhichOneof("type")
        cls = {"email": Email, "slack": Slack, "pager_duty": PagerDuty}.get(kind or "")
        if cls is None:
            raise FlyteValidationException(f"Notification.from_flyte_idl: no notification type set in {pb}")
        return cls(phases=list(pb.phases), recipients_email=list(getattr(pb, kind).recipients_email))


@dataclass(frozen=True)
class Email(Notification):
    """Email ``recipients_email`` when the execution reaches one of ``phases``."""

    _kind: ClassVar[str] = "email"


@dataclass(frozen=True)
class Slack(Notification):
    """Notify Slack (through its email addresses ``recipients_email``) on ``phases``."""

    _kind: ClassVar[str] = "slack"


@dataclass(frozen=True)
class PagerDuty(Notification):
    """Notify PagerDuty (through its email addresses ``recipients_email``) on ``phases``."""

    _kind: ClassVar[str] = "pager_duty"


Notification.VALID_PHASES = _TERMINAL_PHASES
