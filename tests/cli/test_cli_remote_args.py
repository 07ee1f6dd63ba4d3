"""The CLI's backend commands without a backend (click.testing): ids, filters and arguments that are wrong are
usage errors (exit code 2) before anything is asked of the backend; filters in flytectl's and flyteadmin's forms."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from aioflyte.cli._remote import parse_execution_id, parse_filters
from aioflyte.cli.main import main


def test_bad_execution_id_and_filter_are_usage_errors():
    runner = CliRunner()
    r = runner.invoke(main, ["get", "execution", "a/b", "--endpoint", "127.0.0.1:1", "--insecure"])
    assert r.exit_code == 2 and "is not an execution id" in r.output
    r = runner.invoke(main, ["get", "executions", "--endpoint", "127.0.0.1:1", "--filter", "phase"])
    assert r.exit_code == 2 and "is not a filter" in r.output
    r = runner.invoke(main, ["launchplan", "x", "--endpoint", "127.0.0.1:1"])
    assert r.exit_code == 2 and "activate|deactivate" in r.output


def test_execution_id_forms():
    assert parse_execution_id("abc", "p", "d").name == "abc"
    ident = parse_execution_id("ex:p2:d2:n2", "p", "d")
    assert (ident.project, ident.domain, ident.name) == ("p2", "d2", "n2")
    ident = parse_execution_id("p3/d3/n3", "p", "d")
    assert (ident.project, ident.domain, ident.name) == ("p3", "d3", "n3")
    with pytest.raises(click.BadParameter):
        parse_execution_id("ex:p:n", "p", "d")


def test_filter_forms():
    assert parse_filters(["phase=FAILED,name!=x"]) == "eq(phase,FAILED)+ne(name,x)"
    assert parse_filters(["created_at>=2026-01-01T00:00:00Z", "created_at<2027-01-01"]) == (
        "gte(created_at,2026-01-01T00:00:00Z)+lt(created_at,2027-01-01)"
    )
    assert parse_filters(["eq(phase,SUCCEEDED)+contains(name,ab)"]) == "eq(phase,SUCCEEDED)+contains(name,ab)"
    assert parse_filters([]) == ""
