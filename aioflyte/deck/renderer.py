"""flytekit's ``flytekit.deck.renderer`` path, with the dataframe renderers of ``flytekitplugins.deck.renderer``
(the code lives in ``aioflyte/core/deck_renderers.py``)."""

from aioflyte.core.deck_renderers import DEFAULT_MAX_COLS as DEFAULT_MAX_COLS
from aioflyte.core.deck_renderers import DEFAULT_MAX_ROWS as DEFAULT_MAX_ROWS
from aioflyte.core.deck_renderers import ArrowRenderer as ArrowRenderer
from aioflyte.core.deck_renderers import BoxRenderer as BoxRenderer
from aioflyte.core.deck_renderers import FrameProfilingRenderer as FrameProfilingRenderer
from aioflyte.core.deck_renderers import MarkdownRenderer as MarkdownRenderer
from aioflyte.core.deck_renderers import PythonDependencyRenderer as PythonDependencyRenderer
from aioflyte.core.deck_renderers import Renderable as Renderable
from aioflyte.core.deck_renderers import SourceCodeRenderer as SourceCodeRenderer
from aioflyte.core.deck_renderers import TableRenderer as TableRenderer
from aioflyte.core.deck_renderers import TopFrameRenderer as TopFrameRenderer

__all__ = [
    "DEFAULT_MAX_COLS",
    "DEFAULT_MAX_ROWS",
    "ArrowRenderer",
    "BoxRenderer",
    "FrameProfilingRenderer",
    "MarkdownRenderer",
    "PythonDependencyRenderer",
    "Renderable",
    "SourceCodeRenderer",
    "TableRenderer",
    "TopFrameRenderer",
]
