"""``aioflyte get executions | execution ID | tasks | workflows | launchplans``: list and inspect what a backend
holds, as ``flytectl get`` does (a table, or the Admin messages with ``-o json|yaml``).

    aioflyte get executions -p flytesnacks -d development --filter phase=FAILED --limit 20
    aioflyte get execution f8a2c3d4e5 -o yaml
    aioflyte get tasks my_pkg.flows.shout
    aioflyte get launchplans --filter state=ACTIVE
"""

from __future__ import annotations

from typing import Any

import click
from flyteidl.admin import common_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2

from aioflyte.cli._remote import (
    dump,
    duration_text,
    execution_id_text,
    output_option,
    parse_execution_id,
    parse_filters,
    pass_remote,
    print_table,
    remote_options,
    timestamp_text,
    to_dict,
)

_WF_PHASE = core_execution_pb2.WorkflowExecution.Phase
_NODE_PHASE = core_execution_pb2.NodeExecution.Phase
_ERROR_KIND = core_execution_pb2.ExecutionError.ErrorKind
_KIND = {identifier_pb2.TASK: "task", identifier_pb2.WORKFLOW: "workflow", identifier_pb2.LAUNCH_PLAN: "launch plan"}


def _list_options(f: Any) -> Any:
    f = click.option(
        "--filter",
        "filters",
        multiple=True,
        help="FIELD=VALUE (also !=, >, >=, <, <=; comma-separated), or flyteadmin's fn(field,value). Repeatable.",
    )(f)
    f = click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1), help="At most this many.")(
        f
    )
    return f


def literal_text(lit: Any) -> str:
    """A short readable form of a ``flyteidl.core.Literal`` (primitives, lists, maps, blobs, dataframes, JSON)."""
    kind = lit.WhichOneof("value")
    if kind == "collection":
        return "[" + ", ".join(literal_text(x) for x in lit.collection.literals) + "]"
    if kind == "map":
        return "{" + ", ".join(f"{k}: {literal_text(v)}" for k, v in lit.map.literals.items()) + "}"
    if kind == "offloaded_metadata":
        return f"<offloaded {lit.offloaded_metadata.uri}>"
    if kind != "scalar":
        return f"<{kind}>"
    sc = lit.scalar
    skind = sc.WhichOneof("value")
    if skind == "primitive":
        p = sc.primitive
        pkind = p.WhichOneof("value")
        if pkind == "datetime":
            return p.datetime.ToJsonString()
        if pkind == "duration":
            return p.duration.ToJsonString()
        return repr(getattr(p, pkind)) if pkind == "string_value" else str(getattr(p, pkind))
    if skind == "none_type":
        return "None"
    if skind == "blob":
        return sc.blob.uri
    if skind == "structured_dataset":
        return sc.structured_dataset.uri
    if skind == "generic":
        from google.protobuf.json_format import MessageToJson

        return MessageToJson(sc.generic, indent=None)
    if skind == "binary":
        return f"<binary {sc.binary.tag} {len(sc.binary.value)} bytes>"
    if skind == "union":
        return literal_text(sc.union.value)
    if skind == "error":
        return f"<error {sc.error.message}>"
    return f"<{skind}>"


def _error_text(closure: Any) -> str:
    if closure.HasField("error"):
        first = closure.error.message.strip().splitlines()
        return f"{closure.error.code}: {first[-1] if first else ''}"
    if "abort_metadata" in closure.DESCRIPTOR.fields_by_name and closure.HasField("abort_metadata"):
        return f"aborted: {closure.abort_metadata.cause}"
    return ""


def _execution_row(ex: Any) -> list[str]:
    lp = ex.spec.launch_plan
    return [
        ex.id.name,
        lp.name,
        lp.version,
        _KIND.get(lp.resource_type, ""),
        _WF_PHASE.Name(ex.closure.phase),
        timestamp_text(ex.closure.started_at),
        duration_text(ex.closure.duration),
        _error_text(ex.closure),
    ]


@click.group("get")
def get() -> None:
    """Get executions, tasks, workflows and launch plans from a backend (flytectl get's habits)."""


@get.command("executions")
@remote_options
@_list_options
@output_option
@pass_remote
async def get_executions(
    remote: Any, *, project: str, domain: str, filters: tuple[str, ...], limit: int, output: str
) -> None:
    """List the executions of a project and domain, newest first."""
    executions, _ = await remote.client.list_executions(project, domain, limit=limit, filters=parse_filters(filters))
    if output != "table":
        dump([to_dict(e) for e in executions], output)
        return
    columns = ["NAME", "LAUNCHED", "VERSION", "TYPE", "PHASE", "STARTED", "ELAPSED", "ERROR"]
    print_table(None, columns, (_execution_row(e) for e in executions))


async def _nodes(client: Any, ex_id: Any, parent: str = "", depth: int = 0) -> list[tuple[int, Any]]:
    """The execution's node executions, children (subworkflows, dynamic nodes, map items) under their parent."""
    out: list[tuple[int, Any]] = []
    async for ne in client.iter_node_executions(ex_id, unique_parent_id=parent):
        out.append((depth, ne))
        if ne.metadata.is_parent_node and depth < 5:
            out += await _nodes(client, ex_id, ne.id.node_id, depth + 1)
    return out


