"""HTML renderers for dataframes (decks, ``StructuredDatasetTransformerEngine.to_html``): the top rows only."""

from __future__ import annotations

import html
from typing import Any

DEFAULT_MAX_ROWS = 10
DEFAULT_MAX_COLS = 100


class TopFrameRenderer:
    """The first ``max_rows`` rows (and ``max_cols`` columns) of a ``pandas.DataFrame`` as an HTML table."""

    def __init__(self, max_rows: int = DEFAULT_MAX_ROWS, max_cols: int = DEFAULT_MAX_COLS) -> None:
        self._max_rows = max_rows
        self._max_cols = max_cols

    def to_html(self, df: Any) -> str:
        return df.to_html(max_rows=self._max_rows, max_cols=self._max_cols)


class ArrowRenderer:
    """The first ``max_rows`` rows of a ``pyarrow.Table`` (as an HTML table when pandas is installed)."""

    def __init__(self, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        self._max_rows = max_rows

    def to_html(self, table: Any) -> str:
        head = table.slice(0, self._max_rows)
        try:
            return head.to_pandas().to_html()
        except ImportError:
            return f"<pre>{html.escape(head.to_string(preview_cols=DEFAULT_MAX_COLS))}</pre>"


class PolarsRenderer:
    """The first ``max_rows`` rows of a ``polars.DataFrame``, as polars renders them."""

    def __init__(self, max_rows: int = DEFAULT_MAX_ROWS) -> None:
        self._max_rows = max_rows

    def to_html(self, df: Any) -> str:
        return df.head(self._max_rows)._repr_html_()
