"""flytekit's FlyteContextManager / FlyteContext / ExecutionState, as views over aioflyte's context variables."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from concurrency import Meeting
from flyteidl.core import literals_pb2

import aioflyte
from aioflyte import current_context, dynamic, eager, task, workflow
from aioflyte.core.context_manager import (
    BranchEvalMode,
    CompilationState,
    ExecutionParameters,
    ExecutionState,
    FileAccessProvider,
    FlyteContext,
    FlyteContextManager,
)
from aioflyte.core.promise import Promise
from aioflyte.io import default_provider
from aioflyte.remote.serialization import SERIALIZED_CONTEXT_ENV_VAR, SerializationSettings, default_image_config

Mode = ExecutionState.Mode


def _settings(project: str = "p") -> SerializationSettings:
    return SerializationSettings(image_config=default_image_config(), project=project, domain="d", version="v1")


SEEN: list[dict[str, object]] = []  # what task bodies saw (they return its index: tasks output plain types)


def _record() -> int:
    SEEN.append(_seen())
    return len(SEEN) - 1


def _seen() -> dict[str, object]:
    """What the code calling this sees of its context."""
    ctx = FlyteContextManager.current_context()
    es = ctx.execution_state
    return {
        "mode": es.mode,
        "local": es.is_local_execution(),
        "compiling": ctx.compilation_state is not None,
        "params_are_current": es.user_space_params is current_context() is ctx.user_space_params,
        "task": getattr(current_context().task_id, "name", None),
        "settings": getattr(ctx.serialization_settings, "project", None),
        "file_access": ctx.file_access,
        "size": FlyteContextManager.size(),
    }


# --- outside everything -----------------------------------------------------------------------------------------


def test_the_default_context_outside_any_run():
    ctx = FlyteContextManager.current_context()
    assert FlyteContextManager.size() == 1 and ctx.level == 1
    assert ctx.compilation_state is None and ctx.serialization_settings is None and not ctx.in_a_condition
    # flytekit's flavour of the data plane's default provider (one state, flytekit's method names)
    assert ctx.file_access.__dict__ is default_provider().__dict__ and isinstance(ctx.file_access, FileAccessProvider)
    es = ctx.execution_state
    assert es.mode is None and not es.is_local_execution() and es.branch_eval_mode is None
    assert es.user_space_params is current_context() and ctx.user_space_params is current_context()
    assert os.path.isdir(es.working_dir)
    assert es.engine_dir == os.path.join(es.working_dir, "engine_dir") and os.path.isdir(es.engine_dir)
    assert FlyteContext.current_context().execution_state.mode is None
    assert ctx.run is None and ctx.frame is None


def test_modes_and_enums_have_flytekits_values():
    assert [(m.name, m.value) for m in Mode] == [
        ("TASK_EXECUTION", 1),
        ("LOCAL_WORKFLOW_EXECUTION", 2),
        ("LOCAL_TASK_EXECUTION", 3),
        ("DYNAMIC_TASK_EXECUTION", 4),
        ("EAGER_EXECUTION", 5),
        ("EAGER_LOCAL_EXECUTION", 6),
        ("LOCAL_DYNAMIC_TASK_EXECUTION", 7),
    ]
    assert [b.value for b in BranchEvalMode] == ["branch active", "branch skipped"]
    local = {m for m in Mode if ExecutionState(mode=m).is_local_execution()}
    assert local == {
        Mode.LOCAL_WORKFLOW_EXECUTION,
        Mode.LOCAL_TASK_EXECUTION,
        Mode.LOCAL_DYNAMIC_TASK_EXECUTION,
        Mode.EAGER_LOCAL_EXECUTION,
    }


# --- builders and with_context ------------------------------------------------------------------------------------


def test_builders_return_builders_and_build_a_context():
    ctx = FlyteContextManager.current_context()
    fa = FileAccessProvider(raw_output_prefix="/tmp/elsewhere")
    ss = _settings()
    b = ctx.new_builder()
    assert isinstance(b, FlyteContext.Builder)
    for made in (
        ctx.with_file_access(fa),
        ctx.with_serialization_settings(ss),
        ctx.with_execution_state(ctx.new_execution_state()),
        ctx.with_compilation_state(ctx.new_compilation_state()),
        ctx.with_new_compilation_state(),
    ):
        assert isinstance(made, FlyteContext.Builder)
    built = ctx.with_file_access(fa).with_serialization_settings(ss).build()
    assert isinstance(built, FlyteContext)
    assert built.file_access.__dict__ is fa.__dict__ and built.serialization_settings is ss
    assert FlyteContextManager.current_context().serialization_settings is None  # building installs nothing


def test_with_context_installs_for_the_block_and_restores_after():
    ss = _settings()
    fa = FileAccessProvider(raw_output_prefix="/tmp/elsewhere")
    before = FlyteContextManager.current_context()
    with FlyteContextManager.with_context(before.with_serialization_settings(ss).with_file_access(fa)) as ctx:
        assert FlyteContextManager.current_context() is ctx
        assert FlyteContextManager.size() == 2 and ctx.level == 2
        assert ctx.serialization_settings is ss
        assert default_provider() is fa  # the data plane uses it in the block
        assert ctx.get_origin_stackframe_repr().endswith(
            f"in {test_with_context_installs_for_the_block_and_restores_after.__name__}"
        )
        with FlyteContextManager.with_context(ctx.with_serialization_settings(_settings("q"))) as inner:
            assert FlyteContextManager.size() == 3 and inner.serialization_settings.project == "q"
        assert FlyteContextManager.current_context() is ctx
    after = FlyteContextManager.current_context()
    assert FlyteContextManager.size() == 1
    assert after.serialization_settings is None and default_provider() is not fa


def test_with_context_restores_on_error_and_pops_what_the_block_left():
    ctx = FlyteContextManager.current_context()
    with pytest.raises(RuntimeError, match="boom"):
        with FlyteContextManager.with_context(ctx.with_serialization_settings(_settings())):
            FlyteContextManager.push_context(ctx.with_serialization_settings(_settings("q")).build())  # never popped
            raise RuntimeError("boom")
    assert FlyteContextManager.size() == 1
    assert FlyteContextManager.current_context().serialization_settings is None


def test_with_context_also_takes_a_context():
    ctx = FlyteContextManager.current_context().with_serialization_settings(_settings()).build()
    with FlyteContextManager.with_context(ctx) as installed:
        assert installed is ctx and FlyteContextManager.current_context().serialization_settings.project == "p"


def test_push_and_pop():
    base = FlyteContextManager.current_context()
    pushed = FlyteContextManager.push_context(base.with_serialization_settings(_settings()).build())
    try:
        assert FlyteContextManager.size() == 2 and pushed.level == 2
        assert FlyteContextManager.current_context() is pushed
        assert pushed.get_origin_stackframe_repr().endswith("in test_push_and_pop")
    finally:
        assert FlyteContextManager.pop_context() is pushed
    assert FlyteContextManager.size() == 1
    assert FlyteContextManager.current_context().serialization_settings is None
    with pytest.raises(AssertionError, match="no context was pushed"):
        FlyteContextManager.pop_context()
    assert FlyteContextManager.size() == 1


def test_initialize_pops_everything_pushed_here():
    ctx = FlyteContextManager.current_context()
    for project in "abc":
        FlyteContextManager.push_context(ctx.with_serialization_settings(_settings(project)).build())
    assert FlyteContextManager.size() == 4
    FlyteContextManager.initialize()
    assert FlyteContextManager.size() == 1
    assert FlyteContextManager.current_context().serialization_settings is None


def test_get_origin_stackframe_is_the_callers_caller():
    def helper():
        return FlyteContextManager.get_origin_stackframe()

    assert helper().name == "test_get_origin_stackframe_is_the_callers_caller"
    assert FlyteContextManager.get_origin_stackframe(1).name == "test_get_origin_stackframe_is_the_callers_caller"


@task
async def sees() -> int:
    return _record()


async def test_an_installed_execution_state_describes_the_block_not_the_tasks_it_calls():
    ctx = FlyteContextManager.current_context()
    custom = ExecutionParameters.new_builder(current_context()).add_attr("SPARK_SESSION", "my-session").build()
    state = ctx.new_execution_state().with_params(mode=Mode.TASK_EXECUTION, user_space_params=custom)
    assert state.mode is Mode.TASK_EXECUTION and not state.is_local_execution()
    with FlyteContextManager.with_context(ctx.with_execution_state(state)):
        assert current_context() is custom and current_context().SPARK_SESSION == "my-session"
        assert current_context().get("SPARK_SESSION") == "my-session"
        assert FlyteContextManager.current_context().execution_state is state
        inner = SEEN[await sees()]  # a task started here sees its own state and context
        assert inner["mode"] is Mode.LOCAL_TASK_EXECUTION and inner["params_are_current"]
        assert inner["task"] == sees.name
        assert current_context() is custom  # and the block's comes back after it
    assert current_context() is not custom
    assert FlyteContextManager.current_context().execution_state.mode is None


def test_with_params_keeps_what_is_not_given(tmp_path):
    state = ExecutionState(working_dir=tmp_path, mode=Mode.LOCAL_TASK_EXECUTION)
    copy = state.with_params(branch_eval_mode=BranchEvalMode.BRANCH_SKIPPED)
    assert copy is not state
    assert copy.mode is Mode.LOCAL_TASK_EXECUTION and copy.working_dir == str(tmp_path)
    assert copy.branch_eval_mode is BranchEvalMode.BRANCH_SKIPPED and state.branch_eval_mode is None
    assert copy.engine_dir == str(tmp_path / "engine_dir")


async def test_what_a_block_installs_reaches_the_tasks_it_starts():
    fa = FileAccessProvider(raw_output_prefix="/tmp/elsewhere")
    ctx = FlyteContextManager.current_context()
    with FlyteContextManager.with_context(ctx.with_serialization_settings(_settings("mine")).with_file_access(fa)):
        inner = SEEN[await sees()]
    assert inner["settings"] == "mine" and inner["file_access"].__dict__ is fa.__dict__
    assert inner["size"] == 2  # the base context and the one pushed around the call


def test_a_compilation_state_installed_makes_calls_add_nodes():
    @task
    def add_one(x: int) -> int:
        return x + 1

    ctx = FlyteContextManager.current_context()
    with FlyteContextManager.with_context(ctx.with_new_compilation_state()) as c:
        assert isinstance(c.compilation_state, CompilationState)
        out = add_one(x=3)
        assert isinstance(out, Promise)
        assert [n.entity for n in c.compilation_state.nodes] == [add_one]
    assert FlyteContextManager.current_context().compilation_state is None


def test_execution_parameters_builder():
    base = current_context()
    built = base.builder().add_attr("SESSION", 42).build()
    assert built.SESSION == 42 and built.get("SESSION") == 42 and built.has_attr("SESSION")
    assert built.execution_id == base.execution_id and built.execution_date == base.execution_date
    fresh = ExecutionParameters.new_builder().build()
    assert fresh.execution_id is None and fresh.raw_output_prefix
    with pytest.raises(AttributeError, match="SESSION"):
        fresh.get("SESSION")


# --- modes while aioflyte runs things -------------------------------------------------------------------------------

compiled: list[dict[str, object]] = []


@task
def sync_sees() -> int:
    return _record()


@task
async def leaf_mode() -> str:
    return FlyteContextManager.current_context().execution_state.mode.name


@workflow
def modes_wf() -> tuple[int, int]:
    compiled.append(_seen())
    return sees(), sync_sees()


@dynamic
def modes_dyn() -> tuple[str, str]:
    body = FlyteContextManager.current_context()
    return body.execution_state.mode.name + ("+compiling" if body.compilation_state is not None else ""), leaf_mode()


@eager
async def modes_eager() -> tuple[str, str]:
    return FlyteContextManager.current_context().execution_state.mode.name, await leaf_mode()


@workflow
def nested_wf() -> tuple[str, str]:
    return modes_eager()


async def test_a_task_called_directly_is_a_local_task_execution():
    for seen in (SEEN[await sees()], SEEN[await sync_sees()]):
        assert seen["mode"] is Mode.LOCAL_TASK_EXECUTION and seen["local"]
        assert seen["params_are_current"] and not seen["compiling"]
    assert seen["task"] == sync_sees.name


async def test_workflow_compilation_and_nodes():
    assert compiled and compiled[0]["compiling"] and compiled[0]["mode"] is None
    in_async, in_sync = (SEEN[i] for i in await modes_wf())
    for seen in (in_async, in_sync):
        assert seen["mode"] is Mode.LOCAL_WORKFLOW_EXECUTION and seen["params_are_current"]
    assert (in_async["task"], in_sync["task"]) == (sees.name, sync_sees.name)
    assert SEEN[await sees()]["mode"] is Mode.LOCAL_TASK_EXECUTION  # the workflow's scope ended with it


async def test_dynamic_body_and_its_nodes():
    body, node = await modes_dyn()
    assert body == "LOCAL_DYNAMIC_TASK_EXECUTION+compiling"
    assert node == "LOCAL_DYNAMIC_TASK_EXECUTION"


async def test_eager_body_and_what_it_calls():
    assert await modes_eager() == ("EAGER_LOCAL_EXECUTION", "EAGER_LOCAL_EXECUTION")
    assert await nested_wf() == ("EAGER_LOCAL_EXECUTION", "EAGER_LOCAL_EXECUTION")


container_seen: list[dict[str, object]] = []


@task
def in_container(a: int) -> int:
    container_seen.append(_seen())
    return a


@eager
async def eager_in_container(a: int) -> int:
    container_seen.append(_seen())
    return a


async def test_in_the_container_entrypoint_the_mode_is_task_execution(tmp_path, monkeypatch):
    from aioflyte._entrypoint.execute import Request, execute
    from aioflyte.types.engine import TypeEngine

    monkeypatch.setenv(SERIALIZED_CONTEXT_ENV_VAR, _settings("from-platform").serialized_context)
    monkeypatch.delenv("FLYTE_PLATFORM_URL", raising=False)
    lm = await TypeEngine.dict_to_literal_map(None, {"a": 5}, {"a": int})
    (tmp_path / "inputs.pb").write_bytes(lm.SerializeToString())
    container_seen.clear()
    for name in ("in_container", "eager_in_container"):
        req = Request(
            inputs=str(tmp_path / "inputs.pb"),
            output_prefix=str(tmp_path / name),
            raw_output_prefix=str(tmp_path / "raw"),
            resolver="aioflyte.entrypoint.default_resolver",
            resolver_args=["task-module", __name__, "task-name", name],
        )
        assert await execute(req) is None
        out = literals_pb2.LiteralMap()
        out.ParseFromString((tmp_path / name / "outputs.pb").read_bytes())
        assert out.literals["o0"].scalar.primitive.integer == 5
    plain, eager_body = container_seen
    assert plain["mode"] is Mode.TASK_EXECUTION and not plain["local"] and plain["params_are_current"]
    assert plain["task"] == in_container.name and plain["settings"] == "from-platform"
    assert eager_body["mode"] is Mode.EAGER_EXECUTION
    assert FlyteContextManager.current_context().serialization_settings is None  # only for the task's run


# --- isolation ---------------------------------------------------------------------------------------------------


async def test_concurrent_tasks_never_see_each_others_pushed_contexts():
    meeting = Meeting(2)

    async def worker(project: str) -> list[str | None]:
        seen = []
        with FlyteContextManager.with_context(
            FlyteContextManager.current_context().with_serialization_settings(_settings(project))
        ):
            await meeting.ameet()  # both blocks are open at once
            seen.append(FlyteContextManager.current_context().serialization_settings.project)
            seen.append(str(FlyteContextManager.size()))
            await asyncio.sleep(0)
            seen.append(FlyteContextManager.current_context().serialization_settings.project)
        seen.append(FlyteContextManager.current_context().serialization_settings)
        return seen

    a, b = await asyncio.gather(worker("a"), worker("b"))
    assert meeting.peak == 2
    assert a == ["a", "2", "a", None] and b == ["b", "2", "b", None]
    assert FlyteContextManager.size() == 1


async def test_a_push_in_one_task_is_not_seen_by_a_sibling_and_pop_is_per_task():
    pushed = asyncio.Event()
    checked = asyncio.Event()

    async def pusher() -> None:
        FlyteContextManager.push_context(
            FlyteContextManager.current_context().with_serialization_settings(_settings("pusher")).build()
        )
        pushed.set()
        await checked.wait()
        FlyteContextManager.pop_context()

    async def sibling() -> tuple[int, object]:
        await pushed.wait()
        try:
            with pytest.raises(AssertionError):
                FlyteContextManager.pop_context()  # nothing was pushed in this task
            return FlyteContextManager.size(), FlyteContextManager.current_context().serialization_settings
        finally:
            checked.set()

    _, (size, settings) = await asyncio.gather(pusher(), sibling())
    assert (size, settings) == (1, None)


def test_threads_see_their_own_contexts():
    results: dict[str, object] = {}
    ready = threading.Barrier(2, timeout=30)

    def run(project: str) -> None:
        with FlyteContextManager.with_context(
            FlyteContextManager.current_context().with_serialization_settings(_settings(project))
        ):
            ready.wait()
            results[project] = FlyteContextManager.current_context().serialization_settings.project

    threads = [threading.Thread(target=run, args=(p,)) for p in "xy"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"x": "x", "y": "y"}


def test_old_import_path_and_new_context_still_work():
    from aioflyte.core.context import FlyteContextManager as Old

    assert Old is FlyteContextManager and aioflyte.FlyteContextManager is FlyteContextManager
    with aioflyte.new_context() as ctx:
        assert FlyteContextManager.current_context() is ctx and ctx.run is not None
        assert ctx.user_space_params.execution_id.name == ctx.run.execution_id.name


async def test_file_access_has_flytekit_names_and_shares_the_data_planes_state(tmp_path) -> None:
    """flytekit code calls ``ctx.file_access.get_random_local_path()``, ``put_data``, a sync ``exists``; aioflyte's
    data plane awaits ``exists`` on the provider installed for the context: each sees its own flavour."""
    from aioflyte.core.data_persistence import FileAccessProvider as FlytekitProvider
    from aioflyte.io import default_provider

    fa = FlyteContextManager.current_context().file_access
    assert isinstance(fa, FlytekitProvider) and await fa.async_exists(str(tmp_path)) is True
    assert await asyncio.to_thread(fa.exists, str(tmp_path)) is True  # the sync form, off the loop
    assert fa.__dict__ is default_provider().__dict__  # one state
    mine = FlytekitProvider(raw_output_prefix=str(tmp_path / "raw"))
    ctx = FlyteContextManager.current_context().with_file_access(mine).build()
    with FlyteContextManager.with_context(ctx):
        assert FlyteContextManager.current_context().file_access is mine
        inside = default_provider()
        assert inside.raw_output_prefix == str(tmp_path / "raw") + "/"
        assert await inside.exists(str(tmp_path)) is True  # the async flavour, over the same state
