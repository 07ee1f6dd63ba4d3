"""``FlyteRemote.launch_backfill`` against the server subprocess: the dry-run workflow (one launch plan node per
scheduled time in the window, chained unless parallel), registration only (the nodes reference the registered launch
plan version), an executed backfill's child executions with their kickoff inputs, and clear errors."""

from __future__ import annotations

import datetime
import itertools
from pathlib import Path

import pytest
import pytest_asyncio
from flyteidl.admin import execution_pb2
from servers import task_env

from aioflyte import CronSchedule, FixedRate, LaunchPlan, task, workflow
from aioflyte.configuration.config import Config
from aioflyte.core.promise import FlyteCompileError
from aioflyte.core.workflow import ImperativeWorkflow
from aioflyte.remote.client import FlyteEntityNotExistException
from aioflyte.remote.entities import FlyteWorkflow
from aioflyte.remote.executions import FlyteWorkflowExecution
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

pytestmark = pytest.mark.slow  # every test uses the server subprocess

module_loop = pytest.mark.asyncio(loop_scope="module")

P, D = "flytesnacks", "development"
HERE = Path(__file__).parent
UTC = datetime.timezone.utc
JAN1 = datetime.datetime(2024, 1, 1)
CHILD = execution_pb2.ExecutionMetadata.CHILD_WORKFLOW


@task
def show(kickoff: datetime.datetime, label: str) -> str:
    return f"{label} {kickoff.isoformat()}"


@workflow
def report(kickoff: datetime.datetime, label: str = "report") -> str:
    return show(kickoff=kickoff, label=label)


HOURLY = LaunchPlan.get_or_create(
    report, name="report_hourly", schedule=CronSchedule(schedule="0 * * * *", kickoff_time_input_arg="kickoff")
)
DAILY_RATE = LaunchPlan.get_or_create(
    report, name="report_rate", schedule=FixedRate(datetime.timedelta(days=1), kickoff_time_input_arg="kickoff")
)
UNSCHEDULED = LaunchPlan.get_or_create(report, name="report_manual")


@workflow
def labelled(kickoff: datetime.datetime, label: str) -> str:
    return show(kickoff=kickoff, label=label)


NEEDS_LABEL = LaunchPlan.get_or_create(
    labelled, name="labelled_hourly", schedule=CronSchedule(schedule="@hourly", kickoff_time_input_arg="kickoff")
)


def _env() -> dict[str, str]:
    return task_env(HERE)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("backfill") / "state", env=_env()) as server:
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
            for lp in (HOURLY, DAILY_RATE, UNSCHEDULED, NEEDS_LABEL):
                await r.register_launch_plan(lp, version="v1")
            yield r


def _at(hour: int, minute: int = 0) -> datetime.datetime:
    return JAN1.replace(hour=hour, minute=minute)


@module_loop
async def test_dry_run_returns_the_chained_workflow(remote):
    wf = await remote.launch_backfill(P, D, _at(0), _at(3, 30), "report_hourly", dry_run=True)
    assert isinstance(wf, ImperativeWorkflow) and wf.name == "backfill-report_hourly"
    assert [n.name for n in wf.nodes] == [f"b-{_at(h)}" for h in (1, 2, 3)]
    assert [n.upstream for n in wf.nodes] == [[], [wf.nodes[0].id], [wf.nodes[1].id]]
    assert all(n.kind == "launch_plan" for n in wf.nodes)
    # the window is flytekit's: after from_date, before to_date
    wf = await remote.launch_backfill(P, D, _at(0), _at(3), "report_hourly", dry_run=True)
    assert [n.name for n in wf.nodes] == [f"b-{_at(1)}", f"b-{_at(2)}"]
    parallel = await remote.launch_backfill(P, D, _at(0), _at(3, 30), "report_hourly", dry_run=True, parallel=True)
    assert len(parallel.nodes) == 3 and all(n.upstream == [] for n in parallel.nodes)
    # the launch plan nodes run on the backend only
    with pytest.raises(RuntimeError, match="report_hourly@v1 is registered on a Flyte backend"):
        await wf()
    # nothing was registered
    with pytest.raises(FlyteEntityNotExistException):
        await remote.fetch_workflow(P, D, "backfill-report_hourly")


