"""What the engine's and the server's artifact stores share: the partition values an output gets (from its
``artifact_partial_id``, the run's inputs and ``create_from``), what a query asks for, and which record matches.

A record is (project, domain, name, partitions, time partition, when it was made, the value as a literal); a
query matches the latest record of its name whose partitions include the query's, and whose time partition falls
in the same period (the artifact's granularity: minute, hour, day, month) as the query's.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flyteidl.core import artifact_id_pb2 as art_id

from aioflyte.exceptions import ArtifactError as ArtifactError

#: The table both stores keep (the server's in its state database, the engine's in its own file).
SCHEMA = """
CREATE TABLE IF NOT EXISTS artifacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL,
    domain TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    partitions TEXT NOT NULL,
    time_partition INTEGER,
    granularity INTEGER NOT NULL,
    literal BLOB NOT NULL,
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS artifacts_by_name ON artifacts (name, seq);
"""
INSERT = (
    "INSERT INTO artifacts (project, domain, name, version, partitions, time_partition, granularity, literal, "
    "source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT_BY_NAME = (
    "SELECT project, domain, name, version, partitions, time_partition, granularity, literal, source, created_at "
    "FROM artifacts WHERE name = ? ORDER BY seq DESC"
)


def label(value: Any) -> str:
    """A partition value as a string (an input bound to a partition: its value's text)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _utc(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def truncate(value: datetime.datetime, granularity: int) -> datetime.datetime:
    """The start of the period (minute, hour, day (the default), month) that ``value`` (UTC) falls in."""
    v = _utc(value)
    if granularity == art_id.MINUTE:
        return v.replace(second=0, microsecond=0)
    if granularity == art_id.HOUR:
        return v.replace(minute=0, second=0, microsecond=0)
    if granularity == art_id.MONTH:
        return v.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return v.replace(hour=0, minute=0, second=0, microsecond=0)


def to_ns(value: datetime.datetime) -> int:
    v = _utc(value)
    delta = v - datetime.datetime(1970, 1, 1)
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def from_ns(ns: int) -> datetime.datetime:
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=ns // 1000)


@dataclass
class ArtifactRecord:
    """One artifact: its key, partitions, time partition, and value (a serialized ``Literal``)."""

    project: str
    domain: str
    name: str
    partitions: dict[str, str] = field(default_factory=dict)
    time_partition: datetime.datetime | None = None
    granularity: int = art_id.DAY
    literal: bytes = b""
    version: str = ""
    source: str = ""
    created_at: int = 0

    def row(self) -> tuple[Any, ...]:
        return (
            self.project,
            self.domain,
            self.name,
            self.version,
            json.dumps(self.partitions, sort_keys=True),
            to_ns(self.time_partition) if self.time_partition is not None else None,
            int(self.granularity),
            self.literal,
            self.source,
            self.created_at,
        )

    @classmethod
    def from_row(cls, r: Any) -> ArtifactRecord:
        return cls(
            project=r[0],
            domain=r[1],
            name=r[2],
            version=r[3],
            partitions=json.loads(r[4]),
            time_partition=from_ns(r[5]) if r[5] is not None else None,
            granularity=r[6],
            literal=r[7],
            source=r[8],
            created_at=r[9],
        )


def produced(
    pid: art_id.ArtifactID,
    input_value: Callable[[str], Any],
    runtime_partitions: Mapping[str, str] | None,
    runtime_time: datetime.datetime | None,
) -> tuple[dict[str, str], datetime.datetime | None, int]:
    """(partitions, time partition, granularity) of an output whose variable carries ``pid``.

    ``input_value(name)`` gives the run's input ``name`` (a Python value); values set at run time come from
    ``create_from``. A partition left to run time and never set is an error naming the artifact and partition.
    """
    name = pid.artifact_key.name
    partitions: dict[str, str] = {}
    if pid.HasField("partitions"):
        for k, v in pid.partitions.value.items():
            partitions[k] = _value(name, k, v, input_value, (runtime_partitions or {}).get(k))
    tp: datetime.datetime | None = None
    granularity = art_id.DAY
    if pid.HasField("time_partition"):
        granularity = pid.time_partition.granularity or art_id.DAY
        v = pid.time_partition.value
        kind = v.WhichOneof("value")
        if kind == "time_value":
            tp = v.time_value.ToDatetime()
        elif kind == "input_binding":
            got = input_value(v.input_binding.var)
            if not isinstance(got, datetime.datetime):
                raise ArtifactError(
                    f"Artifact {name}: the time partition is bound to input {v.input_binding.var!r}, which is "
                    f"{type(got).__name__}, not a datetime"
                )
            tp = got
        else:  # set at run time
            if runtime_time is None:
                raise ArtifactError(
                    f"Artifact {name}: the time partition is set at run time, but the task did not set it "
                    f"(return {name}.create_from(value, time_partition=...))"
                )
            tp = runtime_time
    return partitions, tp, granularity


def _value(
    artifact: str, key: str, v: art_id.LabelValue, input_value: Callable[[str], Any], runtime: str | None
) -> str:
    kind = v.WhichOneof("value")
    if kind == "static_value":
        return v.static_value
    if kind == "input_binding":
        return label(input_value(v.input_binding.var))
    if kind == "time_value":
        return label(v.time_value.ToDatetime())
    if runtime is None:
        raise ArtifactError(
            f"Artifact {artifact}: partition {key!r} is set at run time, but the task did not set it "
            f"(return {artifact}.create_from(value, {key}=...))"
        )
    return runtime


@dataclass
class Wanted:
    """What a query asks for (its input bindings already resolved)."""

    name: str
    project: str | None = None
    domain: str | None = None
    partitions: dict[str, str] = field(default_factory=dict)
    time_partition: datetime.datetime | None = None
    granularity: int = art_id.DAY

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in sorted(self.partitions.items())]
        if self.time_partition is not None:
            parts.append(f"time_partition={self.time_partition.isoformat()}")
        where = f"{self.project}/{self.domain}/" if self.project or self.domain else ""
        return f"artifact {where}{self.name}" + (f" ({', '.join(parts)})" if parts else "")


