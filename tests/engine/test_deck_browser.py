"""The ``deck.html`` a task writes, opened in headless Chromium: every tab shows its renderer's output, nothing is
fetched from the network, and a ``<script>`` in a deck's name or a value does not run."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from browser import chromium_page, requires_chromium

import aioflyte
from aioflyte import Deck, current_context, task
from aioflyte.deck import (
    BoxRenderer,
    FrameProfilingRenderer,
    MarkdownRenderer,
    TableRenderer,
    TopFrameRenderer,
)

pytestmark = [pytest.mark.slow, requires_chromium]  # starts a browser

EVIL = "<script>window.pwned = true</script>"


@task(enable_deck=True)
def show(note: str) -> pd.DataFrame:
    df = pd.DataFrame({"length": [1.0, 2.0, 2.5, 3.0, 12.0], "kind": ["a", "b", "a", "c", "b"]})
    Deck("Markdown", MarkdownRenderer().to_html(f"# Weekly report\n\n{note}"))
    Deck("Box", BoxRenderer("length").to_html(df))
    Deck("Table", TableRenderer().to_html(df, header_labels=["Length", "Kind"]))
    Deck("Profile", FrameProfilingRenderer("Frame profile").to_html(df))
    Deck("Top", TopFrameRenderer(max_rows=3).to_html(df))
    Deck(EVIL, "<p id='evil-body'>named with a script</p>")
    current_context().default_deck.append("<p id='default-body'>default deck</p>")
    return df


# tab name -> a selector inside its panel and the text it must show (None: present is enough)
EXPECTED = {
    "Timeline": ("table.timeline", "Execute user level code"),
    "Markdown": ("h1", "Weekly report"),
    "Box": ("figure.box-renderer svg rect", None),
    "Table": ("div.table-renderer thead", "Length"),
    "Profile": ("div.frame-profile h3", "Frame profile"),
    "Top": ("table.dataframe", "kind"),
    EVIL: ("#evil-body", "named with a script"),
    "default": ("#default-body", "default deck"),
    "Source Code": (".highlight", "def show"),
    "Dependencies": ("table.dependencies", "pandas"),
    "Input": (".deck-value pre", EVIL),
    "Output": (".deck-value table.dataframe", "length"),
}


def test_each_renderer_shows_in_the_browser(tmp_path: Path) -> None:
    _, decks = aioflyte.run(show, decks=True, note=EVIL)
    (written,) = decks
    with chromium_page(tmp_path / "screenshots", "deck") as page:
        page.goto(Path(written.uri).as_uri())
        tabs = page.locator("#deck-tabs > li")
        assert tabs.all_inner_texts() == list(EXPECTED)
        for i, (name, (selector, text)) in enumerate(EXPECTED.items()):
            tabs.nth(i).click()
            panel = page.locator(f"#deck-panel-{i}")
            assert panel.is_visible(), name
            assert page.locator("#deck-panels > section:visible").count() == 1
            found = panel.locator(selector).first
            assert found.is_visible(), f"{name}: {selector} is not shown"
            if text is not None:
                assert text in found.inner_text(), f"{name}: {text!r} not in {selector}"
        assert page.evaluate("window.pwned === undefined")  # neither the tab name nor the input ran as a script
        assert page.external_requests == []
        page.screenshot(path=str(tmp_path / "deck.png"), full_page=True)
        docs = os.environ.get("AIOFLYTE_DOCS_SCREENSHOTS")  # how docs/images/deck-*.png are made
        if docs:
            tabs.nth(list(EXPECTED).index("Profile")).click()
            page.set_viewport_size({"width": 1100, "height": 560})
            page.screenshot(path=str(Path(docs) / "deck-profile.png"))
