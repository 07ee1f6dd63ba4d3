"""Serialized entities are well formed: they parse back, reference only what is registered with them, bind only
nodes that exist; plus the serialization settings, image templates and the cases flytekit gets wrong."""

from __future__ import annotations

import asyncio
import datetime
import warnings

import pytest
from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import literals_pb2

from aioflyte import Resources, conditional, dynamic, map_task, task, workflow
from aioflyte.remote.serialization import (
    SERIALIZED_CONTEXT_ENV_VAR,
    FastSerializationSettings,
    Image,
    ImageConfig,
    SerializationSettings,
    default_image_config,
)
from aioflyte.remote.translator import (
    dynamic_job_spec,
    get_serializable,
    registrable_entities,
    run_sync,
    serialize,
)
from aioflyte.remote.translator._common import dnsify, parse_docstring
from aioflyte.remote.translator.workflows import SerializationError


def settings(**kw) -> SerializationSettings:
    return SerializationSettings(image_config=default_image_config(), project="p", domain="d", version="v1", **kw)


@pytest.fixture(scope="module")
def messages():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import serialization_examples as ex
    return asyncio.run(registrable_entities(list(vars(ex).values()), settings()))


def _walk(nodes):
    for n in nodes:
        yield n
        kind = n.WhichOneof("target")
        if kind == "branch_node":
            ie = n.branch_node.if_else
            yield from _walk([ie.case.then_node, *[o.then_node for o in ie.other]])
            if ie.HasField("else_node"):
                yield from _walk([ie.else_node])
        elif kind == "array_node":
            yield from _walk([n.array_node.node])


def _key(i) -> tuple:
    return (i.resource_type, i.project, i.domain, i.name, i.version)


def test_messages_parse_back(messages):
    for m in messages:
        again = type(m)()
        again.ParseFromString(m.SerializeToString())
        assert again == m


def test_every_reference_is_registered_alongside(messages):
    tasks = {_key(m.template.id) for m in messages if isinstance(m, task_pb2.TaskSpec)}
    wfs = {_key(m.template.id) for m in messages if isinstance(m, workflow_pb2.WorkflowSpec)}
    lps = {_key(m.id) for m in messages if isinstance(m, launch_plan_pb2.LaunchPlan)}
    for m in messages:
        if isinstance(m, launch_plan_pb2.LaunchPlan):
            assert _key(m.spec.workflow_id) in wfs
            continue
        if not isinstance(m, workflow_pb2.WorkflowSpec):
            continue
        subs = {_key(s.id) for s in m.sub_workflows}
        for template in [m.template, *m.sub_workflows]:
            nodes = list(template.nodes) + ([template.failure_node] if template.HasField("failure_node") else [])
            for n in _walk(nodes):
                kind = n.WhichOneof("target")
                if kind == "task_node":
                    assert _key(n.task_node.reference_id) in tasks, n.id
                elif kind == "workflow_node":
                    wn = n.workflow_node
                    if wn.HasField("launchplan_ref"):
                        assert _key(wn.launchplan_ref) in lps, n.id
                    else:
                        assert _key(wn.sub_workflow_ref) in subs and _key(wn.sub_workflow_ref) in wfs, n.id


def test_bindings_and_upstream_name_existing_nodes(messages):
    for m in messages:
        if not isinstance(m, workflow_pb2.WorkflowSpec):
            continue
        for template in [m.template, *m.sub_workflows]:
            top = list(template.nodes)
            ids = {n.id for n in _walk(top)} | {""}
            for n in _walk(top):
                assert set(n.upstream_node_ids) <= ids, (template.id.name, n.id)
                for b in n.inputs:
                    if b.binding.HasField("promise"):
                        assert b.binding.promise.node_id in ids, (template.id.name, n.id, b.var)
            for b in template.outputs:
                assert b.binding.promise.node_id in ids


def test_settings_travel_as_flytekit_does():
    s = settings(env={"A": "1"})
    s2 = s.with_serialized_context()
    assert SERIALIZED_CONTEXT_ENV_VAR in s2.env and s2.env["A"] == "1"
    assert s2.with_serialized_context() is s2
    back = SerializationSettings.from_transport(s2.env[SERIALIZED_CONTEXT_ENV_VAR])
    assert (back.project, back.domain, back.version, back.env) == ("p", "d", "v1", {"A": "1"})
    assert back.image_config.default_image.full == s.image_config.default_image.full
    assert list(s.to_dict()) == [
        "image_config",
        "project",
        "domain",
        "version",
        "env",
        "default_resources",
        "git_repo",
        "python_interpreter",
        "flytekit_virtualenv_root",
        "fast_serialization_settings",
        "source_root",
    ]
    assert s.flytekit_virtualenv_root == "/opt/venv"


@task
def _sq(x: int) -> int:
    return x * x


@task
def _two(x: int) -> int:
    return x


