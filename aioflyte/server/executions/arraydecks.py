"""What an array node (map task) reports of its items, in the fields Flyte has for them.

Flyte reports an array node's items in its task execution's ``metadata.external_resources`` (one
``ExternalResourceInfo`` per item: index, attempt, phase, logs); there is no per-item deck field there, and a node
execution has one ``deck_uri``. So the items' decks are gathered into one page, the array node's own ``deck.html``
(its ``deck_uri``): a tab per item that wrote a deck, each item's page embedded whole in a sandboxed ``iframe``
(``srcdoc``), so the page is self-contained and any Flyte console that links a node's deck shows it. The first
:data:`MAX_EMBEDDED` item decks are embedded; the others are listed by path (each stays beside its item).
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flyteidl.admin import task_execution_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from aioflyte.core.deck import render_deck

#: how many item decks the array node's page embeds (the rest are listed by path, to keep the page small)
MAX_EMBEDDED = 100
TaskPhase = core_execution_pb2.TaskExecution


@dataclass
class _Tab:
    name: str
    html: str


def external_resources(te: task_execution_pb2.TaskExecution, rec: Any, outcomes: Sequence[Any]) -> None:
    """One ``ExternalResourceInfo`` per item on the array node's task execution: its index, last attempt, phase
    and process log, as Flyte reports an array node's subtasks."""
    resources = te.closure.metadata.external_resources
    for i, o in enumerate(outcomes):
        attempt = max(o.attempts - 1, 0)
        info = resources.add(external_id=f"{rec.unique_id}-{i}", index=i, retry_attempt=attempt)
        info.phase = TaskPhase.FAILED if o.error is not None else TaskPhase.SUCCEEDED
        log = rec.dir / str(i) / "logs" / f"attempt-{attempt}.log"
        info.logs.add(uri=f"file://{log}", name=f"Item {i} log")


def _page(task_name: str, decks: list[tuple[int, str]]) -> str:
    tabs = []
    for i, uri in decks[:MAX_EMBEDDED]:
        try:
            item = Path(uri.removeprefix("file://")).read_text(encoding="utf-8")
        except OSError as e:
            tabs.append(_Tab(f"item {i}", f"<p>the deck of item {i} cannot be read: {html.escape(str(e))}</p>"))
            continue
        frame = (
            f'<iframe class="item-deck" data-item="{i}" title="item {i}" sandbox="allow-scripts" loading="lazy" '
            f'style="width:100%;height:80vh;border:0" srcdoc="{html.escape(item, quote=True)}"></iframe>'
        )
        tabs.append(_Tab(f"item {i}", frame))
    rest = decks[MAX_EMBEDDED:]
    if rest:
        items = "".join(f"<li>item {i}: <code>{html.escape(uri)}</code></li>" for i, uri in rest)
        tabs.append(_Tab("more items", f"<p>{len(rest)} more items wrote a deck:</p><ul>{items}</ul>"))
    return render_deck(tabs, title=f"{task_name}: map task items")


async def write_items_deck(node_dir: Path, task_name: str, item_decks: Sequence[str]) -> str:
    """Write the array node's ``deck.html`` gathering the decks its items wrote; its path, or "" when no item
    wrote one."""
    decks = [(i, uri) for i, uri in enumerate(item_decks) if uri]
    if not decks:
        return ""
    path = node_dir / "deck.html"

    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_page(task_name, decks), encoding="utf-8")

    await asyncio.to_thread(write)
    return str(path)
