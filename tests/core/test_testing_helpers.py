"""aioflyte.testing: task_mock and patch answer calls of mocked entities in workflows, dynamic and eager runs."""

from __future__ import annotations

import asyncio
import inspect
from unittest.mock import AsyncMock, MagicMock, call

import pytest
from concurrency import Meeting

from aioflyte import LaunchPlan, current_context, dynamic, eager, map_task, task, workflow
from aioflyte.core.context_manager import ExecutionState, FlyteContextManager
from aioflyte.core.testing import MOCKED
from aioflyte.exceptions import FlyteInterfaceException, FlyteTypeException
from aioflyte.testing import SecretsManager, patch, task_mock

ran: list[str] = []  # the bodies that really ran


@task
def double(x: int) -> int:
    ran.append("double")
    return x * 2


@task
async def pair(x: int, tag: str = "t") -> tuple[int, str]:
    ran.append("pair")
    return x, tag


@task
def nothing(x: int) -> None:
    ran.append("nothing")


@task(cache=True, cache_version="1")
def cached_double(x: int) -> int:
    ran.append("cached_double")
    return x * 2


@workflow
def sub(x: int) -> int:
    return double(x=x)


@workflow
def wf(x: int) -> int:
    a = double(x=x)
    b, _ = pair(x=a)
    return sub(x=b)


@workflow
def wf_nothing(x: int) -> None:
    nothing(x=x)


@workflow
def wf_overridden(x: int) -> int:
    return double(x=x).with_overrides(retries=2)


@workflow
def wf_map(xs: list[int]) -> list[int]:
    return map_task(double)(x=xs)


@workflow
def wf_cached(x: int) -> int:
    return cached_double(x=x)


sub_lp = LaunchPlan.get_or_create(sub, name="test_testing_helpers.sub_lp")


@workflow
def wf_lp(x: int) -> int:
    return sub_lp(x=x)


@dynamic
def dyn(n: int) -> list[int]:
    return [double(x=i) for i in range(n)]


@eager
async def eg(x: int) -> int:
    a, b = await asyncio.gather(double(x=x), double(x=x + 1))
    return a + b


@task
def sync_caller(x: int) -> int:
    return double(x=x) + 1  # from the worker thread: the call runs on the run's loop


@pytest.fixture(autouse=True)
def _clean():
    ran.clear()
    yield
    assert not MOCKED  # every mock is gone after its block


async def test_task_mock_in_a_workflow():
    with task_mock(double) as m:
        m.return_value = 100
        assert await wf(x=1) == 100
    assert m.call_args_list == [call(x=1), call(x=100)]  # the node in wf, then the one in sub
    assert ran == ["pair"]  # double's body never ran
    assert await wf(x=1) == 4 and ran.count("double") == 2  # and runs again after the block


async def test_side_effect_and_direct_calls():
    with task_mock(double) as m:
        m.side_effect = lambda x: x * 10
        assert await double(x=3) == 30
        assert await double(3) == 30
    assert m.call_args_list == [call(x=3), call(x=3)]
    assert ran == []


async def test_inputs_arrive_converted_and_with_defaults():
    with task_mock(pair) as m:
        m.return_value = (5, "z")
        assert await wf(x=1) == 10
    m.assert_called_once_with(x=2, tag="t")  # every input, defaults included
    assert ran == ["double", "double"]


async def test_the_return_value_goes_through_the_output_types():
    with task_mock(double) as m:
        with pytest.raises(FlyteTypeException, match="output 'o0' expected int, got MagicMock"):
            await double(x=1)  # an unset MagicMock returns a MagicMock, as in flytekit
        m.return_value = "not an int"
        with pytest.raises(FlyteTypeException, match="expected int, got str"):
            await wf(x=1)
    with task_mock(pair) as m:
        m.return_value = (1, "a", "extra")
        with pytest.raises(FlyteInterfaceException, match="declares 2 outputs"):
            await pair(x=1)
    assert ran == []


async def test_a_task_without_outputs_ignores_the_return_value():
    with task_mock(nothing) as m:
        assert await wf_nothing(x=4) is None
    m.assert_called_once_with(x=4)
    assert ran == []


async def test_mocking_a_subworkflow_and_its_launch_plan():
    with task_mock(sub) as m:
        m.return_value = 77
        assert await wf(x=1) == 77
        assert await sub(x=5) == 77
        assert await wf_lp(x=3) == 77  # a launch plan runs its (mocked) workflow
    assert m.call_args_list == [call(x=2), call(x=5), call(x=3)]
    assert ran == ["double", "pair"]


