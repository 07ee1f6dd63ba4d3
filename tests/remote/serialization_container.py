"""ContainerTasks (raw containers) written once for both aioflyte and flytekit: ``make_golden_area.py container``
aliases ``aioflyte`` to ``flytekit`` to write the expected protobufs into ``golden_container/``. Regenerate them after
editing this file:

    /tmp/fk/bin/python tests/remote/make_golden_area.py container   # flytekit 1.16 and kubernetes
"""

from __future__ import annotations

import datetime
from collections import OrderedDict

from aioflyte import (
    ContainerTask,
    FlyteDirectory,
    FlyteFile,
    PodTemplate,
    Resources,
    Secret,
    TaskMetadata,
    kwtypes,
    task,
    workflow,
)

#: The smallest one: an int in, an int out, the command templated with the input.
square = ContainerTask(
    name="square",
    image="alpine:3.19",
    input_data_dir="/var/inputs",
    output_data_dir="/var/outputs",
    inputs=kwtypes(val=int),
    outputs=kwtypes(out=int),
    command=["sh", "-c", "echo $(( {{.inputs.val}} * {{.inputs.val}} )) | tee /var/outputs/out"],
)

#: Every parameter (but io_strategy: flytekit 1.16 cannot serialize one): files, YAML metadata, arguments,
#: resources, secrets, environment, metadata.
everything = ContainerTask(
    name="everything",
    image="ghcr.io/example/tools:1.2",
    command=["python", "/app/run.py"],
    arguments=["--infile", "/var/inputs/infile", "--n", "{{.inputs.n}}", "--name", "{{ .inputs.name }}"],
    inputs=OrderedDict([("infile", FlyteFile), ("n", int), ("name", str), ("ratio", float), ("flag", bool)]),
    outputs={"report": FlyteFile, "folder": FlyteDirectory, "count": int, "when": datetime.datetime},
    metadata=TaskMetadata(retries=2, timeout=datetime.timedelta(minutes=5), interruptible=True),
    requests=Resources(cpu="1", mem="1Gi"),
    limits=Resources(cpu="2", mem="2Gi"),
    input_data_dir="/var/inputs",
    output_data_dir="/var/outputs",
    metadata_format=ContainerTask.MetadataFormat.YAML,
    secret_requests=[Secret(group="db", key="password")],
    environment={"MODE": "fast"},
    local_logs=True,
)

#: Proto metadata, no output directory, no inputs; ``resources=`` and a pod template name.
no_inputs = ContainerTask(
    name="no_inputs",
    image="busybox",
    command=["date", "-u", "+%Y-%m-%dT%H:%M:%SZ"],
    outputs=kwtypes(now=str),
    output_data_dir="/out",
    metadata_format=ContainerTask.MetadataFormat.PROTO,
    resources=Resources(cpu="500m", mem="256Mi"),
    pod_template_name="my-template",
)


#: In a pod template: the container is the pod's primary container, labels and annotations on the pod.
in_pod = ContainerTask(
    name="in_pod",
    image="busybox",
    command=["echo", "{{.inputs.word}}"],
    inputs=kwtypes(word=str),
    input_data_dir="/var/inputs",
    pod_template=PodTemplate(primary_container_name="main", labels={"team": "data"}, annotations={"a": "b"}),
)


@task
def double(y: int) -> int:
    return y * 2


@workflow
def container_wf(val: int = 3) -> int:
    """A ContainerTask as a node, its output used by a Python task."""
    s = square(val=val)
    return double(y=s)
