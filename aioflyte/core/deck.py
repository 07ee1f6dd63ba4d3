"""``DeckField``: the parts of a task's deck (flytekit's ``flytekit.deck.DeckField``), named by
``@task(deck_fields=...)``. Rendering decks is not part of aioflyte yet; the fields are validated and kept on the
task (``t.deck_fields``), as flytekit keeps them (they are not serialized)."""

from __future__ import annotations

import enum
from typing import Any

from aioflyte.exceptions import FlyteValidationException


class DeckField(str, enum.Enum):
    """A part of a task's deck."""

    INPUT = "Input"
    OUTPUT = "Output"
    SOURCE_CODE = "Source Code"
    TIMELINE = "Timeline"
    DEPENDENCIES = "Dependencies"


#: ``@task``'s default ``deck_fields``: every field, in flytekit's order.
DEFAULT_DECK_FIELDS: tuple[DeckField, ...] = (
    DeckField.SOURCE_CODE,
    DeckField.DEPENDENCIES,
    DeckField.TIMELINE,
    DeckField.INPUT,
    DeckField.OUTPUT,
)


def deck_fields_of(entity: str, deck_fields: Any, enabled: bool) -> list[DeckField]:
    """The task's deck fields: those given (default: all) when the deck is enabled, else none (as flytekit).

    A value that is not a ``DeckField`` (or its string value) is an error naming the task and the valid fields.
    """
    if deck_fields is None:
        return []
    if isinstance(deck_fields, (str, DeckField)) or not hasattr(deck_fields, "__iter__"):
        raise FlyteValidationException(
            f"{entity}: parameter 'deck_fields' expected a tuple of DeckField, got {type(deck_fields).__name__}"
        )
    out: list[DeckField] = []
    for f in deck_fields:
        try:
            out.append(DeckField(f))
        except ValueError:
            valid = ", ".join(f"DeckField.{m.name}" for m in DeckField)
            raise FlyteValidationException(
                f"{entity}: parameter 'deck_fields' got {f!r} ({type(f).__name__}), which is not a DeckField; "
                f"expected one of {valid}"
            ) from None
    return out if enabled else []


__all__ = ["DEFAULT_DECK_FIELDS", "DeckField", "deck_fields_of"]
