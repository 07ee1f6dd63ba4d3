"""Tasks whose bodies make decks, each body twice: on the worker threads and in the process pool
(``executor="process"``), so that the tests can compare the pages. The process pool's workers import this module by
name, so the tasks live at its module level."""

from __future__ import annotations

import threading

from aioflyte import Deck, current_context, task
from aioflyte.core.deck import timeit
from aioflyte.deck import DeckField, MarkdownRenderer


class LockedDeck(Deck):
    """A deck holding an object that cannot be pickled (as a renderer may): only its HTML can travel."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "<p>locked</p>")
        self.lock = threading.Lock()


def _report(n: int) -> str:
    ctx = current_context()
    seen = [d.name for d in ctx.decks]  # what the body finds there when it starts
    Deck("Summary", MarkdownRenderer().to_html(f"# {n} items\n\n*emphasis*"))
    ctx.default_deck.append(f"<p>default {n}</p>")
    late = Deck("Late", "<p>one</p>")
    LockedDeck("Locked")
    with timeit("inner step"):
        late.append("<p>two</p>")
    ctx.default_deck.append("<p>default again</p>")
    ctx.timeline_deck.append("<p>timeline note</p>")
    return f"{ctx.enable_deck}|{ctx.deck_uri}|{seen}|{[d.name for d in ctx.decks]}"


report_in_thread = task(enable_deck=True)(_report)
report_in_process = task(enable_deck=True, executor="process")(_report)


def _few_fields(n: int) -> int:
    Deck("Only", f"<p>{n}</p>")
    current_context().default_deck.append("<p>d</p>")
    return n + 1


few_in_thread = task(enable_deck=True, deck_fields=(DeckField.INPUT, DeckField.OUTPUT))(_few_fields)
few_in_process = task(enable_deck=True, deck_fields=(DeckField.INPUT, DeckField.OUTPUT), executor="process")(
    _few_fields
)


def _no_deck(n: int) -> str:
    ctx = current_context()
    Deck("made", "<p>x</p>")
    ctx.default_deck.append("<p>y</p>")
    with timeit("step"):
        pass
    return f"{ctx.enable_deck}|{ctx.deck_uri}|{[d.name for d in ctx.decks]}"


no_deck_in_thread = task(_no_deck)
no_deck_in_process = task(executor="process")(_no_deck)


@task(enable_deck=True, executor="process")
def fails_in_process(n: int) -> int:
    Deck("before", f"<p>made before failing with {n}</p>")
    current_context().default_deck.append("<p>default before</p>")
    raise ValueError(f"bad {n}")


@task(enable_deck=True, deck_fields=(), executor="process")
def publishes_in_process() -> str:
    """Publishes its deck mid-body and returns the page as it is on disk by then."""
    Deck("early", "<p>published early</p>")
    Deck.publish()
    with open(current_context().deck_uri, encoding="utf-8") as f:
        return f.read()
