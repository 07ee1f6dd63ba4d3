"""Reference entities run locally: the local engine refuses them with what to do; mocked, they answer like any
entity (direct calls, workflow nodes, eager bodies)."""

from __future__ import annotations

import typing

import pytest

from aioflyte import eager, reference_launch_plan, reference_task, reference_workflow, task, workflow
from aioflyte.exceptions import FlyteEntityNotCallable
from aioflyte.testing import patch, task_mock


@reference_task(project="proj", domain="dev", name="app.tasks.double", version="v1")
def double(x: int) -> int: ...


@reference_workflow(project="proj", domain="dev", name="app.wf", version="v2")
def ref_wf(a: int) -> typing.Tuple[int, str]:
    return a, ""


@reference_launch_plan(project="proj", domain="dev", name="app.lp", version="v3")
def ref_lp(s: str, n: int = 2) -> str: ...


@task
def inc(x: int) -> int:
    return x + 1


@workflow
def wf(a: int) -> int:
    return inc(x=double(x=a))


@eager
async def eager_wf(a: int) -> str:
    n, label = await ref_wf(a=a)
    return await ref_lp(s=f"{label}{n}")


async def test_a_direct_call_says_to_mock_or_use_a_remote():
    match = r"reference task proj/dev/app\.tasks\.double@v1 .*cannot run locally.*testing\.patch.*RemoteController"
    with pytest.raises(FlyteEntityNotCallable, match=match):
        await double(x=1)


async def test_a_workflow_node_says_the_same():
    with pytest.raises(FlyteEntityNotCallable, match=r"reference task proj/dev/app\.tasks\.double@v1"):
        await wf(a=1)


async def test_an_eager_call_says_the_same():
    with pytest.raises(FlyteEntityNotCallable, match=r"reference workflow proj/dev/app\.wf@v2"):
        await eager_wf(a=1)


async def test_task_mock_answers_a_reference_in_a_workflow():
    with task_mock(double) as m:
        m.return_value = 10
        assert await wf(a=3) == 11
    m.assert_called_once_with(x=3)


@patch(ref_lp)
async def test_patch_answers_references_in_an_eager_body(m_lp):
    m_lp.side_effect = lambda s, n: s * n
    with task_mock(ref_wf) as m_wf:
        m_wf.return_value = (4, "ab")
        assert await eager_wf(a=7) == "ab4ab4"
    m_wf.assert_called_once_with(a=7)
    m_lp.assert_called_once_with(s="ab4", n=2)


async def test_a_mock_return_of_the_wrong_type_is_the_references_type_error():
    from aioflyte.exceptions import FlyteTypeException

    with task_mock(double) as m:
        m.return_value = "not an int"
        with pytest.raises((FlyteTypeException, TypeError), match=r"app\.tasks\.double"):
            await double(x=1)
