"""Entities whose serialized form is compared with flytekit 1.16's (``golden_sql/``, written by
``make_golden_area.py sql``): SQL tasks, class-based tasks and plugin tasks that shape their template through
``get_custom``, ``get_config``, ``get_k8s_pod`` and ``get_sql``.

Imported as ``aioflyte`` by the tests and as ``flytekit`` by the make script, so it uses only names both have.
"""

from __future__ import annotations

import dataclasses
import typing

from aioflyte import PodTemplate, PythonInstanceTask, SQLTask, kwtypes, task, workflow
from aioflyte.extend import Interface, PythonTask, TaskPlugins
from aioflyte.extras.sqlite3.task import SQLite3Config, SQLite3Task
from aioflyte.models.task import K8sObjectMetadata, K8sPod, Sql
from aioflyte.types.structured import StructuredDataset

# A SQLite3 query with an input: a container task run by the task template resolver.
tracks = SQLite3Task(
    "serialization_sql.tracks",
    query_template="""select TrackId, Name
        from tracks
        limit {{ .inputs.limit }}""",
    inputs=kwtypes(limit=int),
    output_schema_type=StructuredDataset,
    task_config=SQLite3Config(uri="s3://bucket/chinook.zip", compressed=True),
)

# The default output type (a schema), a query without inputs, and an image of its own.
all_artists = SQLite3Task(
    "serialization_sql.all_artists",
    query_template="select * from artists",
    task_config=SQLite3Config(uri="https://example.com/chinook.db"),
    container_image="ghcr.io/example/sqlite:1",
)


@dataclasses.dataclass
class Warehouse:
    region: str


class WarehouseQuery(SQLTask[Warehouse]):
    """A warehouse SQL plugin: the statement travels in the template's ``sql`` field (no container)."""

    def __init__(self, name: str, query_template: str, task_config: Warehouse, **kwargs: typing.Any) -> None:
        super().__init__(
            name=name, query_template=query_template, task_config=task_config, task_type="warehouse", **kwargs
        )

    def get_custom(self, settings: typing.Any) -> dict[str, typing.Any]:
        return {"region": self.task_config.region}

    def get_config(self, settings: typing.Any) -> dict[str, str]:
        return {"dialect": "ansi"}

    def get_sql(self, settings: typing.Any) -> Sql | None:
        # 2 is HIVE in flyteidl (flytekit's Sql.Dialect constants are not flyteidl's numbers: give the number)
        return Sql(statement=self.query_template, dialect=2)


count_rows = WarehouseQuery(
    "serialization_sql.count_rows",
    query_template="select count(*) from t where ds = '{{ .inputs.ds }}'",
    task_config=Warehouse(region="eu"),
    inputs=kwtypes(ds=str),
    outputs=kwtypes(results=StructuredDataset),
)


class Exponent(PythonInstanceTask[int]):
    """A class-based task: the body is ``execute``."""

    def __init__(self, name: str, power: int, **kwargs: typing.Any) -> None:
        super().__init__(
            name=name,
            task_config=power,
            task_type="exponent",
            interface=Interface(inputs=kwtypes(x=int), outputs=kwtypes(o0=int)),
            **kwargs,
        )

    def execute(self, **kwargs: typing.Any) -> int:
        return kwargs["x"] ** self.task_config

    def get_custom(self, settings: typing.Any) -> dict[str, typing.Any]:
        return {"power": self.task_config}


cube = Exponent("serialization_sql.cube", 3)


class GpuPod(PythonTask[dict]):
    """A plugin whose task runs in a pod spec of its own (``get_k8s_pod``): no container."""

    def __init__(self, name: str, **kwargs: typing.Any) -> None:
        super().__init__(
            task_type="gpu-pod",
            name=name,
            task_config={"gpus": 1},
            interface=Interface(inputs=kwtypes(n=int), outputs=kwtypes(o0=str)),
            **kwargs,
        )

    def get_k8s_pod(self, settings: typing.Any) -> K8sPod:
        return K8sPod(
            metadata=K8sObjectMetadata(labels={"team": "ml"}, annotations={"a": "b"}),
            pod_spec={
                "containers": [
                    {"name": "main", "image": "ghcr.io/example/gpu:1", "args": ["run", "{{.input}}"]},
                ],
                "restartPolicy": "Never",
            },
        )

    def get_config(self, settings: typing.Any) -> dict[str, str]:
        return {"primary_container_name": "main"}


gpu = GpuPod("serialization_sql.gpu")


@dataclasses.dataclass
class Spark:
    executors: int


class SparkFunctionTask(__import__("aioflyte").PythonFunctionTask[Spark]):
    """A plugin made by ``@task(task_config=Spark(...))``: its custom and config come from the plugin."""

    def __init__(self, task_config: Spark, task_function: typing.Any, **kwargs: typing.Any) -> None:
        super().__init__(task_config=task_config, task_function=task_function, task_type="spark", **kwargs)

    def get_custom(self, settings: typing.Any) -> dict[str, typing.Any]:
        return {"executors": self.task_config.executors}

    def get_config(self, settings: typing.Any) -> dict[str, str]:
        return {"engine": "spark"}


TaskPlugins.register_pythontask_plugin(Spark, SparkFunctionTask)


@task(task_config=Spark(executors=4))
def spark_sum(n: int) -> int:
    return n


@task(
    task_config=Spark(executors=2),
    pod_template=PodTemplate(primary_container_name="spark-main", labels={"tier": "batch"}),
)
def spark_in_pod(n: int) -> int:
    """A plugin task in a pod template: its container is the pod's primary container."""
    return n


@workflow
def sql_wf(limit: int) -> int:
    tracks(limit=limit)
    return cube(x=spark_sum(n=limit))