@module_loop
async def test_fixed_rate_backfill_steps_from_from_date(remote):
    wf = await remote.launch_backfill(
        P, D, JAN1, JAN1 + datetime.timedelta(days=3, hours=1), "report_rate", dry_run=True
    )
    assert [n.name for n in wf.nodes] == [f"b-{JAN1 + datetime.timedelta(days=d)}" for d in (1, 2, 3)]


@module_loop
async def test_register_only_references_the_launch_plan_version(remote):
    fwf = await remote.launch_backfill(
        P, D, _at(5), _at(8, 30), "report_hourly", launchplan_version="v1", execute=False
    )
    assert isinstance(fwf, FlyteWorkflow) and fwf.name == "backfill-report_hourly"
    lp = await remote.fetch_launch_plan(P, D, "report_hourly", "v1")
    assert [n.workflow_node.launchplan_ref for n in fwf.nodes] == [lp.id] * 3
    assert [n.metadata.name for n in fwf.nodes] == [f"b-{_at(h)}" for h in (6, 7, 8)]
    assert [list(n.upstream_node_ids) for n in fwf.nodes] == [[], [fwf.nodes[0].id], [fwf.nodes[1].id]]
    kickoffs = [n.inputs[0].binding.scalar.primitive.datetime.ToDatetime() for n in fwf.nodes]
    assert kickoffs == [_at(h) for h in (6, 7, 8)]
    # the default version derives from the window and launch plan: the same backfill registers the same version
    again = await remote.launch_backfill(
        P, D, _at(5), _at(8, 30), "report_hourly", launchplan_version="v1", execute=False
    )
    assert again.id == fwf.id
    named = await remote.launch_backfill(P, D, _at(5), _at(8, 30), "report_hourly", version="mine", execute=False)
    assert named.version == "mine"


@module_loop
async def test_executed_backfill_runs_each_scheduled_time(remote):
    ex = await remote.launch_backfill(P, D, _at(0), _at(3, 30), "report_hourly", execution_name="backfill-jan1")
    assert isinstance(ex, FlyteWorkflowExecution) and ex.id.name == "backfill-jan1"
    ex = await remote.wait(ex, timeout=120)
    assert ex.is_successful, ex.error
    children = [
        e
        async for e in remote.client.iter_executions(P, D)
        if e.spec.metadata.parent_node_execution.execution_id.name == "backfill-jan1"
    ]
    assert len(children) == 3
    children.sort(key=lambda e: e.closure.created_at.ToNanoseconds())
    assert all(c.spec.launch_plan.name == "report_hourly" and c.spec.metadata.mode == CHILD for c in children)
    synced = [await remote.sync_execution(await remote.fetch_execution(P, D, c.id.name)) for c in children]
    assert [s.inputs for s in synced] == [{"kickoff": _at(h).replace(tzinfo=UTC), "label": "report"} for h in (1, 2, 3)]
    assert [s.outputs["o0"] for s in synced] == [f"report {_at(h).replace(tzinfo=UTC).isoformat()}" for h in (1, 2, 3)]
    # chained: each child starts after the previous one has finished
    for before, after in itertools.pairwise(children):
        assert after.closure.created_at.ToNanoseconds() >= before.closure.updated_at.ToNanoseconds()


@module_loop
async def test_bad_backfills_say_what_is_wrong(remote):
    with pytest.raises(ValueError, match="from_date must be earlier than to_date"):
        await remote.launch_backfill(P, D, _at(3), _at(1), "report_hourly", dry_run=True)
    with pytest.raises(ValueError, match=r"no scheduled time falls between .* first one after .* is 2024-01-01 01:00"):
        await remote.launch_backfill(P, D, _at(0, 10), _at(0, 50), "report_hourly", dry_run=True)
    with pytest.raises(ValueError, match="launch plan flytesnacks/development/report_manual@v1 has no schedule"):
        await remote.launch_backfill(P, D, _at(0), _at(3), "report_manual", dry_run=True)
    with pytest.raises(FlyteCompileError, match=r"labelled_hourly needs inputs \['label'\]"):
        await remote.launch_backfill(P, D, _at(0), _at(3), "labelled_hourly", dry_run=True)
    with pytest.raises(FlyteEntityNotExistException, match="no_such_lp"):
        await remote.launch_backfill(P, D, _at(0), _at(3), "no_such_lp", dry_run=True)