def test_image_templates_and_fast_registration():
    img = Image(name="default", fqn="ghcr.io/a/b", tag="1")
    other = Image(name="gpu", fqn="ghcr.io/a/gpu", tag="7")
    cfg = ImageConfig(default_image=img, images=[img, other])

    @task(container_image="{{.image.gpu.fqn}}:{{.image.default.version}}")
    def t(x: int) -> int:
        return x

    fss = FastSerializationSettings(enabled=True, destination_dir="/root", distribution_location="s3://b/code.tgz")
    s = SerializationSettings(image_config=cfg, project="p", domain="d", version="v", fast_serialization_settings=fss)
    c = serialize(t, s).template.container
    assert c.image == "ghcr.io/a/gpu:1"
    assert list(c.args[:6]) == [
        "aioflyte-fast-execute",
        "--additional-distribution",
        "s3://b/code.tgz",
        "--dest-dir",
        "/root",
        "--",
    ]
    assert c.args[6] == "aioflyte-execute"


def test_min_successes_is_kept():
    # flytekit sets min_success_ratio too, which overwrites min_successes in the oneof; aioflyte keeps it.
    @workflow
    def wf(xs: list[int]) -> list[int | None]:
        return map_task(_sq, min_successes=2)(x=xs)

    node = serialize(wf, settings()).template.nodes[0]
    assert node.array_node.WhichOneof("success_criteria") == "min_successes"
    assert node.array_node.min_successes == 2


def test_a_case_running_two_entities_is_a_clear_error():
    @workflow
    def wf(x: int) -> int:
        return conditional("c").if_(x > 1).then(_two(x=_sq(x=x))).else_().then(_sq(x=x))

    with pytest.raises(SerializationError, match="exactly one entity"):
        serialize(wf, settings())


async def test_sync_wrapper_refuses_a_running_loop():
    with pytest.raises(RuntimeError, match="await"):
        run_sync(get_serializable(_sq, settings()))
    spec = await get_serializable(_sq, settings())
    assert spec.template.id.name.endswith("._sq")


async def test_dynamic_without_calls_yields_its_outputs():
    @dynamic
    def d(n: int) -> list[int]:
        return [n, n + 1]

    lm = await dynamic_job_spec(d, {"n": 2}, settings())
    assert isinstance(lm, literals_pb2.LiteralMap)
    assert [x.scalar.primitive.integer for x in lm.literals["o0"].collection.literals] == [2, 3]


def test_resources_overrides_and_node_names():
    @workflow
    def wf(x: int) -> int:
        return _sq(x=x).with_overrides(
            resources=Resources(cpu=("1", "2"), mem="1Gi"), node_name="Square Node", timeout=datetime.timedelta(0)
        )

    n = serialize(wf, settings()).template.nodes[0]
    assert n.id == "square-node"
    res = n.task_node.overrides.resources
    assert [(r.name, r.value) for r in res.requests] == [(1, "1"), (3, "1Gi")]
    assert [(r.name, r.value) for r in res.limits] == [(1, "2"), (3, "1Gi")]


def test_dnsify_like_flytekit():
    assert dnsify("my-Node_1") == "my-node-1"
    assert dnsify("_leading") == "leading"
    long = dnsify("x" * 80)
    assert len(long) <= 63


def test_docstring_styles():
    rest = parse_docstring("Short.\n\nLong text.\n\n:param a: first\n:param int b: second\n  more\n:return: out\n")
    assert (rest.short_description, rest.long_description) == ("Short.", "Long text.")
    assert rest.params == {"a": "first", "b": "second\nmore"}
    assert rest.returns == {None: "out"}
    google = parse_docstring("Short.\n\nArgs:\n    a: first\n    b (int): second\n\nReturns:\n    int: the result\n")
    assert google.params == {"a": "first", "b": "second"}
    assert google.returns == {None: "the result"}
    assert parse_docstring(None).short_description is None


class _PodTemplate:
    """A pod template as flytekit describes one (the PodSpec given as its Kubernetes JSON)."""

    def __init__(self, pod_spec, primary_container_name="primary", labels=None, annotations=None):
        self.pod_spec = pod_spec
        self.primary_container_name = primary_container_name
        self.labels = labels
        self.annotations = annotations


def test_pod_template_replaces_the_container():
    pt = _PodTemplate(
        {
            "containers": [
                {"name": "primary", "env": [{"name": "X", "value": "1"}]},
                {"name": "side", "image": "busybox"},
            ]
        },
        labels={"team": "ml"},
    )

    @task(pod_template=pt, requests=Resources(cpu="1"), environment={"E": "2"})
    def t(x: int) -> int:
        return x

    tt = serialize(t, settings()).template
    assert not tt.HasField("container")
    assert tt.config["primary_container_name"] == "primary"
    spec = tt.k8s_pod.pod_spec
    primary, side = spec["containers"][0], spec["containers"][1]
    assert primary["args"][0] == "aioflyte-execute"
    assert primary["image"] == settings().image_config.default_image.full
    assert primary["resources"]["requests"]["cpu"] == "1"
    assert [e["name"] for e in primary["env"]] == ["E", "X"]
    assert side["image"] == "busybox"
    assert dict(tt.k8s_pod.metadata.labels) == {"team": "ml"}


def test_task_labels_and_annotations_are_serialized_where_flytekit_puts_them():
    from aioflyte.remote.translator.tasks import task_spec

    @task(labels={"team": "a"}, annotations={"note": "b"})
    def labelled(x: int) -> int:
        return x

    md = task_spec(labelled, settings()).template.metadata
    # flytekit 1.16 serializes @task(labels=..., annotations=...) into TaskMetadata.metadata (K8sObjectMetadata)
    assert dict(md.metadata.labels) == {"team": "a"} and dict(md.metadata.annotations) == {"note": "b"}
