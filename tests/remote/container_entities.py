"""ContainerTasks (and a workflow using one) that the server tests register and execute; the server's task processes
import this module for the Python task."""

from __future__ import annotations

from aioflyte import ContainerTask, FlyteDirectory, FlyteFile, TaskMetadata, kwtypes, task, workflow

square = ContainerTask(
    name="container_entities.square",
    image="alpine:3.19",
    input_data_dir="/var/inputs",
    output_data_dir="/var/outputs",
    inputs=kwtypes(val=int),
    outputs=kwtypes(out=int),
    command=["sh", "-c", "echo $(( {{.inputs.val}} * {{.inputs.val}} )) > /var/outputs/out"],
)

shout = ContainerTask(
    name="container_entities.shout",
    image="alpine:3.19",
    input_data_dir="/var/inputs",
    output_data_dir="/var/outputs",
    inputs=kwtypes(infile=FlyteFile, times=int),
    outputs=kwtypes(upper=FlyteFile, folder=FlyteDirectory, names=str),
    command=[
        "sh",
        "-c",
        "tr a-z A-Z < /var/inputs/infile > /var/outputs/upper && mkdir /var/outputs/folder"
        " && for i in $(seq {{.inputs.times}}); do cp /var/inputs/infile /var/outputs/folder/copy$i; done"
        " && ls /var/inputs | tr '\\n' ' ' > /var/outputs/names",
    ],
)

naps = ContainerTask(
    name="container_entities.naps",
    image="alpine:3.19",
    input_data_dir="/var/inputs",
    output_data_dir="/var/outputs",
    inputs=kwtypes(val=int),
    outputs=kwtypes(out=int),
    metadata=TaskMetadata(timeout=1),
    command=["sh", "-c", "sleep 30; echo {{.inputs.val}} > /var/outputs/out"],
)

fails = ContainerTask(
    name="container_entities.fails",
    image="alpine:3.19",
    output_data_dir="/var/outputs",
    outputs=kwtypes(out=int),
    command=["sh", "-c", "echo 'no such thing' > /var/outputs/_ERROR"],
)


@task
def plus_one(x: int) -> int:
    return x + 1


@workflow
def square_plus_one(v: int) -> int:
    return plus_one(x=square(val=v))
