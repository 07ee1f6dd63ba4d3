"""What the console pages read from the server's state: executions, their node and task executions (nested ones
under their parent), the workflow graph an execution runs, signals, registered entities, log files."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flyteidl.admin import execution_pb2, launch_plan_pb2, node_execution_pb2, task_execution_pb2, task_pb2
from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
from flyteidl.core import compiler_pb2, identifier_pb2, workflow_pb2

from aioflyte.server.store import Key, Store

_PAGE = 2000
#: how much of a log the page shows (its end); the raw route serves all of it
LOG_TAIL = 64 * 1024

KINDS = {"task": identifier_pb2.TASK, "workflow": identifier_pb2.WORKFLOW, "launch_plan": identifier_pb2.LAUNCH_PLAN}


@dataclass
class NodeView:
    """One node execution with its attempts and (for parent nodes) its children."""

    ne: node_execution_pb2.NodeExecution
    tasks: list[task_execution_pb2.TaskExecution] = field(default_factory=list)
    children: list[NodeView] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return str(self.ne.id.node_id)


async def node_tree(executions: Any, key: tuple[str, str, str], parent: str = "", depth: int = 0) -> list[NodeView]:
    """The node executions under ``parent`` ("" for the top level), each with its attempts and children."""
    nodes = await executions.nodes.list_nodes(key, parent, limit=_PAGE, offset=0, sort_key="created_at", ascending=True)
    out = []
    for ne in nodes:
        view = NodeView(ne, await executions.nodes.list_tasks(key, ne.id.node_id, limit=_PAGE, offset=0))
        if ne.metadata.is_parent_node and depth < 8:
            view.children = await node_tree(executions, key, ne.id.node_id, depth + 1)
        out.append(view)
    return out


async def entity(store: Store, kind: int, project: str, domain: str, name: str, version: str) -> Any | None:
    row = await store.get(Key(kind, project, domain, name, version))  # type: ignore[arg-type]
    if row is None:
        return None
    if kind == identifier_pb2.TASK:
        return task_pb2.Task.FromString(row.payload)
    if kind == identifier_pb2.WORKFLOW:
        return admin_workflow_pb2.Workflow.FromString(row.payload)
    lp = launch_plan_pb2.LaunchPlan.FromString(row.payload)
    lp.closure.state = row.state
    return lp


async def workflow_closure(
    store: Store, execution: execution_pb2.Execution
) -> compiler_pb2.CompiledWorkflowClosure | None:
    """The compiled workflow an execution runs (None for a task execution, or when it is not registered here)."""
    wid = execution.closure.workflow_id
    if not wid.name:
        return None
    wf = await entity(store, identifier_pb2.WORKFLOW, wid.project, wid.domain, wid.name, wid.version)
    return None if wf is None else wf.closure.compiled_workflow


def sub_template(
    closure: compiler_pb2.CompiledWorkflowClosure | None, node: workflow_pb2.Node | None
) -> workflow_pb2.WorkflowTemplate | None:
    """The template of a subworkflow node, found in the closure."""
    if closure is None or node is None or node.WhichOneof("target") != "workflow_node":
        return None
    ref = node.workflow_node.sub_workflow_ref
    for sub in closure.sub_workflows:
        tid = sub.template.id
        if (tid.name, tid.version) == (ref.name, ref.version):
            return sub.template
    return None


def node_kind(node: workflow_pb2.Node | None, ne: node_execution_pb2.NodeExecution | None = None) -> str:
    if ne is not None:
        if ne.metadata.is_array:
            return "map"
        if ne.metadata.is_dynamic:
            return "dynamic"
    if node is None:
        return ""
    target = node.WhichOneof("target")
    if target == "workflow_node":
        return "launch plan" if node.workflow_node.WhichOneof("reference") == "launchplan_ref" else "subworkflow"
    return {"task_node": "task", "branch_node": "branch", "gate_node": "gate", "array_node": "map"}.get(
        target or "", target or ""
    )


def log_files(executions: Any, key: tuple[str, str, str], uris: list[str]) -> list[Path]:
    """The local log files of ``uris`` that lie under the execution's folder (others are never read)."""
    base = executions.base(key).resolve()
    out = []
    for uri in uris:
        if not uri.startswith("file://"):
            continue
        path = Path(uri.removeprefix("file://")).resolve()
        if base in path.parents:
            out.append(path)
    return out


def task_log_files(executions: Any, key: tuple[str, str, str]) -> list[Path]:
    """A task execution's attempt logs (``<execution>/logs/attempt-N.log``), in attempt order."""
    folder = executions.base(key) / "logs"
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.startswith("attempt-") and p.name.endswith(".log")]
    return sorted(found, key=lambda p: int(p.name[8:-4]) if p.name[8:-4].isdigit() else 0)


def _tail(path: Path, limit: int) -> tuple[str, int]:
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - limit))
            data = f.read()
    except OSError:
        return "", 0
    text = data.decode(errors="replace")
    if size > limit:
        text = f"[... {size - limit} earlier bytes: open the full log ...]\n" + text.split("\n", 1)[-1]
    return text, size


async def read_tail(path: Path, limit: int = LOG_TAIL) -> tuple[str, int]:
    """The end of a log file and its size."""
    return await asyncio.to_thread(_tail, path, limit)
