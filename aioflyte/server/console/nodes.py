"""The console's node page (``.../executions/NAME/nodes/NODE``), reached from a node of the execution's graph or
its node list: the node's phase, times, cache status, error and deck, its inputs and outputs decoded through the
value renderer (files and dataframes linked through signed URLs), and each task attempt with its log and, where
they differ from the node's, its own inputs and outputs; a map node lists its items (index, phase, log)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from aiohttp import web
from flyteidl.core import catalog_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2

from aioflyte.server.console import render as rd
from aioflyte.server.console.render import ROOT
from aioflyte.server.console.values import esc, render_error, render_map
from aioflyte.server.errors import NotFound
from aioflyte.server.executions.records import read_literals

if TYPE_CHECKING:
    from aioflyte.server.console.app import Console

NODE_PHASE = core_execution_pb2.NodeExecution.Phase
TASK_PHASE = core_execution_pb2.TaskExecution.Phase
_RUNNING = (NODE_PHASE.QUEUED, NODE_PHASE.RUNNING, NODE_PHASE.DYNAMIC_RUNNING)


def node_href(key: tuple[str, str, str], node_id: str) -> str:
    project, domain, name = key
    return (f"{ROOT}/projects/{quote(project)}/domains/{quote(domain)}/executions/{quote(name)}/nodes/"
            f"{quote(node_id, safe='')}")  # fmt: skip


class NodePage:
    """Renders one node execution's page for ``console``."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def page(self, request: web.Request) -> web.StreamResponse:
        key, _ = await self.console._execution(request)
        node_id = request.match_info["node"]
        nodes = self.console.executions.nodes
        ne = await nodes.get_node(key, node_id)
        if ne is None:
            raise NotFound(f"execution {'/'.join(key)} has no node {node_id}")
        tasks = await nodes.list_tasks(key, node_id, limit=100, offset=0)
        body = await self._body(key, ne, tasks)
        running = ne.closure.phase in _RUNNING
        here = node_href(key, node_id)
        live = (
            f'<div id="live-node" data-poll="{esc(here)}?partial=1" data-every="{"2000" if running else "0"}" '
            f'data-live="{"true" if running else "false"}">{body}</div>'
        )
        if self.console._partial(request):
            return web.Response(text=live, content_type="text/html")
        return await self.console._page(request, f"Node {node_id} of {key[2]}", live)

    async def _values(self, uri: str) -> tuple[Any, str]:
        lm = await read_literals(uri)
        if lm is None:
            return None, '<span class="muted">none</span>'
        return lm, await render_map(lm, self.console._link)

    async def _body(self, key: tuple[str, str, str], ne: Any, tasks: list[Any]) -> str:
        project, domain, name = key
        execution = f"{ROOT}/projects/{quote(project)}/domains/{quote(domain)}/executions/{quote(name)}"
        closure = ne.closure
        phase = NODE_PHASE.Name(closure.phase)
        start, end = rd.span(closure, closure.phase in _RUNNING)
        facts = [
            ("Execution", f'<a href="{execution}" id="back">{esc(name)}</a>'),
            ("Node", f"<code>{esc(ne.metadata.spec_node_id or ne.id.node_id)}</code>"),
            ("Started", rd.ts(closure.started_at) or '<span class="muted">not yet</span>'),
            ("Duration", rd.secs((end - start) / 1e9)),
        ]
        if closure.HasField("task_node_metadata"):
            status = catalog_pb2.CatalogCacheStatus.Name(closure.task_node_metadata.cache_status)
            facts.append(("Cache", esc(status)))
        deck = closure.deck_uri or rd.node_deck(self.console.executions.base(key), ne.id.node_id)
        url = await self.console._link(deck) if deck else None
        if url:
            facts.append(("Deck", f'<a class="deck" href="{esc(url)}" target="_blank" rel="noopener">Deck</a>'))
        parts = [
            f"<h1>{esc(ne.id.node_id)} {rd.badge(phase)}</h1>",
            f'<section class="card"><dl class="facts">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}'
            "</dl></section>",
        ]
        if closure.HasField("error"):
            parts.append(f'<section class="card" id="node-error"><h2>Error</h2><p><code>{esc(closure.error.code)}'
                         f"</code></p>{render_error(closure.error.message)}</section>")  # fmt: skip
        inputs, inputs_html = await self._values(ne.input_uri)
        outputs, outputs_html = await self._values(closure.output_uri)
        parts.append(
            '<section class="card" id="node-io"><h2>Inputs</h2>'
            f'<div id="node-inputs">{inputs_html}</div><h2>Outputs</h2><div id="node-outputs">{outputs_html}</div>'
            "</section>"
        )
        if tasks:
            parts.append(await self._attempts(key, ne, tasks, inputs, outputs))
        return "".join(parts)

    async def _attempts(self, key: tuple[str, str, str], ne: Any, tasks: list[Any], inputs: Any, outputs: Any) -> str:
        here = f"{ROOT}/projects/{quote(key[0])}/domains/{quote(key[1])}/executions/{quote(key[2])}/log"
        blocks = []
        for te in tasks:
            attempt = te.id.retry_attempt
            c = te.closure
            s, e = rd.span(c, c.phase == TASK_PHASE.RUNNING)
            head = (
                f"<h3>Attempt {attempt} {rd.badge(TASK_PHASE.Name(c.phase))} <span class=muted>"
                f"{esc(te.id.task_id.name)} · {rd.secs((e - s) / 1e9)}</span></h3>"
            )
            body = []
            if c.HasField("error"):
                body.append(render_error(c.error.message))
            te_inputs = await read_literals(te.input_uri) if te.input_uri != ne.input_uri else inputs
            if te_inputs is not None and te_inputs != inputs:
                body.append(f"<h4>Inputs</h4>{await render_map(te_inputs, self.console._link)}")
            te_outputs = await read_literals(c.output_uri) if c.output_uri else None
            if te_outputs is not None and te_outputs != outputs:
                body.append(f'<h4>Outputs</h4><div class="attempt-outputs">'
                            f"{await render_map(te_outputs, self.console._link)}</div>")  # fmt: skip
            logs = []
            for i, entry in enumerate(list(c.logs)[:50]):
                ref = urlencode({"node": ne.id.node_id, "attempt": str(attempt), "index": str(i)})
                logs.append(f'<li><a href="{here}?{esc(ref)}" target="_blank">{esc(entry.name)}</a></li>')
            if logs:
                body.append(f'<ul class="logs">{"".join(logs)}</ul>')
            items = list(c.metadata.external_resources)
            if items:
                rows = "".join([await self._item_row(key, ne.id.node_id, r) for r in items[:500]])
                body.append(f'<h4>Items ({len(items)})</h4><table class="items"><thead><tr><th>Index</th>'
                            f"<th>Phase</th><th>Attempt</th><th>Deck</th></tr></thead><tbody>{rows}</tbody>"
                            "</table>")  # fmt: skip
            blocks.append(f'<div class="attempt" data-attempt="{attempt}">{head}{"".join(body)}</div>')
        return f'<section class="card" id="attempts"><h2>Task attempts</h2>{"".join(blocks)}</section>'

    async def _item_row(self, key: tuple[str, str, str], node_id: str, r: Any) -> str:
        """A map item: index, phase, attempt, and a link to the deck it wrote (beside it, in its attempt folder)."""
        path = self.console.executions.base(key) / "nodes" / node_id / str(r.index) / f"attempt-{r.retry_attempt}"
        url = await self.console._link(f"file://{path / 'deck.html'}") if (path / "deck.html").is_file() else None
        deck = f'<a class="item-deck" href="{esc(url)}" target="_blank" rel="noopener">Deck</a>' if url else ""
        return (f'<tr data-item="{r.index}"><td>{r.index}</td><td>{rd.badge(TASK_PHASE.Name(r.phase))}</td>'
                f"<td>{r.retry_attempt}</td><td>{deck}</td></tr>")  # fmt: skip
