"""Decks (flytekit's ``flytekit.deck``): named pieces of HTML a task attempt collects and writes, at its end, as
one self-contained ``deck.html``.

- ``Deck(name, html)`` adds itself to the calling task's ``current_context().decks``; ``append`` adds HTML.
- ``current_context().default_deck`` (a deck named ``default``) and ``timeline_deck`` (the attempt's timings, a
  table) are made on first use.
- ``@task(enable_deck=True, deck_fields=(...))`` picks the decks the engine adds itself (``DeckField``); the
  renderers are in ``aioflyte/core/deck_renderers.py`` (``aioflyte.deck.renderer``).
- ``render_deck`` makes the page: one tab per deck, inline CSS and JS only (it opens without a network). A deck's
  name is escaped; its HTML is not (a renderer's job: the built-in ones escape what they show).

Who writes the page: the local engine (``aioflyte/engine/task_runner.py``, under the run's raw output prefix) and
the container entrypoint (``<output prefix>/deck.html``, where Flyte's backends and ``aioflyte serve`` look).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import html as _html
import time
import weakref
from contextvars import ContextVar
from typing import Any

from aioflyte.exceptions import FlyteValidationException

#: The name of the page a task attempt writes (flytekit's ``DECK_FILE_NAME``).
DECK_FILE_NAME = "deck.html"


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


def _current_decks() -> list[Any]:
    from aioflyte.core.context import current_context

    return current_context().decks


class Deck:
    """A named piece of HTML in the task's deck page: ``Deck("report", MarkdownRenderer().to_html(text))``.

    Made inside a task, it joins that task attempt's ``current_context().decks`` (unless ``auto_add_to_deck`` is
    false); the page is written when the attempt ends if the task has ``enable_deck=True``.
    """

    def __init__(self, name: str, html: str | None = "", auto_add_to_deck: bool = True) -> None:
        if not isinstance(name, str):
            raise FlyteValidationException(f"Deck: parameter 'name' expected str, got {type(name).__name__}")
        if html is not None and not isinstance(html, str):
            raise FlyteValidationException(f"Deck {name!r}: parameter 'html' expected str, got {type(html).__name__}")
        self._name = name
        self._html = html or ""
        if auto_add_to_deck:
            _current_decks().append(self)

    def append(self, html: str) -> Deck:
        """Add ``html`` (a new line, then the HTML) to the deck; returns the deck."""
        if not isinstance(html, str):
            raise FlyteValidationException(
                f"Deck {self._name!r}: append() expected str, got {type(html).__name__}; render the value first "
                "(e.g. MarkdownRenderer().to_html(text))"
            )
        self._html = self._html + "\n" + html
        return self

    @property
    def name(self) -> str:
        return self._name

    @property
    def html(self) -> str:
        return self._html

    @staticmethod
    def publish() -> None:
        """Write the calling task's deck page now (it is written again, complete, when the attempt ends)."""
        from aioflyte.core.context import current_context

        params = current_context()
        uri = params.deck_uri
        if not params.enable_deck or uri is None:
            import logging

            name = params.task_id.name if params.task_id is not None else "?"
            logging.getLogger("aioflyte").warning(
                "Deck.publish() in task %s: the task has enable_deck=False, so no deck is written", name
            )
            return
        write_deck_file(uri, render_deck(params.decks))

    def __repr__(self) -> str:
        return f"Deck(name={self._name!r}, html=<{len(self.html)} characters>)"


class TimeLineDeck(Deck):
    """The attempt's timings (``DeckField.TIMELINE``): entries of name, wall time and process time, rendered as a
    table when the page is written."""

    def __init__(self, name: str, html: str | None = "", auto_add_to_deck: bool = True) -> None:
        super().__init__(name, html, auto_add_to_deck)
        self.time_info: list[dict[str, Any]] = []

    def append_time_info(self, info: dict[str, Any]) -> None:
        """Add one entry: ``{"Name": str, "WallTime": seconds, "ProcessTime": seconds}``."""
        if not isinstance(info, dict):
            raise FlyteValidationException(f"TimeLineDeck: append_time_info expected a dict, got {type(info).__name__}")
        self.time_info.append(info)

    @property
    def html(self) -> str:
        if not self.time_info:
            return self._html
        note = (
            "<p><strong>Note:</strong> durations under a millisecond show as 0.000; wall time is elapsed time, "
            "process time the CPU time of the whole process in that span.</p>"
        )
        return generate_time_table(self.time_info) + note + self._html


