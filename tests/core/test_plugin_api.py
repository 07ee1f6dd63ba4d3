"""The plugin authors' API with flytekit's shapes: ``PythonTask(task_type, name, task_config, interface, ...)``
positionally and by keyword, sync and async ``execute``, ``PythonInstanceTask``, and the serialization hooks
(``get_custom``, ``get_config``, ``get_container``, ``get_k8s_pod``, ``get_sql``) as the serializer reads them."""

from __future__ import annotations

import asyncio

import pytest
from flyteidl.core import tasks_pb2

import aioflyte
from aioflyte import Interface, PythonInstanceTask, kwtypes
from aioflyte.configuration import SerializationSettings
from aioflyte.core.python_auto_container import PythonAutoContainerTask
from aioflyte.exceptions import FlyteValidationException
from aioflyte.extend import PythonTask
from aioflyte.models.security import Secret, SecurityContext
from aioflyte.models.task import Container, Resources
from aioflyte.remote.translator import serialize


def settings() -> SerializationSettings:
    from aioflyte.remote.serialization import default_image_config

    return SerializationSettings(image_config=default_image_config(), project="p", domain="d", version="v1")


class Greeter(PythonTask[str]):
    """Sync ``execute``, flytekit's positional constructor arguments."""

    def __init__(self, name: str, greeting: str, **kwargs):
        super().__init__(
            "greeter", name, greeting, Interface(inputs=kwtypes(who=str), outputs=kwtypes(o0=str)), **kwargs
        )

    def execute(self, **kwargs):
        return f"{self.task_config}, {kwargs['who']}"


class Sleeper(PythonTask[None]):
    """Async ``execute``, keyword arguments."""

    def __init__(self, name: str, **kwargs):
        super().__init__(
            task_type="sleeper",
            name=name,
            task_config=None,
            interface=Interface(inputs=kwtypes(n=int), outputs=kwtypes(o0=int)),
            **kwargs,
        )

    async def execute(self, **kwargs):
        await asyncio.sleep(0)
        return kwargs["n"] + 1


hello = Greeter("hello", "Hello")
bump = Sleeper("bump", environment={"A": "1"}, task_type_version=3)


@aioflyte.workflow
def greet_twice(who: str, n: int) -> tuple[str, int]:
    return hello(who=who), bump(n=bump(n=n))


def test_positional_and_keyword_constructors():
    assert hello.task_type == "greeter" and hello.name == "hello" and hello.task_config == "Hello"
    assert list(hello.python_interface.inputs) == ["who"]
    assert bump.environment == {"A": "1"} and bump.task_type_version == 3 and bump.metadata == aioflyte.TaskMetadata()


def test_sync_and_async_execute_locally_and_in_workflows():
    assert aioflyte.run(hello, who="you") == "Hello, you"
    assert aioflyte.run(bump, n=1) == 2
    assert aioflyte.run(greet_twice, who="me", n=0) == ("Hello, me", 2)


def test_security_ctx_and_disable_deck_are_flytekits():
    t = Greeter("s", "Hi", security_ctx=SecurityContext(secrets=[Secret(group="g", key="k")]), disable_deck=False)
    assert [s.group for s in t.secret_requests] == ["g"] and t.enable_deck is True


def test_bad_arguments_name_the_task_and_parameter():
    with pytest.raises(
        FlyteValidationException, match=r"task bad: parameter 'interface' expected an Interface, got dict"
    ):
        PythonTask("t", "bad", None, {"a": int})  # type: ignore[arg-type]
    with pytest.raises(
        FlyteValidationException, match=r"task bad: parameter 'task_type_version' expected int, got str"
    ):
        PythonTask("t", "bad", task_type_version="1")  # type: ignore[arg-type]
    with pytest.raises(FlyteValidationException, match=r"parameters 'task_type' and 'name' expected str, got int"):
        PythonTask(3, "bad")  # type: ignore[arg-type]


def test_a_plain_python_task_has_no_container_and_carries_its_version():
    tt = serialize(bump, settings()).template
    assert tt.WhichOneof("target") is None and tt.type == "sleeper" and tt.task_type_version == 3


class Classy(PythonInstanceTask[dict]):
    def __init__(self, name: str, **kwargs):
        super().__init__(name, {"k": "v"}, "classy", interface=Interface(kwtypes(x=int), kwtypes(o0=int)), **kwargs)

    def execute(self, **kwargs):
        return kwargs["x"] * 2

    def get_config(self, settings):
        return {"k": self.task_config["k"]}


classy = Classy("classy", container_image="ghcr.io/example/classy:1", requests=aioflyte.Resources(cpu="2"))


def test_an_instance_task_runs_in_aioflytes_container():
    assert isinstance(classy, PythonAutoContainerTask) and aioflyte.run(classy, x=4) == 8
    tt = serialize(classy, settings()).template
    assert tt.container.image == "ghcr.io/example/classy:1" and tt.config == {"k": "v"}
    assert "aioflyte-execute" in tt.container.args and tt.container.resources.requests[0].value == "2"


class OwnContainer(PythonTask[None]):
    """A task that builds its own container (a model object, as flytekit's plugins return)."""

    def __init__(self, name: str):
        super().__init__("own", name, None, Interface(kwtypes(), kwtypes()))

    def get_container(self, settings):
        return Container(
            image="busybox", command=["echo"], args=["hi"], resources=Resources([], []), env={"X": "1"}, config={}
        )


def test_get_container_is_what_the_template_carries():
    tt = serialize(OwnContainer("own"), settings()).template
    assert tt.container == tasks_pb2.Container(
        image="busybox",
        command=["echo"],
        args=["hi"],
        resources=tasks_pb2.Resources(),
        env=[{"key": "X", "value": "1"}],
    )


class OwnCommand(PythonTask[None]):
    """A task with aioflyte's container but a command of its own (``get_command``)."""

    def __init__(self, name: str):
        super().__init__("cmd", name, None, Interface(kwtypes(), kwtypes()), environment={"E": "1"})

    def get_command(self, settings):
        return ["my-runner", "--input", "{{.input}}"]


def test_get_command_gives_aioflytes_container_with_that_command():
    from aioflyte.configuration.serialization import FastSerializationSettings

    fast = settings().new_builder().with_fast_serialization_settings(FastSerializationSettings(enabled=True)).build()
    c = serialize(OwnCommand("cmd"), fast).template.container
    assert list(c.args) == ["my-runner", "--input", "{{.input}}"]  # no fast-registration prefix
    assert serialize(classy, fast).template.container.args[0] == "aioflyte-fast-execute"  # which others get
    assert c.image == settings().image_config.default_image.full and [(e.key, e.value) for e in c.env] == [("E", "1")]
