"""Decks as authoring code sees them: ``Deck``, the context's decks, the page, the renderers, ``TypeEngine.to_html``."""

from __future__ import annotations

import re
from typing import Annotated

import pandas as pd
import pytest

import aioflyte
from aioflyte import Deck, current_context
from aioflyte.core.deck import TimeLineDeck, render_deck, timeit
from aioflyte.deck import (
    BoxRenderer,
    DeckField,
    FrameProfilingRenderer,
    MarkdownRenderer,
    PythonDependencyRenderer,
    SourceCodeRenderer,
    TableRenderer,
    TopFrameRenderer,
)
from aioflyte.deck.deck import DECK_FILE_NAME, generate_time_table
from aioflyte.deck.renderer import DEFAULT_MAX_ROWS, ArrowRenderer
from aioflyte.exceptions import FlyteValidationException
from aioflyte.types.engine import TypeEngine

FRAME = pd.DataFrame({"sepal_length": [5.1, 4.9, 4.7, 4.6, 5.0, 9.9], "species": ["a", "b", "a", "c", "b", "<b>x"]})


def _external_refs(page: str) -> list[str]:
    """src/href attributes and CSS urls that would make the page load something."""
    return re.findall(r"""(?:src|href)\s*=\s*["'](?!#)[^"']+|url\((?!['"]?#)""", page)


def test_deck_api_matches_flytekit():
    d = Deck("demo", "<p>one</p>", auto_add_to_deck=False)
    assert d.name == "demo"
    assert d.append("<p>two</p>") is d
    assert d.html == "<p>one</p>\n<p>two</p>"
    assert DECK_FILE_NAME == "deck.html"
    assert aioflyte.Deck is Deck
    assert [f.value for f in DeckField] == ["Input", "Output", "Source Code", "Timeline", "Dependencies"]


def test_bad_deck_arguments_are_named():
    with pytest.raises(FlyteValidationException, match="parameter 'name' expected str, got int"):
        Deck(3)  # type: ignore[arg-type]
    d = Deck("d", auto_add_to_deck=False)
    with pytest.raises(FlyteValidationException, match=r"Deck 'd': append\(\) expected str, got DataFrame"):
        d.append(FRAME)  # type: ignore[arg-type]


async def test_a_task_collects_its_own_decks():
    @aioflyte.task(enable_deck=True)
    async def t(n: int) -> list[str]:
        Deck("mine", f"<p>{n}</p>")
        current_context().default_deck.append("first")
        current_context().default_deck.append("second")
        return [d.name for d in current_context().decks]

    # the timeline deck comes first (the engine adds it when the attempt starts), then the body's
    assert await t(n=1) == ["Timeline", "mine", "default"]


async def test_default_deck_is_one_deck_per_attempt():
    @aioflyte.task
    async def t() -> str:
        ctx = current_context()
        ctx.default_deck.append("a")
        ctx.default_deck.append("b")
        assert ctx.default_deck is ctx.default_deck
        return ctx.default_deck.html

    assert await t() == "\na\nb"


async def test_timeline_deck_and_timeit():
    @aioflyte.task(enable_deck=True, deck_fields=(DeckField.TIMELINE,))
    async def t() -> str:
        with timeit("load <data>"):
            pass
        deck = current_context().timeline_deck
        assert isinstance(deck, TimeLineDeck)
        return deck.html

    html = await t()
    assert "load &lt;data&gt;" in html  # the entry's name, escaped
    assert "<th>Wall Time(s)</th>" in html


def test_time_table():
    table = generate_time_table([{"Name": "x", "WallTime": 1.5, "ProcessTime": 0.25}])
    assert "<td>x</td><td>1.500000</td><td>0.250000</td>" in table


