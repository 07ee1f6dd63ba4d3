"""``IgnoreOutputs`` raised by a task in a container: the attempt succeeds and writes neither outputs nor an error."""

from __future__ import annotations

import pytest
from entrypoint_helpers import RESOLVE, run_entrypoint

pytestmark = pytest.mark.slow  # runs the entrypoint as a subprocess


async def test_ignore_outputs_writes_nothing(local_store):
    await local_store.put_inputs({"a": 3}, {"a": int})
    proc = run_entrypoint(local_store, [*RESOLVE, "ignores_outputs"])
    assert proc.returncode == 0, proc.stderr
    assert not await local_store.exists("out", "outputs.pb")
    assert not await local_store.exists("out", "error.pb")
    assert "IgnoreOutputs" in proc.stderr and "worker 3 is not the chief" in proc.stderr


def test_run_locally_it_fails_the_task_as_in_flytekit():
    from tasks_for_entrypoint import ignores_outputs

    import aioflyte
    from aioflyte.core.base_task import IgnoreOutputs

    with pytest.raises(IgnoreOutputs, match="worker 1"):
        aioflyte.run(ignores_outputs, a=1)
