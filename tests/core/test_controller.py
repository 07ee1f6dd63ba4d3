"""The seam between authoring and running: entities run through the current Controller, which
``use_controller`` installs for a block (and the tasks it starts); the local engine is the default."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import aioflyte
from aioflyte import Controller, LaunchPlan, LocalController, RemoteController, task, use_controller, workflow
from aioflyte.core.controller import get_controller


@task
async def double(x: int) -> int:
    return 2 * x


@workflow
def wf(x: int) -> int:
    return double(x=x)


class Recorder:
    """A Controller that records what it is asked to run and answers without running anything."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    async def run_task(self, task: Any, inputs: dict[str, Any]) -> Any:
        self.calls.append(("task", task.name, dict(inputs)))
        return -1

    async def run_workflow(self, wf: Any, inputs: dict[str, Any], *, max_parallelism: int | None = None) -> Any:
        self.calls.append(("workflow", wf.name, dict(inputs)))
        return -2

    async def run_entity(self, entity: Any, inputs: dict[str, Any]) -> Any:
        self.calls.append(("entity", entity.name, dict(inputs)))
        return -3

    async def run_graph(self, graph: Any, inputs: dict[str, Any]) -> dict[str, Any]:
        return {}

    def start(self, entity: Any, inputs: dict[str, Any], *, signals: dict[str, Any] | None = None) -> Any:
        return asyncio.ensure_future(self.run_entity(entity, inputs))


async def test_the_default_controller_is_the_local_engine():
    assert isinstance(get_controller(), LocalController)
    assert await double(x=2) == 4


async def test_use_controller_routes_every_kind_of_call_and_restores_the_default():
    rec = Recorder()
    lp = LaunchPlan.get_or_create(wf, name="test_controller_lp", default_inputs={"x": 5})
    with use_controller(rec) as installed:
        assert installed is rec and get_controller() is rec
        assert await double(x=1) == -1
        assert await wf(x=2) == -2
        assert await lp() == -3
        assert await double.start(x=4) == -3
    assert [c[0] for c in rec.calls] == ["task", "workflow", "entity", "entity"]
    assert rec.calls[2][2] == {"x": 5}  # the launch plan's default was bound before the controller saw it
    assert get_controller() is not rec
    assert await double(x=3) == 6


async def test_the_controller_is_per_task_context():
    rec = Recorder()
    seen = []

    async def inside() -> None:
        with use_controller(rec):
            await asyncio.sleep(0.01)
            seen.append(await double(x=1))

    async def outside() -> None:
        await asyncio.sleep(0.005)
        seen.append(await double(x=1))

    await asyncio.gather(inside(), outside())
    assert sorted(seen) == [-1, 2]


def test_what_is_not_a_controller_is_refused():
    with pytest.raises(TypeError, match="expects a Controller"), use_controller(object()):  # type: ignore[arg-type]
        pass


def test_both_controllers_satisfy_the_protocol():
    assert isinstance(LocalController(), Controller)
    assert {"run_task", "run_workflow", "run_entity", "run_graph", "start"} <= set(dir(RemoteController))
    assert aioflyte.use_controller is use_controller
