"""flytekit's ``flytekit.deck`` path: ``Deck``, ``DeckField`` and the renderers (the code lives in
``aioflyte/core/deck.py`` and ``aioflyte/core/deck_renderers.py``)."""

from aioflyte.core.deck import Deck as Deck
from aioflyte.core.deck import DeckField as DeckField
from aioflyte.core.deck_renderers import BoxRenderer as BoxRenderer
from aioflyte.core.deck_renderers import FrameProfilingRenderer as FrameProfilingRenderer
from aioflyte.core.deck_renderers import MarkdownRenderer as MarkdownRenderer
from aioflyte.core.deck_renderers import PythonDependencyRenderer as PythonDependencyRenderer
from aioflyte.core.deck_renderers import SourceCodeRenderer as SourceCodeRenderer
from aioflyte.core.deck_renderers import TableRenderer as TableRenderer
from aioflyte.core.deck_renderers import TopFrameRenderer as TopFrameRenderer

__all__ = [
    "BoxRenderer",
    "Deck",
    "DeckField",
    "FrameProfilingRenderer",
    "MarkdownRenderer",
    "PythonDependencyRenderer",
    "SourceCodeRenderer",
    "TableRenderer",
    "TopFrameRenderer",
]
