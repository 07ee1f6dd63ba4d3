"""Tasks with decks that the entrypoint deck tests run in a subprocess."""

from __future__ import annotations

from aioflyte import Deck, current_context, task
from aioflyte.deck import DeckField


@task(enable_deck=True, deck_fields=(DeckField.TIMELINE, DeckField.INPUT, DeckField.OUTPUT))
def decked(a: int) -> str:
    Deck("where", f"<p id='uri'>{current_context().deck_uri}</p>")
    return f"<{a}>"


@task(enable_deck=True, deck_fields=(DeckField.INPUT,))
def decked_failure(a: int) -> int:
    Deck("before", "<p>before the failure</p>")
    raise ValueError(f"bad {a}")


@task
def undecked(a: int) -> int:
    return a
