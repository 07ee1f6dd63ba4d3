"""Launch plan models: schedules, notifications, options, security context, documentation.

The hex constants are the deterministic serializations flytekit 1.16.31 (flyteidl 1.16.8) produces for the
same arguments; the OAuth2 ones come from flyteidl messages built directly, since flytekit 1.16 cannot
serialize OAuth2 clients.
"""

from __future__ import annotations

import datetime
import re

import pytest
from flyteidl.admin import common_pb2, description_entity_pb2, schedule_pb2
from flyteidl.core import execution_pb2, security_pb2, workflow_pb2

from aioflyte.core.documentation import Description, Documentation, SourceCode
from aioflyte.core.notification import Email, Notification, PagerDuty, Slack, WorkflowExecutionPhase
from aioflyte.core.options import (
    Annotations,
    AuthRole,
    Labels,
    Options,
    RawOutputDataConfig,
    WorkflowFailurePolicy,
)
from aioflyte.core.schedule import CronSchedule, FixedRate
from aioflyte.core.secrets import Secret
from aioflyte.models.security import Identity, OAuth2Client, OAuth2TokenRequest, SecurityContext

P = WorkflowExecutionPhase
F = Description.DescriptionFormat
_CLIENT = OAuth2Client("cid", Secret(group="g", key="k"))

FLYTEKIT_HEX = {
    "cron_every_minute": "220d0a0b2a2f31202a202a202a202a",
    "cron_daily_alias": "22080a06406461696c79",
    "cron_bare_alias": "22080a06686f75726c79",
    "cron_weekdays": "22110a0f302039202a202a204d4f4e2d465249",
    "cron_offset_kickoff": "1a076b69636b6f666622100a09302030202a202a202a1203503144",
    "cron_six_fields": "220e0a0c30203130202a202a203f202a",
    "rate_10_minutes": "1202080a",
    "rate_90_minutes": "1202085a",
    "rate_2_hours": "120408021001",
    "rate_25_hours": "120408191001",
    "rate_1_day": "120408011002",
    "rate_1_week_kickoff": "1204080710021a026b74",
    "email": "0a010412090a076140622e636f6d",
    "email_all_terminal": "0a040406070812120a076140622e636f6d0a076340642e636f6d",
    "slack": "0a010622100a0e7465616d40736c61636b2e636f6d",
    "pager_duty": "0a0208071a0f0a0d6f6e63616c6c4070642e636f6d",
    "labels": "0a0a0a03656e7612036465760a0a0a047465616d12026d6c",
    "annotations": "0a110a0b636f73742d63656e746572120234320a0b0a056f776e657212026d65",
    "auth_role_iam": "0a1561726e3a6177733a69616d3a3a313a726f6c652f72",
    "auth_role_sa": "12027361",
    "auth_role_both": "0a1561726e3a6177733a69616d3a3a313a726f6c652f7212027361",
    "raw_output": "0a0f73333a2f2f6275636b65742f726177",
    "identity_sa": "12027361",
    "identity_iam_exec": "0a0561726e3a7222086d6540782e636f6d",
    "sc_run_as": "0a0412027361",
    "sc_empty_identity": "0a00",
    "sc_secrets": "12060a01671a016b12150a026462120276311a02707720012a0544425f505712050a01662002",
    "sc_full": "0a070a01721202736112060a01671a016b",
    "sc_empty_lists": "",
    "options_default_sa": "0a0412027361",
    "options_default_raw": "0a0873333a2f2f622f70",
    "description_md": "0a0568656c6c6f1801",
    "description_default": "0a0568656c6c6f1803",
    "description_uri": "120673333a2f2f7818022208687474703a2f2f69",
    "documentation": "1201731a050a016c1803220a0a08687474703a2f2f67",
    "source_code": "0a08687474703a2f2f67",
    "identity_oauth2_flyteidl": "0a0172120273611a0d0a0363696412060a01671a016b220165",
    "sc_tokens_flyteidl": (
        "1a2e0a03746f6b1a0d0a0363696412060a01671a016b220b68747470733a2f2f6964702a0b68747470733a2f2f746f6b"
    ),
}


