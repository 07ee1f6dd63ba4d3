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


async def test_an_eager_workflow_registered_and_run_on_the_server_awaits_references(remote):
    ex = await remote.execute(m.eager_refs, {"s": "y", "a": 2}, version="e1", wait=True, timeout=180)
    assert ex.is_successful, ex.error
    assert ex.outputs == {"o0": "Y12!!!!!"}


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


# --- FlyteRemote's methods for references, local and fetched entities ------------------------------------------


async def test_execute_reference_task_workflow_and_launch_plan(remote):
    ex = await remote.execute_reference_task(m.ref_add, {"a": 2}, wait=True)
    assert ex.outputs == {"o0": 12} and ex.id.project == m.P
    ex = await remote.execute_reference_workflow(m.ref_shout_twice_wf, {"s": "w"}, wait=True)
    assert ex.outputs == {"o0": "W!!"}
    assert ex.spec.launch_plan.resource_type == 3  # the workflow's default launch plan
    ex = await remote.execute_reference_launch_plan(
        m.ref_shout_twice_lp, {"s": "l"}, execution_name_prefix="lp", wait=True
    )
    assert ex.outputs == {"o0": "L!!"} and ex.id.name.startswith("lp-")
    ex = await remote.execute(m.ref_shout, {"s": "e"}, wait=True)  # execute takes references too
    assert ex.outputs == {"o0": "E!"}
    with pytest.raises(
        TypeError, match=r"execute_reference_task: parameter 'entity' expects a ReferenceTask, got ReferenceLaunchPlan"
    ):
        await remote.execute_reference_task(m.ref_shout_twice_lp, {"s": "x"})


async def test_execute_reference_to_a_missing_version_names_it(remote):
    from aioflyte import reference_task
    from aioflyte.exceptions import FlyteEntityNotExistException

    @reference_task(project=m.P, domain=m.D, name="reference_entities_tasks.shout", version="nope")
    def missing(s: str) -> str: ...

    with pytest.raises(FlyteEntityNotExistException, match=r"reference_entities_tasks\.shout"):
        await remote.execute_reference_task(missing, {"s": "x"})


async def test_execute_local_task_workflow_and_launch_plan(remote):
    ex = await remote.execute_local_task(m.add, {"a": 1}, version="l1", wait=True)
    assert ex.outputs == {"o0": 11}
    assert (await remote.fetch_task(name=m.add.name, version="l1")).name == m.add.name
    ex = await remote.execute_local_workflow(m.shout_twice, {"s": "q"}, version="l1", wait=True)
    assert ex.outputs == {"o0": "Q!!"}
    ex = await remote.execute_local_launch_plan(m.loud_lp, {}, version="l1", wait=True)
    assert ex.outputs == {"o0": "HEY!!"}
    with pytest.raises(TypeError, match=r"execute_local_task: parameter 'entity' expects a local task"):
        await remote.execute_local_task(m.shout_twice, {"s": "q"})


async def test_execute_remote_wf_and_task_lp(remote):
    wf = await remote.fetch_workflow(name=m.shout_twice.name, version="r1")
    task = await remote.fetch_task(name=m.shout.name, version="r1")
    lp = await remote.fetch_launch_plan(name=m.shout_twice.name, version="r1")
    assert (await remote.execute_remote_wf(wf, {"s": "a"}, wait=True)).outputs == {"o0": "A!!"}
    assert (await remote.execute_remote_task_lp(task, {"s": "b"}, wait=True)).outputs == {"o0": "B!"}
    assert (await remote.execute_remote_task_lp(lp, {"s": "c"}, wait=True)).outputs == {"o0": "C!!"}
    with pytest.raises(TypeError, match=r"expects a FlyteWorkflow, got FlyteTask"):
        await remote.execute_remote_wf(task, {"s": "a"})


