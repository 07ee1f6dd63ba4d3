"""Deck renderers: values to HTML (flytekit's ``flytekit.deck.renderer``, and the dataframe renderers of the
``flytekitplugins-deck-standard`` plugin: ``BoxRenderer``, ``TableRenderer``, ``FrameProfilingRenderer``).

Every renderer escapes the text it shows, and references nothing outside the page: the box plot is inline SVG,
the profile a table computed with pandas, the source code highlighted with Pygments' inline CSS.
``TopFrameRenderer`` and ``ArrowRenderer`` live with the dataframe handlers (``aioflyte/types/structured``).
"""

from __future__ import annotations

import html
import math
from typing import Any

from aioflyte.exceptions import FlyteValidationException
from aioflyte.types.structured.handlers import Renderable as Renderable
from aioflyte.types.structured.renderers import DEFAULT_MAX_COLS as DEFAULT_MAX_COLS
from aioflyte.types.structured.renderers import DEFAULT_MAX_ROWS as DEFAULT_MAX_ROWS
from aioflyte.types.structured.renderers import ArrowRenderer as ArrowRenderer
from aioflyte.types.structured.renderers import TopFrameRenderer as TopFrameRenderer


def _need_str(renderer: str, value: Any) -> str:
    if not isinstance(value, str):
        raise FlyteValidationException(f"{renderer}.to_html: expected str, got {type(value).__name__}")
    return value


def _need_frame(renderer: str, df: Any) -> Any:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is what the value would be
        raise FlyteValidationException(f"{renderer} needs pandas (pip install pandas)") from None
    if not isinstance(df, pd.DataFrame):
        raise FlyteValidationException(f"{renderer}.to_html: expected a pandas.DataFrame, got {type(df).__name__}")
    return df


class MarkdownRenderer:
    """Markdown to HTML (CommonMark, with markdown-it-py). Raw HTML in the text is escaped, not passed through."""

    def to_html(self, text: str) -> str:
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"html": False}).enable("table")
        return md.render(_need_str("MarkdownRenderer", text))


class SourceCodeRenderer:
    """Python source code, highlighted by Pygments (its CSS inline in the returned HTML)."""

    def __init__(self, title: str = "Source Code") -> None:
        self._title = title

    def to_html(self, source_code: str) -> str:
        from pygments import highlight
        from pygments.formatters.html import HtmlFormatter
        from pygments.lexers.python import PythonLexer

        formatter = HtmlFormatter(style="colorful")
        css = formatter.get_style_defs(".highlight")
        code = highlight(_need_str("SourceCodeRenderer", source_code), PythonLexer(), formatter)
        return f"<style>{css}</style>{code}"


_INSTALLED: list[tuple[str, str]] | None = None


def installed_distributions() -> list[tuple[str, str]]:
    """(name, version) of every installed distribution, sorted by name; read once per process (reading the
    metadata of every distribution takes a noticeable fraction of a second)."""
    global _INSTALLED
    if _INSTALLED is None:
        from importlib import metadata

        found: dict[str, str] = {}
        for dist in metadata.distributions():
            name = dist.metadata["Name"] if dist.metadata else None
            if name:
                found.setdefault(name, dist.version)
        _INSTALLED = sorted(found.items(), key=lambda kv: kv[0].lower())
    return _INSTALLED


class PythonDependencyRenderer:
    """The Python distributions installed where the task runs: a table of names and versions, and the same as
    ``requirements.txt`` lines (read from the installed metadata; no ``pip`` process is started)."""

    def __init__(self, title: str = "Dependencies") -> None:
        self._title = title

    def to_html(self) -> str:
        pairs = installed_distributions()
        rows = "".join(f"<tr><td>{html.escape(n)}</td><td>{html.escape(v)}</td></tr>" for n, v in pairs)
        reqs = html.escape("\n".join(f"{n}=={v}" for n, v in pairs))
        return (
            f"<h3>{html.escape(self._title)}</h3>"
            f'<table class="dependencies"><thead><tr><th>Name</th><th>Version</th></tr></thead><tbody>{rows}'
            "</tbody></table>"
            f'<details><summary>requirements.txt</summary><pre class="requirements">{reqs}</pre></details>'
        )


class TableRenderer:
    """A whole dataframe as an HTML table (``header_labels`` replace the column names)."""

    def to_html(self, df: Any, header_labels: list[Any] | None = None, table_width: int | None = None) -> str:
        df = _need_frame("TableRenderer", df)
        if header_labels is not None:
            if len(header_labels) != len(df.columns):
                raise FlyteValidationException(
                    f"TableRenderer.to_html: header_labels has {len(header_labels)} label(s), the dataframe "
                    f"{len(df.columns)} column(s)"
                )
            df = df.copy()
            df.columns = header_labels
        style = f' style="width: {int(table_width)}px"' if table_width else ""
        table = df.to_html(classes="table-renderer", border=0, escape=True)
        return f'<div class="table-renderer"{style}>{table}</div>'