def generate_time_table(data: list[dict[str, Any]]) -> str:
    """The timeline entries as an HTML table (names escaped)."""
    rows = "".join(
        f"<tr><td>{_html.escape(str(row.get('Name', '')))}</td><td>{float(row.get('WallTime', 0.0)):.6f}</td>"
        f"<td>{float(row.get('ProcessTime', 0.0)):.6f}</td></tr>"
        for row in data
    )
    return (
        '<table class="timeline"><thead><tr><th>Name</th><th>Wall Time(s)</th><th>Process Time(s)</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


class timeit:
    """Time a block (or a function) into the calling task's timeline deck (flytekit's ``flytekit.core.utils.timeit``).

    ``with timeit("load data"): ...`` adds a row with the block's wall time and process time.
    """

    def __init__(self, name: str = "") -> None:
        self._name = name
        self._wall = 0.0
        self._cpu = 0.0

    def __call__(self, fn: Any) -> Any:
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with timeit(self._name or fn.__name__):
                return fn(*args, **kwargs)

        return wrapper

    def __enter__(self) -> timeit:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        from aioflyte.core.context import current_context

        current_context().timeline_deck.append_time_info(
            {
                "Name": self._name,
                "WallTime": time.perf_counter() - self._wall,
                "ProcessTime": time.process_time() - self._cpu,
            }
        )


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$TITLE</title>
<style>
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; }
#deck-tabs { display: flex; flex-wrap: wrap; gap: 4px; margin: 0; padding: 8px 16px 0; list-style: none;
  border-bottom: 1px solid #ddd; }
#deck-tabs li { cursor: pointer; padding: 8px 14px; font-size: 14px; font-weight: 600; color: #666;
  border-bottom: 3px solid transparent; }
#deck-tabs li.active { color: #222; border-bottom-color: #7b2ff7; }
#deck-panels > section { display: none; padding: 1.5rem 2rem; overflow-x: auto; }
#deck-panels > section.active { display: block; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; }
pre { white-space: pre-wrap; }
.deck-value-name { font-weight: 600; margin: 1em 0 0.3em; }
</style>
</head>
<body>
<nav><ul id="deck-tabs">$TABS</ul></nav>
<main id="deck-panels">$PANELS</main>
<script>
(function () {
  var tabs = document.querySelectorAll("#deck-tabs > li");
  var panels = document.querySelectorAll("#deck-panels > section");
  function show(i) {
    for (var j = 0; j < tabs.length; j++) {
      tabs[j].classList.toggle("active", i === j);
      panels[j].classList.toggle("active", i === j);
    }
  }
  for (var i = 0; i < tabs.length; i++) {
    tabs[i].addEventListener("click", show.bind(null, i));
  }
  if (tabs.length) { show(0); }
})();
</script>
</body>
</html>
"""


def render_deck(decks: list[Any], title: str = "Flyte Deck") -> str:
    """The page for ``decks``: one tab per deck name (a later deck of the same name replaces an earlier one, as
    in flytekit), names escaped, each deck's HTML as it is. No external resource is referenced."""
    by_name: dict[str, str] = {}
    for deck in decks:
        by_name[deck.name] = deck.html
    tabs = []
    panels = []
    for i, (name, body) in enumerate(by_name.items()):
        label = _html.escape(name)
        tabs.append(f'<li data-deck="{label}" id="deck-tab-{i}">{label}</li>')
        panels.append(f'<section data-deck="{label}" id="deck-panel-{i}">{body}</section>')
    return (
        _PAGE.replace("$TITLE", _html.escape(title)).replace("$TABS", "".join(tabs)).replace("$PANELS", "".join(panels))
    )


def write_deck_file(uri: str, page: str) -> None:
    """Write ``page`` at ``uri`` from sync code: a local path or ``file://`` URI directly; a store's URI through the
    data plane, except on a thread running an event loop (an ``async`` task), where it is left to the end of the
    attempt, which writes the complete page anyway."""
    import os

    from aioflyte.io.provider import split_protocol

    protocol, path = split_protocol(uri)
    if protocol == "file":
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)
        os.replace(tmp, path)
        return
    from aioflyte.io.bridge import _on_loop_thread, call
    from aioflyte.io.provider import default_provider

    if _on_loop_thread():
        import logging

        logging.getLogger("aioflyte.decks").info(
            "Deck.publish() in an async task: the page is written to %s when the attempt ends", uri
        )
        return
    data = page.encode("utf-8")
    call(lambda: default_provider().put_bytes(uri, data), "Deck.publish()", "let the attempt write its deck")


