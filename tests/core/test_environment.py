"""``Environment``: shared ``@task`` parameters, ``@env.task`` with more, ``extend``/``update``, ``show``."""

from __future__ import annotations

import datetime

import pytest

import aioflyte
from aioflyte import Environment, Resources, workflow
from aioflyte.core.dynamic import DynamicTask
from aioflyte.exceptions import FlyteValidationException
from aioflyte.extras.accelerators import A100, H100


def test_env_task_gets_the_environments_parameters_and_runs():
    env = Environment(retries=2, environment={"A": "1"}, labels={"team": "ml"}, accelerator=H100)

    @env.task
    def add(x: int) -> int:
        return x + 1

    assert add.metadata.retries == 2
    assert add.environment == {"A": "1"}
    assert add.metadata.labels == {"team": "ml"}
    assert add.accelerator is H100
    assert aioflyte.run(add, x=1) == 2


def test_calling_the_environment_is_env_task():
    env = Environment(retries=1)

    @env
    def one() -> int:
        return 1

    assert one.metadata.retries == 1
    assert Environment.task is Environment.__call__


def test_env_task_with_more_parameters_merges_dicts_and_replaces_values():
    env = Environment(retries=2, environment={"A": "1", "B": "2"})

    @env.task(retries=5, environment={"B": "3", "C": "4"}, timeout=30)
    def t() -> int:
        return 0

    assert t.metadata.retries == 5
    assert t.environment == {"A": "1", "B": "3", "C": "4"}
    assert t.metadata.timeout == datetime.timedelta(seconds=30)
    assert env.overrides == {"retries": 2, "environment": {"A": "1", "B": "2"}}  # untouched


def test_extend_is_a_new_environment_and_update_changes_this_one():
    base = Environment(requests=Resources(cpu="1"), labels={"a": "1"})
    child = base.extend(labels={"b": "2"}, accelerator=A100.partition_1g_5gb)
    assert child is not base and isinstance(child, Environment)
    assert child.overrides["labels"] == {"a": "1", "b": "2"}
    assert base.overrides["labels"] == {"a": "1"}
    base.update(labels={"c": "3"}, retries=3)
    assert base.overrides["labels"] == {"a": "1", "c": "3"}
    assert base.overrides["retries"] == 3
    assert "retries" not in child.overrides


def test_env_dynamic_makes_a_dynamic_task():
    env = Environment(retries=1)

    @env.task
    def sq(x: int) -> int:
        return x * x

    @env.dynamic
    def fan(n: int) -> list[int]:
        return [sq(x=i) for i in range(n)]

    @workflow
    def wf(n: int) -> list[int]:
        return fan(n=n)

    assert isinstance(fan, DynamicTask)
    assert fan.metadata.retries == 1
    assert aioflyte.run(wf, n=3) == [0, 1, 4]


async def test_env_task_of_an_async_function_is_awaitable():
    env = Environment(cache=True, cache_version="1")

    @env.task
    async def double(x: int) -> int:
        return 2 * x

    assert double.metadata.cache
    assert await double(x=4) == 8


def test_show_prints_the_parameters(capsys):
    Environment(retries=2, environment={"STAGE": "train"}).show()
    out = capsys.readouterr().out
    assert "'retries': 2" in out and "'STAGE': 'train'" in out


def test_unknown_parameter_is_an_error_naming_it_and_the_closest():
    msg = r"Environment: unknown @task parameter 'retires' \(did you mean 'retries'\?\)"
    with pytest.raises(FlyteValidationException, match=msg):
        Environment(retires=2)
    env = Environment()
    with pytest.raises(FlyteValidationException, match=r"Environment\.extend: unknown @task parameter 'lables'"):
        env.extend(lables={})
    with pytest.raises(FlyteValidationException, match=r"Environment\.task: unknown @task parameter 'tiemout'"):
        env.task(tiemout=3)


def test_the_task_function_cannot_be_overridden_and_the_positional_must_be_callable():
    with pytest.raises(KeyError, match="cannot override the task function"):
        Environment(_task_function=lambda: 1)
    with pytest.raises(ValueError, match="must be a callable, got int"):
        Environment().task(3)


def test_bad_parameter_values_fail_when_the_task_is_made_naming_the_task():
    env = Environment(labels={"a": 1})
    with pytest.raises(FlyteValidationException, match=r"task .*bad: parameter 'labels' expected dict\[str, str\]"):

        @env.task
        def bad() -> None: ...
