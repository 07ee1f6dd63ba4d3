"""Local runs write a deck page per task attempt with ``enable_deck=True``; ``aioflyte.run(..., decks=True)`` says
where, and so does ``current_context().deck_uri``."""

from __future__ import annotations

import os
import re

import pytest

import aioflyte
from aioflyte import Deck, current_context, task, workflow
from aioflyte.core.deck import DeckFile
from aioflyte.deck import DeckField, MarkdownRenderer


def _tabs(page: str) -> list[str]:
    return re.findall(r'<li data-deck="[^"]*" id="deck-tab-\d+">([^<]*)</li>', page)


@task(enable_deck=True)
def greet(name: str) -> str:
    Deck("report", MarkdownRenderer().to_html(f"# Report for {name}"))
    return f"hello {name}"


@task(enable_deck=True, deck_fields=(DeckField.INPUT, DeckField.OUTPUT))
def only_io(n: int) -> int:
    return n + 1


@task
def no_deck(n: int) -> int:
    return n


@workflow
def wf(name: str, n: int) -> tuple[str, int, int]:
    return greet(name=name), only_io(n=n), no_deck(n=n)


def test_run_with_decks_returns_the_pages():
    value, decks = aioflyte.run(wf, decks=True, name="<i>ann</i>", n=2)
    assert value == ("hello <i>ann</i>", 3, 2)
    assert sorted(d.task for d in decks) == [greet.name, only_io.name]  # none for the task without a deck
    assert all(isinstance(d, DeckFile) and d.attempt == 0 for d in decks)
    by_task = {d.task: open(d.uri, encoding="utf-8").read() for d in decks}
    assert all(os.path.basename(d.uri) == "deck.html" for d in decks)

    page = by_task[greet.name]
    # flytekit's decks for the default deck_fields, in flytekit's order, with the body's deck among them
    assert _tabs(page) == ["Timeline", "report", "Source Code", "Dependencies", "Input", "Output"]
    assert "<h1>Report for &lt;i&gt;ann&lt;/i&gt;</h1>" in page
    assert "Execute user level code" in page
    assert "greet" in page and 'class="highlight"' in page
    assert "<pre>&lt;i&gt;ann&lt;/i&gt;</pre>" in page  # the input, escaped
    assert "<pre>hello &lt;i&gt;ann&lt;/i&gt;</pre>" in page  # the output, escaped
    assert "<i>ann</i>" not in page

    assert _tabs(by_task[only_io.name]) == ["Input", "Output"]


def test_plain_run_returns_the_value_only():
    assert aioflyte.run(only_io, n=1) == 2


def test_context_gives_the_deck_uri():
    @task(enable_deck=True)
    def where() -> str:
        return current_context().deck_uri

    @task
    def nowhere() -> str:
        return str(current_context().deck_uri)

    value, decks = aioflyte.run(where, decks=True)
    assert [d.uri for d in decks] == [value]
    assert value.endswith("/deck.html") and os.path.isfile(value)
    assert aioflyte.run(nowhere) == "None"


def test_a_failed_attempt_writes_no_page_locally():
    """As flytekit's local runs: only an attempt that returned writes its page (the container entrypoint writes one
    for a failed attempt too: tests/entrypoint/test_entrypoint_deck.py)."""
    seen: list[str] = []

    @task(enable_deck=True, retries=1)
    def flaky(n: int) -> int:
        seen.append(current_context().deck_uri)
        Deck("seen", f"<p>attempt {current_context().attempt_number}</p>")
        if current_context().attempt_number == 0:
            raise aioflyte.FlyteRecoverableException("try again")
        return n

    value, decks = aioflyte.run(flaky, decks=True, n=5)
    assert value == 5
    assert [d.attempt for d in decks] == [1]
    assert len(seen) == 2 and seen[1] == decks[0].uri and not os.path.exists(seen[0])
    page = open(decks[0].uri, encoding="utf-8").read()
    assert _tabs(page)[-1] == "Output" and "<p>attempt 1</p>" in page

    @task(enable_deck=True, deck_fields=(DeckField.INPUT,))
    def boom(n: int) -> int:
        seen.append(current_context().deck_uri)
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        aioflyte.run(boom, n=1)
    assert not os.path.exists(seen[-1])


async def test_async_tasks_and_map_items_write_decks(tmp_path):
    @task(enable_deck=True, deck_fields=(DeckField.OUTPUT,))
    async def sq(x: int) -> int:
        Deck("item", f"<p>{x}</p>")
        return x * x

    @workflow
    def mapped(xs: list[int]) -> list[int]:
        return aioflyte.map_task(sq)(x=xs)

    from aioflyte.core.deck import DECK_FILES

    files: list[DeckFile] = []
    token = DECK_FILES.set(files)
    try:
        assert await mapped(xs=[1, 2, 3]) == [1, 4, 9]
    finally:
        DECK_FILES.reset(token)
    pages = sorted(open(f.uri, encoding="utf-8").read() for f in files)
    assert len(pages) == 3 and len({f.uri for f in files}) == 3
    assert all(_tabs(p) == ["item", "Output"] for p in pages)


def test_publish_writes_the_page_before_the_end(caplog):
    @task(enable_deck=True, deck_fields=())
    def early() -> str:
        Deck("early", "<p>so far</p>")
        Deck.publish()
        with open(current_context().deck_uri, encoding="utf-8") as f:
            return f.read()

    @task
    def disabled() -> None:
        Deck.publish()

    page = aioflyte.run(early)
    assert _tabs(page) == ["early"] and "<p>so far</p>" in page
    with caplog.at_level("WARNING", logger="aioflyte"):
        aioflyte.run(disabled)
    assert "enable_deck=False, so no deck is written" in caplog.text
