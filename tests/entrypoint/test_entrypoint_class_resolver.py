"""ClassStorageTaskResolver: tasks found by their index, at registration and by the container entrypoint."""

from __future__ import annotations

import asyncio

import class_resolver_tasks as m
import pytest
from entrypoint_helpers import run_entrypoint

from aioflyte.configuration.serialization import SerializationSettings
from aioflyte.exceptions import FlyteResolverError
from aioflyte.extend import ClassStorageTaskResolver
from aioflyte.remote.serialization import default_image_config
from aioflyte.remote.translator.tasks import task_template


def test_loader_args_are_the_index_and_load_task_finds_it():
    r = m.resolver
    assert r.location == "class_resolver_tasks.resolver"
    assert r.name() == "ClassStorageTaskResolver"
    assert r.get_all_tasks() == m.SCALERS
    assert [r.loader_args(None, t) for t in m.SCALERS] == [["0"], ["1"], ["2"]]
    assert r.load_task(["2"]) is m.SCALERS[2]
    with pytest.raises(FlyteResolverError, match="no task at index 7"):
        r.load_task(["7"])
    with pytest.raises(FlyteResolverError, match="expected one argument"):
        r.load_task(["1", "2"])


def test_a_resolver_not_assigned_to_a_module_variable_has_no_location():
    def make() -> ClassStorageTaskResolver:
        return ClassStorageTaskResolver()

    with pytest.raises(FlyteResolverError, match="not assigned to a variable"):
        _ = make().location


def test_the_serialized_command_names_the_resolver_and_index():
    settings = SerializationSettings(image_config=default_image_config())
    tt = task_template(m.SCALERS[1], settings)
    args = list(tt.container.args)
    i = args.index("--resolver")
    assert args[i + 1 :] == ["class_resolver_tasks.resolver", "--", "1"]


@pytest.mark.slow
async def test_the_entrypoint_runs_the_task_at_the_index(local_store):
    await local_store.put_inputs({"x": 7}, {"x": int})
    proc = await asyncio.to_thread(run_entrypoint, local_store, ["1"], resolver="class_resolver_tasks.resolver")
    assert proc.returncode == 0, proc.stderr
    assert await local_store.value("o0", int) == 21
