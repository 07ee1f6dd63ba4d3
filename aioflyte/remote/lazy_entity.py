"""``LazyEntity`` (flytekit's ``flytekit.remote.lazy_entity``): an entity fetched from the backend on first use.

``FlyteRemote.fetch_task_lazy`` / ``fetch_workflow_lazy`` return one at once, without a call to the backend.
``await lazy`` (or ``await lazy.fetch()``) fetches it once and gives the entity; ``lazy.entity`` is it once
fetched. Awaiting a call of it (``await lazy(x=1)``) fetches first. A workflow body compiles synchronously, so a
lazy entity called there must have been fetched already (the error says so).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

from aioflyte.core.context import _COMPILATION
from aioflyte.exceptions import FlyteAssertion

T = TypeVar("T")

__all__ = ["LazyEntity"]


class LazyEntity(Generic[T]):
    """An entity named ``name`` that ``getter`` fetches on first use (once, however many wait for it)."""

    def __init__(self, name: str, getter: Callable[[], Awaitable[T]], *args: Any, **kwargs: Any) -> None:
        self._name = name
        self._getter = getter
        self._entity: T | None = None
        self._fetching: asyncio.Future[T] | None = None

    @property
    def name(self) -> str:
        return self._name

    def entity_fetched(self) -> bool:
        return self._entity is not None

    async def fetch(self) -> T:
        """The entity, fetched on the first call (a failed fetch is tried again on the next)."""
        if self._entity is not None:
            return self._entity
        if self._fetching is None or self._fetching.done():
            self._fetching = asyncio.ensure_future(self._getter())
        fetching = self._fetching
        try:
            entity = await asyncio.shield(fetching)
        except BaseException:
            if fetching.done() and (fetching.cancelled() or fetching.exception() is not None):
                self._fetching = None
            raise
        self._entity = entity
        return entity

    def __await__(self) -> Generator[Any, None, T]:
        return self.fetch().__await__()

    @property
    def entity(self) -> T:
        """The fetched entity; raises ``FlyteAssertion`` if it has not been fetched yet (``await lazy`` first)."""
        if self._entity is None:
            raise FlyteAssertion(
                f"LazyEntity {self._name} is not fetched yet: 'await' it (await lazy / await lazy.fetch()) first; "
                "FlyteRemote is async, so a lazy entity cannot be fetched in the middle of synchronous code"
            )
        return self._entity

    def __getattr__(self, item: str) -> Any:
        if item.startswith("_"):
            raise AttributeError(item)
        return getattr(self.entity, item)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._entity is not None or _COMPILATION.get() is not None:
            return self.entity(*args, **kwargs)  # type: ignore[operator]  # fetched entities are callable
        return self._call_after_fetch(args, kwargs)

    async def _call_after_fetch(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        entity: Any = await self.fetch()
        return await entity(*args, **kwargs)

    def __repr__(self) -> str:
        state = repr(self._entity) if self._entity is not None else "not fetched"
        return f"LazyEntity({self._name!r}, {state})"
