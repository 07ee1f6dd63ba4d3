"""Tasks the task-environment and secret-redaction tests run on the server (imported by name by its processes)."""

from __future__ import annotations

import json
import os

from aioflyte import ContainerTask, Secret, current_context, kwtypes, task


@task(secret_requests=[Secret(group="mygroup", key="mykey"), Secret(group="mapped", key="token", env_var="MAPPED")])
def show_env() -> str:
    """The task process's whole environment (JSON), and the secret it reads through the context."""
    env = dict(os.environ)
    env["__secret_read__"] = current_context().secrets.get("mygroup", "mykey")
    return json.dumps(env)


@task(secret_requests=[Secret(group="mygroup", key="mykey")])
def leaks_secret_in_output() -> int:
    """Returns the secret where an int is expected: the type error must not print the value."""
    return current_context().secrets.get("mygroup", "mykey")  # type: ignore[return-value]


@task(secret_requests=[Secret(group="mygroup", key="mykey")])
def leaks_secret_in_error() -> int:
    raise ValueError(f"could not connect with password {current_context().secrets.get('mygroup', 'mykey')}")


@task
def wait_for_file(path: str) -> int:
    """Runs until ``path`` exists (the test creates it once it has tried to plant a file), then returns 42."""
    import time

    while not os.path.exists(path):
        time.sleep(0.05)
    return 42


#: a raw container (no aioflyte entrypoint to redact for it) that writes the requested secret into its error
leaks_secret_in_container = ContainerTask(
    name="taskenv_tasks.leaks_secret_in_container",
    image="alpine:3.19",
    output_data_dir="/var/outputs",
    outputs=kwtypes(out=int),
    command=["sh", "-c", 'echo "login failed for $_FSEC_MYGROUP_MYKEY" > /var/outputs/_ERROR'],
    secret_requests=[Secret(group="mygroup", key="mykey")],
)