class BoxRenderer:
    """A box plot of one numeric column (quartiles, whiskers at 1.5 IQR, outliers), as inline SVG."""

    def __init__(self, column_name: str) -> None:
        if not isinstance(column_name, str):
            raise FlyteValidationException(
                f"BoxRenderer: parameter 'column_name' expected str, got {type(column_name).__name__}"
            )
        self._column_name = column_name

    def to_html(self, df: Any) -> str:
        df = _need_frame("BoxRenderer", df)
        col = self._column_name
        if col not in df.columns:
            raise FlyteValidationException(
                f"BoxRenderer: column {col!r} is not in the dataframe (it has {', '.join(map(str, df.columns))})"
            )
        import pandas as pd

        values = pd.to_numeric(df[col], errors="coerce").dropna()
        label = html.escape(col)
        if values.empty:
            return f'<div class="box-renderer" data-column="{label}"><p>{label}: no numeric values</p></div>'
        q1, med, q3 = (float(values.quantile(q)) for q in (0.25, 0.5, 0.75))
        iqr = q3 - q1
        inside = values[(values >= q1 - 1.5 * iqr) & (values <= q3 + 1.5 * iqr)]
        lo, hi = float(inside.min()), float(inside.max())
        outliers = [float(v) for v in values if v < lo or v > hi]
        vmin, vmax = float(values.min()), float(values.max())
        span = (vmax - vmin) or 1.0
        width, height, pad = 480, 120, 30

        def x(v: float) -> float:
            return pad + (v - vmin) / span * (width - 2 * pad)

        mid = 55
        parts = [
            f'<line x1="{x(lo):.1f}" y1="{mid}" x2="{x(q1):.1f}" y2="{mid}" stroke="#333"/>',
            f'<line x1="{x(q3):.1f}" y1="{mid}" x2="{x(hi):.1f}" y2="{mid}" stroke="#333"/>',
            f'<line x1="{x(lo):.1f}" y1="{mid - 12}" x2="{x(lo):.1f}" y2="{mid + 12}" stroke="#333"/>',
            f'<line x1="{x(hi):.1f}" y1="{mid - 12}" x2="{x(hi):.1f}" y2="{mid + 12}" stroke="#333"/>',
            f'<rect x="{x(q1):.1f}" y="{mid - 20}" width="{max(x(q3) - x(q1), 1):.1f}" height="40" '
            'fill="#c9b3ff" stroke="#333"/>',
            f'<line x1="{x(med):.1f}" y1="{mid - 20}" x2="{x(med):.1f}" y2="{mid + 20}" stroke="#333" '
            'stroke-width="2"/>',
            *(f'<circle cx="{x(v):.1f}" cy="{mid}" r="3" fill="none" stroke="#c00"/>' for v in outliers),
            f'<text x="{pad}" y="{height - 10}" font-size="11">{_num(vmin)}</text>',
            f'<text x="{width - pad}" y="{height - 10}" font-size="11" text-anchor="end">{_num(vmax)}</text>',
        ]
        stats = f"min {_num(vmin)}, Q1 {_num(q1)}, median {_num(med)}, Q3 {_num(q3)}, max {_num(vmax)}"
        return (
            f'<figure class="box-renderer" data-column="{label}"><figcaption>{label}: {stats}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="box plot of {label}">{"".join(parts)}</svg></figure>'
        )


def _num(v: float) -> str:
    return f"{v:.4g}" if math.isfinite(v) else str(v)


class FrameProfilingRenderer:
    """A profile of a dataframe: its shape, then per column the type, count, missing and distinct values, and for
    numeric columns mean, standard deviation, min and max (computed with pandas; the plugin's version uses
    ydata-profiling)."""

    def __init__(self, title: str = "Pandas Profiling Report") -> None:
        self._title = title

    def to_html(self, df: Any) -> str:
        df = _need_frame("FrameProfilingRenderer", df)
        import pandas as pd

        rows = []
        for col in df.columns:
            s = df[col]
            cells = [str(col), str(s.dtype), str(int(s.count())), str(int(s.isna().sum()))]
            try:
                cells.append(str(int(s.nunique(dropna=True))))
            except TypeError:  # unhashable values
                cells.append("")
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) and s.count():
                cells += [_num(float(s.mean())), _num(float(s.std())) if s.count() > 1 else "",
                          _num(float(s.min())), _num(float(s.max()))]  # fmt: skip
            else:
                cells += ["", "", "", ""]
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        head = "".join(
            f"<th>{h}</th>" for h in ("Column", "Type", "Count", "Missing", "Distinct", "Mean", "Std", "Min", "Max")
        )
        return (
            f'<div class="frame-profile"><h3>{html.escape(self._title)}</h3>'
            f"<p>{len(df)} rows, {len(df.columns)} columns</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )


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
