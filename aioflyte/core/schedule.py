"""Launch plan schedules: ``CronSchedule`` and ``FixedRate``, as flytekit names them, with flyteidl forms; and
flytekit's trigger protocol (``LaunchPlanTriggerBase``) with ``OnSchedule``, a trigger made of a schedule."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Protocol, Union, runtime_checkable

from aioflyte.core._idl import IdlHelpers
from aioflyte.exceptions import FlyteValidationException

# Aliases Flyte accepts with or without the leading "@" (any case), and the plural forms flytekit accepts, as the
# "@" forms croniter knows.
_ALIASES = {
    "hourly": "@hourly",
    "hours": "@hourly",
    "daily": "@daily",
    "days": "@daily",
    "weekly": "@weekly",
    "weeks": "@weekly",
    "monthly": "@monthly",
    "months": "@monthly",
    "yearly": "@yearly",
    "years": "@yearly",
    "annually": "@annually",
}
# ISO 8601 duration with at least one component; fractions only on time components.
_ISO_DURATION = re.compile(
    r"[+-]?P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?"
    r"(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?"
)
_UINT32_MAX = 2**32 - 1


def _check_type(owner: str, name: str, value: Any, expected: type, optional: bool = True) -> None:
    """Raise TypeError naming the class, the parameter, the expected and the actual type."""
    if (value is None and optional) or (isinstance(value, expected) and not isinstance(value, bool)):
        return
    want = expected.__name__ + (" or None" if optional else "")
    raise TypeError(f"{owner}: parameter {name!r} expects {want}, got {type(value).__name__} ({value!r})")


def _croniter_form(expression: str) -> str:
    """The expression as croniter reads it: aliases (``daily``, ``DAYS``, ``@Daily``) as their ``@`` form."""
    return _ALIASES.get(expression.lower().removeprefix("@"), expression)


class FixedRateUnit:
    """Units of a fixed rate, with flyteidl's values (``MINUTE`` 0, ``HOUR`` 1, ``DAY`` 2)."""

    MINUTE = 0
    HOUR = 1
    DAY = 2

    @classmethod
    def enum_to_string(cls, value: int) -> str:
        return {0: "MINUTE", 1: "HOUR", 2: "DAY"}.get(value, "<UNKNOWN>")


@dataclass(frozen=True)
class CronExpression:
    """A schedule's cron part as flytekit's models show it (``schedule.cron_schedule``)."""

    schedule: str
    offset: str | None = None

    def to_flyte_idl(self) -> Any:
        from flyteidl.admin import schedule_pb2

        return schedule_pb2.CronSchedule(schedule=self.schedule, offset=self.offset)


@dataclass(frozen=True)
class Rate:
    """A schedule's fixed rate as flytekit's models show it (``schedule.rate``): ``value`` of ``unit``."""

    value: int
    unit: int

    def to_flyte_idl(self) -> Any:
        from flyteidl.admin import schedule_pb2

        return schedule_pb2.FixedRate(value=self.value, unit=self.unit)  # type: ignore[arg-type]


class _ScheduleModel(IdlHelpers):
    """What flytekit's schedule model adds to both kinds: the parts, and the message helpers."""

    FixedRateUnit = FixedRateUnit
    cron_schedule: CronExpression | None = None
    rate: Rate | None = None

    @property
    def schedule_expression(self) -> CronExpression | Rate | None:
        """The cron part or the rate, whichever this schedule has."""
        return self.cron_schedule or self.rate


@dataclass(frozen=True)
class CronSchedule(_ScheduleModel):
    """Run a launch plan on a cron ``schedule`` (5 fields, or an alias such as ``@daily``)."""

    cron_expression: str | None = None
    schedule: str | None = None
    offset: str | None = None
    kickoff_time_input_arg: str | None = None

    def __post_init__(self) -> None:
        for name in ("cron_expression", "schedule", "offset", "kickoff_time_input_arg"):
            _check_type("CronSchedule", name, getattr(self, name), str)
        if self.cron_expression is not None:
            raise FlyteValidationException(
                f"CronSchedule: cron_expression={self.cron_expression!r} is the deprecated AWS form, which Flyte no "
                "longer accepts (flytekit rejects it too); use schedule= with a 5-field cron expression or an alias"
            )
        if self.schedule is None:
            raise FlyteValidationException(
                "CronSchedule: schedule= is required, e.g. CronSchedule(schedule='0 * * * *')"
            )
        self._validate_schedule(self.schedule)
        if self.offset is not None and not _ISO_DURATION.fullmatch(self.offset):
            raise FlyteValidationException(
                f"CronSchedule: offset must be an ISO 8601 duration such as 'P1D' or 'PT1H', got {self.offset!r}"
            )

    @staticmethod
    def _validate_schedule(expression: str) -> None:
        from croniter import croniter

        try:
            croniter(_croniter_form(expression), datetime.datetime.now()).get_next(datetime.datetime)
        except (ValueError, KeyError, TypeError) as e:  # croniter's errors subclass ValueError/KeyError
            raise FlyteValidationException(
                f"CronSchedule: schedule {expression!r} is not a valid cron expression: {e}"
            ) from e

    @property
    def cron_schedule(self) -> CronExpression:  # type: ignore[override]
        """The cron expression and offset (flytekit's ``cron_schedule`` model)."""
        return CronExpression(self.schedule or "", self.offset)

    def next_after(self, dt: datetime.datetime) -> datetime.datetime:
        """The first time strictly after ``dt`` that the schedule fires (same tz-awareness as ``dt``)."""
        from croniter import croniter

        expression = _croniter_form(self.schedule or "")
        if not expression.startswith("@") and len(expression.split()) != 5:
            raise FlyteValidationException(
                f"CronSchedule.next_after: schedule {self.schedule!r} has {len(expression.split())} fields; local "
                "scheduling (like Flyte's native scheduler) runs only 5-field expressions and aliases"
            )
        return croniter(expression, dt).get_next(datetime.datetime)

    def to_flyte_idl(self) -> Any:
        """The ``flyteidl.admin.schedule_pb2.Schedule`` message."""
        from flyteidl.admin import schedule_pb2

        return schedule_pb2.Schedule(
            cron_schedule=schedule_pb2.CronSchedule(schedule=self.schedule, offset=self.offset),
            kickoff_time_input_arg=self.kickoff_time_input_arg,
        )

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> CronSchedule:
        """Read a ``Schedule`` message holding a ``cron_schedule``."""
        if pb.WhichOneof("ScheduleExpression") != "cron_schedule":
            raise FlyteValidationException(f"CronSchedule.from_flyte_idl: expected a cron_schedule, got {pb}")
        cron = pb.cron_schedule
        return cls(
            schedule=cron.schedule, offset=cron.offset or None, kickoff_time_input_arg=pb.kickoff_time_input_arg or None
        )


