"""flytekit's model helpers on authoring objects (schedules, labels, notifications, documentation, resources,
task metadata, launch plans, workflows, promises), with wire bytes taken from flytekit 1.16.31 for the same
arguments."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import pytest

from aioflyte import (
    Annotations,
    CronSchedule,
    Description,
    Documentation,
    Email,
    FixedRate,
    Labels,
    LaunchPlan,
    Resources,
    TaskMetadata,
    WorkflowExecutionPhase,
    task,
    workflow,
)
from aioflyte.core.promise import Promise


@pytest.mark.parametrize(
    "alias",
    ["hourly", "hours", "HOURLY", "daily", "days", "Daily", "weekly", "weeks", "monthly", "months", "yearly",
     "years", "annually", "@hourly", "@Days"],
)  # fmt: skip
def test_cron_schedule_accepts_every_alias_flytekit_accepts(alias: str) -> None:
    c = CronSchedule(schedule=alias, kickoff_time_input_arg="t")
    assert c.cron_schedule.schedule == alias and c.cron_schedule.offset is None  # kept as written, as flytekit
    assert c.next_after(datetime.datetime(2026, 1, 1, 0, 30)) > datetime.datetime(2026, 1, 1, 0, 30)


def test_cron_schedule_rejects_what_flytekit_rejects() -> None:
    with pytest.raises(ValueError, match="bogus"):
        CronSchedule(schedule="bogus")


def test_cron_schedule_model_parts_and_bytes() -> None:
    c = CronSchedule(schedule="0 * * * *", offset="P1D")
    assert (c.cron_schedule.schedule, c.cron_schedule.offset) == ("0 * * * *", "P1D")
    assert c.schedule_expression == c.cron_schedule and c.rate is None and not c.is_empty
    assert c.serialize_to_string() == b'"\x10\n\t0 * * * *\x12\x03P1D'  # flytekit 1.16.31
    assert CronSchedule(schedule="days").serialize_to_string() == b'"\x06\n\x04days'
    assert c.short_string().startswith("Flyte Serialized object (CronSchedule):")


def test_fixed_rate_model_parts_and_bytes() -> None:
    f = FixedRate(duration=datetime.timedelta(hours=2))
    assert (f.rate.value, f.rate.unit) == (2, FixedRate.FixedRateUnit.HOUR) and f.rate.unit == 1
    assert f.schedule_expression == f.rate and f.cron_schedule is None and f.cron_expression is None
    assert FixedRate.FixedRateUnit.enum_to_string(2) == "DAY"
    assert f.serialize_to_string() == b"\x12\x04\x08\x02\x10\x01"  # flytekit 1.16.31
    daily = FixedRate(duration=datetime.timedelta(days=1), kickoff_time_input_arg="t")
    assert daily.serialize_to_string() == b"\x12\x04\x08\x01\x10\x02\x1a\x01t"


def test_labels_annotations_notifications_documentation_helpers() -> None:
    assert Labels({"a": "b"}).serialize_to_string() == b"\n\x06\n\x01a\x12\x01b"  # flytekit 1.16.31
    assert Annotations({"x": "y"}).serialize_to_string() == b"\n\x06\n\x01x\x12\x01y"
    assert Labels({}).is_empty and not Annotations({"x": "y"}).is_empty
    email = Email(phases=[WorkflowExecutionPhase.FAILED], recipients_email=["a@b.c"])
    assert email.serialize_to_string() == b"\n\x01\x06\x12\x07\n\x05a@b.c"
    assert list(email.email.recipients_email) == ["a@b.c"] and email.slack is None and email.pager_duty is None
    assert WorkflowExecutionPhase.FAILED in Email.VALID_PHASES
    doc = Documentation(short_description="s", long_description=Description(value="v", uri="http://x"))
    assert doc.serialize_to_string() == b"\x12\x01s\x1a\x0c\x12\x08http://x\x18\x03"  # uri wins, as in flytekit
    assert Documentation().is_empty


def test_description_takes_value_and_uri_together() -> None:
    d = Description(value="v", uri="http://x")
    assert d.value == "v" and d.uri == "http://x" and d.to_flyte_idl().uri == "http://x"


def test_resources_dict_and_json_forms() -> None:
    r = Resources(cpu="1", mem="2Gi", gpu=1)
    assert r.to_dict() == {"cpu": "1", "mem": "2Gi", "gpu": 1, "ephemeral_storage": None}
    assert json.loads(r.to_json()) == r.to_dict()
    assert Resources.from_dict({"cpu": "1", "gpu": 1}) == Resources(cpu="1", gpu=1)
    assert Resources.from_json('{"cpu": "2"}') == Resources(cpu="2")
    with pytest.raises(ValueError, match="unknown field"):
        Resources.from_dict({"cpus": "2"})


def test_a_gpu_request_is_not_copied_into_limits(tmp_path: Path) -> None:
    (tmp_path / "gpu_tasks.py").write_text(
        "from aioflyte import Resources, task\n\n@task(requests=Resources(gpu='1'))\ndef t(x: int) -> int:\n"
        "    return x\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        from gpu_tasks import t  # type: ignore[import-not-found]

        from aioflyte.configuration.image import ImageConfig
        from aioflyte.remote.serialization import SerializationSettings
        from aioflyte.remote.translator import serialize

        res = serialize(t, SerializationSettings(image_config=ImageConfig.auto_default_image())).template.container
    finally:
        sys.path.remove(str(tmp_path))
    from flyteidl.core import tasks_pb2

    assert [(e.name, e.value) for e in res.resources.requests] == [(tasks_pb2.Resources.GPU, "1")]
    assert list(res.resources.limits) == []  # as flytekit 1.16 serializes it
    assert t.resources.limits == Resources()


def test_task_metadata_retry_strategy() -> None:
    assert TaskMetadata(retries=3).retry_strategy.retries == 3


@task
def plus(x: int, y: int) -> int:
    return x + y


@workflow
def adder(x: int = 3, y: int = 4) -> int:
    return plus(x=x, y=y)


def test_launch_plan_saved_inputs_and_workflow_wrapped() -> None:
    lp = LaunchPlan.get_or_create(adder, name=f"{__name__}.lp", fixed_inputs={"y": 5})
    assert lp.saved_inputs == {"y": 5}
    lp2 = LaunchPlan.get_or_create(adder, name=f"{__name__}.lp2", default_inputs={"x": 7}, fixed_inputs={"y": 5})
    assert lp2.saved_inputs == {"x": 7, "y": 5}  # flytekit: the defaults and the fixed inputs given


def test_launch_plan_parameters_is_flytekits_parameter_map() -> None:
    from aioflyte.models.interface import ParameterMap
    from aioflyte.models.types import SimpleType

    lp = LaunchPlan.get_or_create(adder, name=f"{__name__}.lp3", default_inputs={"x": 7}, fixed_inputs={"y": 5})
    params = lp.parameters
    assert isinstance(params, ParameterMap)
    assert sorted(params.parameters) == ["x"]  # fixed inputs are not parameters
    x = params.parameters["x"]
    assert x.var.type.simple == SimpleType.INTEGER
    assert x.default.scalar.primitive.integer == 7 and not x.required
    assert params.to_flyte_idl().parameters["x"].default.scalar.primitive.integer == 7
    assert adder.__wrapped__.__name__ == "adder" and callable(adder.__wrapped__)


def test_promise_var_val_constructor() -> None:
    from flyteidl.core import literals_pb2

    lit = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=3)))
    p = Promise("x", lit)
    assert p.var == "x" and p.val is lit and p.is_ready
    node_output = Promise(None, "o0", int)
    assert not node_output.is_ready and node_output.val is None
