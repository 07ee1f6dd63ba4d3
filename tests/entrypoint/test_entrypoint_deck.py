"""The entrypoint writes a deck task's page at ``<output prefix>/deck.html`` (local disk and S3), as flytekit does,
also when the task fails; a task without a deck writes none."""

from __future__ import annotations

import re

import pytest
from entrypoint_helpers import run_entrypoint

from aioflyte.io import default_provider

pytestmark = pytest.mark.slow  # every test runs the entrypoint as a subprocess

MODULE = ["task-module", "deck_tasks_for_entrypoint", "task-name"]


def _tabs(page: str) -> list[str]:
    return re.findall(r'<li data-deck="[^"]*" id="deck-tab-\d+">([^<]*)</li>', page)


async def test_deck_is_written_beside_the_outputs(store):
    await store.put_inputs({"a": 7}, {"a": int})
    proc = run_entrypoint(store, [*MODULE, "decked"])
    assert proc.returncode == 0, proc.stderr
    assert await store.value("o0", str) == "<7>"
    page = (await default_provider().get_bytes(store.uri("out", "deck.html"))).decode("utf-8")
    assert _tabs(page) == ["Timeline", "where", "Input", "Output"]
    assert f"<p id='uri'>{store.uri('out', 'deck.html')}</p>" in page  # current_context().deck_uri
    assert "Execute user level code" in page and "Translate Python values to literals" in page
    assert "<pre>&lt;7&gt;</pre>" in page  # the output, escaped


async def test_a_failing_task_writes_its_deck_and_its_error(local_store):
    await local_store.put_inputs({"a": 1}, {"a": int})
    proc = run_entrypoint(local_store, [*MODULE, "decked_failure"])
    assert proc.returncode == 0, proc.stderr
    assert "bad 1" in (await local_store.error()).message
    page = (await default_provider().get_bytes(local_store.uri("out", "deck.html"))).decode("utf-8")
    assert _tabs(page) == ["before", "Input"]


async def test_no_deck_without_enable_deck(local_store):
    await local_store.put_inputs({"a": 1}, {"a": int})
    proc = run_entrypoint(local_store, [*MODULE, "undecked"])
    assert proc.returncode == 0, proc.stderr
    assert await local_store.exists("out", "outputs.pb")
    assert not await local_store.exists("out", "deck.html")


async def test_publish_writes_the_page_during_the_body(store):
    await store.put_inputs({}, {})
    proc = run_entrypoint(store, [*MODULE, "published"])
    assert proc.returncode == 0, proc.stderr
    assert await store.value("o0", bool) is True
    page = (await default_provider().get_bytes(store.uri("out", "deck.html"))).decode("utf-8")
    assert _tabs(page) == ["early"]


async def test_a_process_body_s_decks_are_in_the_page(store):
    await store.put_inputs({"a": 7}, {"a": int})
    proc = run_entrypoint(store, [*MODULE, "decked_in_process"])
    assert proc.returncode == 0, proc.stderr
    assert await store.value("o0", str) == "<7>"
    page = (await default_provider().get_bytes(store.uri("out", "deck.html"))).decode("utf-8")
    assert _tabs(page) == ["Timeline", "where", "default", "Input", "Output"]
    assert f"<p id='uri'>{store.uri('out', 'deck.html')}</p>" in page  # the worker's current_context().deck_uri
    assert "<p id='default'>7</p>" in page
    assert "Execute user level code" in page


async def test_a_failing_process_body_s_decks_are_in_the_page(local_store):
    await local_store.put_inputs({"a": 1}, {"a": int})
    proc = run_entrypoint(local_store, [*MODULE, "decked_failure_in_process"])
    assert proc.returncode == 0, proc.stderr
    error = (await local_store.error()).message
    assert "bad 1" in error and "_aioflyte" not in error
    page = (await default_provider().get_bytes(local_store.uri("out", "deck.html"))).decode("utf-8")
    assert _tabs(page) == ["before", "default", "Input"]
    assert "<p>before the failure</p>" in page and "<p>default before the failure</p>" in page