async def test_lazy_fetches_on_first_await(remote):
    from aioflyte.exceptions import FlyteAssertion
    from aioflyte.remote.lazy_entity import LazyEntity

    lazy = remote.fetch_task_lazy(name=m.shout.name, version="r1")
    assert isinstance(lazy, LazyEntity) and lazy.name == m.shout.name and not lazy.entity_fetched()
    with pytest.raises(FlyteAssertion, match="not fetched yet"):
        _ = lazy.entity
    task = await lazy
    assert isinstance(task, FlyteTask) and lazy.entity is task and lazy.entity_fetched()
    assert lazy.version == "r1"  # attributes of the entity, once fetched
    lazy_wf = remote.fetch_workflow_lazy(name=m.shout_twice.name, version="r1")
    assert isinstance(await lazy_wf.fetch(), FlyteWorkflow)
    missing = remote.fetch_task_lazy(name="no.such.task", version="r1")
    from aioflyte.exceptions import FlyteEntityNotExistException

    with pytest.raises(FlyteEntityNotExistException):
        await missing
    async with RemoteController(remote, execution_name="lazy-call") as ctl:
        with use_controller(ctl):
            lazy_again = remote.fetch_task_lazy(name=m.shout.name, version="r1")
            assert await lazy_again(s="z") == "Z!"  # fetched, then run


async def test_find_launch_plan_for_node(remote):
    from aioflyte.models.core.identifier import Identifier

    fetched = await remote.register_workflow(m.uses_refs, version="w1")
    found: dict = {}
    for node in fetched.nodes:
        await remote.find_launch_plan_for_node(node, found)
    key = Identifier(3, m.P, m.D, m.shout_twice.name, "r1")
    assert list(found) == [key]
    assert found[key].workflow_id.name == m.shout_twice.name
    lp = await remote.register_launch_plan(m.loud_lp, version="f1")  # its own: tests may run on other workers
    await remote.find_launch_plan(lp.id, found)
    assert len(found) == 2


async def test_get_execution_metrics_from_the_servers_timings(remote):
    ex = await remote.execute(m.uses_refs, {"s": "m", "a": 1}, version="w1", wait=True, timeout=120)
    spans = await remote.get_execution_metrics(ex.id)
    assert spans.kind == "workflow_id" and spans.name == ex.id.name
    nodes = {s.name: s for s in spans.spans}
    assert {"n0", "n1", "n2", "n3"} <= set(nodes)
    attempt = nodes["n0"].spans[0]
    assert attempt.kind == "task_id" and attempt.name == 0
    assert [op.name for op in attempt.spans] == ["ExecutionRuntime"]
    assert spans.start_time <= attempt.start_time <= attempt.end_time <= spans.end_time
    lp_node = nodes["n1"]  # the launch plan node: a parent of nothing here, no attempts of its own
    assert lp_node.kind == "node_id"
    agg = spans.aggregate()
    assert agg["breakdown"]["ExecutionRuntime"] >= 0 and "n0" in agg["workflows"][ex.id.name]["nodes"]
    shallow = await remote.get_execution_metrics(ex.id, depth=1)
    assert {s.name for s in shallow.spans} == set(nodes)
    from aioflyte.exceptions import FlyteEntityNotExistException
    from aioflyte.remote.client.ids import execution_id

    with pytest.raises(FlyteEntityNotExistException):
        await remote.get_execution_metrics(execution_id(m.P, m.D, "nosuchexecution"))


async def test_sync_recent_executions_filters_and_rpc_timeout(remote):
    from aioflyte.exceptions import FlyteExecutionTimeoutError

    ex = await remote.execute(m.ref_shout, {"s": "f"}, execution_name="filtered-one", wait=True)
    synced = await remote.sync(ex)
    assert synced.outputs == {"o0": "F!"}
    assert (await remote.sync_execution(ex, rpc_timeout=60)).outputs == {"o0": "F!"}
    with pytest.raises(FlyteExecutionTimeoutError, match="filtered-one"):
        await remote.sync_execution(ex, rpc_timeout=0)  # no time at all: abandoned before its first call returns
    found = await remote.recent_executions(filters="eq(execution_name,filtered-one)")
    assert [e.id.name for e in found] == ["filtered-one"]


async def test_extra_headers_and_remote_context(remote):
    from aioflyte.core.context_manager import FlyteContextManager

    assert FlyteRemote.get_extra_headers_for_protocol("abfs://container/x") == {"x-ms-blob-type": "BlockBlob"}
    assert remote.get_extra_headers_for_protocol("s3://bucket/x") == {}
    with remote.remote_context():
        fa = FlyteContextManager.current_context().file_access
        assert fa.data_config is remote.config.data_config
    assert FlyteContextManager.current_context().file_access.data_config is not remote.config.data_config
