"""``aioflyte.run``: the one sync entry point, for scripts and the CLI."""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

from aioflyte.core.deck import DECK_FILES, DeckFile
from aioflyte.exceptions import FlyteEntityNotCallable


def _loop_factory() -> Any:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


class RunWithDecks(NamedTuple):
    """What ``aioflyte.run(..., decks=True)`` returns: the run's value and the deck pages its task attempts wrote
    (``DeckFile(task, attempt, uri)``, in the order they were written)."""

    value: Any
    decks: list[DeckFile]


def run(entity: Any, /, *args: Any, signals: dict[str, Any] | None = None, decks: bool = False, **inputs: Any) -> Any:
    """Run an entity (task, workflow, launch plan) to completion on a fresh event loop; returns its value.

    ``signals`` gives values to the run's gates (approve / wait_for_input) by name. With ``decks=True`` the result
    is ``RunWithDecks(value, decks)``: the value and where each task attempt with ``enable_deck=True`` wrote its
    ``deck.html``. uvloop is used when installed. Inside a running loop this is an error: ``await entity(...)``
    (or ``aioflyte.start``) instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        name = getattr(entity, "name", repr(entity))
        raise FlyteEntityNotCallable(
            f"aioflyte.run({name}) was called from inside a running event loop; "
            f"use 'await {getattr(entity, '__name__', 'entity')}(...)' there instead"
        )

    async def main() -> Any:
        if decks:
            files: list[DeckFile] = []
            DECK_FILES.set(files)
            return RunWithDecks(await call(), files)
        return await call()

    async def call() -> Any:
        if signals:
            return await entity.start(*args, signals=signals, **inputs)
        return await entity(*args, **inputs)

    factory = _loop_factory()
    with asyncio.Runner(loop_factory=factory) if hasattr(asyncio, "Runner") else _legacy() as runner:
        return runner.run(main())


class _legacy:
    """asyncio.Runner stand-in for Python 3.10."""

    def __enter__(self) -> _legacy:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def run(self, coro: Any) -> Any:
        return asyncio.run(coro)