def _cases() -> dict[str, object]:
    return {
        "cron_every_minute": CronSchedule(schedule="*/1 * * * *"),
        "cron_daily_alias": CronSchedule(schedule="@daily"),
        "cron_bare_alias": CronSchedule(schedule="hourly"),
        "cron_weekdays": CronSchedule(schedule="0 9 * * MON-FRI"),
        "cron_offset_kickoff": CronSchedule(schedule="0 0 * * *", offset="P1D", kickoff_time_input_arg="kickoff"),
        "cron_six_fields": CronSchedule(schedule="0 10 * * ? *"),
        "rate_10_minutes": FixedRate(datetime.timedelta(minutes=10)),
        "rate_90_minutes": FixedRate(datetime.timedelta(minutes=90)),
        "rate_2_hours": FixedRate(datetime.timedelta(hours=2)),
        "rate_25_hours": FixedRate(datetime.timedelta(hours=25)),
        "rate_1_day": FixedRate(datetime.timedelta(days=1)),
        "rate_1_week_kickoff": FixedRate(datetime.timedelta(weeks=1), kickoff_time_input_arg="kt"),
        "email": Email([P.SUCCEEDED], ["a@b.com"]),
        "email_all_terminal": Email([P.SUCCEEDED, P.FAILED, P.ABORTED, P.TIMED_OUT], ["a@b.com", "c@d.com"]),
        "slack": Slack([P.FAILED], ["team@slack.com"]),
        "pager_duty": PagerDuty([P.TIMED_OUT, P.ABORTED], ["oncall@pd.com"]),
        "labels": Labels({"team": "ml", "env": "dev"}),
        "annotations": Annotations({"owner": "me", "cost-center": "42"}),
        "auth_role_iam": AuthRole("arn:aws:iam::1:role/r"),
        "auth_role_sa": AuthRole(kubernetes_service_account="sa"),
        "auth_role_both": AuthRole("arn:aws:iam::1:role/r", "sa"),
        "raw_output": RawOutputDataConfig("s3://bucket/raw"),
        "identity_sa": Identity(k8s_service_account="sa"),
        "identity_iam_exec": Identity(iam_role="arn:r", execution_identity="me@x.com"),
        "sc_run_as": SecurityContext(run_as=Identity(k8s_service_account="sa")),
        "sc_empty_identity": SecurityContext(run_as=Identity()),
        "sc_secrets": SecurityContext(
            secrets=[
                Secret(group="g", key="k"),
                Secret(
                    group="db",
                    key="pw",
                    group_version="v1",
                    mount_requirement=Secret.MountType.ENV_VAR,
                    env_var="DB_PW",
                ),
                Secret(group="f", mount_requirement=Secret.MountType.FILE),
            ]
        ),
        "sc_full": SecurityContext(
            run_as=Identity(iam_role="r", k8s_service_account="sa"), secrets=[Secret(group="g", key="k")]
        ),
        "sc_empty_lists": SecurityContext(secrets=[], tokens=[]),
        "options_default_sa": Options.default_from(k8s_service_account="sa").security_context,
        "options_default_raw": Options.default_from(raw_data_prefix="s3://b/p").raw_output_data_config,
        "description_md": Description(value="hello", format=F.MARKDOWN),
        "description_default": Description(value="hello"),
        "description_uri": Description(uri="s3://x", icon_link="http://i", format=F.HTML),
        "documentation": Documentation(
            short_description="s", long_description=Description(value="l"), source_code=SourceCode(link="http://g")
        ),
        "source_code": SourceCode(link="http://g"),
        "identity_oauth2_flyteidl": Identity(
            iam_role="r", k8s_service_account="sa", oauth2_client=_CLIENT, execution_identity="e"
        ),
        "sc_tokens_flyteidl": SecurityContext(
            tokens=[
                OAuth2TokenRequest("tok", _CLIENT, idp_discovery_endpoint="https://idp", token_endpoint="https://tok")
            ]
        ),
    }


@pytest.mark.parametrize("name", sorted(FLYTEKIT_HEX))
def test_protobuf_bytes_match_flytekit(name: str) -> None:
    model = _cases()[name]
    assert model.to_flyte_idl().SerializeToString(deterministic=True).hex() == FLYTEKIT_HEX[name]