def test_page_escapes_names_not_html_and_loads_nothing():
    decks = [
        Deck("<script>alert('name')</script>", "<p>kept</p>", auto_add_to_deck=False),
        Deck("two", "<b>2</b>", auto_add_to_deck=False),
        Deck("two", "<b>replaced</b>", auto_add_to_deck=False),  # a later deck of the same name wins (flytekit)
    ]
    page = render_deck(decks)
    assert "<script>alert('name')</script>" not in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in page
    assert "<p>kept</p>" in page and "<b>replaced</b>" in page and "<b>2</b>" not in page
    assert page.count("<li ") == 2
    assert _external_refs(page) == []


def test_markdown_renderer_escapes_raw_html():
    html = MarkdownRenderer().to_html("# Title\n\n*em* <script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h1>Title</h1>" in html and "<em>em</em>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<table>" in html
    with pytest.raises(FlyteValidationException, match=r"MarkdownRenderer\.to_html: expected str, got int"):
        MarkdownRenderer().to_html(3)  # type: ignore[arg-type]


def test_source_code_renderer_highlights_inline():
    html = SourceCodeRenderer().to_html("def f(x):\n    return '<x>'\n")
    assert html.startswith("<style>") and 'class="highlight"' in html
    assert "&lt;x&gt;" in html
    assert _external_refs(html) == []


def test_dependency_renderer_lists_installed_distributions():
    html = PythonDependencyRenderer().to_html()
    assert re.search(r"<td>pandas</td><td>[\d.]+", html)
    assert "pandas==" in html


def test_dataframe_renderers():
    top = TopFrameRenderer(max_rows=2).to_html(FRAME)
    assert "<table" in top and "&lt;b&gt;x" in top and DEFAULT_MAX_ROWS == 10

    table = TableRenderer().to_html(FRAME, header_labels=["length", "kind"], table_width=300)
    assert "<th>length</th>" in table and "width: 300px" in table and "&lt;b&gt;x" in table
    with pytest.raises(FlyteValidationException, match="header_labels has 1 label"):
        TableRenderer().to_html(FRAME, header_labels=["one"])

    box = BoxRenderer("sepal_length").to_html(FRAME)
    assert "<svg" in box and 'data-column="sepal_length"' in box and "median 4.95" in box
    assert "<circle" in box  # 9.9 is an outlier
    with pytest.raises(FlyteValidationException, match="column 'nope' is not in the dataframe"):
        BoxRenderer("nope").to_html(FRAME)
    with pytest.raises(FlyteValidationException, match=r"expected a pandas\.DataFrame, got list"):
        BoxRenderer("a").to_html([1])

    profile = FrameProfilingRenderer("Iris").to_html(FRAME)
    assert "<h3>Iris</h3>" in profile and "6 rows, 2 columns" in profile
    assert "<td>sepal_length</td><td>float64</td><td>6</td><td>0</td><td>6</td>" in profile


def test_arrow_renderer():
    import pyarrow as pa

    assert "<table" in ArrowRenderer().to_html(pa.table({"a": [1, 2]}))


def test_type_engine_to_html():
    assert TypeEngine.to_html(None, "<script>x</script>", str) == "<pre>&lt;script&gt;x&lt;/script&gt;</pre>"
    assert TypeEngine.to_html(None, [1, 2], list[int]) == "<pre>[1, 2]</pre>"
    # an Annotated renderer is used for the value
    md = TypeEngine.to_html(None, "# hi", Annotated[str, MarkdownRenderer()])
    assert md.strip() == "<h1>hi</h1>"
    # a dataframe goes through the structured dataset transformer's renderer
    html = TypeEngine.to_html(None, FRAME, pd.DataFrame)
    assert "<table" in html and "sepal_length" in html
    boxed = TypeEngine.to_html(None, FRAME, Annotated[pd.DataFrame, BoxRenderer("sepal_length")])
    assert "<svg" in boxed


async def test_flyte_context_get_deck():
    from aioflyte import FlyteContextManager

    @aioflyte.task
    async def t() -> str:
        Deck("mine", "<p id='x'>in the page</p>")
        return FlyteContextManager.current_context().get_deck()

    page = await t()
    assert page.startswith("<!doctype html>") and "<p id='x'>in the page</p>" in page