def wanted(q: art_id.ArtifactQuery, input_value: Callable[[str], Any], project: str = "", domain: str = "") -> Wanted:
    """The query ``q`` (serialized), with partitions bound to inputs read through ``input_value``; an empty
    project/domain in the query means the one given (the launch plan's)."""
    if q.WhichOneof("identifier") != "artifact_id":
        raise ArtifactError(f"only queries by artifact id are supported, got a query by {q.WhichOneof('identifier')}")
    aid = q.artifact_id
    w = Wanted(
        name=aid.artifact_key.name,
        project=aid.artifact_key.project or project or None,
        domain=aid.artifact_key.domain or domain or None,
    )
    if aid.HasField("partitions"):
        for k, v in aid.partitions.value.items():
            kind = v.WhichOneof("value")
            if kind == "static_value" and v.static_value == "":
                continue  # unset: any value
            if kind == "static_value":
                w.partitions[k] = v.static_value
            elif kind == "input_binding":
                w.partitions[k] = label(input_value(v.input_binding.var))
            elif kind == "time_value":
                w.partitions[k] = label(v.time_value.ToDatetime())
    if aid.HasField("time_partition"):
        w.granularity = aid.time_partition.granularity or art_id.DAY
        v = aid.time_partition.value
        kind = v.WhichOneof("value")
        if kind == "time_value":
            w.time_partition = v.time_value.ToDatetime()
        elif kind == "input_binding":
            got = input_value(v.input_binding.var)
            if isinstance(got, datetime.datetime):
                w.time_partition = got
    return w


def matches(r: ArtifactRecord, w: Wanted) -> bool:
    if r.name != w.name:
        return False
    if w.project and r.project and r.project != w.project:
        return False
    if w.domain and r.domain and r.domain != w.domain:
        return False
    if any(r.partitions.get(k) != v for k, v in w.partitions.items()):
        return False
    if w.time_partition is not None:
        if r.time_partition is None:
            return False
        g = r.granularity or w.granularity
        return truncate(r.time_partition, g) == truncate(w.time_partition, g)
    return True


def find_latest(conn: sqlite3.Connection, w: Wanted) -> ArtifactRecord | None:
    """The latest record matching ``w`` in a database holding ``SCHEMA`` (sync: run it off the loop)."""
    for row in conn.execute(SELECT_BY_NAME, (w.name,)):
        r = ArtifactRecord.from_row(row)
        if matches(r, w):
            return r
    return None


__all__ = [
    "SCHEMA",
    "ArtifactError",
    "ArtifactRecord",
    "Wanted",
    "find_latest",
    "label",
    "matches",
    "produced",
    "truncate",
    "wanted",
]


# --- partitions set at run time, carried on the output literal's metadata (flytekit's ``_uap``) ---------------


def encode_runtime(
    partitions: Mapping[str, str] | None, time_partition: datetime.datetime | None, granularity: Any
) -> str:
    """What ``create_from`` set, as flytekit writes it in an output literal's metadata: a base64 ``ArtifactID``."""
    import base64

    from google.protobuf.timestamp_pb2 import Timestamp

    aid = art_id.ArtifactID()
    if partitions:
        aid.partitions.CopyFrom(
            art_id.Partitions(value={k: art_id.LabelValue(static_value=v) for k, v in partitions.items()})
        )
    if time_partition is not None:
        ts = Timestamp()
        ts.FromDatetime(time_partition)
        aid.time_partition.CopyFrom(
            art_id.TimePartition(value=art_id.LabelValue(time_value=ts), granularity=granularity)
        )
    return base64.b64encode(aid.SerializeToString()).decode("utf-8")


def decode_runtime(encoded: str) -> tuple[dict[str, str], datetime.datetime | None]:
    """The partitions and time partition an output literal's ``_uap`` metadata carries."""
    import base64

    aid = art_id.ArtifactID.FromString(base64.b64decode(encoded))
    partitions = {k: v.static_value for k, v in aid.partitions.value.items()} if aid.HasField("partitions") else {}
    tp = None
    if aid.HasField("time_partition") and aid.time_partition.value.HasField("time_value"):
        tp = aid.time_partition.value.time_value.ToDatetime()
    return partitions, tp
