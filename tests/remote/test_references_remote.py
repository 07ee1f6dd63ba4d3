"""Reference entities and fetched entities end to end on the server subprocess: a workflow registered after the
task it refers to runs it; eager workflows await references and fetched entities as child executions; a fetched
task, workflow and launch plan compose into a new workflow."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
import reference_entities_tasks as m
from servers import task_env

from aioflyte import RemoteController, use_controller
from aioflyte.configuration.config import Config
from aioflyte.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

HERE = Path(__file__).parent
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("references") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(server):
    config = Config.for_endpoint(server.endpoint, insecure=True)
    async with FlyteRemote(config, default_project=m.P, default_domain=m.D) as r:
        # what the references point at: registered first, under version r1
        await r.register_task(m.shout, version="r1")
        await r.register_task(m.add, version="r1")
        await r.register_workflow(m.shout_twice, version="r1")
        yield r


async def test_a_workflow_calling_a_reference_task_registered_earlier(remote):
    fetched = await remote.register_workflow(m.uses_refs, version="w1")
    ref_ids = {
        (n.task_node.reference_id.name, n.task_node.reference_id.version)
        for n in fetched.nodes
        if n.HasField("task_node")
    }
    assert ("reference_entities_tasks.shout", "r1") in ref_ids and ("reference_entities_tasks.add", "r1") in ref_ids
    lp_refs = [n.workflow_node.launchplan_ref for n in fetched.nodes if n.HasField("workflow_node")]
    assert [(i.name, i.version) for i in lp_refs] == [("reference_entities_tasks.shout_twice", "r1")]
    ex = await remote.execute(m.uses_refs, {"s": "hi", "a": 5}, version="w1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs == {"o0": "HI!!!", "o1": 16}


async def test_an_eager_workflow_awaits_references_as_child_executions(remote):
    async with RemoteController(remote, execution_name="eager-refs") as ctl:
        assert await ctl.run_eager(m.eager_refs, {"s": "x", "a": 1}) == "X11!!!!!"
        assert ctl.stats["launched"] == 4
    children = [
        e async for e in remote.client.iter_executions(m.P, m.D, filters="contains(execution_name,eager-refs-)")
    ]
    launched = sorted((c.spec.launch_plan.resource_type, c.spec.launch_plan.name) for c in children)
    assert launched == [
        (1, "reference_entities_tasks.add"),
        (1, "reference_entities_tasks.shout"),
        (3, "reference_entities_tasks.shout_twice"),
        (3, "reference_entities_tasks.shout_twice"),
    ]


async def test_a_reference_awaited_under_use_controller_runs_remotely(remote):
    async with RemoteController(remote, execution_name="direct-ref") as ctl:
        with use_controller(ctl):
            assert await m.ref_add(a=1, b=2) == 3
            assert await m.ref_add(a=1) == 11  # the declared default is sent, as for a task


async def test_an_eager_workflow_awaits_a_fetched_task_and_launch_plan(remote):
    task = await remote.fetch_task(name=m.shout.name, version="r1")
    lp = await remote.fetch_launch_plan(name=m.shout_twice.name, version="r1")
    assert isinstance(task, FlyteTask) and isinstance(lp, FlyteLaunchPlan)
    m.FETCHED.update(task=task, launch_plan=lp)
    assert await remote.run_eager(m.eager_fetched, {"s": "ok"}, execution_name="fetched") == "OK!!!"


async def test_fetched_entities_compose_into_a_new_workflow(remote):
    task = await remote.fetch_task(name=m.shout.name, version="r1")
    wf = await remote.fetch_workflow(name=m.shout_twice.name, version="r1")
    lp = await remote.fetch_launch_plan(name=m.shout_twice.name, version="r1")
    assert isinstance(wf, FlyteWorkflow)
    m.FETCHED.update(task=task, workflow=wf, launch_plan=lp)
    composed = m.workflow_of_fetched("composed")
    assert [n.kind for n in composed.nodes] == ["task", "workflow", "launch_plan"]
    registered = await remote.register_workflow(composed, version="c1")
    assert {s.id.name for s in registered.sub_workflows} >= {m.shout_twice.name}
    ex = await remote.execute(composed, {"s": "a"}, version="c1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == "A!!!!!"