# --- what the engine adds (DeckField) ------------------------------------------------------------------------


def value_html(name: str, value: Any, python_type: Any) -> str:
    """One input or output: its name (escaped) then ``TypeEngine.to_html`` of its value."""
    from aioflyte.types.engine import TypeEngine

    try:
        body = TypeEngine.to_html(None, value, python_type)
    except Exception as e:  # a renderer that fails must not fail the task
        body = f"<pre>{_html.escape(repr(value))}</pre><p>(not rendered: {_html.escape(str(e))})</p>"
    return f'<div class="deck-value" data-name="{_html.escape(name)}"><p class="deck-value-name">' \
        f"{_html.escape(name)}</p>{body}</div>"  # fmt: skip


def task_source(task: Any) -> str | None:
    """The source code of a function task's body, when it can be read."""
    import inspect

    fn = getattr(task, "task_function", None)
    if fn is None:
        return None
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return None


#: the highlighted source of each task function, and the dependencies table: made once per process (highlighting
#: costs milliseconds, and neither changes while the process runs)
_SOURCE_HTML: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_DEPENDENCIES_HTML: str | None = None


def add_field_decks(
    task: Any, params: Any, inputs: dict[str, Any] | None, outputs: dict[str, Any] | None
) -> None:  # fmt: skip
    """Add the decks ``task.deck_fields`` names (source code, dependencies, input, output) to ``params.decks``,
    in flytekit's order. The timeline deck is added when the attempt starts (``start_timeline``)."""
    from aioflyte.core.deck_renderers import PythonDependencyRenderer, SourceCodeRenderer

    fields = set(getattr(task, "deck_fields", ()) or ())
    decks = params.decks
    if DeckField.SOURCE_CODE in fields:
        fn = getattr(task, "task_function", None)
        code = _SOURCE_HTML.get(fn) if fn is not None else None
        if code is None:
            source = task_source(task)
            if source is not None:
                code = SourceCodeRenderer().to_html(source)
                if fn is not None:
                    with contextlib.suppress(TypeError):  # a callable that cannot be weakly referenced
                        _SOURCE_HTML[fn] = code
        if code is not None:
            decks.append(Deck(DeckField.SOURCE_CODE.value, code, False))
    if DeckField.DEPENDENCIES in fields:
        global _DEPENDENCIES_HTML
        if _DEPENDENCIES_HTML is None:
            _DEPENDENCIES_HTML = PythonDependencyRenderer().to_html()
        decks.append(Deck(DeckField.DEPENDENCIES.value, _DEPENDENCIES_HTML, False))
    iface = getattr(task, "python_interface", None)
    if DeckField.INPUT in fields and inputs is not None:
        types = {n: t for n, (t, _) in iface.inputs.items()} if iface is not None else {}
        body = "".join(value_html(n, v, types.get(n, type(v))) for n, v in inputs.items())
        decks.append(Deck(DeckField.INPUT.value, body, False))
    if DeckField.OUTPUT in fields and outputs is not None:
        types = dict(iface.outputs) if iface is not None else {}
        body = "".join(value_html(n, v, types.get(n, type(v))) for n, v in outputs.items())
        decks.append(Deck(DeckField.OUTPUT.value, body, False))


def task_deck_page(task: Any, params: Any, inputs: dict[str, Any] | None, outputs: dict[str, Any] | None) -> str:
    """The attempt's page: the decks collected (timeline, the user's), then the field decks, rendered."""
    add_field_decks(task, params, inputs, outputs)
    return render_deck(params.decks, title=f"{getattr(task, 'name', 'task')} deck")


def start_timeline(task: Any, params: Any) -> None:
    """Put the timeline deck first among the attempt's decks when the task's fields include it."""
    if DeckField.TIMELINE in (getattr(task, "deck_fields", ()) or ()):
        params.decks.append(params.timeline_deck)


# --- a body run in another process (executor="process") ----------------------------------------------------

#: the attribute a process body's error carries its decks back in (removed again when they are taken)
SHIPPED_DECKS_ATTR = "_aioflyte_shipped_decks"

_PLAIN, _DEFAULT, _TIMELINE = 0, 1, 2


