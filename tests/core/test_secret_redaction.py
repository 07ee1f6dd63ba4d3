"""Values of the secrets a task requested never appear in the error messages it produces (issue 14, section 2)."""

from __future__ import annotations

import pytest

from aioflyte import Secret, current_context, task
from aioflyte.core.secrets import REDACTED, redact, requested_values
from aioflyte.exceptions import FlyteTypeException

VALUE = "local-secret-value-with-'quote'-and-a-long-tail-" + "x" * 40


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setenv("_FSEC_DB_PASSWORD", VALUE)
    monkeypatch.setenv("_FSEC_DB_SHORT", "ab")
    return VALUE


def test_redact_replaces_values_their_reprs_and_truncated_forms():
    text = f"a {VALUE} b {VALUE!r} c {repr(VALUE)[:40]}... d"
    out = redact(text, [VALUE])
    assert "local-secret" not in out and out.count(REDACTED) == 3
    assert redact("nothing here", [VALUE]) == "nothing here"


def test_requested_values_reads_only_what_is_requested_and_long_enough(secret):
    requested = [Secret(group="db", key="password"), Secret(group="db", key="short"), Secret(group="db", key="none")]
    assert requested_values(requested) == [VALUE]
    assert requested_values(None) == [] and requested_values([]) == []


@task(secret_requests=[Secret(group="db", key="password")])
def returns_the_secret_as_int() -> int:
    return current_context().secrets.get("db", "password")  # type: ignore[return-value]


@task(secret_requests=[Secret(group="db", key="password")])
def returns_the_secret_among_outputs() -> tuple[int, str]:
    return current_context().secrets.get("db", "password"), "fine"  # type: ignore[return-value]


@task
def no_secrets_requested(x: str) -> int:
    return x  # type: ignore[return-value]


@pytest.mark.parametrize("entity", [returns_the_secret_as_int, returns_the_secret_among_outputs])
async def test_a_local_output_type_error_does_not_print_the_secret(secret, entity):
    with pytest.raises(FlyteTypeException) as info:
        await entity()
    message = str(info.value)
    assert "expected int, got str" in message and REDACTED in message
    assert "local-secret-value" not in message


async def test_tasks_without_secret_requests_keep_the_value_in_the_message(secret):
    with pytest.raises(FlyteTypeException, match=r"expected int, got str \('plain'\)"):
        await no_secrets_requested(x="plain")


@task(secret_requests=[Secret(group="db", key="password")])
def raises_with_the_secret() -> int:
    try:
        raise KeyError(f"lookup of {current_context().secrets.get('db', 'password')} failed")
    except KeyError as inner:
        raise ValueError(
            f"could not connect with password {current_context().secrets.get('db', 'password')}"
        ) from inner


@task(secret_requests=[Secret(group="db", key="password")], timeout=60)
async def raises_with_the_secret_async() -> int:
    raise RuntimeError(f"token={current_context().secrets.get('db', 'password')}")


async def test_a_local_task_error_does_not_carry_the_secret(secret):
    with pytest.raises(ValueError) as info:
        await raises_with_the_secret()
    assert str(info.value) == f"could not connect with password {REDACTED}"
    assert "local-secret-value" not in str(info.value.__cause__) and REDACTED in str(info.value.__cause__)
    with pytest.raises(RuntimeError) as info2:  # with a timeout the pipeline runs it: it redacts too
        await raises_with_the_secret_async()
    assert str(info2.value) == f"token={REDACTED}"


def test_a_sync_run_reports_a_redacted_error(secret):
    import aioflyte

    with pytest.raises(ValueError, match=r"could not connect with password \[redacted secret\]"):
        aioflyte.run(raises_with_the_secret)
