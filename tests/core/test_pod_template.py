"""PodTemplate: construction, validation, and its K8sPod serialization (bytes equal to flytekit 1.16's)."""

from __future__ import annotations

import base64

import pytest
from flyteidl.core import tasks_pb2
from google.protobuf import json_format

from aioflyte.core.pod_template import (
    PRIMARY_CONTAINER_DEFAULT_NAME,
    PodTemplate,
    serialize_pod_spec,
    task_config,
    to_k8s_pod,
)
from aioflyte.exceptions import FlyteTypeException, FlyteValidationException
from aioflyte.image_spec import ImageSpec

# K8sPod messages flytekit 1.16 serialized (deterministically) for the same pod templates and task containers,
# with the pod specs given as kubernetes.client objects (see docs/images.md for how they were made).
FLYTEKIT_K8S_PODS = {
    "TASK_FULL": (
        "CjcKCgoEdGVhbRICbWwKDQoEdGllchIFYmF0Y2gSGgoRZXhhbXBsZS5jb20vb3duZXISBWFsaWNlEv0ICucGCgpjb250YWluZXJz"
        "EtgGMtUGCskFKsYFCvwCCgRhcmdzEvMCMvACChEaD3B5Zmx5dGUtZXhlY3V0ZQoKGggtLWlucHV0cwoMGgp7ey5pbnB1dH19ChEa"
        "Dy0tb3V0cHV0LXByZWZpeAoTGhF7ey5vdXRwdXRQcmVmaXh9fQoaGhgtLXJhdy1vdXRwdXQtZGF0YS1wcmVmaXgKGhoYe3sucmF3"
        "T3V0cHV0RGF0YVByZWZpeH19ChMaES0tY2hlY2twb2ludC1wYXRoCh0aG3t7LmNoZWNrcG9pbnRPdXRwdXRQcmVmaXh9fQoTGhEt"
        "LXByZXYtY2hlY2twb2ludAobGhl7ey5wcmV2Q2hlY2twb2ludFByZWZpeH19CgwaCi0tcmVzb2x2ZXIKOxo5Zmx5dGVraXQuY29y"
        "ZS5weXRob25fYXV0b19jb250YWluZXIuZGVmYXVsdF90YXNrX3Jlc29sdmVyCgQaAi0tCg0aC3Rhc2stbW9kdWxlCggaBmZrX3Bv"
        "ZAoLGgl0YXNrLW5hbWUKBBoCdDEKDQoHY29tbWFuZBICMgAKTgoDZW52EkcyRQodKhsKCwoEbmFtZRIDGgFBCgwKBXZhbHVlEgMa"
        "AWIKJCoiChIKBG5hbWUSChoIRlJPTV9QT0QKDAoFdmFsdWUSAxoBMQoyCgVpbWFnZRIpGidnaGNyLmlvL2ZseXRlb3JnL2ZseXRl"
        "a2l0OnB5My4xMS0xLjE2LjAKEQoEbmFtZRIJGgdwcmltYXJ5ClsKCXJlc291cmNlcxJOKkwKHQoGbGltaXRzEhMqEQoPCgZtZW1v"
        "cnkSBRoDMkdpCisKCHJlcXVlc3RzEh8qHQoKCgNjcHUSAxoBMQoPCgZtZW1vcnkSBRoDMUdpCkIKDHZvbHVtZU1vdW50cxIyMjAK"
        "LiosChcKCW1vdW50UGF0aBIKGggvc2NyYXRjaAoRCgRuYW1lEgkaB3NjcmF0Y2gKhgEqgwEKJwoHY29tbWFuZBIcMhoKBBoCc2gK"
        "BBoCLWMKDBoKc2xlZXAgMzYwMAoXCgVpbWFnZRIOGgxidXN5Ym94OjEuMzYKEQoEbmFtZRIJGgdzaWRlY2FyCiwKCXJlc291cmNl"
        "cxIfKh0KGwoGbGltaXRzEhEqDwoNCgNjcHUSBhoEMTAwbQoRCgtob3N0TmV0d29yaxICIAAKIQoMbm9kZVNlbGVjdG9yEhEqDwoN"
        "CgRwb29sEgUaA2dwdQoqCh10ZXJtaW5hdGlvbkdyYWNlUGVyaW9kU2Vjb25kcxIJEQAAAAAAAD5AClEKC3RvbGVyYXRpb25zEkIy"
        "QAo+KjwKFgoGZWZmZWN0EgwaCk5vU2NoZWR1bGUKDAoDa2V5EgUaA2dwdQoUCghvcGVyYXRvchIIGgZFeGlzdHMKXAoHdm9sdW1l"
        "cxJRMk8KTSpLCjYKCGVtcHR5RGlyEioqKAoSCgZtZWRpdW0SCBoGTWVtb3J5ChIKCXNpemVMaW1pdBIFGgMxR2kKEQoEbmFtZRIJ"
        "GgdzY3JhdGNo"
    ),
    "TASK_NAMED_PRIMARY": (
        "CgASowQKoAQKCmNvbnRhaW5lcnMSkQQyjgQKKSonChMKBWltYWdlEgoaCGFscGluZTozChAKBG5hbWUSCBoGaGVscGVyCuADKt0D"
        "CvwCCgRhcmdzEvMCMvACChEaD3B5Zmx5dGUtZXhlY3V0ZQoKGggtLWlucHV0cwoMGgp7ey5pbnB1dH19ChEaDy0tb3V0cHV0LXBy"
        "ZWZpeAoTGhF7ey5vdXRwdXRQcmVmaXh9fQoaGhgtLXJhdy1vdXRwdXQtZGF0YS1wcmVmaXgKGhoYe3sucmF3T3V0cHV0RGF0YVBy"
        "ZWZpeH19ChMaES0tY2hlY2twb2ludC1wYXRoCh0aG3t7LmNoZWNrcG9pbnRPdXRwdXRQcmVmaXh9fQoTGhEtLXByZXYtY2hlY2tw"
        "b2ludAobGhl7ey5wcmV2Q2hlY2twb2ludFByZWZpeH19CgwaCi0tcmVzb2x2ZXIKOxo5Zmx5dGVraXQuY29yZS5weXRob25fYXV0"
        "b19jb250YWluZXIuZGVmYXVsdF90YXNrX3Jlc29sdmVyCgQaAi0tCg0aC3Rhc2stbW9kdWxlCggaBmZrX3BvZAoLGgl0YXNrLW5h"
        "bWUKBBoCdDIKDQoHY29tbWFuZBICMgAKCQoDZW52EgIyAAoyCgVpbWFnZRIpGidnaGNyLmlvL2ZseXRlb3JnL2ZseXRla2l0OnB5"
        "My4xMS0xLjE2LjAKDgoEbmFtZRIGGgRtYWlu"
    ),
    "TASK_DEFAULT": (
        "CgAS+wMK+AMKCmNvbnRhaW5lcnMS6QMy5gMK4wMq4AMK/AIKBGFyZ3MS8wIy8AIKERoPcHlmbHl0ZS1leGVjdXRlCgoaCC0taW5w"
        "dXRzCgwaCnt7LmlucHV0fX0KERoPLS1vdXRwdXQtcHJlZml4ChMaEXt7Lm91dHB1dFByZWZpeH19ChoaGC0tcmF3LW91dHB1dC1k"
        "YXRhLXByZWZpeAoaGhh7ey5yYXdPdXRwdXREYXRhUHJlZml4fX0KExoRLS1jaGVja3BvaW50LXBhdGgKHRobe3suY2hlY2twb2lu"
        "dE91dHB1dFByZWZpeH19ChMaES0tcHJldi1jaGVja3BvaW50ChsaGXt7LnByZXZDaGVja3BvaW50UHJlZml4fX0KDBoKLS1yZXNv"
        "bHZlcgo7GjlmbHl0ZWtpdC5jb3JlLnB5dGhvbl9hdXRvX2NvbnRhaW5lci5kZWZhdWx0X3Rhc2tfcmVzb2x2ZXIKBBoCLS0KDRoL"
        "dGFzay1tb2R1bGUKCBoGZmtfcG9kCgsaCXRhc2stbmFtZQoEGgJ0MwoNCgdjb21tYW5kEgIyAAoJCgNlbnYSAjIACjIKBWltYWdl"
        "EikaJ2doY3IuaW8vZmx5dGVvcmcvZmx5dGVraXQ6cHkzLjExLTEuMTYuMAoRCgRuYW1lEgkaB3ByaW1hcnk="
    ),
    "NODE_OVERRIDE": (
        "CggKBgoBbBIBdhKXBAr2AwoKY29udGFpbmVycxLnAzLkAwrhAyreAwr/AgoEYXJncxL2AjLzAgoRGg9weWZseXRlLWV4ZWN1dGUK"
        "ChoILS1pbnB1dHMKDBoKe3suaW5wdXR9fQoRGg8tLW91dHB1dC1wcmVmaXgKExoRe3sub3V0cHV0UHJlZml4fX0KGhoYLS1yYXct"
        "b3V0cHV0LWRhdGEtcHJlZml4ChoaGHt7LnJhd091dHB1dERhdGFQcmVmaXh9fQoTGhEtLWNoZWNrcG9pbnQtcGF0aAodGht7ey5j"
        "aGVja3BvaW50T3V0cHV0UHJlZml4fX0KExoRLS1wcmV2LWNoZWNrcG9pbnQKGxoZe3sucHJldkNoZWNrcG9pbnRQcmVmaXh9fQoM"
        "GgotLXJlc29sdmVyCjsaOWZseXRla2l0LmNvcmUucHl0aG9uX2F1dG9fY29udGFpbmVyLmRlZmF1bHRfdGFza19yZXNvbHZlcgoE"
        "GgItLQoNGgt0YXNrLW1vZHVsZQoIGgZma19wb2QKCxoJdGFzay1uYW1lCgcaBXBsYWluCg0KB2NvbW1hbmQSAjIACgkKA2VudhIC"
        "MgAKMgoFaW1hZ2USKRonZ2hjci5pby9mbHl0ZW9yZy9mbHl0ZWtpdDpweTMuMTEtMS4xNi4wCgwKBG5hbWUSBBoCcDIKHAoMbm9k"
        "ZVNlbGVjdG9yEgwqCgoICgFhEgMaAWIiAnAy"
    ),
    "FROM_POD_TEMPLATE": (
        "CjcKCgoEdGVhbRICbWwKDQoEdGllchIFYmF0Y2gSGgoRZXhhbXBsZS5jb20vb3duZXISBWFsaWNlEr8ECqkCCgpjb250YWluZXJz"
        "EpoCMpcCCosBKogBCi8KA2VudhIoMiYKJCoiChIKBG5hbWUSChoIRlJPTV9QT0QKDAoFdmFsdWUSAxoBMQoRCgRuYW1lEgkaB3By"
        "aW1hcnkKQgoMdm9sdW1lTW91bnRzEjIyMAouKiwKFwoJbW91bnRQYXRoEgoaCC9zY3JhdGNoChEKBG5hbWUSCRoHc2NyYXRjaAqG"
        "ASqDAQonCgdjb21tYW5kEhwyGgoEGgJzaAoEGgItYwoMGgpzbGVlcCAzNjAwChcKBWltYWdlEg4aDGJ1c3lib3g6MS4zNgoRCgRu"
        "YW1lEgkaB3NpZGVjYXIKLAoJcmVzb3VyY2VzEh8qHQobCgZsaW1pdHMSESoPCg0KA2NwdRIGGgQxMDBtChEKC2hvc3ROZXR3b3Jr"
        "EgIgAAohCgxub2RlU2VsZWN0b3ISESoPCg0KBHBvb2wSBRoDZ3B1CioKHXRlcm1pbmF0aW9uR3JhY2VQZXJpb2RTZWNvbmRzEgkR"
        "AAAAAAAAPkAKUQoLdG9sZXJhdGlvbnMSQjJACj4qPAoWCgZlZmZlY3QSDBoKTm9TY2hlZHVsZQoMCgNrZXkSBRoDZ3B1ChQKCG9w"
        "ZXJhdG9yEggaBkV4aXN0cwpcCgd2b2x1bWVzElEyTwpNKksKNgoIZW1wdHlEaXISKiooChIKBm1lZGl1bRIIGgZNZW1vcnkKEgoJ"
        "c2l6ZUxpbWl0EgUaAzFHaQoRCgRuYW1lEgkaB3NjcmF0Y2giB3ByaW1hcnk="
    ),
}
FLYTEKIT_DICT_VERSION_HASH = "e610a479d9001c184b9288e045f2cc11501f0d1e83f5a2f6f716be77b506c3cd"

