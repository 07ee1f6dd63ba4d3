"""A task launched directly (``FlyteRemote.execute(task)``, a task launch plan) runs as flyteadmin runs it: wrapped
in a one-node workflow whose single task node is named after the task. So the execution has the node executions
Flyte gives it (``start-node``, the task's node, ``end-node``), the task node has its task executions (attempts),
inputs, outputs, logs and ``deck_uri``, and dynamic tasks run their nodes nested under it. The task node's files
stay in the execution's own directory (``inputs.pb``, ``attempt-<n>/``, ``logs/``), as they were before nodes were
recorded for it.
"""

from __future__ import annotations

import base64
import unicodedata

from flyteidl.core import literals_pb2, tasks_pb2, workflow_pb2

from aioflyte.server.executions.bindings import START_NODE, Scope
from aioflyte.server.executions.records import RunContext, id_key

#: The longest node id flyteadmin keeps as it is (``flytestdlib/utils.MaxUniqueIDLength``); longer ones are hashed.
MAX_NODE_ID = 30
_B32 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"abcdefghijklmnopqrstuvwxyz123456")


def _fnv32a(data: bytes) -> bytes:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h.to_bytes(4, "big")


def task_node_id(task_name: str) -> str:
    """The id flyteadmin gives the node of a task launched directly: the task's name with only letters, digits and
    ``-`` kept (``wf.tasks.add_one`` becomes ``wftasksaddone``); past 30 characters, ``f`` and the name's 32-bit
    FNV-1a hash in Flyte's base32 alphabet."""
    kept = "".join(c for c in task_name if c == "-" or unicodedata.category(c)[0] in ("L", "N"))
    if len(kept.encode()) <= MAX_NODE_ID:
        return kept
    return "f" + base64.b32encode(_fnv32a(kept.encode())).translate(_B32).decode().rstrip("=")


def task_node(template: tasks_pb2.TaskTemplate) -> workflow_pb2.Node:
    """The one node of the workflow flyteadmin makes for a task (its inputs come from the execution's inputs)."""
    node_id = task_node_id(template.id.name)
    node = workflow_pb2.Node(id=node_id, metadata=workflow_pb2.NodeMetadata(name=node_id))
    node.task_node.reference_id.CopyFrom(template.id)
    return node


async def run_single_task(
    ctx: RunContext, template: tasks_pb2.TaskTemplate, inputs: literals_pb2.LiteralMap
) -> literals_pb2.LiteralMap:
    """Run the task as its one-node workflow (start node, task node, end node, recorded as a workflow's are); the
    task's outputs, or ``NodeFailed``."""
    from aioflyte.server.executions.workflow import END_NODE, Walker

    node = task_node(template)
    ctx.tasks.setdefault(id_key(template.id), template)
    ctx.node_dirs[node.id] = ctx.base
    walker = Walker(ctx)
    await walker.marker(START_NODE, "", "", inputs)
    outputs = await walker.run_node(node, Scope(inputs), "", "", given=inputs)
    await walker.marker(END_NODE, "", "", outputs)
    return outputs
