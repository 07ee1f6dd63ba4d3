"""``FlyteRemote.get_execution_metrics``: an execution's timings as flytekit's ``FlyteExecutionSpan``.

The backend's ``GetExecutionMetrics`` answers a tree of flyteidl ``Span``s: the workflow, its node executions, each
task attempt, and operation spans (``ExecutionRuntime``, ...) with their start and end. ``explain()`` prints it as
a table (flytekit's layout); ``aggregate()`` sums the operations by kind, per node and per attempt.
"""

from __future__ import annotations

import datetime
from typing import Any

from flyteidl.core import identifier_pb2, metrics_pb2

__all__ = ["FlyteExecutionSpan", "aggregate_spans", "get_execution_metrics"]


def _time(ts: Any) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts.ToNanoseconds() / 1e9, tz=datetime.timezone.utc)


def _seconds(span: metrics_pb2.Span) -> float:
    return (span.end_time.ToNanoseconds() - span.start_time.ToNanoseconds()) / 1e9


def _label(span: metrics_pb2.Span) -> Any:
    kind = span.WhichOneof("id")
    if kind == "workflow_id":
        return span.workflow_id.name
    if kind == "node_id":
        return span.node_id.node_id
    if kind == "task_id":
        return span.task_id.retry_attempt
    return span.operation_id


def aggregate_spans(spans: Any) -> dict[str, Any]:
    """Seconds per operation (``breakdown``), with the same for each workflow, node and task attempt below."""
    breakdown: dict[str, float] = {}
    groups: dict[str, dict[Any, Any]] = {"workflow_id": {}, "node_id": {}, "task_id": {}}
    for span in spans:
        kind = span.WhichOneof("id")
        if kind == "operation_id":
            breakdown[span.operation_id] = breakdown.get(span.operation_id, 0.0) + _seconds(span)
            continue
        inner = aggregate_spans(span.spans)
        if kind in groups:
            groups[kind][_label(span)] = inner
        for op, total in inner["breakdown"].items():
            breakdown[op] = breakdown.get(op, 0.0) + total
    out: dict[str, Any] = {"breakdown": breakdown}
    for kind, name in (("task_id", "task_attempts"), ("node_id", "nodes"), ("workflow_id", "workflows")):
        if groups[kind]:
            out[name] = groups[kind]
    return out


class FlyteExecutionSpan:
    """One span of an execution's timings (flytekit's class): wraps a flyteidl ``Span`` (``to_flyte_idl``)."""

    def __init__(self, span: metrics_pb2.Span) -> None:
        self._span = span

    @classmethod
    def from_flyte_idl(cls, pb: metrics_pb2.Span) -> FlyteExecutionSpan:
        return cls(pb)

    def to_flyte_idl(self) -> metrics_pb2.Span:
        return self._span

    @property
    def span(self) -> metrics_pb2.Span:
        return self._span

    @property
    def start_time(self) -> datetime.datetime:
        return _time(self._span.start_time)

    @property
    def end_time(self) -> datetime.datetime:
        return _time(self._span.end_time)

    @property
    def duration(self) -> datetime.timedelta:
        return self.end_time - self.start_time

    @property
    def spans(self) -> list[FlyteExecutionSpan]:
        return [FlyteExecutionSpan(s) for s in self._span.spans]

    @property
    def kind(self) -> str | None:
        """``workflow_id``, ``node_id``, ``task_id`` or ``operation_id``."""
        return self._span.WhichOneof("id")

    @property
    def name(self) -> Any:
        """The workflow execution's name, the node id, the attempt number, or the operation."""
        return _label(self._span)

    def aggregate(self) -> dict[str, Any]:
        return aggregate_spans([self._span])

    def rows(self) -> list[tuple[str, datetime.datetime, datetime.datetime, float, str]]:
        """The operation spans as ``(operation, start, end, seconds, path)`` rows, in tree order."""
        out: list[tuple[str, datetime.datetime, datetime.datetime, float, str]] = []

        def walk(span: metrics_pb2.Span, path: str) -> None:
            kind = span.WhichOneof("id")
            if kind == "operation_id":
                out.append((span.operation_id, _time(span.start_time), _time(span.end_time), _seconds(span), path))
                path = f"{path}/{span.operation_id}"
            elif kind is not None:
                prefix = {"workflow_id": "workflow", "node_id": "node", "task_id": "task"}[kind]
                path = f"{prefix}/{_label(span)}"
            for child in span.spans:
                walk(child, path)

        walk(self._span, "")
        return out

    def explain(self) -> None:
        """Print the operations as a table: operation, start, end, duration and the entity they belong to."""
        print(f"{'operation':25s}{'start_timestamp':25s}{'end_timestamp':25s} {'duration':>8s}    entity")
        print("-" * 140)
        for op, start, end, seconds, path in self.rows():
            print(f"{op:25s}{start:%m-%d %H:%M:%S.%f}{'':10s}{end:%m-%d %H:%M:%S.%f}{'':10s} {seconds:7.2f}s    {path}")

    def __repr__(self) -> str:
        return f"FlyteExecutionSpan({self.kind}={self.name!r}, {self.duration.total_seconds():.3f}s)"


async def get_execution_metrics(
    client: Any, id: identifier_pb2.WorkflowExecutionIdentifier | Any, depth: int = 10
) -> FlyteExecutionSpan:
    """The spans of execution ``id`` (a ``WorkflowExecutionIdentifier`` or a ``FlyteWorkflowExecution``)."""
    ex_id = getattr(id, "id", id) if not isinstance(id, identifier_pb2.WorkflowExecutionIdentifier) else id
    if not isinstance(ex_id, identifier_pb2.WorkflowExecutionIdentifier):
        ex_id = ex_id.to_flyte_idl() if hasattr(ex_id, "to_flyte_idl") else ex_id
    response = await client.get_execution_metrics(ex_id, depth)
    return FlyteExecutionSpan(response.span)
