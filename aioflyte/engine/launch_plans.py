"""How a launch plan runs locally: a child run of its workflow, with the launch plan's inputs and settings.

As on Flyte, the child run has its own execution id, ``max_parallelism``, ``overwrite_cache`` and raw output
prefix; it shares the parent's node tracker and signals, so a handle on the parent sees into it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aioflyte.core.launch_plan import LaunchPlan
from aioflyte.runscope import RunState, run_scope


async def run_launch_plan(controller: Any, lp: LaunchPlan, inputs: dict[str, Any], run: RunState | None) -> Any:
    """Run ``lp``'s workflow as a child of ``run`` (its fixed inputs win; defaults were filled when binding)."""
    wf = lp.workflow
    child = RunState(
        raw_output_prefix=getattr(lp.raw_output_data_config, "output_location_prefix", None)
        or (run.raw_output_base if run is not None else None),
        loop=asyncio.get_running_loop(),
    )
    child.max_parallelism = lp.max_parallelism or getattr(wf.default_options, "max_parallelism", None)
    child.overwrite_cache = bool(lp.overwrite_cache)
    if run is not None:
        child.tracker = run.tracker
        child.signals = run.signals
    from aioflyte.engine.artifacts import resolve_inputs

    # default inputs that are artifact queries: the latest matching artifact, found as the run starts
    values = await resolve_inputs(
        f"LaunchPlan {lp.name}", wf.python_interface.input_types, {**inputs, **lp.fixed_inputs}
    )
    with run_scope(child):
        return await controller.run_workflow(wf, values)
