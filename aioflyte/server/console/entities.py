"""The console's pages of registered entities: tasks, workflows and launch plans by name, their versions, and one
version (its interface; a workflow's graph; a launch plan's workflow, state, schedule and activate/deactivate)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from aiohttp import web
from flyteidl.admin import launch_plan_pb2

from aioflyte.server.console import data
from aioflyte.server.console import render as rd
from aioflyte.server.console.graph import svg
from aioflyte.server.console.render import ROOT
from aioflyte.server.console.values import esc

if TYPE_CHECKING:
    from aioflyte.server.console.app import Console


async def entities_page(console: Console, request: web.Request, kind: str) -> web.StreamResponse:
    project, domain = request.match_info["project"], request.match_info["domain"]
    rk = data.KINDS[kind]
    names = await console.store.list_names(rk, project, domain, limit=500, offset=0, sort_key="name", ascending=True)
    base = f"{ROOT}/projects/{quote(project)}/domains/{quote(domain)}"
    rows = []
    for name in names:
        latest = await console.store.list(rk, project, domain, name, limit=1, offset=0)
        version = latest[0].key.version if latest else ""
        extra = ""
        if kind == "launch_plan":
            active = await console.store.list(rk, project, domain, name, limit=1, offset=0, state=1)
            extra = f"<td>{rd.badge('ACTIVE') if active else ''}</td>"
        rows.append(
            f'<tr><td><a href="{base}/{kind}/{quote(name)}">{esc(name)}</a></td><td><a href="{base}/{kind}/'
            f'{quote(name)}/version/{quote(version)}">{esc(version)}</a></td>{extra}</tr>'
        )
    title = {"task": "Tasks", "workflow": "Workflows", "launch_plan": "Launch plans"}[kind]
    head = "<th>Name</th><th>Latest version</th>" + ("<th>State</th>" if kind == "launch_plan" else "")
    body = (
        f'<h1>{title}</h1><section class="card"><table id="{kind}s"><thead><tr>{head}</tr></thead><tbody>'
        + ("".join(rows) or '<tr><td colspan="3" class="muted">none registered</td></tr>')
        + "</tbody></table></section>"
    )
    return await console._page(request, title, body)


async def versions_page(console: Console, request: web.Request, kind: str) -> web.StreamResponse:
    m = request.match_info
    rows = await console.store.list(data.KINDS[kind], m["project"], m["domain"], m["name"], limit=200, offset=0)
    base = f"{ROOT}/projects/{quote(m['project'])}/domains/{quote(m['domain'])}/{kind}/{quote(m['name'])}"
    items = "".join(
        f'<tr><td><a href="{base}/version/{quote(r.key.version)}">{esc(r.key.version)}</a></td>'
        f"<td>{rd.ns(r.created_at)}</td>"
        f"<td>{rd.badge('ACTIVE') if kind == 'launch_plan' and r.state == 1 else ''}</td></tr>"
        for r in rows
    )
    body = (
        f'<h1>{esc(m["name"])} <span class="muted">{esc(kind.replace("_", " "))}</span></h1><section class="card">'
        f"<table><thead><tr><th>Version</th><th>Registered</th><th></th></tr></thead><tbody>"
        f"{items or '<tr><td colspan=3 class=muted>no versions</td></tr>'}</tbody></table></section>"
    )
    return await console._page(request, m["name"], body)


async def entity_page(console: Console, request: web.Request, kind: str) -> web.StreamResponse:
    m = request.match_info
    found = await data.entity(console.store, data.KINDS[kind], m["project"], m["domain"], m["name"], m["version"])
    if found is None:
        from aioflyte.server.errors import NotFound

        raise NotFound(f"{kind.replace('_', ' ')} {m['name']}@{m['version']} is not registered in "
                       f"{m['project']}/{m['domain']}")  # fmt: skip
    base = f"{ROOT}/projects/{quote(m['project'])}/domains/{quote(m['domain'])}"
    facts: list[tuple[str, str]] = [("Name", esc(m["name"])), ("Version", esc(m["version"]))]
    sections = []
    if kind == "task":
        t = found.closure.compiled_task.template
        facts += [("Type", esc(t.type)), ("Image", esc(t.container.image) or '<span class="muted">-</span>'),
                  ("Retries", str(t.metadata.retries.retries)),
                  ("Cache", esc(t.metadata.discovery_version) if t.metadata.discoverable else "off")]  # fmt: skip
        sections.append(rd.interface(t.interface))
    elif kind == "workflow":
        template = found.closure.compiled_workflow.primary.template
        sections.append(rd.interface(template.interface))
        nodes, _ = console._template_nodes(template, found.closure.compiled_workflow.primary.connections, {})
        sections.append(f'<section class="card" id="graph"><h2>Graph</h2>{svg(nodes, title="graph")}</section>')
    else:
        spec = found.spec
        wid = spec.workflow_id
        state = "ACTIVE" if found.closure.state == launch_plan_pb2.ACTIVE else "INACTIVE"
        wf_link = f'<a href="{base}/workflow/{quote(wid.name)}/version/{quote(wid.version)}">{esc(rd.id_text(wid))}</a>'
        facts += [("Workflow", wf_link), ("State", rd.badge(state)), ("Schedule", esc(rd.schedule(spec)) or "none")]
        action = "deactivate" if state == "ACTIVE" else "activate"
        here = f"{base}/launch_plan/{quote(m['name'])}/version/{quote(m['version'])}"
        sections.append(
            f'<div class="toolbar"><form method="post" action="{here}/{action}"><button type="submit" '
            f'id="{action}">{action.capitalize()}</button></form></div>'
        )
        sections.append(rd.interface(None, lp=found))
    fact_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    body = (
        f'<h1>{esc(m["name"])} <span class="muted">{esc(kind.replace("_", " "))}</span></h1>'
        f'<section class="card"><dl class="facts">{fact_html}</dl></section>{"".join(sections)}'
    )
    return await console._page(request, m["name"], body)


__all__ = ["entities_page", "entity_page", "versions_page"]
