"""flytekit's ``flytekit.deck`` path: ``DeckField`` (the code lives in ``aioflyte/core/deck.py``)."""

from aioflyte.core.deck import DeckField as DeckField

__all__ = ["DeckField"]