def process_context_spec(params: Any) -> tuple[Any, ...]:
    """What a body run in a worker process needs of its attempt's context (``params``) to offer the same deck API:
    plain, picklable values (the ids, the prefixes, the deck's URI, whether the timeline deck is among the decks)."""
    timeline = any(isinstance(d, TimeLineDeck) for d in params.decks)
    return (
        params.execution_date,
        params.execution_id,
        params.task_id,
        params.attempt_number,
        params.raw_output_prefix,
        params.output_metadata_prefix,
        params.deck_uri,
        timeline,
    )


def process_context(spec: tuple[Any, ...]) -> Any:
    """The worker process's ``ExecutionParameters`` for a body whose attempt's context ``spec`` describes
    (``process_context_spec``): deck enabled, the timeline deck first among its decks when it is so in the
    attempt."""
    import structlog

    from aioflyte.core.context import ExecutionParameters, Stats

    date, execution_id, task_id, attempt, raw, metadata_prefix, uri, timeline = spec
    name = task_id.name if task_id is not None else None
    log = structlog.get_logger("aioflyte.task").bind(execution_id=str(execution_id))
    params = ExecutionParameters(
        execution_date=date,
        tmp_dir=None,
        stats=Stats(prefix=name or ""),
        execution_id=execution_id,
        logging=log.bind(task=name) if name else log,
        raw_output_prefix=raw,
        output_metadata_prefix=metadata_prefix,
        task_id=task_id,
        enable_deck=True,
        attempt_number=attempt,
    )
    params._deck_uri = uri
    if timeline:
        params.decks.append(params.timeline_deck)
    return params


def export_decks(params: Any, start: int) -> tuple[list[tuple[str, str, int]], list[dict[str, Any]], str]:
    """The decks a body added to ``params.decks`` from index ``start`` on, as plain data: (name, rendered HTML,
    kind) each (the kind marks the default deck and the timeline deck, whose HTML is left out), then the timeline
    deck's entries and own HTML. A deck's renderer never travels, only what it rendered."""
    timeline = params.timeline_deck
    entries: list[tuple[str, str, int]] = []
    for deck in params.decks[start:]:
        if deck is timeline:
            entries.append((deck.name, "", _TIMELINE))
        else:
            entries.append((deck.name, deck.html, _DEFAULT if deck is params._default_deck else _PLAIN))
    return entries, list(timeline.time_info), timeline._html


def import_decks(params: Any, shipped: tuple[list[tuple[str, str, int]], list[dict[str, Any]], str]) -> None:
    """Add the decks ``export_decks`` made in a worker process to ``params`` (the attempt's context), in order, as
    if the body had made them here: the default deck becomes ``params.default_deck``, the timeline's entries join
    ``params.timeline_deck``."""
    entries, time_info, timeline_html = shipped
    decks = params.decks
    for name, body, kind in entries:
        if kind == _TIMELINE:  # the body's timeline deck: the attempt's, in the same place
            if not any(isinstance(d, TimeLineDeck) for d in decks):
                decks.append(TimeLineDeck(name, auto_add_to_deck=False))
            continue
        deck = Deck(name, body, auto_add_to_deck=False)
        decks.append(deck)
        if kind == _DEFAULT:
            params._default_deck = deck
    if time_info or timeline_html:
        timeline = params.timeline_deck
        timeline.time_info.extend(time_info)
        timeline._html += timeline_html


# --- what a local run collects (aioflyte.run(..., decks=True)) ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DeckFile:
    """A deck page a task attempt wrote: the task's name, the attempt (0-based) and where the page is."""

    task: str
    attempt: int
    uri: str


#: The list ``aioflyte.run(..., decks=True)`` collects the written pages in (None: nobody collects).
DECK_FILES: ContextVar[list[DeckFile] | None] = ContextVar("aioflyte_deck_files", default=None)


__all__ = [
    "DECK_FILES",
    "DECK_FILE_NAME",
    "DEFAULT_DECK_FIELDS",
    "SHIPPED_DECKS_ATTR",
    "Deck",
    "DeckField",
    "DeckFile",
    "TimeLineDeck",
    "add_field_decks",
    "deck_fields_of",
    "export_decks",
    "generate_time_table",
    "import_decks",
    "process_context",
    "process_context_spec",
    "render_deck",
    "start_timeline",
    "task_deck_page",
    "timeit",
    "value_html",
    "write_deck_file",
]
