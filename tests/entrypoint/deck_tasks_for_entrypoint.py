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


@task(enable_deck=True, deck_fields=())
def published() -> bool:
    """Publishes its deck mid-body and says whether the page is in the store by then."""
    from aioflyte.io import default_provider
    from aioflyte.io.bridge import call

    Deck("early", "<p>published early</p>")
    Deck.publish()
    uri = current_context().deck_uri
    return call(lambda: default_provider().exists(uri), "test", "-")


@task(enable_deck=True, deck_fields=(DeckField.TIMELINE, DeckField.INPUT, DeckField.OUTPUT), executor="process")
def decked_in_process(a: int) -> str:
    """As ``decked``, its body in the process pool."""
    Deck("where", f"<p id='uri'>{current_context().deck_uri}</p>")
    current_context().default_deck.append(f"<p id='default'>{a}</p>")
    return f"<{a}>"


@task(enable_deck=True, deck_fields=(DeckField.INPUT,), executor="process")
def decked_failure_in_process(a: int) -> int:
    """As ``decked_failure``, its body in the process pool."""
    Deck("before", "<p>before the failure</p>")
    current_context().default_deck.append("<p>default before the failure</p>")
    raise ValueError(f"bad {a}")
