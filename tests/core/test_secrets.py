"""Secrets: flytekit's env var and file layout, requested-only access, values never in errors."""

from __future__ import annotations

import pytest

from aioflyte import Secret, current_context, task


@task(secret_requests=[Secret(group="db", key="password")])
def read_password() -> str:
    return current_context().secrets.get("db", "password")


@task(secret_requests=[Secret(group="db", key="password")])
def read_other() -> str:
    return current_context().secrets.get("api", "token")


async def test_secret_from_env_var(monkeypatch):
    monkeypatch.setenv("_FSEC_DB_PASSWORD", "s3cr3t\n")
    assert await read_password() == "s3cr3t"


async def test_secret_from_file(monkeypatch, tmp_path):
    monkeypatch.delenv("_FSEC_DB_PASSWORD", raising=False)
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "password").write_text("from-file")
    monkeypatch.setenv("FLYTE_SECRETS_DEFAULT_DIR", str(tmp_path))
    assert await read_password() == "from-file"


async def test_unrequested_secret_is_refused_even_if_present(monkeypatch):
    monkeypatch.setenv("_FSEC_API_TOKEN", "tok-value")
    with pytest.raises(KeyError, match="did not request secret group='api' key='token'") as ei:
        await read_other()
    assert "tok-value" not in str(ei.value)


async def test_missing_secret_names_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.delenv("_FSEC_DB_PASSWORD", raising=False)
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    monkeypatch.setenv("FLYTE_SECRETS_DEFAULT_DIR", str(tmp_path))
    with pytest.raises(KeyError, match="_FSEC_DB_PASSWORD") as ei:
        await read_password()
    assert str(tmp_path) in str(ei.value)


async def test_group_attribute_access(monkeypatch):
    monkeypatch.setenv("_FSEC_DB_PASSWORD", "pw")

    @task(secret_requests=[Secret(group="db", key="password")])
    def attr() -> str:
        return current_context().secrets.db.password

    assert await attr() == "pw"


def test_secret_requests_are_validated():
    with pytest.raises(ValueError, match="secret_requests"):

        @task(secret_requests=["db"])  # type: ignore[list-item]
        def f() -> None: ...

    with pytest.raises(ValueError, match="group or a key"):
        Secret()
