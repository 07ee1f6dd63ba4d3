"""``FlyteRemote``'s checks of the entity a call is given: a clear ``TypeError`` naming the call, the parameter, what
it expects and what it got."""

from __future__ import annotations

from typing import Any


def expect_instance(entity: Any, cls: type | tuple[type, ...], call: str, what: str) -> None:
    """``FlyteRemote.<call>``'s check that ``entity`` is one of ``cls`` (a clear error naming what it expects)."""
    if not isinstance(entity, cls):
        raise TypeError(
            f"FlyteRemote.{call}: parameter 'entity' expects {what}, got {type(entity).__name__} ({entity!r})"
        )


def expect_kind(entity: Any, kinds: tuple[str, ...], call: str, what: str) -> None:
    """``FlyteRemote.<call>``'s check that ``entity`` is a local entity of one of ``kinds`` (the translator's)."""
    from aioflyte.remote.translator import entity_kind

    if entity_kind(entity) not in kinds:
        raise TypeError(
            f"FlyteRemote.{call}: parameter 'entity' expects {what}, got {type(entity).__name__} ({entity!r})"
        )


__all__ = ["expect_instance", "expect_kind"]
