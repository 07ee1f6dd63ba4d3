"""The local artifact store: outputs annotated with an ``Artifact`` are recorded when a task produces them, and
artifact queries (a launch plan's default inputs) resolve to the latest matching one.

The store is one SQLite file next to the task cache: ``$AIOFLYTE_ARTIFACTS_DIR/artifacts.db``, else
``artifacts/artifacts.db`` beside the cache directory. Values are kept as literals (what the output would be on
Flyte), so a query gives the value of its input's type. Each operation opens the file on a worker thread.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flyteidl.core import literals_pb2

from aioflyte.core.artifact import (
    OUTPUT_METADATA,
    Artifact,
    ArtifactIDSpecification,
    ArtifactQuery,
    OutputMetadataTracker,
    artifact_spec_of,
)
from aioflyte.core.artifact_records import (
    INSERT,
    SCHEMA,
    ArtifactError,
    ArtifactRecord,
    Wanted,
    find_latest,
    produced,
    wanted,
)
from aioflyte.types.engine import TypeEngine

ARTIFACTS_DIR_ENV = "AIOFLYTE_ARTIFACTS_DIR"
DB_FILENAME = "artifacts.db"


def artifacts_path() -> str:
    """Where the store is: ``$AIOFLYTE_ARTIFACTS_DIR/artifacts.db``, else beside the cache directory."""
    env = os.environ.get(ARTIFACTS_DIR_ENV)
    if env:
        return os.path.join(env, DB_FILENAME)
    from aioflyte.engine.cache import cache_dir

    return os.path.join(os.path.dirname(os.path.abspath(cache_dir())), "artifacts", DB_FILENAME)


@contextmanager
def _connect(path: str) -> Iterator[sqlite3.Connection]:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.executescript(SCHEMA)
        yield conn
        conn.commit()
    finally:
        conn.close()


def _insert(path: str, records: list[ArtifactRecord]) -> None:
    with _connect(path) as conn:
        conn.executemany(INSERT, [r.row() for r in records])


def _find(path: str, w: Wanted) -> ArtifactRecord | None:
    if not os.path.exists(path):
        return None
    with _connect(path) as conn:
        return find_latest(conn, w)


def _all(path: str, name: str | None) -> list[ArtifactRecord]:
    if not os.path.exists(path):
        return []
    with _connect(path) as conn:
        sql = "SELECT project, domain, name, version, partitions, time_partition, granularity, literal, source, "
        sql += "created_at FROM artifacts"
        rows = conn.execute(sql + (" WHERE name = ?" if name else "") + " ORDER BY seq", (name,) if name else ())
        return [ArtifactRecord.from_row(r) for r in rows]


# --- producing -------------------------------------------------------------------------------------------------


def output_artifacts(iface: Any) -> tuple[tuple[str, Any, ArtifactIDSpecification], ...]:
    """(output name, its type, the artifact it names) for each output annotated with an artifact."""
    found = []
    for name, t in iface.outputs.items():
        spec = artifact_spec_of(t)
        if spec is not None:
            found.append((name, t, spec))
    return tuple(found)


def new_tracker() -> tuple[OutputMetadataTracker, Any]:
    """A ``create_from`` tracker for one task run, installed; (tracker, token to reset)."""
    tracker = OutputMetadataTracker()
    return tracker, OUTPUT_METADATA.set(tracker)


async def record_outputs(
    entity: str,
    iface: Any,
    specs: tuple[tuple[str, Any, ArtifactIDSpecification], ...],
    inputs: dict[str, Any],
    result: Any,
    tracker: OutputMetadataTracker | None,
) -> list[ArtifactRecord]:
    """Record the artifacts of one run's outputs; an output whose partitions cannot be known is an error
    naming the entity, the output and the artifact."""
    values = iface.unpack_outputs(result, entity)
    records = []
    now = time.time_ns()
    for name, t, spec in specs:
        v = values[name]
        pid = spec.to_partial_artifact_id()
        meta = tracker.get(v) if tracker is not None else None
        if meta is None and tracker is not None:
            candidates = tracker.for_artifact(spec.artifact)
            meta = candidates[0] if len(candidates) == 1 else None

        def input_value(var: str, artifact: str = spec.artifact.name or "") -> Any:
            if var not in inputs:
                raise ArtifactError(f"Artifact {artifact}: input {var!r} is not an input of {entity}")
            return inputs[var]

        try:
            partitions, tp, granularity = produced(
                pid, input_value, meta.dynamic_partitions if meta else None, meta.time_partition if meta else None
            )
        except ArtifactError as e:
            raise ArtifactError(f"{entity}: output {name}: {e}") from None
        lit = await TypeEngine.async_to_literal(None, v, t)
        a = spec.artifact
        records.append(
            ArtifactRecord(
                project=a.project or "",
                domain=a.domain or "",
                name=a.name or "",
                partitions=partitions,
                time_partition=tp,
                granularity=int(granularity),
                literal=_literal_bytes(lit),
                source=entity,
                created_at=now,
            )
        )
    if records:
        await asyncio.to_thread(_insert, artifacts_path(), records)
    return records


def _literal_bytes(lit: Any) -> bytes:
    pb = lit.to_flyte_idl() if hasattr(lit, "to_flyte_idl") else lit
    return bytes(pb.SerializeToString(deterministic=True))


# --- querying --------------------------------------------------------------------------------------------------


def is_query(value: Any) -> bool:
    return isinstance(value, (ArtifactQuery, Artifact))


async def resolve(entity: str, name: str, query: Any, python_type: Any, inputs: dict[str, Any]) -> Any:
    """The value of input ``name`` of ``entity`` whose value is an artifact query: the latest match, as
    ``python_type``; no match is an error naming the entity, the input and what was asked."""
    q = query.query() if isinstance(query, Artifact) else query
    if isinstance(query, Artifact) and not q.bound:
        raise ArtifactError(
            f"{entity}: input {name}: the Artifact {query.name} leaves partitions unbound; use {query.name}.query(...)"
        )

    def input_value(var: str) -> Any:
        v = inputs.get(var)
        if v is None or is_query(v):
            raise ArtifactError(f"{entity}: input {name}: the query is bound to input {var!r}, which has no value")
        return v

    w = wanted(q.to_flyte_idl(), input_value)
    found = await asyncio.to_thread(_find, artifacts_path(), w)
    if found is None:
        raise ArtifactError(
            f"{entity}: input {name}: no {w.describe()} has been produced (looked in {artifacts_path()})"
        )
    lit = literals_pb2.Literal.FromString(found.literal)
    return await TypeEngine.async_to_python_value(None, lit, python_type)


async def resolve_inputs(entity: str, types: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` with every artifact query replaced by the value it finds (other inputs first: a query may be
    bound to them)."""
    if not any(is_query(v) for v in inputs.values()):
        return inputs
    out = dict(inputs)
    for k, v in inputs.items():
        if is_query(v):
            out[k] = await resolve(entity, k, v, types[k], out)
    return out


async def list_artifacts(name: str | None = None) -> list[ArtifactRecord]:
    """The recorded artifacts (of one name), oldest first."""
    return await asyncio.to_thread(_all, artifacts_path(), name)


__all__ = [
    "ARTIFACTS_DIR_ENV",
    "artifacts_path",
    "list_artifacts",
    "output_artifacts",
    "record_outputs",
    "resolve",
    "resolve_inputs",
]
