"""``@task``'s parameters: flytekit's names (including cluster-only ones, kept for serialization) are accepted;
anything else is an error naming the parameter and the closest valid one (flytekit raises too)."""

from __future__ import annotations

import typing

import pytest

from aioflyte import Resources, dynamic, eager, task
from aioflyte.core.task import task as task_fn
from aioflyte.exceptions import FlyteValidationException


def test_a_misspelled_parameter_is_an_error_naming_it_and_the_closest_name():
    with pytest.raises(FlyteValidationException, match=r"unknown parameter 'retires' \(did you mean 'retries'\?\)"):

        @task(retires=3)
        def f(x: int) -> int:
            return x

    assert isinstance(FlyteValidationException("x"), ValueError)  # what flytekit raises: a ValueError


def test_the_error_names_the_function_when_it_is_known_and_every_unknown_parameter():
    def g(x: int) -> int:
        return x

    with pytest.raises(FlyteValidationException) as ei:
        task(g, timout=3, templat="x")
    msg = str(ei.value)
    assert "test_task_parameters" in msg and "g" in msg
    assert "'timout' (did you mean 'timeout'?)" in msg and "'templat'" in msg


def test_eager_and_dynamic_check_their_parameters_too():
    with pytest.raises(FlyteValidationException, match="did you mean 'retries'"):

        @eager(retires=1)
        async def e(x: int) -> int:
            return x

    with pytest.raises(FlyteValidationException, match="did you mean 'cache'"):

        @dynamic(cach=True)
        def d(x: int) -> int:
            return x


def test_flytekits_parameters_are_all_accepted_and_kept():
    @task(
        task_config=None,
        cache=True,
        cache_version="1",
        cache_serialize=True,
        cache_ignore_input_vars=("y",),
        retries=2,
        interruptible=True,
        deprecated="",
        timeout=30,
        container_image="ghcr.io/x/y:1",
        environment={"A": "1"},
        requests=Resources(cpu="1"),
        limits=Resources(cpu="2"),
        secret_requests=[],
        node_dependency_hints=[],
        docs=None,
        enable_deck=False,
        deck_fields=(),
        pod_template=None,
        pod_template_name="pt",
        accelerator=None,
        pickle_untyped=False,
        shared_memory=True,
        labels={"team": "a"},
        annotations={"note": "b"},
    )
    def f(x: int, y: int) -> int:
        return x + y

    md = f.metadata
    assert (md.retries, md.interruptible, md.cache_serialize, md.cache_version) == (2, True, True, "1")
    assert md.cache_ignore_input_vars == ("y",) and md.timeout.total_seconds() == 30
    assert (md.labels, md.annotations) == ({"team": "a"}, {"note": "b"})
    assert f.settings["container_image"] == "ghcr.io/x/y:1" and f.settings["shared_memory"] is True


def test_labels_and_annotations_must_be_string_maps():
    with pytest.raises(FlyteValidationException, match=r"parameter 'labels' expected dict\[str, str\], got list"):

        @task(labels=["a"])
        def f(x: int) -> int:
            return x


def test_the_typed_overload_lists_exactly_the_parameters_task_takes():
    import inspect

    impl = set(inspect.signature(task_fn).parameters) - {"kwargs"}
    extra = {"cache_version", "cache_serialize", "cache_ignore_input_vars", "name", "task_class"}
    overloads = typing.get_overloads(task_fn)
    keyword_form = [o for o in overloads if "retries" in inspect.signature(o).parameters]
    assert len(keyword_form) == 1
    assert set(inspect.signature(keyword_form[0]).parameters) == impl | extra
