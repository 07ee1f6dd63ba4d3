"""flytekit's ``flytekit.deck.deck`` path (the code lives in ``aioflyte/core/deck.py``)."""

from aioflyte.core.deck import DECK_FILE_NAME as DECK_FILE_NAME
from aioflyte.core.deck import Deck as Deck
from aioflyte.core.deck import DeckField as DeckField
from aioflyte.core.deck import TimeLineDeck as TimeLineDeck
from aioflyte.core.deck import generate_time_table as generate_time_table

__all__ = ["DECK_FILE_NAME", "Deck", "DeckField", "TimeLineDeck", "generate_time_table"]
