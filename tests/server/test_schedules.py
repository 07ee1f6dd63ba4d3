"""Schedules on the server subprocess: an active fixed-rate launch plan fires SCHEDULED executions with the kickoff
time input, deactivation stops it, a restart neither double-fires nor catches up, activation rejects schedules that
cannot run; and the next-time computation (cron forms, fixed-rate grid) and execution names as units.

The server runs with ``--min-schedule-interval 2``: a FixedRate of one minute fires every 2 s of real time.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from pathlib import Path

import pytest
import pytest_asyncio
from flyteidl.admin import execution_pb2, launch_plan_pb2, schedule_pb2
from flyteidl.core import identifier_pb2, types_pb2
from servers import task_env

from aioflyte import CronSchedule, FixedRate, LaunchPlan, task, workflow
from aioflyte.configuration.config import Config
from aioflyte.remote.client import FlyteEntityAlreadyExistsException, FlyteInvalidInputException
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.scheduler import execution_name, rule_for, scheduled_request
from aioflyte.server.testing import ServerProcess

module_loop = pytest.mark.asyncio(loop_scope="module")  # the async tests share the module's server

P, D = "flytesnacks", "development"
HERE = Path(__file__).parent
UTC = datetime.timezone.utc
INTERVAL = 2  # real seconds of a FixedRate minute on the test servers
SERVER_ARGS = ["--min-schedule-interval", str(INTERVAL)]
SCHEDULED = execution_pb2.ExecutionMetadata.SCHEDULED


@task
def show(kickoff: datetime.datetime) -> str:
    return kickoff.isoformat()


@workflow
def kickoff_wf(kickoff: datetime.datetime) -> str:
    return show(kickoff=kickoff)


def _env() -> dict[str, str]:
    return task_env(HERE)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("schedules") / "state", env=_env(), args=SERVER_ARGS) as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(server):
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
        yield r


def _lp(name: str, minutes: int = 1) -> LaunchPlan:
    rate = FixedRate(datetime.timedelta(minutes=minutes), kickoff_time_input_arg="kickoff")
    return LaunchPlan.get_or_create(kickoff_wf, name=name, schedule=rate)


async def _fired(remote: FlyteRemote, lp_name: str) -> list[execution_pb2.Execution]:
    """The executions of launch plan ``lp_name``, oldest scheduled time first."""
    found = [e async for e in remote.client.iter_executions(P, D) if e.spec.launch_plan.name == lp_name]
    return sorted(found, key=lambda e: e.spec.metadata.scheduled_at.ToNanoseconds())


async def _until(remote: FlyteRemote, lp_name: str, count: int, timeout: float = 40.0) -> list[execution_pb2.Execution]:
    deadline = time.monotonic() + timeout
    while True:
        fired = await _fired(remote, lp_name)
        if len(fired) >= count:
            return fired
        assert time.monotonic() < deadline, f"{lp_name} fired {len(fired)} times, expected at least {count}"
        await asyncio.sleep(0.25)


def _at(e: execution_pb2.Execution) -> datetime.datetime:
    return e.spec.metadata.scheduled_at.ToDatetime(tzinfo=UTC)


# --- the server ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
@module_loop
async def test_fixed_rate_fires_then_deactivation_stops_it(remote):
    flp = await remote.register_launch_plan(_lp("every_minute"), version="v1")
    assert flp.is_scheduled and not flp.is_active
    await remote.activate_launchplan(flp.id)
    anchor = (await remote.client.get_launch_plan(flp.id)).closure.updated_at.ToDatetime(tzinfo=UTC)

    fired = await _until(remote, "every_minute", 2)
    for e in fired:
        assert e.spec.metadata.mode == SCHEDULED
        assert e.spec.launch_plan == flp.id
        at = _at(e)
        assert at > anchor.replace(microsecond=0)
        assert (at - anchor.replace(microsecond=0)).total_seconds() % INTERVAL == 0  # on the activation's grid
        assert e.id.name == execution_name(flp.id, at)  # deterministic: a time is fired once
    assert (_at(fired[1]) - _at(fired[0])).total_seconds() == INTERVAL

    # the kickoff time reaches the workflow as its datetime input
    ex = await remote.wait(await remote.fetch_execution(P, D, fired[0].id.name), timeout=60)
    assert ex.is_successful, ex.error
    assert ex.inputs == {"kickoff": _at(fired[0])}
    assert ex.outputs["o0"] == _at(fired[0]).isoformat()

    await remote.client.deactivate_launch_plan(flp.id)
    stopped = datetime.datetime.now(UTC)
    await asyncio.sleep(3 * INTERVAL)
    after = await _fired(remote, "every_minute")
    assert [_at(e) for e in after if _at(e) > stopped] == []  # (one firing may have been in flight)
    assert await remote.fetch_active_launchplan(name="every_minute") is None


@pytest.mark.slow
@module_loop
async def test_activating_another_version_moves_the_schedule(remote):
    v1 = await remote.register_launch_plan(_lp("moving", minutes=1), version="v1")
    v2 = await remote.register_launch_plan(_lp("moving", minutes=1), version="v2")
    await remote.activate_launchplan(v1.id)
    await _until(remote, "moving", 1)
    await remote.activate_launchplan(v2.id)  # v1 is deactivated
    switched = time.time()
    deadline = time.monotonic() + 40
    while True:
        fired = await _fired(remote, "moving")
        later = [e for e in fired if _at(e).timestamp() > switched + 0.5]
        if later:
            break
        assert time.monotonic() < deadline, "v2 never fired"
        await asyncio.sleep(0.25)
    assert {e.spec.launch_plan.version for e in later} == {"v2"}
    await remote.client.deactivate_launch_plan(v2.id)


@pytest.mark.slow
@module_loop
async def test_activation_rejects_schedules_that_cannot_run(remote):
    flp = await remote.register_launch_plan(LaunchPlan.get_or_create(kickoff_wf, name="plain"), version="v1")
    spec = launch_plan_pb2.LaunchPlanSpec()
    spec.CopyFrom(flp.spec)

    def lp_id(name: str) -> identifier_pb2.Identifier:
        return identifier_pb2.Identifier(
            resource_type=identifier_pb2.LAUNCH_PLAN, project=P, domain=D, name=name, version="v1"
        )

    cases = {
        "bad_kickoff_name": (
            schedule_pb2.Schedule(
                cron_schedule=schedule_pb2.CronSchedule(schedule="@hourly"), kickoff_time_input_arg="when"
            ),
            "kickoff_time_input_arg 'when'.*not an input.*'kickoff'",
        ),
        "aws_cron": (
            schedule_pb2.Schedule(cron_expression="0 10 * * ? *"),
            "deprecated AWS cron_expression",
        ),
        "six_fields": (
            schedule_pb2.Schedule(cron_schedule=schedule_pb2.CronSchedule(schedule="0 0 10 * * *")),
            "cannot run.*6 fields",
        ),
        "zero_rate": (
            schedule_pb2.Schedule(rate=schedule_pb2.FixedRate(value=0, unit=schedule_pb2.MINUTE)),
            "positive value.*value=0",
        ),
    }
    for name, (schedule, message) in cases.items():
        spec.entity_metadata.schedule.CopyFrom(schedule)
        await remote.client.register_launch_plan(lp_id(name), spec)
        with pytest.raises(FlyteInvalidInputException, match=message):
            await remote.client.activate_launch_plan(lp_id(name))
        assert await remote.fetch_active_launchplan(name=name) is None


@pytest.mark.slow
@module_loop
async def test_restart_neither_double_fires_nor_catches_up(tmp_path):
    state = tmp_path / "state"
    lp = _lp("restarted")

    async def connect(server: ServerProcess) -> FlyteRemote:
        return FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D)

    async with ServerProcess(state, env=_env(), args=SERVER_ARGS) as server:
        async with await connect(server) as remote:
            flp = await remote.register_launch_plan(lp, version="v1")
            await remote.activate_launchplan(flp.id)
            await _until(remote, "restarted", 1)
        down_from = time.time()
    await asyncio.sleep(2.5 * INTERVAL)  # at least two firing times pass while the server is down
    async with ServerProcess(state, env=_env(), args=SERVER_ARGS) as server:
        up_at = time.time()
        async with await connect(server) as remote:
            assert (await remote.fetch_active_launchplan(name="restarted")).id == flp.id  # still active
            # an execution already holding the name of the next firing: the scheduler finds ALREADY_EXISTS and
            # leaves it alone (a time is never fired twice)
            anchor = (await remote.client.get_launch_plan(flp.id)).closure.updated_at.ToDatetime(tzinfo=UTC)
            anchor = anchor.replace(microsecond=0)
            now = datetime.datetime.now(UTC)
            k = int((now - anchor).total_seconds() // INTERVAL) + 2
            taken = anchor + datetime.timedelta(seconds=k * INTERVAL)
            taken_name = execution_name(flp.id, taken)
            try:
                manual = await remote.execute(flp, inputs={"kickoff": taken}, execution_name=taken_name)
            except FlyteEntityAlreadyExistsException:  # pragma: no cover - the machine stalled for a whole interval
                pytest.skip("the scheduler fired before the test could take the name")
            deadline = time.monotonic() + 40
            while True:
                fired = await _fired(remote, "restarted")
                if any(_at(e) > taken for e in fired if e.spec.metadata.mode == SCHEDULED):
                    break
                assert time.monotonic() < deadline, "the restarted server never fired"
                await asyncio.sleep(0.25)

    names = [e.id.name for e in fired]
    assert len(names) == len(set(names))
    scheduled = [_at(e) for e in fired if e.spec.metadata.mode == SCHEDULED]
    assert len(scheduled) == len(set(scheduled))  # no time fired twice
    assert all(e.id.name == execution_name(flp.id, _at(e)) for e in fired if e.spec.metadata.mode == SCHEDULED)
    assert taken not in scheduled
    assert [e.id.name for e in fired if e.id.name == taken_name] == [manual.id.name]
    # missed firings are not caught up: nothing scheduled for the time the server was down
    assert not [t for t in scheduled if down_from + 0.5 < t.timestamp() < up_at - 0.5]
    assert any(t.timestamp() < down_from for t in scheduled) and any(t.timestamp() > up_at for t in scheduled)


# --- next times and requests (units) ------------------------------------------------------------------------------


def _scheduled_lp(schedule: schedule_pb2.Schedule, kickoff_type: int = types_pb2.DATETIME):
    lp = launch_plan_pb2.LaunchPlan(
        id=identifier_pb2.Identifier(
            resource_type=identifier_pb2.LAUNCH_PLAN, project=P, domain=D, name="lp", version="v1"
        )
    )
    lp.spec.entity_metadata.schedule.CopyFrom(schedule)
    lp.closure.expected_inputs.parameters["kickoff"].var.type.simple = kickoff_type
    return lp


T0 = datetime.datetime(2024, 3, 9, 23, 58, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "first", "second"),
    [
        ("*/5 * * * *", datetime.datetime(2024, 3, 10, 0, 0), datetime.datetime(2024, 3, 10, 0, 5)),
        ("0 9 * * 1-5", datetime.datetime(2024, 3, 11, 9, 0), datetime.datetime(2024, 3, 12, 9, 0)),
        ("@hourly", datetime.datetime(2024, 3, 10, 0, 0), datetime.datetime(2024, 3, 10, 1, 0)),
        ("daily", datetime.datetime(2024, 3, 10, 0, 0), datetime.datetime(2024, 3, 11, 0, 0)),
        ("@weekly", datetime.datetime(2024, 3, 10, 0, 0), datetime.datetime(2024, 3, 17, 0, 0)),
        ("@monthly", datetime.datetime(2024, 4, 1, 0, 0), datetime.datetime(2024, 5, 1, 0, 0)),
        ("@yearly", datetime.datetime(2025, 1, 1, 0, 0), datetime.datetime(2026, 1, 1, 0, 0)),
    ],
)
def test_cron_next_times(expression, first, second):
    schedule = CronSchedule(schedule=expression, offset="PT1H", kickoff_time_input_arg="kickoff").to_flyte_idl()
    rule = rule_for(_scheduled_lp(schedule), anchor=T0)
    assert rule is not None
    got = rule.first_after(T0)
    assert got == first.replace(tzinfo=UTC)  # the offset is ignored, as by flyteadmin's native scheduler
    assert rule.next_after(got) == second.replace(tzinfo=UTC)
    assert rule.first_after(got) == second.replace(tzinfo=UTC)  # strictly after


def test_fixed_rate_grid_from_activation():
    schedule = FixedRate(datetime.timedelta(hours=2)).to_flyte_idl()
    assert schedule.rate.unit == schedule_pb2.HOUR
    rule = rule_for(_scheduled_lp(schedule), anchor=T0)
    assert rule is not None
    hours = datetime.timedelta(hours=1)
    assert rule.first_after(T0) == T0 + 2 * hours
    assert rule.first_after(T0 - 5 * hours) == T0 + 2 * hours  # never at or before the activation
    assert rule.first_after(T0 + 5 * hours) == T0 + 6 * hours  # on the grid, after a restart
    assert rule.first_after(T0 + 6 * hours) == T0 + 8 * hours
    assert rule.next_after(T0 + 6 * hours) == T0 + 8 * hours
    # the test servers' shorter minute scales every unit
    fast = rule_for(_scheduled_lp(FixedRate(datetime.timedelta(days=1)).to_flyte_idl()), anchor=T0, minute=2)
    assert fast is not None and fast.first_after(T0) == T0 + datetime.timedelta(seconds=2 * 60 * 24)


def test_scheduled_request_and_name():
    schedule = CronSchedule(schedule="@hourly", kickoff_time_input_arg="kickoff").to_flyte_idl()
    lp = _scheduled_lp(schedule)
    rule = rule_for(lp, anchor=T0)
    at = datetime.datetime(2024, 3, 10, 0, 0, tzinfo=UTC)
    request = scheduled_request(lp.id, rule, at)
    assert request.project == P and request.domain == D and request.spec.launch_plan == lp.id
    assert request.spec.metadata.mode == SCHEDULED
    assert request.spec.metadata.scheduled_at.ToDatetime(tzinfo=UTC) == at
    assert request.inputs.literals["kickoff"].scalar.primitive.datetime.ToDatetime(tzinfo=UTC) == at
    # flyteadmin's form: "f" + 19 hex digits; the same for the same launch plan version and time only
    name = request.name
    assert name == execution_name(lp.id, at) and len(name) == 20 and name[0] == "f"
    assert all(c in "0123456789abcdef" for c in name[1:])
    assert execution_name(lp.id, at + datetime.timedelta(hours=1)) != name
    other = identifier_pb2.Identifier()
    other.CopyFrom(lp.id)
    other.version = "v2"
    assert execution_name(other, at) != name
    # without a kickoff input, no inputs are sent
    bare = rule_for(_scheduled_lp(CronSchedule(schedule="@hourly").to_flyte_idl()), anchor=T0)
    assert not scheduled_request(lp.id, bare, at).inputs.literals


def test_rule_errors_name_the_launch_plan():
    from aioflyte.server.errors import InvalidArgument

    schedule = CronSchedule(schedule="@hourly", kickoff_time_input_arg="kickoff").to_flyte_idl()
    with pytest.raises(
        InvalidArgument,
        match=r"'kickoff' of launch plan flytesnacks/development/lp@v1 must be a "
        r"datetime input, got INTEGER",
    ):
        rule_for(_scheduled_lp(schedule, types_pb2.INTEGER), anchor=T0)
    assert rule_for(launch_plan_pb2.LaunchPlan(), anchor=T0) is None  # no schedule: never fired
