"""The console's rendering and parsing helpers: times and durations, phase badges, identifiers, interfaces,
schedules, plain values, node trees, and the values typed into a signal's form."""

from __future__ import annotations

import datetime
import re
import time
from typing import Any

from flyteidl.core import identifier_pb2, literals_pb2, types_pb2

from aioflyte.server.console import data
from aioflyte.server.console.values import esc, type_text

#: where the console's pages are, on the server's HTTP port
ROOT = "/console"

# --- small formatting helpers ------------------------------------------------------------------------------------


def ts(ts: Any) -> str:
    if not ts.seconds and not ts.nanos:
        return ""
    return ts.ToDatetime(tzinfo=datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def secs(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, s = divmod(int(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h {m}m {s}s" if hours else f"{m}m {s}s"


def span(closure: Any, running: bool) -> tuple[int, int]:
    """(start, end) in ns of an execution closure; end is now while it runs."""
    start = closure.started_at if closure.HasField("started_at") else closure.created_at
    s = start.ToNanoseconds()
    if closure.HasField("duration") and closure.duration.ToNanoseconds() > 0:
        return s, s + closure.duration.ToNanoseconds()
    if running:
        return s, time.time_ns()
    return s, max(s, closure.updated_at.ToNanoseconds())


def ns(ns: int) -> str:
    return datetime.datetime.fromtimestamp(ns / 1e9, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def badge(phase: str) -> str:
    return f'<span class="badge phase-{esc(phase)}" data-phase="{esc(phase)}">{esc(phase)}</span>'


def id_text(ident: identifier_pb2.Identifier) -> str:
    return f"{ident.name}@{ident.version}" if ident.version else ident.name


KIND_PATH = {
    identifier_pb2.TASK: "task",
    identifier_pb2.WORKFLOW: "workflow",
    identifier_pb2.LAUNCH_PLAN: "launch_plan",
}


# --- module helpers --------------------------------------------------------------------------------------------


def attempt_no(path: Any) -> int:
    number = path.parent.name.removeprefix("attempt-")
    return int(number) if number.isdigit() else -1


def node_deck(base: Any, node_id: str) -> str:
    """The deck a node's last attempt wrote (``<execution>/nodes/<node>/attempt-N/deck.html``), as a URI, or "".
    The node of a task launched directly keeps its attempts in the execution's folder."""
    folder = base / "nodes" / node_id
    found = sorted(folder.glob("attempt-*/deck.html"), key=attempt_no)
    if (folder / "deck.html").is_file():
        found.append(folder / "deck.html")
    if not found and node_id not in ("start-node", "end-node"):
        found = sorted(base.glob("attempt-*/deck.html"), key=attempt_no)
    return f"file://{found[-1]}" if found else ""


def short(name: str) -> str:
    """A node's label: the entity's last dotted part, without a map task's hash and array suffix."""
    return re.sub(r"_[0-9a-f]{32}(-arraynode)?$", "", name.rsplit(".", 1)[-1])


def flatten(tree: list[data.NodeView]) -> list[data.NodeView]:
    return [v for v, _ in flatten_depth(tree)]


def flatten_depth(tree: list[data.NodeView], depth: int = 0) -> list[tuple[data.NodeView, int]]:
    out = []
    for v in tree:
        if v.node_id.endswith(("start-node", "end-node")):
            continue
        out.append((v, depth))
        out.extend(flatten_depth(v.children, depth + 1))
    return out


async def dynamic_template(uri: str) -> Any:
    import asyncio
    from pathlib import Path

    from flyteidl.core import dynamic_job_pb2, workflow_pb2

    try:
        raw = await asyncio.to_thread(Path(uri.removeprefix("file://")).read_bytes)
    except OSError:
        return None
    spec = dynamic_job_pb2.DynamicJobSpec.FromString(raw)
    return workflow_pb2.WorkflowTemplate(nodes=spec.nodes)


def interface(interface: Any, lp: Any = None) -> str:
    def table(variables: Any, title: str, defaults: Any = None) -> str:
        rows = []
        for name in variables:
            var = variables[name]
            default = ""
            if defaults is not None and name in defaults:
                p = defaults[name]
                if p.HasField("default"):
                    default = esc(plain(p.default))
                elif p.required:
                    default = '<span class="muted">required</span>'
            rows.append(f"<tr><td><code>{esc(name)}</code></td><td>{esc(type_text(var.type))}</td>"
                        f"<td>{esc(var.description)}</td><td>{default}</td></tr>")  # fmt: skip
        return (
            f"<h2>{title}</h2><table><thead><tr><th>Name</th><th>Type</th><th>Description</th><th>Default</th></tr>"
            f"</thead><tbody>{''.join(rows) or '<tr><td colspan=4 class=muted>none</td></tr>'}</tbody></table>"
        )

    if lp is not None:
        params = lp.closure.expected_inputs.parameters
        fixed = lp.spec.fixed_inputs.literals
        inputs = {n: params[n].var for n in params}
        html = table(inputs, "Inputs", params)
        if fixed:
            html += (
                "<h2>Fixed inputs</h2><ul>"
                + "".join(f"<li><code>{esc(n)}</code> = {esc(plain(fixed[n]))}</li>" for n in sorted(fixed))
                + "</ul>"
            )
        outs = lp.closure.expected_outputs.variables
        return f'<section class="card" id="interface">{html}{table(outs, "Outputs")}</section>'
    return (
        f'<section class="card" id="interface">{table(interface.inputs.variables, "Inputs")}'
        f"{table(interface.outputs.variables, 'Outputs')}</section>"
    )


def plain(lit: literals_pb2.Literal) -> str:
    """A short text form of a literal (defaults, fixed inputs)."""
    s = lit.scalar
    if lit.WhichOneof("value") == "scalar" and s.WhichOneof("value") == "primitive":
        return str(getattr(s.primitive, s.primitive.WhichOneof("value") or "integer"))
    if lit.WhichOneof("value") == "scalar" and s.WhichOneof("value") == "none_type":
        return "None"
    if lit.WhichOneof("value") == "collection":
        return "[" + ", ".join(plain(i) for i in lit.collection.literals[:20]) + "]"
    return lit.WhichOneof("value") or ""


def schedule(spec: Any) -> str:
    sched = spec.entity_metadata.schedule
    which = sched.WhichOneof("ScheduleExpression")
    if which == "cron_expression":
        return f"cron {sched.cron_expression}"
    if which == "cron_schedule":
        return f"cron {sched.cron_schedule.schedule}" + (
            f" ({sched.cron_schedule.offset})" if sched.cron_schedule.offset else ""
        )
    if which == "rate":
        from flyteidl.admin import schedule_pb2

        return f"every {sched.rate.value} {schedule_pb2.FixedRateUnit.Name(sched.rate.unit).lower()}"
    return ""


def parse_value(text: str, lt: types_pb2.LiteralType, signal_id: str) -> literals_pb2.Literal:
    """A form field as a literal of the signal's type; ValueError naming the signal, expected and actual."""
    lit = literals_pb2.Literal()
    p = lit.scalar.primitive
    raw = text.strip()
    simple = lt.simple if lt.WhichOneof("type") == "simple" else None
    try:
        if simple == types_pb2.BOOLEAN:
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            p.boolean = raw.lower() in ("true", "1", "yes")
        elif simple == types_pb2.INTEGER:
            p.integer = int(raw)
        elif simple == types_pb2.FLOAT:
            p.float_value = float(raw)
        elif simple == types_pb2.STRING:
            p.string_value = text
        elif simple == types_pb2.DATETIME:
            dt = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=datetime.timezone.utc)
            p.datetime.FromDatetime(dt.astimezone(datetime.timezone.utc).replace(tzinfo=None))
        elif simple == types_pb2.DURATION:
            p.duration.FromNanoseconds(int(float(raw) * 1e9))
        else:
            raise TypeError
    except TypeError:
        raise ValueError(
            f"signal {signal_id}: the console sets values of simple types only (int, float, str, bool, datetime, "
            f"duration); this one expects {type_text(lt)}: set it with FlyteRemote.set_signal"
        ) from None
    except ValueError:
        raise ValueError(f"signal {signal_id}: expected {type_text(lt)}, got {text!r}") from None
    return lit