@pytest.mark.parametrize("name", sorted(FLYTEKIT_HEX))
def test_from_flyte_idl_round_trips(name: str) -> None:
    model = _cases()[name]
    pb = model.to_flyte_idl()
    again = Notification.from_flyte_idl(pb) if isinstance(model, Notification) else type(model).from_flyte_idl(pb)
    assert again.to_flyte_idl() == pb
    if name != "sc_empty_lists":  # SecurityContext(secrets=[], tokens=[]) reads back as secrets=[], tokens=None
        assert again == model


def test_message_types() -> None:
    assert isinstance(CronSchedule(schedule="@daily").to_flyte_idl(), schedule_pb2.Schedule)
    assert isinstance(FixedRate(datetime.timedelta(hours=1)).to_flyte_idl(), schedule_pb2.Schedule)
    assert isinstance(Slack([P.FAILED], ["x"]).to_flyte_idl(), common_pb2.Notification)
    assert isinstance(Labels({}).to_flyte_idl(), common_pb2.Labels)
    assert isinstance(SecurityContext(run_as=Identity()).to_flyte_idl(), security_pb2.SecurityContext)
    assert isinstance(Documentation().to_flyte_idl(), description_entity_pb2.DescriptionEntity)


# --- CronSchedule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        *("* * * * *", "0 0 * * MON-FRI", "0 0 1 JAN *", "0 0 L * *", "0 0 * * 7", "1-5/2 * * * *", "0 0 ? * *"),
        *("@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight", "@HOURLY"),
        *("hourly", "daily", "weekly", "monthly", "yearly", "annually", "Daily"),
        *("0 10 * * ? *", "* * * * * *"),
    ],
)
def test_cron_accepts_what_flytekit_accepts(expr: str) -> None:
    s = CronSchedule(schedule=expr)
    assert s.schedule == expr and s.offset is None and s.kickoff_time_input_arg is None


@pytest.mark.parametrize(
    "expr",
    [
        *("", "bad", "@reboot", "midnight", "@every 5m", "61 * * * *", "0 0 * * 8", "*/0 * * * *", "0 0 30 2 *"),
        *("0 0 * * 5L", "H * * * *", " @daily", "@daily ", "* * * * * 61"),
    ],
)
def test_cron_rejects_what_flytekit_rejects(expr: str) -> None:
    with pytest.raises(ValueError, match="CronSchedule") as e:
        CronSchedule(schedule=expr)
    assert repr(expr) in str(e.value)


def test_cron_expression_is_rejected_like_flytekit() -> None:
    with pytest.raises(ValueError, match=r"cron_expression='0 10 \* \* \? \*'.*deprecated.*schedule="):
        CronSchedule(cron_expression="0 10 * * ? *")
    with pytest.raises(ValueError, match="cron_expression"):
        CronSchedule(cron_expression="0 10 * * ? *", schedule="* * * * *")


def test_cron_needs_a_schedule() -> None:
    with pytest.raises(ValueError, match="schedule= is required"):
        CronSchedule()
    with pytest.raises(ValueError, match="schedule= is required"):
        CronSchedule(offset="P1D")


@pytest.mark.parametrize("offset", ["P1D", "PT1H", "-P1D", "+P1D", "P1W", "PT0.5S", "PT0,5S", "P1Y2M3DT4H5M6.7S"])
def test_cron_offset_valid(offset: str) -> None:
    assert CronSchedule(schedule="@daily", offset=offset).offset == offset