async def test_dynamic_eager_map_overrides_and_launch_plans():
    with task_mock(double) as m:
        m.side_effect = lambda x: -x
        assert await dyn(n=3) == [0, -1, -2]
        assert await eg(x=1) == -3
        assert await wf_map(xs=[4, 5]) == [-4, -5]
        assert await wf_overridden(x=6) == -6  # a with_overrides copy of the mocked task
        assert await wf_lp(x=7) == -7
    assert sorted(c.kwargs["x"] for c in m.call_args_list) == [0, 1, 1, 2, 2, 4, 5, 6, 7]
    assert ran == []


async def test_a_sync_task_calling_a_mocked_task_from_its_worker_thread():
    with task_mock(double) as m:
        m.return_value = 10
        assert await sync_caller(x=1) == 11
    assert ran == []


async def test_a_mocked_call_neither_reads_nor_writes_the_cache():
    with task_mock(cached_double) as m:
        m.return_value = 7
        assert await wf_cached(x=123457) == 7
        assert await wf_cached(x=123457) == 7
    assert m.call_count == 2
    assert await wf_cached(x=123457) == 246914  # the mock's value was not stored
    assert ran == ["cached_double"]


async def test_async_mocks_are_awaited_and_side_effects_see_the_tasks_context():
    seen = []

    async def answer(x: int) -> int:
        await asyncio.sleep(0)
        seen.append((current_context().task_id.name, FlyteContextManager.current_context().execution_state.mode))
        return x + 1

    with task_mock(double) as m:
        m.side_effect = AsyncMock(side_effect=answer)
        assert await wf(x=1) == 3
    assert seen == [
        (double.name, ExecutionState.Mode.LOCAL_WORKFLOW_EXECUTION),
        (double.name, ExecutionState.Mode.LOCAL_WORKFLOW_EXECUTION),
    ]


async def test_nested_mocks_of_one_task():
    with task_mock(double) as outer:
        outer.return_value = 1
        with task_mock(double) as inner:
            inner.return_value = 2
            assert await double(x=0) == 2
        assert await double(x=0) == 1
    assert await double(x=0) == 0


async def test_a_failing_block_still_removes_the_mock():
    with pytest.raises(RuntimeError):
        with task_mock(double):
            raise RuntimeError("boom")
    assert await double(x=2) == 4


async def test_mocks_are_per_asyncio_task():
    meeting = Meeting(2)

    async def mocked() -> int:
        with task_mock(double) as m:
            m.return_value = -1
            await meeting.ameet()
            return await double(x=5)

    async def plain() -> int:
        await meeting.ameet()  # runs while the other task's mock is in force
        return await double(x=5)

    assert await asyncio.gather(mocked(), plain()) == [-1, 10]
    assert meeting.peak == 2


def test_only_entities_can_be_mocked():
    with pytest.raises(ValueError, match="task_mock\\(\\) mocks tasks, workflows"):
        with task_mock(lambda x: x):  # type: ignore[arg-type]
            pass
    with pytest.raises(ValueError, match="patch\\(\\) mocks tasks"):
        patch("double")


@patch(double)
async def test_patch_an_async_test(m, tmp_path):
    m.return_value = 42
    assert await wf(x=1) == 42
    assert m.call_args == call(x=42)
    assert tmp_path.is_dir()  # the test's own fixtures still arrive


@patch(pair)
def test_patch_a_sync_test(m):
    import aioflyte

    m.return_value = (9, "nine")
    assert aioflyte.run(pair, x=1) == (9, "nine")
    m.assert_called_once_with(x=1, tag="t")
    assert ran == []


def test_patch_keeps_the_signature_and_restores_after():
    calls = []

    @patch(double)
    def check(m, extra=0):
        assert isinstance(m, MagicMock)
        calls.append(extra)
        return "done"

    assert list(inspect.signature(check).parameters) == ["extra"]
    assert check(extra=3) == "done" and calls == [3]
    assert not MOCKED


def test_secrets_manager_is_reexported():
    from aioflyte.core.secrets import SecretsManager as Original

    assert SecretsManager is Original


def test_nothing_is_monkeypatched():
    before = dict(double.__dict__)
    with task_mock(double):
        assert double.__dict__ == before and double.task_function(x=2) == 4  # the function itself is untouched
    assert ran == ["double"]


async def test_mocking_a_launch_plan():
    with task_mock(sub_lp) as m:
        m.return_value = 5
        assert await wf_lp(x=1) == 5
        assert await sub_lp(x=2) == 5
    assert m.call_args_list == [call(x=1), call(x=2)]
    assert ran == []
