"""Fires the server's ACTIVE scheduled launch plans (cron and fixed-rate), as Flyte's native scheduler does.

One asyncio task keeps a heap of next firing times. Each firing goes through the server's own CreateExecution
(one validation path) with ``mode=SCHEDULED``, ``scheduled_at`` and the kickoff time input, under a name derived
from the launch plan id and the scheduled time (flyteadmin's derivation), so a time is never fired twice:
ALREADY_EXISTS means it was fired already. Activating or deactivating a launch plan wakes the task, which re-reads
the active schedules from SQLite (where activation state lives, so it survives restarts).

Differences from flyteadmin's native scheduler, on purpose for a local server: firings missed while the server was
not running are not caught up on restart (``FlyteRemote.launch_backfill`` runs them); the kickoff time input is
passed for fixed-rate schedules too (flyteadmin passes it for cron schedules only); a cron ``offset`` is ignored, as
flyteadmin's native scheduler ignores it. Times are UTC.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import heapq
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from flyteidl.admin import execution_pb2, launch_plan_pb2, schedule_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from google.protobuf import timestamp_pb2

from aioflyte.core.schedule import CronSchedule
from aioflyte.exceptions import FlyteValidationException
from aioflyte.server.errors import AdminError, AlreadyExists, InvalidArgument, describe
from aioflyte.server.store import Key, Store

log = logging.getLogger("aioflyte.server.scheduler")

UTC = datetime.timezone.utc
MINUTE = 60.0
_UNITS = {schedule_pb2.MINUTE: 1, schedule_pb2.HOUR: 60, schedule_pb2.DAY: 24 * 60}
_FNV_OFFSET, _FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
#: the longest single sleep: the wall clock is re-read at least this often (it may jump, the loop clock does not)
_MAX_SLEEP = 30.0

CreateExecution = Callable[[execution_pb2.ExecutionCreateRequest], Awaitable[object]]
Clock = Callable[[], datetime.datetime]


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(UTC)


def _fnv1_64(data: bytes) -> int:
    """FNV-1 (64-bit), the hash flyteadmin's scheduler names executions with."""
    h = _FNV_OFFSET
    for byte in data:
        h = (h * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
        h ^= byte
    return h


def execution_name(lp_id: identifier_pb2.Identifier, scheduled_at: datetime.datetime) -> str:
    """The deterministic execution name of one firing: flyteadmin's (``f`` + 19 hex digits of a hash of the
    launch plan id and the scheduled time in whole seconds)."""
    seconds = math.floor(scheduled_at.timestamp())
    text = f"{lp_id.project}:{lp_id.domain}:{lp_id.name}:{lp_id.version}:{seconds}"
    # flyteadmin puts the hash little-endian into the first 8 bytes of a UUID and keeps 19 hex digits of it
    return "f" + (_fnv1_64(text.encode()).to_bytes(8, "little").hex() + "0" * 16)[:19]


@dataclass(frozen=True)
class ScheduleRule:
    """When one launch plan fires: a cron expression, or every ``period`` from ``anchor`` (its activation)."""

    cron: CronSchedule | None
    period: datetime.timedelta | None
    anchor: datetime.datetime
    kickoff_time_input_arg: str

    def first_after(self, now: datetime.datetime) -> datetime.datetime:
        """The first firing strictly after ``now`` (fixed rates stay on the grid ``anchor + k * period``, k >= 1)."""
        if self.cron is not None:
            return self.cron.next_after(now)
        assert self.period is not None
        k = max(1, math.floor((now - self.anchor) / self.period) + 1)
        return self.anchor + k * self.period

    def next_after(self, fired: datetime.datetime) -> datetime.datetime:
        """The firing after the one at ``fired``."""
        if self.cron is not None:
            return self.cron.next_after(fired)
        assert self.period is not None
        return fired + self.period


def rule_for(
    lp: launch_plan_pb2.LaunchPlan, anchor: datetime.datetime, *, minute: float = MINUTE
) -> ScheduleRule | None:
    """The rule of a launch plan's schedule (None when it has none); ``minute`` is the real length of a fixed
    rate's minute. Raises InvalidArgument naming the launch plan when the schedule cannot run."""
    if not lp.spec.HasField("entity_metadata") or not lp.spec.entity_metadata.HasField("schedule"):
        return None
    schedule = lp.spec.entity_metadata.schedule
    what = describe(lp.id)
    kind = schedule.WhichOneof("ScheduleExpression")
    cron = period = None
    if kind == "cron_schedule":
        try:
            cron = CronSchedule(schedule=schedule.cron_schedule.schedule)
            cron.next_after(anchor)  # 5 fields or an alias, as the native scheduler runs
        except (FlyteValidationException, TypeError) as e:
            raise InvalidArgument(f"the schedule of {what} cannot run: {e}") from None
    elif kind == "rate":
        rate = schedule.rate
        if rate.unit not in _UNITS or rate.value <= 0:
            unit = schedule_pb2.FixedRateUnit.Name(rate.unit) if rate.unit in _UNITS else rate.unit
            raise InvalidArgument(
                f"the fixed rate of {what} cannot run: expected a positive value in MINUTE, HOUR or DAY, got "
                f"value={rate.value} unit={unit}"
            )
        period = datetime.timedelta(seconds=rate.value * _UNITS[rate.unit] * minute)
    elif kind == "cron_expression":
        raise InvalidArgument(
            f"the schedule of {what} is the deprecated AWS cron_expression {schedule.cron_expression!r}, which the "
            "native scheduler does not run; use a cron_schedule (5 fields or an alias such as @hourly) or a rate"
        )
    else:
        raise InvalidArgument(f"the schedule of {what} has no expression: expected a cron_schedule or a rate")
    arg = schedule.kickoff_time_input_arg
    if arg:
        params = lp.closure.expected_inputs.parameters or lp.spec.default_inputs.parameters
        if arg not in params:
            raise InvalidArgument(
                f"kickoff_time_input_arg {arg!r} of {what} is not an input of the launch plan "
                f"(its inputs: {sorted(params)})"
            )
        declared = params[arg].var.type
        if declared.simple != types_pb2.DATETIME:
            got = types_pb2.SimpleType.Name(declared.simple) if declared.HasField("simple") else str(declared).strip()
            raise InvalidArgument(f"kickoff_time_input_arg {arg!r} of {what} must be a datetime input, got {got}")
    return ScheduleRule(cron, period, anchor, arg)


def scheduled_request(
    lp_id: identifier_pb2.Identifier, rule: ScheduleRule, scheduled_at: datetime.datetime
) -> execution_pb2.ExecutionCreateRequest:
    """The CreateExecution request of one firing: SCHEDULED, ``scheduled_at``, the kickoff time as input."""
    at = timestamp_pb2.Timestamp()
    at.FromDatetime(scheduled_at.astimezone(UTC).replace(tzinfo=None))
    inputs = literals_pb2.LiteralMap()
    if rule.kickoff_time_input_arg:
        literal = inputs.literals[rule.kickoff_time_input_arg]
        literal.scalar.primitive.datetime.CopyFrom(at)
    return execution_pb2.ExecutionCreateRequest(
        project=lp_id.project,
        domain=lp_id.domain,
        name=execution_name(lp_id, scheduled_at),
        spec=execution_pb2.ExecutionSpec(
            launch_plan=lp_id,
            metadata=execution_pb2.ExecutionMetadata(mode=execution_pb2.ExecutionMetadata.SCHEDULED, scheduled_at=at),
        ),
        inputs=inputs,
    )


def in_process(service: Any) -> CreateExecution:
    """``service.CreateExecution`` called in-process: its AdminErrors raised as such, not sent as gRPC statuses."""
    method = getattr(type(service).CreateExecution, "__wrapped__", type(service).CreateExecution)

    async def create(request: execution_pb2.ExecutionCreateRequest) -> object:
        return await method(service, request, None)

    return create


@dataclass
class _Entry:
    lp_id: identifier_pb2.Identifier
    rule: ScheduleRule
    version_stamp: int  # the row's updated_at: a re-activation re-anchors the schedule
    next_at: datetime.datetime


class Scheduler:
    """Fires active scheduled launch plans through ``create_execution`` while started.

    ``minute`` is the real length, in seconds, of a fixed rate's minute (60; smaller only for tests, through the
    server's ``--min-schedule-interval``); ``clock`` returns the current UTC time (injectable for tests).
    """

    def __init__(
        self, store: Store, create_execution: CreateExecution, *, minute: float = MINUTE, clock: Clock = utcnow
    ) -> None:
        if not minute >= 1:
            raise ValueError(f"Scheduler: minute must be at least 1 second, got {minute!r}")
        self.store = store
        self.create_execution = create_execution
        self.minute = minute
        self.clock = clock
        self._entries: dict[Key, _Entry] = {}
        self._heap: list[tuple[datetime.datetime, int, Key]] = []
        self._seq = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- the hook the Admin service calls ---------------------------------------------------------------------

    def check(self, lp: launch_plan_pb2.LaunchPlan) -> None:
        """Raise InvalidArgument when ``lp`` has a schedule that cannot run (called before it is activated)."""
        rule_for(lp, self.clock(), minute=self.minute)

    def wake(self) -> None:
        """A launch plan was activated or deactivated: re-read the active schedules."""
        self._wake.set()

    # --- lifecycle --------------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._wake.set()
            self._task = asyncio.create_task(self._run(), name="aioflyte scheduler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- the loop ---------------------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            if self._wake.is_set():
                self._wake.clear()
                try:
                    await self._refresh()
                except Exception:  # a storage failure: keep the schedules known so far, retry on the next wake
                    log.exception("could not read the active launch plans")
            now = self.clock()
            if self._heap and self._heap[0][0] <= now:
                await self._fire_due(now)
                continue
            delay = _MAX_SLEEP if not self._heap else min(_MAX_SLEEP, (self._heap[0][0] - now).total_seconds())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(delay, 0.001))

    async def _active_launch_plans(self) -> list[tuple[bytes, int]]:
        sql = "SELECT payload, updated_at FROM entities WHERE kind = ? AND state = ?"
        rows = await self.store.read(sql, (identifier_pb2.LAUNCH_PLAN, launch_plan_pb2.ACTIVE))
        return [(r[0], r[1]) for r in rows]

    async def _refresh(self) -> None:
        """Re-read the active launch plans; keep the next time of unchanged ones, schedule new ones from now."""
        now = self.clock()
        entries: dict[Key, _Entry] = {}
        for payload, updated_at in await self._active_launch_plans():
            lp = launch_plan_pb2.LaunchPlan.FromString(payload)
            key = Key(lp.id.resource_type, lp.id.project, lp.id.domain, lp.id.name, lp.id.version)
            known = self._entries.get(key)
            if known is not None and known.version_stamp == updated_at:
                entries[key] = known
                continue
            anchor = datetime.datetime.fromtimestamp(updated_at // 1_000_000_000, UTC)  # whole seconds, as flyteadmin
            try:
                rule = rule_for(lp, anchor, minute=self.minute)
            except AdminError as e:  # activated before this check existed, or by an older server
                log.error("not scheduling %s: %s", describe(lp.id), e.message)
                continue
            if rule is not None:
                entries[key] = _Entry(lp.id, rule, updated_at, rule.first_after(now))
                log.info("scheduled %s, first firing at %s", describe(lp.id), entries[key].next_at.isoformat())
        self._entries = entries
        self._heap = []
        for key, entry in entries.items():
            self._push(key, entry)

    def _push(self, key: Key, entry: _Entry) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (entry.next_at, self._seq, key))

    async def _fire_due(self, now: datetime.datetime) -> None:
        while self._heap and self._heap[0][0] <= now and not self._wake.is_set():
            at, _, key = heapq.heappop(self._heap)
            entry = self._entries.get(key)
            if entry is None or entry.next_at != at:
                continue
            await self._fire(entry, at)
            entry.next_at = entry.rule.next_after(at)
            self._push(key, entry)

    async def _fire(self, entry: _Entry, at: datetime.datetime) -> None:
        request = scheduled_request(entry.lp_id, entry.rule, at)
        try:
            await self.create_execution(request)
        except AlreadyExists:
            log.info("%s at %s was fired already (%s)", describe(entry.lp_id), at.isoformat(), request.name)
            return
        except AdminError as e:
            log.error("could not fire %s at %s: %s %s", describe(entry.lp_id), at.isoformat(), e.code.name, e.message)
            return
        except Exception:
            log.exception("could not fire %s at %s", describe(entry.lp_id), at.isoformat())
            return
        log.info("fired %s at %s as execution %s", describe(entry.lp_id), at.isoformat(), request.name)