@dataclass(frozen=True)
class FixedRate(_ScheduleModel):
    """Run a launch plan every ``duration`` (whole minutes; sent in days, hours or minutes)."""

    duration: datetime.timedelta
    kickoff_time_input_arg: str | None = None

    def __post_init__(self) -> None:
        _check_type("FixedRate", "duration", self.duration, datetime.timedelta, optional=False)
        _check_type("FixedRate", "kickoff_time_input_arg", self.kickoff_time_input_arg, str)
        if self.duration <= datetime.timedelta(0):
            raise FlyteValidationException(f"FixedRate: duration must be positive, got {self.duration}")
        if self.duration % datetime.timedelta(minutes=1):
            raise FlyteValidationException(
                f"FixedRate: duration must be a whole number of minutes (sub-minute rates are not supported), "
                f"got {self.duration}"
            )
        if self._value_and_unit()[0] > _UINT32_MAX:
            raise FlyteValidationException(f"FixedRate: duration {self.duration} is too long to express")

    def _value_and_unit(self) -> tuple[int, str]:
        """The largest unit (DAY, HOUR, MINUTE) that divides the duration evenly, and the count of it."""
        for unit, size in (("DAY", datetime.timedelta(days=1)), ("HOUR", datetime.timedelta(hours=1))):
            if not self.duration % size:
                return self.duration // size, unit
        return self.duration // datetime.timedelta(minutes=1), "MINUTE"

    @property
    def rate(self) -> Rate:  # type: ignore[override]
        """The rate as a count of the largest whole unit (flytekit's ``rate`` model)."""
        value, unit = self._value_and_unit()
        return Rate(value, getattr(FixedRateUnit, unit))

    @property
    def cron_expression(self) -> None:
        return None

    def next_after(self, dt: datetime.datetime) -> datetime.datetime:
        """The next firing after a run at ``dt``: ``dt + duration``."""
        return dt + self.duration

    def to_flyte_idl(self) -> Any:
        """The ``flyteidl.admin.schedule_pb2.Schedule`` message."""
        from flyteidl.admin import schedule_pb2

        value, unit = self._value_and_unit()
        return schedule_pb2.Schedule(
            rate=schedule_pb2.FixedRate(value=value, unit=schedule_pb2.FixedRateUnit.Value(unit)),
            kickoff_time_input_arg=self.kickoff_time_input_arg,
        )

    @classmethod
    def from_flyte_idl(cls, pb: Any) -> FixedRate:
        """Read a ``Schedule`` message holding a ``rate``."""
        from flyteidl.admin import schedule_pb2

        if pb.WhichOneof("ScheduleExpression") != "rate":
            raise FlyteValidationException(f"FixedRate.from_flyte_idl: expected a rate, got {pb}")
        sizes = {
            schedule_pb2.MINUTE: datetime.timedelta(minutes=1),
            schedule_pb2.HOUR: datetime.timedelta(hours=1),
            schedule_pb2.DAY: datetime.timedelta(days=1),
        }
        return cls(pb.rate.value * sizes[pb.rate.unit], kickoff_time_input_arg=pb.kickoff_time_input_arg or None)


@runtime_checkable
class LaunchPlanTriggerBase(Protocol):
    """What may be a launch plan's ``trigger``: something with a flyteidl form."""

    def to_flyte_idl(self, *args: Any, **kwargs: Any) -> Any: ...


class OnSchedule(LaunchPlanTriggerBase):
    """A trigger that fires on a schedule (a ``CronSchedule`` or a ``FixedRate``)."""

    def __init__(self, schedule: Union[CronSchedule, FixedRate]) -> None:
        if not isinstance(schedule, (CronSchedule, FixedRate)):
            raise FlyteValidationException(
                f"OnSchedule: schedule expected a CronSchedule or FixedRate, got {type(schedule).__name__}"
            )
        self._schedule = schedule

    @property
    def schedule(self) -> Union[CronSchedule, FixedRate]:
        return self._schedule

    def to_flyte_idl(self, *args: Any, **kwargs: Any) -> Any:
        return self._schedule.to_flyte_idl()