@pytest.mark.parametrize("offset", ["1D", "p1d", "P1.5D", "PT1D", "R/P1D", "PT1H ", "", "P", "PT", "P1DT"])
def test_cron_offset_invalid(offset: str) -> None:
    with pytest.raises(ValueError, match=f"offset must be an ISO 8601 duration.*{re.escape(repr(offset))}"):
        CronSchedule(schedule="@daily", offset=offset)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"schedule": 5}, "schedule"),
        ({"schedule": "@daily", "offset": 1}, "offset"),
        ({"schedule": "@daily", "kickoff_time_input_arg": 3}, "kickoff_time_input_arg"),
    ],
)
def test_cron_type_errors(kwargs: dict, param: str) -> None:
    with pytest.raises(TypeError, match=f"CronSchedule: parameter '{param}' expects str or None, got int"):
        CronSchedule(**kwargs)


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("@daily", datetime.datetime(2024, 1, 1), datetime.datetime(2024, 1, 2)),
        ("daily", datetime.datetime(2024, 1, 1, 12, 30), datetime.datetime(2024, 1, 2)),
        ("@hourly", datetime.datetime(2024, 1, 1, 0, 0), datetime.datetime(2024, 1, 1, 1, 0)),
        ("*/15 * * * *", datetime.datetime(2024, 1, 1, 0, 7), datetime.datetime(2024, 1, 1, 0, 15)),
        ("0 9 * * MON-FRI", datetime.datetime(2024, 1, 5, 10, 0), datetime.datetime(2024, 1, 8, 9, 0)),
        ("@weekly", datetime.datetime(2024, 1, 3), datetime.datetime(2024, 1, 7)),
        ("@monthly", datetime.datetime(2024, 1, 31, 23, 59), datetime.datetime(2024, 2, 1)),
        ("@yearly", datetime.datetime(2024, 6, 1), datetime.datetime(2025, 1, 1)),
        ("0 0 29 2 *", datetime.datetime(2024, 3, 1), datetime.datetime(2028, 2, 29)),
    ],
)
def test_cron_next_after(expr: str, after: datetime.datetime, expected: datetime.datetime) -> None:
    assert CronSchedule(schedule=expr).next_after(after) == expected


def test_cron_next_after_is_strictly_after_and_keeps_timezone() -> None:
    utc = datetime.timezone.utc
    s = CronSchedule(schedule="0 * * * *")
    at = datetime.datetime(2024, 5, 1, 10, 0, tzinfo=utc)
    nxt = s.next_after(at)
    assert nxt == datetime.datetime(2024, 5, 1, 11, 0, tzinfo=utc) and nxt.tzinfo is not None
    assert s.next_after(nxt) == datetime.datetime(2024, 5, 1, 12, 0, tzinfo=utc)


def test_cron_next_after_refuses_six_field_forms() -> None:
    with pytest.raises(ValueError, match="6 fields"):
        CronSchedule(schedule="0 10 * * ? *").next_after(datetime.datetime(2024, 1, 1))


# --- FixedRate ------------------------------------------------------------------------------------


def test_fixed_rate_units() -> None:
    def rate(**kw: int) -> tuple[int, int]:
        r = FixedRate(datetime.timedelta(**kw)).to_flyte_idl().rate
        return r.value, r.unit

    assert rate(minutes=10) == (10, schedule_pb2.MINUTE)
    assert rate(minutes=60) == (1, schedule_pb2.HOUR)
    assert rate(days=1, minutes=1) == (1441, schedule_pb2.MINUTE)
    assert rate(hours=48) == (2, schedule_pb2.DAY)
    assert rate(weeks=2) == (14, schedule_pb2.DAY)


@pytest.mark.parametrize(
    "duration",
    [datetime.timedelta(seconds=30), datetime.timedelta(seconds=90), datetime.timedelta(minutes=1, microseconds=1)],
)
def test_fixed_rate_rejects_sub_minute(duration: datetime.timedelta) -> None:
    with pytest.raises(ValueError, match="FixedRate: duration must be a whole number of minutes"):
        FixedRate(duration)


@pytest.mark.parametrize("duration", [datetime.timedelta(0), datetime.timedelta(minutes=-5)])
def test_fixed_rate_rejects_non_positive(duration: datetime.timedelta) -> None:
    with pytest.raises(ValueError, match="FixedRate: duration must be positive"):
        FixedRate(duration)


def test_fixed_rate_type_errors_and_next_after() -> None:
    with pytest.raises(TypeError, match="FixedRate: parameter 'duration' expects timedelta, got int"):
        FixedRate(10)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'kickoff_time_input_arg' expects str or None, got int"):
        FixedRate(datetime.timedelta(hours=1), kickoff_time_input_arg=1)  # type: ignore[arg-type]
    r = FixedRate(datetime.timedelta(minutes=90))
    assert r.next_after(datetime.datetime(2024, 1, 1)) == datetime.datetime(2024, 1, 1, 1, 30)


