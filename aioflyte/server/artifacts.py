"""Artifacts on the local server: the outputs its executions produce, recorded from the task interfaces'
``artifact_partial_id`` (partitions from static values, the node's inputs, or the ``_uap`` metadata a task's
``create_from`` put on the output literal); and the launch plan inputs whose default is an artifact query,
resolved to the latest matching artifact when an execution is created (as Flyte's artifact service does).

The ``artifacts`` table lives in the server's state database (same connection and lock as :class:`Store`).
"""

from __future__ import annotations

import datetime
import weakref
from typing import Any

from flyteidl.core import interface_pb2, literals_pb2

from aioflyte.core.artifact import DYNAMIC_PARTITIONS
from aioflyte.core.artifact_records import (
    INSERT,
    SCHEMA,
    SELECT_BY_NAME,
    ArtifactError,
    ArtifactRecord,
    decode_runtime,
    matches,
    produced,
    wanted,
)
from aioflyte.server.store import Store, now_ns

#: the stores whose database has the table (created on first use)
_opened: weakref.WeakSet[Store] = weakref.WeakSet()


async def _ensure(store: Store) -> None:
    if store not in _opened:
        await store.write(lambda db: db.executescript(SCHEMA))
        _opened.add(store)


def primitive(lit: literals_pb2.Literal) -> Any:
    """A scalar literal's Python value (what a partition bound to an input reads), else None."""
    scalar = lit.scalar
    if scalar.HasField("union"):
        return primitive(scalar.union.value)
    if not scalar.HasField("primitive"):
        return None
    p = scalar.primitive
    kind = p.WhichOneof("value")
    if kind == "datetime":
        return p.datetime.ToDatetime()
    if kind == "duration":
        return p.duration.ToTimedelta()
    return getattr(p, kind) if kind else None


async def record_outputs(
    store: Store,
    project: str,
    domain: str,
    source: str,
    interface: interface_pb2.TypedInterface,
    inputs: literals_pb2.LiteralMap,
    outputs: literals_pb2.LiteralMap,
) -> list[ArtifactRecord]:
    """Record the outputs of a node whose variables name artifacts; returns the records."""
    records = []
    now = now_ns()
    for name, var in interface.outputs.variables.items():
        if not var.HasField("artifact_partial_id") or name not in outputs.literals:
            continue
        pid = var.artifact_partial_id
        lit = outputs.literals[name]
        runtime: tuple[dict[str, str], datetime.datetime | None] = ({}, None)
        if DYNAMIC_PARTITIONS in lit.metadata:
            runtime = decode_runtime(lit.metadata[DYNAMIC_PARTITIONS])

        def input_value(var_name: str) -> Any:
            if var_name not in inputs.literals:
                raise ArtifactError(f"input {var_name!r} has no value")
            return primitive(inputs.literals[var_name])

        try:
            partitions, tp, granularity = produced(pid, input_value, runtime[0] or None, runtime[1])
        except ArtifactError as e:
            raise ArtifactError(f"{source}: output {name}: {e}") from None
        records.append(
            ArtifactRecord(
                project=pid.artifact_key.project or project,
                domain=pid.artifact_key.domain or domain,
                name=pid.artifact_key.name,
                partitions=partitions,
                time_partition=tp,
                granularity=int(granularity),
                literal=lit.SerializeToString(deterministic=True),
                source=source,
                created_at=now,
            )
        )
    if records:
        await _ensure(store)
        rows = [r.row() for r in records]
        await store.write(lambda db: db.executemany(INSERT, rows))
    return records


async def find(store: Store, w: Any) -> ArtifactRecord | None:
    await _ensure(store)
    for row in await store.read(SELECT_BY_NAME, (w.name,)):
        r = ArtifactRecord.from_row(row)
        if matches(r, w):
            return r
    return None


async def resolve_queries(
    store: Store, parameters: Any, merged: literals_pb2.LiteralMap, project: str, domain: str, what: str
) -> list[str]:
    """Fill ``merged`` with the artifact each query parameter left out of it finds; the parameters for which
    none is found, described (the caller reports them)."""
    missing = []
    for name in sorted(parameters):
        param: interface_pb2.Parameter = parameters[name]
        if name in merged.literals or not param.HasField("artifact_query"):
            continue

        def input_value(var: str, name: str = name) -> Any:
            if var not in merged.literals:
                raise ArtifactError(f"input {name}: the query is bound to input {var!r}, which has no value")
            return primitive(merged.literals[var])

        try:
            w = wanted(param.artifact_query, input_value, project, domain)
        except ArtifactError as e:
            missing.append(f"{name} ({e})")
            continue
        found = await find(store, w)
        if found is None:
            missing.append(f"{name} (no {w.describe()} has been produced)")
            continue
        merged.literals[name].CopyFrom(literals_pb2.Literal.FromString(found.literal))
    return missing


__all__ = ["find", "primitive", "record_outputs", "resolve_queries"]