@get.command("execution")
@click.argument("execution_id", metavar="EXECUTION")
@remote_options
@output_option
@pass_remote
async def get_execution(remote: Any, *, project: str, domain: str, execution_id: str, output: str) -> None:
    """One execution: its phase, timing, inputs, outputs, error and nodes.

    EXECUTION is a NAME (in --project/--domain), PROJECT/DOMAIN/NAME, or ex:PROJECT:DOMAIN:NAME."""
    ex_id = parse_execution_id(execution_id, project, domain)
    ex = await remote.client.get_execution(ex_id)
    data = await remote.client.get_execution_data(ex_id)
    nodes = await _nodes(remote.client, ex_id)
    if output != "table":
        doc = to_dict(ex)
        doc["inputs"] = to_dict(data.full_inputs).get("literals", {})
        doc["outputs"] = to_dict(data.full_outputs).get("literals", {})
        doc["nodeExecutions"] = [to_dict(ne) for _, ne in nodes]
        dump(doc, output)
        return
    lp = ex.spec.launch_plan
    rows = [
        ("execution", execution_id_text(ex.id)),
        ("launched", f"{_KIND.get(lp.resource_type, '')} {lp.name}@{lp.version}"),
        ("phase", _WF_PHASE.Name(ex.closure.phase)),
        ("started", timestamp_text(ex.closure.started_at)),
        ("elapsed", duration_text(ex.closure.duration)),
        ("console", remote.generate_console_url(ex.id)),
    ]
    rows += [(f"input {k}", literal_text(v)) for k, v in data.full_inputs.literals.items()]
    rows += [(f"output {k}", literal_text(v)) for k, v in data.full_outputs.literals.items()]
    if ex.closure.HasField("error"):
        rows.append(("error", f"{ex.closure.error.code} ({_ERROR_KIND.Name(ex.closure.error.kind)})"))
    if ex.closure.HasField("abort_metadata"):
        rows.append(("aborted", ex.closure.abort_metadata.cause))
    print_table(None, ["", ""], rows)
    if ex.closure.HasField("error"):
        click.echo(ex.closure.error.message.rstrip())
    print_table(
        "nodes",
        ["NODE", "PHASE", "STARTED", "ELAPSED", "ERROR"],
        (
            [
                "  " * depth + ne.id.node_id,
                _NODE_PHASE.Name(ne.closure.phase),
                timestamp_text(ne.closure.started_at),
                duration_text(ne.closure.duration),
                _error_text(ne.closure),
            ]
            for depth, ne in nodes
        ),
    )


def _entity_command(kind: str, list_name: str, columns: list[str], row: Any) -> click.Command:
    @click.argument("name", required=False)
    @remote_options
    @_list_options
    @output_option
    @pass_remote
    async def command(
        remote: Any,
        *,
        project: str,
        domain: str,
        name: str | None,
        filters: tuple[str, ...],
        limit: int,
        output: str,
    ) -> None:
        lister = getattr(remote.client, list_name)
        sort = common_pb2.Sort(key="created_at", direction=common_pb2.Sort.DESCENDING)
        items, _ = await lister(project, domain, name or "", limit=limit, filters=parse_filters(filters), sort=sort)
        if output != "table":
            dump([to_dict(i) for i in items], output)
            return
        print_table(None, columns, (row(i) for i in items))

    command.__doc__ = (
        f"List {kind} versions of a project and domain (of NAME only, when given), newest first."
        if kind != "launch plan"
        else "List launch plan versions (of NAME only, when given), newest first, with their state and schedule."
    )
    return click.command(kind.replace(" ", "") + "s")(command)


def _schedule_text(lp: Any) -> str:
    sched = lp.spec.entity_metadata.schedule
    kind = sched.WhichOneof("ScheduleExpression")
    if kind == "cron_expression":
        return sched.cron_expression
    if kind == "cron_schedule":
        return sched.cron_schedule.schedule
    if kind == "rate":
        unit = ("minute", "hour", "day")[sched.rate.unit] if sched.rate.unit < 3 else str(sched.rate.unit)
        return f"every {sched.rate.value} {unit}(s)"
    return ""


get.add_command(
    _entity_command(
        "task",
        "list_tasks",
        ["NAME", "VERSION", "TYPE", "CREATED"],
        lambda t: [
            t.id.name,
            t.id.version,
            t.closure.compiled_task.template.type,
            timestamp_text(t.closure.created_at),
        ],
    )
)
get.add_command(
    _entity_command(
        "workflow",
        "list_workflows",
        ["NAME", "VERSION", "CREATED"],
        lambda w: [w.id.name, w.id.version, timestamp_text(w.closure.created_at)],
    )
)
get.add_command(
    _entity_command(
        "launch plan",
        "list_launch_plans",
        ["NAME", "VERSION", "WORKFLOW", "STATE", "SCHEDULE", "CREATED"],
        lambda lp: [
            lp.id.name,
            lp.id.version,
            lp.spec.workflow_id.name,
            "ACTIVE" if lp.closure.state == 1 else "INACTIVE",
            _schedule_text(lp),
            timestamp_text(lp.closure.created_at),
        ],
    )
)