def test_schedule_from_flyte_idl_checks_kind() -> None:
    with pytest.raises(ValueError, match="expected a rate"):
        FixedRate.from_flyte_idl(CronSchedule(schedule="@daily").to_flyte_idl())
    with pytest.raises(ValueError, match="expected a cron_schedule"):
        CronSchedule.from_flyte_idl(FixedRate(datetime.timedelta(hours=1)).to_flyte_idl())


# --- Notifications and enums ----------------------------------------------------------------------


def test_phase_and_failure_policy_values_match_flyteidl() -> None:
    assert {p.name: p.value for p in WorkflowExecutionPhase} == dict(execution_pb2.WorkflowExecution.Phase.items())
    policy = workflow_pb2.WorkflowMetadata.OnFailurePolicy
    assert {p.name: p.value for p in WorkflowFailurePolicy} == dict(policy.items())
    assert WorkflowExecutionPhase.enum_to_string(4) == "SUCCEEDED"
    assert WorkflowExecutionPhase.enum_to_string(99) == "99"


@pytest.mark.parametrize("cls", [Email, Slack, PagerDuty])
def test_notification_construction(cls: type[Notification]) -> None:
    n = cls(phases=[4, P.FAILED], recipients_email=("a@b.com",))
    assert n.phases == [P.SUCCEEDED, P.FAILED] and all(isinstance(p, P) for p in n.phases)
    assert n.recipients_email == ["a@b.com"]
    assert cls([P.SUCCEEDED], []).recipients_email == []  # flytekit allows no recipients


@pytest.mark.parametrize("cls", [Email, Slack, PagerDuty])
@pytest.mark.parametrize("phase", [P.UNDEFINED, P.QUEUED, P.RUNNING, P.SUCCEEDING, P.FAILING, P.ABORTING, 99])
def test_notification_rejects_non_terminal_phases(cls: type[Notification], phase: int) -> None:
    with pytest.raises(ValueError, match=f"{cls.__name__}: phase .* is not terminal.*SUCCEEDED, FAILED"):
        cls([phase], ["a@b.com"])


def test_notification_errors() -> None:
    with pytest.raises(ValueError, match="Email: give at least one phase"):
        Email([], ["a@b.com"])
    with pytest.raises(TypeError, match="Slack: parameter 'phases' expects WorkflowExecutionPhase members, got str"):
        Slack(["SUCCEEDED"], ["a@b.com"])
    with pytest.raises(TypeError, match="PagerDuty: parameter 'phases' expects a list"):
        PagerDuty(P.FAILED, ["a@b.com"])
    with pytest.raises(TypeError, match="Email: parameter 'recipients_email' expects a list of str"):
        Email([P.FAILED], "a@b.com")
    with pytest.raises(TypeError, match="Email: parameter 'recipients_email' expects str items, got int"):
        Email([P.FAILED], [1])
    with pytest.raises(TypeError, match="base class"):
        Notification([P.FAILED], ["a@b.com"])
    with pytest.raises(ValueError, match="no notification type"):
        Notification.from_flyte_idl(common_pb2.Notification(phases=[4]))


def test_notification_from_flyte_idl_picks_the_kind() -> None:
    pb = PagerDuty([P.TIMED_OUT], ["x@y"]).to_flyte_idl()
    assert Notification.from_flyte_idl(pb) == PagerDuty([P.TIMED_OUT], ["x@y"])
    assert Email([P.FAILED], ["x"]) != Slack([P.FAILED], ["x"])


# --- Labels, annotations, auth role, options ------------------------------------------------------


