"""Interfaces from signatures, kwtypes, and decoration-time errors."""

from __future__ import annotations

import pytest

from aioflyte import Resources, kwtypes, task
from aioflyte.exceptions import FlyteInterfaceException


def test_kwtypes_keeps_order():
    assert list(kwtypes(b=str, a=int).items()) == [("b", str), ("a", int)]


def test_missing_annotation_names_function_and_parameter():
    with pytest.raises(FlyteInterfaceException, match=r"test_interface\..*untyped: parameter 'y' has no type"):

        @task
        def untyped(x: int, y) -> int:  # y untyped on purpose
            return x


def test_var_args_rejected():
    with pytest.raises(FlyteInterfaceException, match="parameter 'args' is \\*args"):

        @task
        def star(*args: int) -> int:
            return 0


def test_optional_without_default_defaults_to_none():
    @task
    def opt(x: int | None) -> int:
        return -1 if x is None else x

    assert opt.python_interface.inputs["x"][1] is None


@pytest.mark.filterwarnings("ignore::aioflyte.types.pickle.PickleFallbackWarning")
async def test_pickle_untyped_allows_unannotated():
    @task(pickle_untyped=True)
    def anything(x, y: int):  # x and the return untyped on purpose
        return {"x": x, "y": y}

    class Thing:
        def __init__(self, v: int) -> None:
            self.v = v

    out = await anything(x=Thing(3), y=4)
    assert out["x"].v == 3 and out["y"] == 4


def test_resources_validated_and_kept():
    @task(requests=Resources(cpu="1", mem="2Gi"), limits=Resources(cpu="2", mem="4Gi"))
    def r(x: int) -> int:
        return x

    assert r.resources.requests.mem == "2Gi" and r.resources.limits.cpu == "2"
    with pytest.raises(ValueError, match=r"Resources\.mem expected a Kubernetes quantity"):
        Resources(mem="lots")
    with pytest.raises(ValueError, match="either resources= or requests="):

        @task(resources=Resources(cpu="1"), requests=Resources(cpu="1"))
        def both(x: int) -> int:
            return x


def test_cluster_only_parameters_are_kept():
    @task(container_image="ghcr.io/x/y:1", interruptible=True, pod_template_name="pt", enable_deck=True, docs="doc")
    def k(x: int) -> int:
        return x

    assert k.container_image == "ghcr.io/x/y:1"
    assert k.metadata.interruptible is True and k.metadata.pod_template_name == "pt"
    assert k.enable_deck and k.docs == "doc"
