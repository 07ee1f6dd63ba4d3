"""``Artifact``: a name (and partitions, a time partition) given to data a task or workflow produces, and queries
that find the latest such data again (flytekit's ``flytekit.core.artifact``, same names and serialized forms).

* ``Annotated[T, MyData]`` or ``Annotated[T, MyData(region="eu", time_partition=Inputs.day)]`` on an output: the
  output is recorded as an artifact when the task runs; its interface carries the partial artifact id
  (``Variable.artifact_partial_id``). Partitions are static strings, inputs of the task (``Inputs.x``), or left
  to the body: ``return MyData.create_from(value, region="eu")``.
* ``MyData.query(region="eu")`` as a launch plan's (or workflow's) default input: the value is the latest artifact
  matching the query when the execution starts (``Parameter.artifact_query``).

Locally the engine records artifacts in a small store next to the task cache and resolves queries against it;
``aioflyte serve`` does the same in its state (docs/artifacts.md).
"""

from __future__ import annotations

import contextvars
import datetime
import typing
from dataclasses import dataclass, field
from typing import Any

from flyteidl.core import artifact_id_pb2 as art_id
from flyteidl.core.artifact_id_pb2 import Granularity
from flyteidl.core.artifact_id_pb2 import Operator as Op
from google.protobuf.timestamp_pb2 import Timestamp

TIME_PARTITION_KWARG = "time_partition"
MAX_PARTITIONS = 10
#: The partition value that says "set when the task runs" (``create_from``), flytekit's sentinel.
DYNAMIC_INPUT_BINDING = art_id.LabelValue(runtime_binding=art_id.RuntimeBinding())
#: The literal metadata key under which a task's output carries partitions set at run time (flytekit's).
DYNAMIC_PARTITIONS = "_uap"


