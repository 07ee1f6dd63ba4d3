"""The serialized entities of ``serialization_examples.py`` equal what flytekit 1.16 produces for the same code.

The expected messages (``golden/``) were written by flytekit (``make_golden.py``); these tests do not need it.
Compared modulo what legitimately differs, and nothing else:

* container ``args``: flytekit's command and resolvers are mapped to aioflyte's (``pyflyte-execute`` and
  ``pyflyte-map-execute`` -> ``aioflyte-execute``, ``flytekit...default_task_resolver`` ->
  ``aioflyte.entrypoint.default_task_resolver``, ...): the layout of the arguments must still be the same;
* container ``image`` where the task names none: each side's default image becomes ``<default image>``;
* task ``metadata.runtime``: ``version`` and ``flavor`` (flytekit's vs aioflyte's) are blanked;
* the ``_F_SS_C`` environment variable (serialized settings of dynamic/eager tasks) is decoded and compared as
  JSON, with its ``image_config`` blanked;
* ``upstream_node_ids`` are compared as sets (flytekit's order comes from a Python ``set``);
* one deliberate fix: aioflyte lists the subworkflows used inside nested conditionals in ``sub_workflows``,
  which flytekit omits (``branch_nested_wf``, see docs/serialization.md).
"""

from __future__ import annotations

import base64
import gzip
import json
import os

import pytest
from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import dynamic_job_pb2
from google.protobuf import text_format

from aioflyte.remote import serialization as ser
from aioflyte.remote.serialization import SerializationSettings, default_image_config
from aioflyte.remote.translator import dynamic_job_spec, registrable_entities

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
FLYTEKIT_DEFAULT_IMAGE = "cr.flyte.org/flyteorg/flytekit:py3.11-1.16.31"
_ARG_MAP = {
    "pyflyte-execute": ser.ENTRYPOINT,
    "pyflyte-map-execute": ser.ENTRYPOINT,
    "flytekit.core.python_auto_container.default_task_resolver": ser.DEFAULT_TASK_RESOLVER,
    "flytekit.core.array_node_map_task.ArrayNodeMapTaskResolver": ser.MAP_TASK_RESOLVER,
    "flytekit.core.python_function_task.eager_failure_task_resolver": ser.EAGER_FAILURE_TASK_RESOLVER,
}
_KINDS = {"1": task_pb2.TaskSpec, "2": workflow_pb2.WorkflowSpec, "3": launch_plan_pb2.LaunchPlan}
#: Subworkflows aioflyte adds where flytekit leaves them out (workflows inside nested conditionals).
EXTRA_SUBWORKFLOWS = {"serialization_examples.branch_nested_wf": {"serialization_examples.sub_wf"}}


def settings() -> SerializationSettings:
    return SerializationSettings(
        image_config=default_image_config(), project="flytesnacks", domain="development", version="v1"
    )


def golden_files() -> list[str]:
    return sorted(f for f in os.listdir(GOLDEN) if f[0].isdigit())


def load_golden(fname: str) -> object:
    kind = fname.rsplit("_", 1)[1].split(".")[0]
    msg = _KINDS[kind]()
    with open(os.path.join(GOLDEN, fname)) as f:
        text_format.Parse(f.read(), msg)
    return msg


def file_name(i: int, width: int, m: object) -> str:
    kind = {"TaskSpec": 1, "WorkflowSpec": 2, "LaunchPlan": 3}[type(m).__name__]
    name = m.id.name if kind == 3 else m.template.id.name
    return f"{str(i).zfill(width)}_{name}_{kind}.pbtxt"


# --- normalization ---------------------------------------------------------------------------------------------


def _norm_template(tt, default_image: str) -> None:
    tt.metadata.runtime.version = ""
    tt.metadata.runtime.flavor = ""
    c = tt.container
    if c.image == default_image:
        c.image = "<default image>"
    args = [_ARG_MAP.get(a, a) for a in c.args]
    del c.args[:]
    c.args.extend(args)
    for e in c.env:
        if e.key == ser.SERIALIZED_CONTEXT_ENV_VAR:
            d = json.loads(gzip.decompress(base64.b64decode(e.value)))
            d["image_config"] = None
            e.value = json.dumps(d, sort_keys=True)