IMAGE = "ghcr.io/flyteorg/flytekit:py3.11-1.16.0"
_R = tasks_pb2.Resources


def _args(task_name: str) -> list[str]:
    """The container args flytekit gave the tasks the expected messages were made from."""
    return [
        "pyflyte-execute",
        "--inputs",
        "{{.input}}",
        "--output-prefix",
        "{{.outputPrefix}}",
        "--raw-output-data-prefix",
        "{{.rawOutputDataPrefix}}",
        "--checkpoint-path",
        "{{.checkpointOutputPrefix}}",
        "--prev-checkpoint",
        "{{.prevCheckpointPrefix}}",
        "--resolver",
        "flytekit.core.python_auto_container.default_task_resolver",
        "--",
        "task-module",
        "fk_pod",
        "task-name",
        task_name,
    ]


def _bytes(msg: tasks_pb2.K8sPod) -> str:
    return base64.b64encode(msg.SerializeToString(deterministic=True)).decode()


def _expected(name: str) -> tasks_pb2.K8sPod:
    return tasks_pb2.K8sPod.FromString(base64.b64decode(FLYTEKIT_K8S_PODS[name]))


FULL_SPEC = {
    "containers": [
        {
            "name": "primary",
            "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
            "env": [{"name": "FROM_POD", "value": "1"}],
        },
        {
            "name": "sidecar",
            "image": "busybox:1.36",
            "command": ["sh", "-c", "sleep 3600"],
            "resources": {"limits": {"cpu": "100m"}},
        },
    ],
    "volumes": [{"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}}],
    "nodeSelector": {"pool": "gpu"},
    "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
    "terminationGracePeriodSeconds": 30,
    "hostNetwork": False,
}
FULL = PodTemplate(
    pod_spec=FULL_SPEC, labels={"team": "ml", "tier": "batch"}, annotations={"example.com/owner": "alice"}
)
FULL_CONTAINER = tasks_pb2.Container(
    image=IMAGE,
    args=_args("t1"),
    env=[{"key": "A", "value": "b"}],
    resources=_R(
        requests=[_R.ResourceEntry(name=_R.CPU, value="1"), _R.ResourceEntry(name=_R.MEMORY, value="1Gi")],
        limits=[_R.ResourceEntry(name=_R.MEMORY, value="2Gi")],
    ),
)


# --- construction -----------------------------------------------------------------------------------------------


def test_defaults():
    pt = PodTemplate()
    assert pt.pod_spec == {"containers": []}
    assert pt.primary_container_name == PRIMARY_CONTAINER_DEFAULT_NAME == "primary"
    assert pt.labels is None and pt.annotations is None
    assert PodTemplate() == PodTemplate(pod_spec={"containers": []})


@pytest.mark.parametrize(
    ("kwargs", "parameter", "expected", "actual"),
    [
        ({"pod_spec": "spec"}, "pod_spec", "V1PodSpec, a dict", str),
        ({"pod_spec": {"containers": {}}}, "pod_spec['containers']", "a list", dict),
        ({"primary_container_name": 3}, "primary_container_name", "str", int),
        ({"labels": ["a"]}, "labels", "dict[str, str] or None", list),
        ({"annotations": {"a": 1}}, "annotations", "dict[str, str] or None", dict),
    ],
)
def test_validation_names_class_parameter_and_types(kwargs, parameter, expected, actual):
    with pytest.raises(FlyteTypeException) as e:
        PodTemplate(**kwargs)
    err = e.value
    assert err.entity == "PodTemplate" and err.parameter == parameter and err.actual is actual
    assert expected in err.expected
    msg = str(err)
    assert msg.startswith(f"PodTemplate: parameter {parameter!r} expected ") and f"got {actual.__name__}" in msg
    assert isinstance(err, TypeError)


def test_without_kubernetes_the_error_says_only_dicts_work():
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        with pytest.raises(FlyteTypeException, match="kubernetes package is not installed"):
            PodTemplate(pod_spec=object())
    else:
        pytest.skip("kubernetes is installed")


def test_empty_primary_container_name_is_invalid():
    with pytest.raises(FlyteValidationException, match="primary_container_name must not be empty"):
        PodTemplate(primary_container_name="")


# --- serialization: equal to flytekit's -------------------------------------------------------------------------


def test_task_pod_with_everything_equals_flytekits():
    pod = to_k8s_pod(FULL, FULL_CONTAINER)
    assert _bytes(pod) == FLYTEKIT_K8S_PODS["TASK_FULL"]
    assert pod == _expected("TASK_FULL")
    assert pod.primary_container_name == ""  # for a task, flytekit names it in the template's config
    assert task_config(FULL) == {"primary_container_name": "primary"}
    spec = json_format.MessageToDict(pod.pod_spec)
    primary = spec["containers"][0]
    assert primary["env"] == [{"name": "A", "value": "b"}, {"name": "FROM_POD", "value": "1"}]
    assert primary["resources"] == {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
    assert primary["image"] == IMAGE and primary["command"] == [] and primary["args"] == _args("t1")
    assert FULL.pod_spec == FULL_SPEC  # the template is not changed by serializing it


def test_task_pod_adds_a_missing_primary_container():
    pt = PodTemplate(pod_spec={"containers": [{"name": "helper", "image": "alpine:3"}]}, primary_container_name="main")
    pod = to_k8s_pod(pt, tasks_pb2.Container(image=IMAGE, args=_args("t2")))
    assert _bytes(pod) == FLYTEKIT_K8S_PODS["TASK_NAMED_PRIMARY"]
    assert task_config(pt) == {"primary_container_name": "main"}
    assert task_config(None) == {}


def test_default_template_task_pod():
    pod = to_k8s_pod(PodTemplate(), tasks_pb2.Container(image=IMAGE, args=_args("t3")))
    assert _bytes(pod) == FLYTEKIT_K8S_PODS["TASK_DEFAULT"]


def test_node_override_pod_names_its_primary_container():
    pt = PodTemplate(
        pod_spec={"containers": [], "nodeSelector": {"a": "b"}}, primary_container_name="p2", labels={"l": "v"}
    )
    pod = to_k8s_pod(pt, tasks_pb2.Container(image=IMAGE, args=_args("plain")), set_primary_container_name=True)
    assert _bytes(pod) == FLYTEKIT_K8S_PODS["NODE_OVERRIDE"]
    assert pod.primary_container_name == "p2"


def test_template_alone_equals_flytekits_from_pod_template():
    pod = to_k8s_pod(FULL)
    assert _bytes(pod) == FLYTEKIT_K8S_PODS["FROM_POD_TEMPLATE"]
    assert pod.primary_container_name == "primary"
    assert json_format.MessageToDict(pod.pod_spec) == {**FULL_SPEC, "terminationGracePeriodSeconds": 30.0}


def test_an_empty_spec_is_left_out():
    pod = to_k8s_pod(PodTemplate(pod_spec={}, labels={"a": "b"}))
    assert not pod.HasField("pod_spec") and dict(pod.metadata.labels) == {"a": "b"}


def test_version_hash_equals_flytekits_for_dict_specs():
    pt = PodTemplate(
        pod_spec={"containers": [{"name": "helper", "image": "alpine:3"}], "nodeSelector": {"pool": "gpu"}},
        primary_container_name="main",
        labels={"a": "b"},
    )
    assert pt.version_hash() == FLYTEKIT_DICT_VERSION_HASH
    assert pt.version_hash() != PodTemplate(pod_spec=pt.pod_spec, primary_container_name="other").version_hash()


# --- images -----------------------------------------------------------------------------------------------------


def test_container_images_are_resolved():
    spec = ImageSpec(name="side", packages=["x"])
    pt = PodTemplate(
        pod_spec={
            "containers": [
                {"name": "primary", "image": "{{.image.custom.fqn}}:v1"},
                {"name": "spec", "image": spec},
                {"name": "bare"},
            ]
        }
    )
    primary = tasks_pb2.Container(image=IMAGE, args=["run"])
    by_default = serialize_pod_spec(pt, primary)
    assert [c.get("image") for c in by_default["containers"]] == ["{{.image.custom.fqn}}:v1", spec.image_name(), None]

    def resolve(img):  # what serialization settings do: templates and missing images become real names
        if img is None:
            return "default:1"
        if not isinstance(img, str):
            return img.image_name()
        return img.replace("{{.image.custom.fqn}}", "ghcr.io/org/custom")

    pod = to_k8s_pod(pt, primary, image_resolver=resolve)
    images = [c["image"] for c in json_format.MessageToDict(pod.pod_spec)["containers"]]
    assert images == ["ghcr.io/org/custom:v1", spec.image_name(), "default:1"]


def test_to_k8s_pod_validates_its_arguments():
    with pytest.raises(FlyteTypeException, match="parameter 'pod_template' expected PodTemplate, got dict"):
        to_k8s_pod({"containers": []})  # type: ignore[arg-type]
    with pytest.raises(FlyteTypeException, match="parameter 'primary_container' expected"):
        to_k8s_pod(PodTemplate(), primary_container={"image": "x"})  # type: ignore[arg-type]


# --- kubernetes client objects (when the package is installed) ----------------------------------------------------


def test_v1_pod_spec_serializes_like_the_dict():
    k8s = pytest.importorskip("kubernetes.client")
    spec = k8s.V1PodSpec(
        containers=[
            k8s.V1Container(
                name="primary",
                volume_mounts=[k8s.V1VolumeMount(name="scratch", mount_path="/scratch")],
                env=[k8s.V1EnvVar(name="FROM_POD", value="1")],
            ),
            k8s.V1Container(
                name="sidecar",
                image="busybox:1.36",
                command=["sh", "-c", "sleep 3600"],
                resources=k8s.V1ResourceRequirements(limits={"cpu": "100m"}),
            ),
        ],
        volumes=[k8s.V1Volume(name="scratch", empty_dir=k8s.V1EmptyDirVolumeSource(medium="Memory", size_limit="1Gi"))],
        node_selector={"pool": "gpu"},
        tolerations=[k8s.V1Toleration(key="gpu", operator="Exists", effect="NoSchedule")],
        termination_grace_period_seconds=30,
        host_network=False,
    )
    pt = PodTemplate(pod_spec=spec, labels=FULL.labels, annotations=FULL.annotations)
    assert _bytes(to_k8s_pod(pt, FULL_CONTAINER)) == FLYTEKIT_K8S_PODS["TASK_FULL"]
    assert _bytes(to_k8s_pod(pt)) == FLYTEKIT_K8S_PODS["FROM_POD_TEMPLATE"]
    assert spec.containers[0].args is None  # not changed