def _timestamp(value: datetime.datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(value)
    return t


class InputsBase:
    """``Inputs.x``: the value of input ``x`` of the task or workflow, as a partition value."""

    def __getattr__(self, name: str) -> art_id.InputBindingData:
        if name.startswith("__"):
            raise AttributeError(name)
        return art_id.InputBindingData(var=name)


Inputs = InputsBase()


class TimePartition:
    """An artifact's time partition: a time, an input's value, or unset (filled in later); ``+``/``-`` a
    ``timedelta`` shift it in a query."""

    def __init__(
        self,
        value: art_id.LabelValue | art_id.InputBindingData | datetime.datetime | None,
        op: Any = None,
        other: datetime.timedelta | None = None,
        granularity: Any = Granularity.DAY,
    ) -> None:
        if isinstance(value, str):
            raise ValueError(f"TimePartition: the value must be a datetime or Inputs.<name>, not the str {value!r}")
        if isinstance(value, datetime.datetime):
            value = art_id.LabelValue(time_value=_timestamp(value))
        elif isinstance(value, art_id.InputBindingData):
            value = art_id.LabelValue(input_binding=value)
        elif value is not None and not isinstance(value, art_id.LabelValue):
            raise ValueError(
                "TimePartition: the value must be a datetime, Inputs.<name> or a LabelValue, "
                f"got {type(value).__name__}"
            )
        self.value: art_id.LabelValue | None = value
        self.op = op
        self.other = other
        self.reference_artifact: Artifact | None = None
        self.granularity = granularity

    def __add__(self, other: datetime.timedelta) -> TimePartition:
        tp = TimePartition(self.value, op=Op.PLUS, other=other, granularity=self.granularity)
        tp.reference_artifact = self.reference_artifact
        return tp

    def __sub__(self, other: datetime.timedelta) -> TimePartition:
        tp = TimePartition(self.value, op=Op.MINUS, other=other, granularity=self.granularity)
        tp.reference_artifact = self.reference_artifact
        return tp

    def to_flyte_idl(self, **kwargs: Any) -> art_id.TimePartition | None:
        return Serializer.time_partition_to_idl(self, **kwargs)

    def __repr__(self) -> str:
        v = self.value
        if v is None or v.WhichOneof("value") is None:
            return "TimePartition(unset)"
        if v.HasField("time_value"):
            return f"TimePartition({v.time_value.ToDatetime()})"
        if v.HasField("input_binding"):
            return f"TimePartition(Inputs.{v.input_binding.var})"
        return "TimePartition(set at run time)"


class Partition:
    """One partition's value: a static string, an input binding, set at run time, or unset (``None``)."""

    def __init__(self, value: art_id.LabelValue | None, name: str) -> None:
        self.name = name
        self.value = value
        self.reference_artifact: Artifact | None = None

    def __repr__(self) -> str:
        return f"Partition({self.name}={_label_repr(self.value)})"


def _label_repr(v: art_id.LabelValue | None) -> str:
    if v is None:
        return "unset"
    kind = v.WhichOneof("value")
    if kind == "static_value":
        return repr(v.static_value)
    if kind == "input_binding":
        return f"Inputs.{v.input_binding.var}"
    if kind == "runtime_binding":
        return "<set at run time>"
    return str(v).strip()


class Partitions:
    """Partition values by key (``str``, ``Inputs.x`` or ``Partition``)."""

    def __init__(self, partitions: typing.Mapping[str, Any] | None) -> None:
        self._partitions: dict[str, Partition] = {}
        for k, v in (partitions or {}).items():
            if isinstance(v, Partition):
                self._partitions[k] = v
            elif isinstance(v, art_id.InputBindingData):
                self._partitions[k] = Partition(art_id.LabelValue(input_binding=v), name=k)
            elif isinstance(v, str):
                self._partitions[k] = Partition(art_id.LabelValue(static_value=v), name=k)
            else:
                raise ValueError(
                    f"Partitions: partition {k!r} expected a str or Inputs.<name>, got {type(v).__name__} ({v!r})"
                )
        self.reference_artifact: Artifact | None = None

    @property
    def partitions(self) -> dict[str, Partition]:
        return self._partitions

    def set_reference_artifact(self, artifact: Artifact) -> None:
        self.reference_artifact = artifact
        for p in self._partitions.values():
            p.reference_artifact = artifact

    def __getattr__(self, item: str) -> Partition:
        if item.startswith("_") or item == "partitions":
            raise AttributeError(item)
        found = self.__dict__.get("_partitions", {}).get(item)
        if found is None:
            raise AttributeError(f"Partition {item} not found in {self!r}")
        return found

    def to_flyte_idl(self, **kwargs: Any) -> art_id.Partitions | None:
        return Serializer.partitions_to_idl(self, **kwargs)

    def __repr__(self) -> str:
        return f"Partitions({', '.join(f'{k}={_label_repr(p.value)}' for k, p in self._partitions.items())})"


class ArtifactIDSpecification:
    """How an output becomes an artifact: the artifact and the partition values bound for this output
    (``MyData(region=Inputs.region)`` in an ``Annotated`` output type)."""

    def __init__(self, a: Artifact) -> None:
        self.artifact = a
        self.partitions: Partitions | None = None
        self.time_partition: TimePartition | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> ArtifactIDSpecification:
        return self.bind_partitions(*args, **kwargs)

    def bind_partitions(self, *args: Any, **kwargs: Any) -> ArtifactIDSpecification:
        a = self.artifact
        if args:
            raise ValueError(f"Artifact {a.name}: partition values are given by name, not by position")
        granularity = a.time_partition_granularity or Granularity.DAY
        if TIME_PARTITION_KWARG in kwargs:
            if not a.time_partitioned:
                raise ValueError(f"Artifact {a.name} is not time partitioned: it takes no time_partition")
            p = kwargs.pop(TIME_PARTITION_KWARG)
            if isinstance(p, datetime.datetime):
                self.time_partition = TimePartition(
                    art_id.LabelValue(time_value=_timestamp(p)), granularity=granularity
                )
            elif isinstance(p, art_id.InputBindingData):
                self.time_partition = TimePartition(art_id.LabelValue(input_binding=p), granularity=granularity)
            else:
                raise ValueError(
                    f"Artifact {a.name}: time_partition expected a datetime or Inputs.<name>, got {type(p).__name__}"
                )
        elif a.time_partitioned and self.time_partition is None:
            self.time_partition = TimePartition(DYNAMIC_INPUT_BINDING)
        if a.partition_keys:
            p_obj = self.partitions or Partitions(None)
            for k, v in kwargs.items():
                if k not in a.partition_keys:
                    raise ValueError(f"Artifact {a.name}: partition key {k!r} is not one of {a.partition_keys}")
                if isinstance(v, art_id.InputBindingData):
                    p_obj.partitions[k] = Partition(art_id.LabelValue(input_binding=v), name=k)
                elif isinstance(v, str):
                    p_obj.partitions[k] = Partition(art_id.LabelValue(static_value=v), name=k)
                else:
                    raise ValueError(
                        f"Artifact {a.name}: partition {k!r} expected a str or Inputs.<name>, got "
                        f"{type(v).__name__} ({v!r})"
                    )
            for k in a.partition_keys:
                if k not in p_obj.partitions:
                    p_obj.partitions[k] = Partition(DYNAMIC_INPUT_BINDING, name=k)
            self.partitions = p_obj
        elif kwargs:
            raise ValueError(f"Artifact {a.name} has no partition keys; got {sorted(kwargs)}")
        return self

    def to_partial_artifact_id(self) -> art_id.ArtifactID:
        """The ``ArtifactID`` an interface's output variable carries (``artifact_partial_id``)."""
        a = self.artifact
        base = a.to_id_idl()
        p = Serializer.partitions_to_idl(self.partitions)
        tp = None
        if a.time_partitioned:
            if not self.time_partition:
                raise ValueError(f"Artifact {a.name} requires a time partition, but none is bound")
            tp = self.time_partition.to_flyte_idl()
        if a.partition_keys:
            fulfilled = len(p.value) if p else 0
            if fulfilled != len(a.partition_keys):
                raise ValueError(
                    f"Artifact {a.name} requires {len(a.partition_keys)} partitions, but {fulfilled} are bound"
                )
        return art_id.ArtifactID(artifact_key=base.artifact_key, partitions=p, time_partition=tp, version=base.version)

    def __repr__(self) -> str:
        a = self.artifact
        return f"ArtifactIDSpecification({a.name}, {a.partition_keys}, TP: {a.time_partitioned})"


class ArtifactQuery:
    """A query for the latest artifact named ``name`` with the given partitions (a default input whose value is
    found when the execution starts)."""

    def __init__(
        self,
        artifact: Artifact,
        name: str,
        project: str | None = None,
        domain: str | None = None,
        time_partition: TimePartition | None = None,
        partitions: Partitions | None = None,
        tag: str | None = None,
    ) -> None:
        if not name:
            raise ValueError("ArtifactQuery: a query needs the artifact's name")
        self.artifact = artifact
        bindings: list[Artifact] = []
        if time_partition and time_partition.reference_artifact and time_partition.reference_artifact is not artifact:
            bindings.append(time_partition.reference_artifact)
        if partitions and partitions.partitions:
            bindings.extend(
                v.reference_artifact
                for v in partitions.partitions.values()
                if v.reference_artifact and v.reference_artifact is not artifact
            )
        self.name = name
        self.project = project
        self.domain = domain
        self.time_partition = time_partition
        self.partitions = partitions
        self.tag = tag
        if len({id(b) for b in bindings}) > 1:
            raise ValueError(f"ArtifactQuery on {name}: it refers to more than one other artifact")
        self.binding: Artifact | None = bindings[0] if bindings else None

    @property
    def bound(self) -> bool:
        """Whether every partition (and the time partition) of the artifact has a value in the query."""
        a = self.artifact
        if a.time_partitioned and not (self.time_partition and self.time_partition.value):
            return False
        if a.partition_keys:
            given = set()
            if self.partitions and self.partitions.partitions:
                given = {k for k, v in self.partitions.partitions.items() if v.value}
            if set(a.partition_keys) != given:
                return False
        return True

    def to_flyte_idl(self, **kwargs: Any) -> art_id.ArtifactQuery:
        return Serializer.artifact_query_to_idl(self, **kwargs)

    def __str__(self) -> str:
        return f"Artifact Query: on {self.artifact.name}"

    def __repr__(self) -> str:
        parts = [repr(self.name)]
        if self.partitions and self.partitions.partitions:
            parts.append(repr(self.partitions))
        if self.time_partition is not None:
            parts.append(repr(self.time_partition))
        return f"ArtifactQuery({', '.join(parts)})"


class Artifact:
    """Names data that tasks and workflows produce, for later queries (flytekit's ``Artifact``).

    ``Artifact(name="pricing", partition_keys=["region"], time_partitioned=True)``; use it in an output's
    ``Annotated`` type, call it to bind partitions (``Pricing(region=Inputs.region)``), and ``Pricing.query(...)``
    as a default input.
    """

    def __init__(
        self,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
        version: str | None = None,
        time_partitioned: bool = False,
        time_partition: TimePartition | None = None,
        time_partition_granularity: Any = None,
        partition_keys: list[str] | None = None,
        partitions: Partitions | dict[str, str] | None = None,
    ) -> None:
        if not name:
            raise ValueError("Artifact: parameter 'name' is required (a non-empty str)")
        if not isinstance(name, str):
            raise ValueError(f"Artifact: parameter 'name' expected a str, got {type(name).__name__}")
        if partition_keys is not None and (
            isinstance(partition_keys, str) or not all(isinstance(k, str) for k in partition_keys)
        ):
            raise ValueError(
                f"Artifact {name}: parameter 'partition_keys' expected a list of str, got {partition_keys!r}"
            )
        self.project = project
        self.domain = domain
        self.name = name
        self.version = version
        self.time_partitioned = time_partitioned
        self._time_partition: TimePartition | None = None
        if time_partition:
            self._time_partition = time_partition
            self._time_partition.reference_artifact = self
        self.partition_keys = list(partition_keys) if partition_keys else partition_keys
        self._partitions: Partitions | None = None
        self.time_partition_granularity = time_partition_granularity
        if partitions:
            if isinstance(partitions, dict):
                self._partitions = Partitions(partitions)
                self.partition_keys = list(partitions)
            elif isinstance(partitions, Partitions):
                if not partitions.partitions:
                    raise ValueError(f"Artifact {name}: partitions must not be empty")
                self._partitions = partitions
                self.partition_keys = list(partitions.partitions)
            else:
                raise ValueError(
                    f"Artifact {name}: parameter 'partitions' expected a dict or Partitions, got "
                    f"{type(partitions).__name__}"
                )
            self._partitions.set_reference_artifact(self)
        elif partition_keys:
            self._partitions = Partitions({k: Partition(None, name=k) for k in partition_keys})
            self._partitions.set_reference_artifact(self)
        if self.partition_keys and len(self.partition_keys) > MAX_PARTITIONS:
            raise ValueError(
                f"Artifact {name}: at most {MAX_PARTITIONS} partition keys, got {len(self.partition_keys)}"
            )

    def __call__(self, *args: Any, **kwargs: Any) -> ArtifactIDSpecification:
        """Bind partition values for one output: ``Annotated[T, MyData(region=Inputs.region)]``."""
        return ArtifactIDSpecification(self).bind_partitions(*args, **kwargs)

    @property
    def partitions(self) -> Partitions | None:
        return self._partitions

    @property
    def time_partition(self) -> TimePartition:
        if not self.time_partitioned:
            raise ValueError(f"Artifact {self.name} is not time partitioned")
        if not self._time_partition:
            self._time_partition = TimePartition(None, granularity=self.time_partition_granularity or Granularity.DAY)
            self._time_partition.reference_artifact = self
        return self._time_partition

    def __str__(self) -> str:
        tp = f"  time partition={self.time_partition}\n" if self.time_partitioned else ""
        return (
            f"Artifact: project={self.project}, domain={self.domain}, name={self.name}, version={self.version}\n"
            f"  name={self.name}\n  partitions={self.partitions}\n{tp}"
        )

    def __repr__(self) -> str:
        return self.__str__()

    def create_from(self, o: Any, card: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Return ``o`` from a task body, setting this artifact's partitions (and ``time_partition``) for it now.

        The output must still be annotated with this artifact. Outside a running task this does nothing.
        """
        tracker = OUTPUT_METADATA.get()
        if tracker is None:
            return o
        partitions: dict[str, str] = {}
        time_partition = None
        for k, v in kwargs.items():
            if k == TIME_PARTITION_KWARG:
                if not isinstance(v, datetime.datetime):
                    raise ValueError(
                        f"Artifact {self.name}.create_from: time_partition expected a datetime, got {type(v).__name__}"
                    )
                time_partition = v
            else:
                if self.partition_keys and k not in self.partition_keys:
                    raise ValueError(
                        f"Artifact {self.name}.create_from: partition key {k!r} is not one of {self.partition_keys}"
                    )
                partitions[k] = str(v)
        extra = [x for x in (card, *args) if x is not None]
        tracker.add(o, OutputMetadata(self, partitions or None, time_partition, extra or None))
        return o

    def query(
        self,
        project: str | None = None,
        domain: str | None = None,
        time_partition: datetime.datetime | TimePartition | art_id.InputBindingData | None = None,
        partitions: dict[str, str] | Partitions | None = None,
        **kwargs: Any,
    ) -> ArtifactQuery:
        """A query for the latest artifact of this name with these partition values (a default input)."""
        if self.partition_keys:
            clash = {"project", "domain", "time_partition", "partitions", "tag"} & set(self.partition_keys)
            if clash:
                raise ValueError(
                    f"Artifact {self.name}: partition keys {sorted(clash)} clash with query()'s parameters; "
                    "pass them in a Partitions object"
                )
        if partitions and kwargs:
            raise ValueError(f"Artifact {self.name}.query: give partitions as keywords or as a Partitions, not both")
        for k in kwargs:
            if not self.partition_keys or k not in self.partition_keys:
                raise ValueError(f"Artifact {self.name}.query: {k!r} is not a partition key ({self.partition_keys})")
        p_obj: Partitions | None = None
        if kwargs:
            p_obj = Partitions(kwargs)
            p_obj.reference_artifact = self
        if partitions is not None and isinstance(partitions, dict):
            p_obj = Partitions(partitions)
            p_obj.reference_artifact = self
        elif isinstance(partitions, Partitions):
            p_obj = partitions
        tp = None
        if time_partition:
            if isinstance(time_partition, TimePartition):
                tp = TimePartition(
                    time_partition.value,
                    op=time_partition.op,
                    other=time_partition.other,
                    granularity=self.time_partition_granularity or Granularity.DAY,
                )
                tp.reference_artifact = time_partition.reference_artifact
            else:
                tp = TimePartition(time_partition)
                tp.reference_artifact = self
        tp = tp or (self.time_partition if self.time_partitioned else None)
        return ArtifactQuery(
            artifact=self,
            name=self.name,
            project=project or self.project or None,
            domain=domain or self.domain or None,
            time_partition=tp,
            partitions=p_obj or self.partitions,
        )

    @property
    def concrete_artifact_id(self) -> art_id.ArtifactID:
        if self.name is None or self.project is None or self.domain is None or self.version is None:
            raise ValueError(f"Artifact {self.name}: a concrete id needs name, project, domain and version")
        return self.to_id_idl()

    def embed_as_query(
        self,
        partition: str | None = None,
        bind_to_time_partition: bool | None = None,
        expr: str | None = None,
        op: Any = None,
    ) -> art_id.ArtifactQuery:
        """A query that refers to the artifact that triggered a launch plan (for triggers)."""
        t = None
        if expr and (partition or bind_to_time_partition):
            t = art_id.TimeTransform(transform=expr, op=op)
        return art_id.ArtifactQuery(
            binding=art_id.ArtifactBindingData(
                partition_key=partition, bind_to_time_partition=bool(bind_to_time_partition), time_transform=t
            )
        )

    def to_id_idl(self) -> art_id.ArtifactID:
        """The artifact's id: key (project, domain, name), version, partitions and time partition."""
        p = Serializer.partitions_to_idl(self.partitions)
        tp = Serializer.time_partition_to_idl(self.time_partition) if self.time_partitioned else None
        return art_id.ArtifactID(
            artifact_key=art_id.ArtifactKey(project=self.project, domain=self.domain, name=self.name),
            version=self.version,
            partitions=p,
            time_partition=tp,
        )


class ArtifactSerializationHandler(typing.Protocol):
    """What serializes partitions, time partitions and queries (``Serializer.register_serializer`` takes one)."""

    def partitions_to_idl(self, p: Partitions | None, **kwargs: Any) -> art_id.Partitions | None: ...

    def time_partition_to_idl(self, tp: TimePartition | None, **kwargs: Any) -> art_id.TimePartition | None: ...

    def artifact_query_to_idl(self, aq: ArtifactQuery, **kwargs: Any) -> art_id.ArtifactQuery: ...


class DefaultArtifactSerializationHandler:
    """Partitions, time partitions and queries as flyteidl messages, as flytekit writes them."""

    def partitions_to_idl(self, p: Partitions | None, **kwargs: Any) -> art_id.Partitions | None:
        if p and p.partitions:
            values = {
                k: (v.value if v.value is not None else art_id.LabelValue(static_value=""))
                for k, v in p.partitions.items()
            }
            return art_id.Partitions(value=values)
        return None

    def time_partition_to_idl(self, tp: TimePartition | None, **kwargs: Any) -> art_id.TimePartition | None:
        if tp:
            return art_id.TimePartition(value=tp.value, granularity=tp.granularity)
        return None

    def artifact_query_to_idl(self, aq: ArtifactQuery, **kwargs: Any) -> art_id.ArtifactQuery:
        key = art_id.ArtifactKey(name=aq.name, project=aq.project, domain=aq.domain)
        i = art_id.ArtifactID(
            artifact_key=key,
            partitions=self.partitions_to_idl(aq.partitions),
            time_partition=self.time_partition_to_idl(aq.time_partition),
        )
        return art_id.ArtifactQuery(artifact_id=i)


class Serializer:
    """The serialization handler in use (flytekit lets a plugin register another)."""

    serializer: ArtifactSerializationHandler = DefaultArtifactSerializationHandler()

    @classmethod
    def register_serializer(cls, serializer: ArtifactSerializationHandler) -> None:
        cls.serializer = serializer

    @classmethod
    def partitions_to_idl(cls, p: Partitions | None, **kwargs: Any) -> art_id.Partitions | None:
        return cls.serializer.partitions_to_idl(p, **kwargs)

    @classmethod
    def time_partition_to_idl(cls, tp: TimePartition | None, **kwargs: Any) -> art_id.TimePartition | None:
        return cls.serializer.time_partition_to_idl(tp, **kwargs)

    @classmethod
    def artifact_query_to_idl(cls, aq: ArtifactQuery, **kwargs: Any) -> art_id.ArtifactQuery:
        return cls.serializer.artifact_query_to_idl(aq, **kwargs)


# --- outputs: which artifact an output type names, and the values set at run time ----------------------------


@dataclass
class OutputMetadata:
    """What ``create_from`` said about one output value."""

    artifact: Artifact
    dynamic_partitions: dict[str, str] | None
    time_partition: datetime.datetime | None = None
    additional_items: list[Any] | None = None


@dataclass
class OutputMetadataTracker:
    """The ``create_from`` calls of one task run, by output object."""

    output_metadata: dict[int, tuple[Any, OutputMetadata]] = field(default_factory=dict)

    def add(self, obj: Any, metadata: OutputMetadata) -> None:
        self.output_metadata[id(obj)] = (obj, metadata)  # the object is kept: its id stays its own

    def get(self, obj: Any) -> OutputMetadata | None:
        found = self.output_metadata.get(id(obj))
        return found[1] if found is not None else None

    def for_artifact(self, artifact: Artifact) -> list[OutputMetadata]:
        return [m for _, m in self.output_metadata.values() if m.artifact is artifact]


#: The tracker of the task run in progress (set by whoever runs task bodies: the engine, the entrypoint).
OUTPUT_METADATA: contextvars.ContextVar[OutputMetadataTracker | None] = contextvars.ContextVar(
    "aioflyte_output_metadata", default=None
)


def artifact_spec_of(t: Any) -> ArtifactIDSpecification | None:
    """The artifact an output type names (``Annotated[T, MyData]`` or ``Annotated[T, MyData(...)]``), if any."""
    if typing.get_origin(t) is not typing.Annotated:
        return None
    for m in typing.get_args(t)[1:]:
        if isinstance(m, Artifact):
            return m()
        if isinstance(m, ArtifactIDSpecification):
            return m
    return None


def partial_artifact_id(t: Any) -> art_id.ArtifactID | None:
    """The ``artifact_partial_id`` of an output of type ``t`` (None when it names no artifact)."""
    spec = artifact_spec_of(t)
    return spec.to_partial_artifact_id() if spec is not None else None


__all__ = [
    "DYNAMIC_INPUT_BINDING",
    "DYNAMIC_PARTITIONS",
    "OUTPUT_METADATA",
    "Artifact",
    "ArtifactIDSpecification",
    "ArtifactQuery",
    "ArtifactSerializationHandler",
    "DefaultArtifactSerializationHandler",
    "Granularity",
    "Inputs",
    "InputsBase",
    "OutputMetadata",
    "OutputMetadataTracker",
    "Partition",
    "Partitions",
    "Serializer",
    "TimePartition",
    "artifact_spec_of",
    "partial_artifact_id",
]
