"""``aioflyte.logger`` (flytekit's ``flytekit.logger``): a structlog logger over the standard library logger
``aioflyte``, taking flytekit's ``%``-style arguments and structlog's key-value pairs."""

from __future__ import annotations

import logging

import pytest

import aioflyte
from aioflyte import loggers


def test_logger_records_go_through_the_standard_library(caplog):
    caplog.set_level(logging.DEBUG, logger="aioflyte")
    aioflyte.logger.info("loaded %s plugins", 2)
    aioflyte.logger.debug("query", rows=3, table="tracks")
    try:
        raise ValueError("bad row")
    except ValueError:
        aioflyte.logger.exception("failed")
    records = [r for r in caplog.records if r.name == "aioflyte"]
    assert [r.getMessage() for r in records] == ["loaded 2 plugins", "query rows=3 table='tracks'", "failed"]
    assert [r.levelname for r in records] == ["INFO", "DEBUG", "ERROR"]
    assert records[2].exc_info is not None and records[2].exc_info[0] is ValueError


def test_levels_as_flytekit_users_set_them(caplog):
    caplog.set_level(logging.DEBUG, logger="aioflyte")
    aioflyte.logger.setLevel(logging.WARNING)
    try:
        aioflyte.logger.info("hidden")
        aioflyte.logger.warning("shown")
    finally:
        aioflyte.logger.setLevel(logging.NOTSET)
    assert [r.getMessage() for r in caplog.records if r.name == "aioflyte"] == ["shown"]
    assert aioflyte.logger.name == "aioflyte"


@pytest.mark.parametrize(("value", "enabled"), [(None, True), ("1", True), ("0", False)])
def test_rich_formatting_variable(monkeypatch, value, enabled):
    assert aioflyte.LOGGING_RICH_FMT_ENV_VAR == "FLYTE_SDK_RICH_TRACEBACKS"
    if value is None:
        monkeypatch.delenv(aioflyte.LOGGING_RICH_FMT_ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(aioflyte.LOGGING_RICH_FMT_ENV_VAR, value)
    assert loggers.is_rich_logging_enabled() is enabled
