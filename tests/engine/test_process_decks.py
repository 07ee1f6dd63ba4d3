"""A task whose body runs in the process pool (``executor="process"``) keeps the decks the body makes: they come
back rendered with its result and are in its ``deck.html`` as if the body had run on the worker threads (same
tabs, same order, same HTML). Each body is defined once and made into a thread task and a process task
(``process_deck_tasks.py``) so that the pages can be compared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import chromium_page, requires_chromium
from process_deck_tasks import (
    fails_in_process,
    few_in_process,
    few_in_thread,
    no_deck_in_process,
    no_deck_in_thread,
    publishes_in_process,
    report_in_process,
    report_in_thread,
)

import aioflyte
from aioflyte.core.deck import DECK_FILES, SHIPPED_DECKS_ATTR

pytestmark = pytest.mark.slow  # starts the process pool's workers


def _tabs(page: str) -> list[str]:
    return re.findall(r'<li data-deck="[^"]*" id="deck-tab-\d+">([^<]*)</li>', page)


def _panels(page: str) -> dict[str, str]:
    return dict(re.findall(r'<section data-deck="([^"]*)" id="deck-panel-\d+">(.*?)</section>', page, re.S))


def _timeline_rows(panel: str) -> list[str]:
    return re.findall(r"<tr><td>([^<]*)</td><td>[\d.]+</td>", panel)


def _page(entity, **inputs) -> tuple[str, str, str]:
    value, decks = aioflyte.run(entity, decks=True, **inputs)
    (written,) = decks
    assert written.task == entity.name and written.attempt == 0
    with open(written.uri, encoding="utf-8") as f:
        return value, written.uri, f.read()


def test_a_process_body_s_decks_are_in_its_page_as_on_a_thread():
    thread_value, thread_uri, thread_page = _page(report_in_thread, n=3)
    value, uri, page = _page(report_in_process, n=3)
    expected = ["Timeline", "Summary", "default", "Late", "Locked", "Source Code", "Dependencies", "Input", "Output"]
    assert _tabs(page) == _tabs(thread_page) == expected

    # what current_context() showed the body: the same deck API, the attempt's own deck_uri
    assert value == thread_value.replace(thread_uri, uri)
    assert value == f"True|{uri}|['Timeline']|['Timeline', 'Summary', 'default', 'Late', 'Locked']"

    panels, thread_panels = _panels(page), _panels(thread_page)
    for name in ("Summary", "default", "Late", "Locked", "Source Code", "Input"):
        assert panels[name] == thread_panels[name], name
    assert panels["Output"] == thread_panels["Output"].replace(thread_uri, uri)  # the output shows the deck_uri
    assert "<h1>3 items</h1>" in panels["Summary"] and "<em>emphasis</em>" in panels["Summary"]
    assert panels["default"] == "\n<p>default 3</p>\n<p>default again</p>"
    assert panels["Late"] == "<p>one</p>\n<p>two</p>"
    assert panels["Locked"] == "<p>locked</p>"  # a deck that cannot be pickled: its HTML came back
    # the body's timeline entries come before the engine's, its note after the table, in both
    expected_rows = ["inner step", "Execute user level code", "Convert outputs"]
    assert _timeline_rows(panels["Timeline"]) == _timeline_rows(thread_panels["Timeline"]) == expected_rows
    assert panels["Timeline"].endswith("<p>timeline note</p>")


def test_a_process_body_s_decks_with_some_fields():
    _, _, thread_page = _page(few_in_thread, n=1)
    _, _, page = _page(few_in_process, n=1)
    assert _tabs(page) == _tabs(thread_page) == ["Only", "default", "Input", "Output"]
    assert _panels(page) == _panels(thread_page)


def test_a_process_body_without_a_deck_keeps_its_decks_to_itself():
    expected = "False|None|['made', 'default']"
    assert aioflyte.run(no_deck_in_thread, n=1) == expected
    # every call sees only the decks it made, whichever worker runs it (nothing piles up in a worker)
    for n in range(4):
        assert aioflyte.run(no_deck_in_process, n=n) == expected


async def test_a_failing_process_body_writes_no_page_locally_and_its_error_is_its_own():
    # as on the worker threads (and in flytekit's local runs): a failed local attempt writes no page
    files = []
    token = DECK_FILES.set(files)
    try:
        with pytest.raises(ValueError, match="bad 2") as caught:
            await fails_in_process(n=2)
    finally:
        DECK_FILES.reset(token)
    assert files == []
    assert not hasattr(caught.value, SHIPPED_DECKS_ATTR)  # the decks it carried back were taken off it


def test_publish_in_a_process_body_writes_the_decks_made_so_far():
    early, _, page = _page(publishes_in_process)
    assert _tabs(early) == ["early"]
    assert _tabs(page) == ["early"] and "<p>published early</p>" in page


@requires_chromium
def test_a_process_body_s_page_in_the_browser(tmp_path: Path) -> None:
    _, uri, _ = _page(report_in_process, n=5)
    # tab name -> what its panel shows
    expected = {
        "Timeline": "inner step",
        "Summary": "5 items",
        "default": "default again",
        "Late": "two",
        "Locked": "locked",
        "Source Code": "def _report",
    }
    with chromium_page(tmp_path / "screenshots", "process-deck") as page:
        page.goto(Path(uri).as_uri())
        tabs = page.locator("#deck-tabs > li")
        names = tabs.all_inner_texts()
        for name, text in expected.items():
            i = names.index(name)
            tabs.nth(i).click()
            panel = page.locator(f"#deck-panel-{i}")
            assert panel.is_visible(), name
            assert text in panel.inner_text(), f"{name}: {text!r} not shown"
        assert page.external_requests == []
