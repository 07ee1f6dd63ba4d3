"""How a conditional's branch node runs locally: evaluate the cases' conditions in order, run the chosen case."""

from __future__ import annotations

from typing import Any

from aioflyte.core.conditional import Branch, describe
from aioflyte.core.graph import START_NODE
from aioflyte.engine.graph_runner import run_graph
from aioflyte.exceptions import ConditionalFailure, NoBranchTakenError
from aioflyte.runscope import RunState


def _holds(branch: Branch, condition: Any, values: dict[str, dict[str, Any]]) -> bool:
    try:
        return bool(condition.eval(values))
    except TypeError as e:
        raise TypeError(f"conditional {branch.name!r}: cannot evaluate {describe(condition, values)}: {e}") from e


async def run_branch(controller: Any, branch: Branch, inputs: dict[str, Any], run: RunState, prefix: str = "") -> Any:
    """Run only the first case whose condition holds; its outputs are the branch's.

    The case's nodes run as a graph under the enclosing graph's node-id ``prefix`` (case node ids are unique in
    the workflow), reading the outside values the branch node was bound to.
    """
    values: dict[str, dict[str, Any]] = {START_NODE: {}}
    for key, v in inputs.items():
        node_id, var = branch.input_source(key)
        values.setdefault(node_id, {})[var] = v
    for i, case in enumerate(branch.all_cases):
        if case.condition is not None and not _holds(branch, case.condition, values):
            continue
        if case.fail_message is not None:
            raise ConditionalFailure(case.fail_message, branch.name)
        outer = {k: v for k, v in values.items() if k != START_NODE}
        graph = case.graph(f"{branch.name}.case{i}", branch.python_interface)
        outputs = await run_graph(controller, graph, values[START_NODE], run, prefix, outer)
        return branch.python_interface.pack_outputs(outputs)
    tried = "; ".join(
        f"{c.kind}({describe(c.condition, values)}) is false" for c in branch.cases if c.condition is not None
    )
    raise NoBranchTakenError(
        f"conditional {branch.name!r}: no case matched ({tried}) and it has no else_(); "
        "add .else_().then(...) or .else_().fail(...)",
        branch.name,
    )