def _norm_node(n) -> None:
    ids = sorted(n.upstream_node_ids)
    del n.upstream_node_ids[:]
    n.upstream_node_ids.extend(ids)
    kind = n.WhichOneof("target")
    if kind == "branch_node":
        ie = n.branch_node.if_else
        _norm_node(ie.case.then_node)
        for o in ie.other:
            _norm_node(o.then_node)
        if ie.HasField("else_node"):
            _norm_node(ie.else_node)
    elif kind == "array_node":
        _norm_node(n.array_node.node)


def _norm_workflow_template(t) -> None:
    for n in t.nodes:
        _norm_node(n)
    if t.HasField("failure_node"):
        _norm_node(t.failure_node)


def normalize(m, default_image: str):
    m2 = type(m)()
    m2.CopyFrom(m)
    if isinstance(m2, task_pb2.TaskSpec):
        _norm_template(m2.template, default_image)
    elif isinstance(m2, workflow_pb2.WorkflowSpec):
        _norm_workflow_template(m2.template)
        for s in m2.sub_workflows:
            _norm_workflow_template(s)
    elif isinstance(m2, dynamic_job_pb2.DynamicJobSpec):
        for t in m2.tasks:
            _norm_template(t, default_image)
        for n in m2.nodes:
            _norm_node(n)
        for s in m2.subworkflows:
            _norm_workflow_template(s)
    return m2


def assert_same(ours, theirs, what: str) -> None:
    a = normalize(ours, settings().image_config.default_image.full)
    b = normalize(theirs, FLYTEKIT_DEFAULT_IMAGE)
    if a != b:
        diff = "\n".join(
            __import__("difflib").unified_diff(
                text_format.MessageToString(b).splitlines(),
                text_format.MessageToString(a).splitlines(),
                "flytekit",
                "aioflyte",
                lineterm="",
                n=4,
            )
        )
        pytest.fail(f"{what} differs from flytekit's:\n{diff}")


# --- tests -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import serialization_examples
    return serialization_examples


@pytest.fixture(scope="module")
def ours(examples):
    import asyncio

    msgs = asyncio.run(registrable_entities(list(vars(examples).values()), settings()))
    width = len(str(len(msgs) - 1))
    return {file_name(i, width, m): m for i, m in enumerate(msgs)}


def test_same_entities_in_the_same_order_as_pyflyte_package(ours):
    assert list(ours) == golden_files()


@pytest.mark.parametrize("fname", golden_files())
def test_message_equals_flytekits(ours, fname):
    theirs = load_golden(fname)
    mine = ours[fname]
    if isinstance(mine, workflow_pb2.WorkflowSpec) and mine.template.id.name in EXTRA_SUBWORKFLOWS:
        extra = EXTRA_SUBWORKFLOWS[mine.template.id.name]
        names = {s.id.name for s in mine.sub_workflows}
        assert extra <= names
        kept = [
            s
            for s in mine.sub_workflows
            if s.id.name not in extra or s.id.name in {t.id.name for t in theirs.sub_workflows}
        ]
        mine = type(mine)()
        mine.CopyFrom(ours[fname])
        del mine.sub_workflows[:]
        mine.sub_workflows.extend(kept)
    assert_same(mine, theirs, fname)


@pytest.mark.parametrize(
    "task,inputs,fname",
    [("dyn", {"n": 3}, "dynamic_dyn_n3.pbtxt"), ("dyn_nested", {"n": 2}, "dynamic_dyn_nested_n2.pbtxt")],
)
async def test_dynamic_job_spec_equals_flytekits(examples, task, inputs, fname):
    spec = await dynamic_job_spec(getattr(examples, task), inputs, settings())
    theirs = dynamic_job_pb2.DynamicJobSpec()
    with open(os.path.join(GOLDEN, fname)) as f:
        text_format.Parse(f.read(), theirs)
    assert_same(spec, theirs, f"DynamicJobSpec of {task}({inputs})")