def test_labels_annotations_auth_role() -> None:
    src = {"a": "b"}
    labels = Labels(src)
    src["c"] = "d"
    assert labels.values == {"a": "b"}
    assert Annotations({"x": "y"}).values == {"x": "y"}
    assert AuthRole().to_flyte_idl().SerializeToString() == b""
    with pytest.raises(TypeError, match="Labels: parameter 'values' expects dict\\[str, str\\], got list"):
        Labels([("a", "b")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Annotations: .*got item 'a': 1 \(str: int\)"):
        Annotations({"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="AuthRole: parameter 'kubernetes_service_account' expects str or None"):
        AuthRole(kubernetes_service_account=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="RawOutputDataConfig: parameter 'output_location_prefix' expects str, got"):
        RawOutputDataConfig(None)  # type: ignore[arg-type]


def test_options_defaults_and_default_from() -> None:
    o = Options()
    assert all(getattr(o, f) is None for f in o.__dataclass_fields__)
    assert Options.default_from() == Options()
    assert Options.default_from(k8s_service_account="", raw_data_prefix="") == Options()
    o = Options.default_from(k8s_service_account="sa", raw_data_prefix="s3://b/p")
    assert o.security_context == SecurityContext(run_as=Identity(k8s_service_account="sa"))
    assert o.raw_output_data_config == RawOutputDataConfig("s3://b/p")


def test_options_full_and_validation() -> None:
    o = Options(
        labels=Labels({"a": "b"}),
        annotations=Annotations({"c": "d"}),
        raw_output_data_config=RawOutputDataConfig("s3://x"),
        security_context=SecurityContext(run_as=Identity(k8s_service_account="sa")),
        max_parallelism=10,
        notifications=(Email([P.FAILED], ["a@b.com"]),),
        disable_notifications=False,
        overwrite_cache=True,
    )
    assert o.notifications == [Email([P.FAILED], ["a@b.com"])] and o.max_parallelism == 10
    with pytest.raises(TypeError, match="Options: parameter 'labels' expects Labels or None, got dict"):
        Options(labels={"a": "b"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Options: parameter 'max_parallelism' expects int or None, got str"):
        Options(max_parallelism="10")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'max_parallelism' expects int or None, got bool"):
        Options(max_parallelism=True)
    with pytest.raises(ValueError, match="Options: max_parallelism must be >= 0, got -1"):
        Options(max_parallelism=-1)
    with pytest.raises(TypeError, match="Options: parameter 'notifications' expects Notification, got str"):
        Options(notifications=["a@b.com"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="Options: parameter 'overwrite_cache' expects bool or None, got int"):
        Options(overwrite_cache=1)  # type: ignore[arg-type]


# --- Security context -----------------------------------------------------------------------------


def test_security_context_empty_and_single_items() -> None:
    assert SecurityContext().is_empty and SecurityContext().to_flyte_idl() is None  # as flytekit
    assert not SecurityContext(secrets=[]).is_empty
    sc = SecurityContext(secrets=Secret(group="g", key="k"), tokens=OAuth2TokenRequest("t", _CLIENT))
    assert sc.secrets == [Secret(group="g", key="k")] and sc.tokens == [OAuth2TokenRequest("t", _CLIENT)]


def test_security_errors() -> None:
    with pytest.raises(TypeError, match="SecurityContext: parameter 'run_as' expects Identity or None, got str"):
        SecurityContext(run_as="sa")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="SecurityContext: parameter 'secrets' expects Secret, got str"):
        SecurityContext(secrets=["g/k"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="SecurityContext: parameter 'tokens' expects a list of OAuth2TokenRequest"):
        SecurityContext(tokens="t")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Identity: parameter 'iam_role' expects str or None, got int"):
        Identity(iam_role=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="OAuth2Client: parameter 'client_secret' expects Secret, got str"):
        OAuth2Client("cid", "s3cr3t")  # type: ignore[arg-type]


# --- Documentation --------------------------------------------------------------------------------


def test_documentation_models() -> None:
    assert Description().format is F.RST
    assert Description(value="x", format=1).format is F.MARKDOWN
    assert Documentation().to_flyte_idl().SerializeToString() == b""
    both = Description(value="a", uri="b")  # accepted, as in flytekit 1.16: the message keeps the uri
    assert both.to_flyte_idl().uri == "b" and both.to_flyte_idl().WhichOneof("content") == "uri"
    with pytest.raises(ValueError, match="Description: unknown format 7"):
        Description(value="a", format=7)
    with pytest.raises(TypeError, match="Description: parameter 'format' expects DescriptionFormat, got str"):
        Description(value="a", format="md")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Documentation: parameter 'long_description' expects Description or None"):
        Documentation(long_description="long")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="SourceCode: parameter 'link' expects str or None, got int"):
        SourceCode(link=1)  # type: ignore[arg-type]
