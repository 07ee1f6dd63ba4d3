"""The console's routes: pages, the live fragments they poll, log files, and the actions (terminate, relaunch,
signals, launch plan state). Every action is a plain HTML form POST answered by a redirect (303) back to the page,
so the console works without its script; the script only refreshes live parts (``static/console.js``)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from flyteidl.admin import execution_pb2, launch_plan_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2

from aioflyte.server import validation
from aioflyte.server.auth import ServerSecurity
from aioflyte.server.console import data, entities
from aioflyte.server.console import render as rd
from aioflyte.server.console import signals as signal_forms
from aioflyte.server.console.auth import ConsoleAuth, form_value, same_origin
from aioflyte.server.console.graph import GraphNode, svg
from aioflyte.server.console.nodes import NodePage, node_href
from aioflyte.server.console.render import ROOT
from aioflyte.server.console.values import esc, render_error, render_map
from aioflyte.server.errors import AdminError

WF_PHASE = core_execution_pb2.WorkflowExecution.Phase
NODE_PHASE = core_execution_pb2.NodeExecution.Phase
TASK_PHASE = core_execution_pb2.TaskExecution.Phase
UNFINISHED = {WF_PHASE.UNDEFINED, WF_PHASE.QUEUED, WF_PHASE.RUNNING, WF_PHASE.SUCCEEDING, WF_PHASE.FAILING,
              WF_PHASE.ABORTING}  # fmt: skip
PAGE_SIZE = 25
_STATIC = {"console.css": "text/css", "console.js": "application/javascript"}
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: an AdminError's gRPC code as an HTTP status
_HTTP_STATUS = {"NOT_FOUND": 404, "INVALID_ARGUMENT": 400, "ALREADY_EXISTS": 409, "FAILED_PRECONDITION": 409}


class Console:
    """The console of one server; its routes are added to the HTTP endpoint's app at construction."""

    def __init__(
        self, app: web.Application, *, store: Any, executions: Any, signals: Any, locations: Any,
        security: ServerSecurity,
    ) -> None:  # fmt: skip
        self.store = store
        self.executions = executions
        self.signals = signals
        self.locations = locations
        self.auth = ConsoleAuth(security)
        #: the Admin service (set when the server starts): relaunch and launch plan updates go through its calls
        self.admin: Any = None
        r = app.router
        p = ROOT + "/projects/{project}/domains/{domain}"
        r.add_get(ROOT, self._guard(self.home))
        r.add_get(ROOT + "/", self._guard(self.home))
        r.add_get(ROOT + "/select", self._guard(self.select))
        r.add_get(ROOT + "/login", self.login_page)
        r.add_post(ROOT + "/login", self.login)
        r.add_post(ROOT + "/logout", self.logout)
        r.add_get(ROOT + "/static/{file}", self.static)
        r.add_get(p, self._guard(self.project_home))
        r.add_get(p + "/executions", self._guard(self.executions_page))
        r.add_get(p + "/executions/{name}", self._guard(self.execution_page))
        r.add_get(p + "/executions/{name}/log", self._guard(self.log))
        r.add_get(p + "/executions/{name}/nodes/{node}", self._guard(NodePage(self).page))
        r.add_post(p + "/executions/{name}/terminate", self._guard(self.terminate))
        r.add_post(p + "/executions/{name}/relaunch", self._guard(self.relaunch))
        r.add_post(
            p + "/executions/{name}/signals/{signal}", self._guard(functools.partial(signal_forms.set_signal, self))
        )
        for kind in ("task", "workflow", "launch_plan"):
            r.add_get(p + f"/{kind}s", self._guard(functools.partial(entities.entities_page, self), kind))
            r.add_get(p + f"/{kind}/{{name}}", self._guard(functools.partial(entities.versions_page, self), kind))
            r.add_get(
                p + f"/{kind}/{{name}}/version/{{version}}",
                self._guard(functools.partial(entities.entity_page, self), kind),
            )
        r.add_post(p + "/launch_plan/{name}/version/{version}/{state:activate|deactivate}", self._guard(self.lp_state))

    # --- plumbing ------------------------------------------------------------------------------------------------

    def _guard(self, fn: Callable[..., Awaitable[web.StreamResponse]], *args: Any) -> Handler:
        """Authentication (when on), same-origin POSTs, security headers, and errors as pages."""

        async def handle(request: web.Request) -> web.StreamResponse:
            problem = self.auth.problem(request)
            if problem is not None:
                if request.method == "GET" and "X-Console-Partial" not in request.headers:
                    raise web.HTTPSeeOther(f"{ROOT}/login?{urlencode({'next': request.path_qs})}")
                return web.Response(status=401, text=f"authentication required: {problem}")
            if request.method == "POST" and not same_origin(request):
                return web.Response(status=403, text="refused: the request does not come from this console")
            try:
                response = await fn(request, *args)
            except AdminError as e:
                status = _HTTP_STATUS.get(e.code.name, 500)
                response = await self._page(
                    request, "Error", f'<div class="flash bad" role="alert">{esc(e.message)}</div>', status=status
                )
            response.headers.setdefault("Content-Security-Policy", _CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            return response

        return handle

    async def _page(self, request: web.Request, title: str, body: str, *, status: int = 200) -> web.Response:
        project = request.match_info.get("project", "")
        domain = request.match_info.get("domain", "")
        nav = ""
        if project and domain:
            base = f"{ROOT}/projects/{quote(project)}/domains/{quote(domain)}"
            nav = "".join(
                f'<a href="{base}/{path}">{label}</a>'
                for path, label in (
                    ("executions", "Executions"), ("tasks", "Tasks"), ("workflows", "Workflows"),
                    ("launch_plans", "Launch plans"),
                )
            )  # fmt: skip
        projects = await self._projects() if self.auth.problem(request) is None else []
        if project and project not in projects:
            projects.append(project)
        picker = (
            f'<form method="get" action="{ROOT}/select" id="picker"><select name="project" aria-label="project">'
            + "".join(
                f'<option value="{esc(p)}"{" selected" if p == project else ""}>{esc(p)}</option>' for p in projects
            )
            + '</select><select name="domain" aria-label="domain">'
            + "".join(
                f'<option value="{esc(d)}"{" selected" if d == domain else ""}>{esc(d)}</option>'
                for d, _ in validation.DOMAINS
            )
            + '</select><button type="submit">Go</button></form>'
        )
        logout = (
            f'<form method="post" action="{ROOT}/logout"><button type="submit">Sign out</button></form>'
            if self.auth.enabled
            else ""
        )
        html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)} · aioflyte console</title>"
            f'<link rel="stylesheet" href="{ROOT}/static/console.css">'
            f'<script src="{ROOT}/static/console.js" defer></script></head><body>'
            f'<header class="top"><a class="brand" href="{ROOT}">aioflyte console</a>'
            f"{(' <span class=muted>' + esc(project) + ' / ' + esc(domain) + '</span>') if project else ''}"
            f"{nav}{picker}{logout}</header><main>{self._flash(request)}{body}</main></body></html>"
        )
        return web.Response(text=html, content_type="text/html", status=status)

    @staticmethod
    def _flash(request: web.Request) -> str:
        msg, bad = request.query.get("msg"), request.query.get("error")
        out = ""
        if msg:
            out += f'<div class="flash" role="status">{esc(msg)}</div>'
        if bad:
            out += f'<div class="flash bad" role="alert">{esc(bad)}</div>'
        return out

    @staticmethod
    def _partial(request: web.Request) -> bool:
        return "X-Console-Partial" in request.headers or request.query.get("partial") == "1"

    @staticmethod
    def _back(path: str, **query: str) -> web.HTTPSeeOther:
        q = {k: v for k, v in query.items() if v}
        return web.HTTPSeeOther(path + (f"?{urlencode(q)}" if q else ""))

    async def _link(self, uri: str) -> str | None:
        """A signed download URL for data under the server's raw prefix (None for anything else, or a directory)."""
        try:
            rel = self.locations.relative_of(uri)
            return str(await self.locations.download_url(rel, 3600))
        except Exception:
            return None

    async def _projects(self) -> list[str]:
        from flyteidl.admin import project_pb2

        payloads = await self.store.list_projects(limit=None, offset=0, sort_key="id", ascending=True)
        return [project_pb2.Project.FromString(p).id for p in payloads]

    # --- sign-in, static files, navigation -------------------------------------------------------------------

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        nxt = request.query.get("next", ROOT)
        body = (
            '<section class="card login"><h1>Sign in</h1><p class="muted">This server requires authentication: '
            "use the client id and secret its token endpoint accepts.</p>"
            f'<form method="post" action="{ROOT}/login"><input type="hidden" name="next" value="{esc(nxt)}">'
            '<label for="client_id">Client id</label><input id="client_id" name="client_id" autocomplete="username">'
            '<label for="client_secret">Client secret</label><input id="client_secret" name="client_secret" '
            'type="password" autocomplete="current-password"><p><button class="primary" type="submit">Sign in'
            "</button></p></form></section>"
        )
        response = await self._page(request, "Sign in", body, status=200)
        response.headers["Content-Security-Policy"] = _CSP
        return response

    async def login(self, request: web.Request) -> web.StreamResponse:
        if not same_origin(request):
            return web.Response(status=403, text="refused: the request does not come from this console")
        form = await request.post()
        nxt = form_value(form, "next") or ROOT
        if not nxt.startswith(ROOT) or nxt.startswith("//"):
            nxt = ROOT
        if not self.auth.enabled:
            raise web.HTTPSeeOther(nxt)
        if not self.auth.check_credentials(form_value(form, "client_id"), form_value(form, "client_secret")):
            raise self._back(f"{ROOT}/login", next=nxt, error="wrong client id or secret")
        response = web.HTTPSeeOther(nxt)
        self.auth.login(response, form_value(form, "client_id"))
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        response = web.HTTPSeeOther(f"{ROOT}/login")
        self.auth.logout(response)
        raise response

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["file"]
        if name not in _STATIC:
            raise web.HTTPNotFound()
        text = resources.files("aioflyte.server.console").joinpath("static", name).read_text(encoding="utf-8")
        return web.Response(text=text, content_type=_STATIC[name], headers={"Cache-Control": "max-age=300"})

    async def home(self, request: web.Request) -> web.StreamResponse:
        projects = await self._projects()
        if not projects:
            return await self._page(request, "No projects", '<p class="muted">This server has no projects yet.</p>')
        raise web.HTTPSeeOther(f"{ROOT}/projects/{quote(projects[0])}/domains/development/executions")

    async def select(self, request: web.Request) -> web.StreamResponse:
        project, domain = request.query.get("project", "").strip(), request.query.get("domain", "development")
        if project not in await self._projects():
            body = (
                f'<div class="flash bad" role="alert">project {esc(repr(project))} does not exist on this server</div>'
            )
            return await self._page(request, "No such project", body, status=404)
        raise web.HTTPSeeOther(f"{ROOT}/projects/{quote(project)}/domains/{quote(domain)}/executions")

    async def project_home(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther(request.path.rstrip("/") + "/executions")

    # --- executions list -----------------------------------------------------------------------------------------

    async def executions_page(self, request: web.Request) -> web.StreamResponse:
        project, domain = request.match_info["project"], request.match_info["domain"]
        phase = request.query.get("phase", "")
        name = request.query.get("name", "").strip()
        try:
            page = max(1, int(request.query.get("page", "1")))
            size = min(200, max(1, int(request.query.get("limit", str(PAGE_SIZE)))))
        except ValueError:
            page, size = 1, PAGE_SIZE
        filters = []
        if phase:
            filters.append(f"eq(phase,{phase})")
        if name:
            filters.append(f"contains(name,{name})")
        items = await self.executions.store.list(
            project, domain, limit=size + 1, offset=(page - 1) * size, sort_key="created_at",
            ascending=False, filters="+".join(filters),
        )  # fmt: skip
        more = len(items) > size
        rows = []
        base = f"{ROOT}/projects/{quote(project)}/domains/{quote(domain)}"
        for ex in items[:size]:
            running = ex.closure.phase in UNFINISHED
            start, end = rd.span(ex.closure, running)
            lp = ex.spec.launch_plan
            kind_path = rd.KIND_PATH.get(lp.resource_type, "launch_plan")
            href = f"{base}/{kind_path}/{quote(lp.name)}/version/{quote(lp.version)}"
            target = f'<a href="{href}">{esc(rd.id_text(lp))}</a>'
            rows.append(
                f'<tr data-execution="{esc(ex.id.name)}"><td><a href="{base}/executions/{quote(ex.id.name)}">'
                f"{esc(ex.id.name)}</a></td><td>{rd.badge(WF_PHASE.Name(ex.closure.phase))}</td><td>{target}</td>"
                f"<td>{rd.ts(ex.closure.started_at) or rd.ts(ex.closure.created_at)}</td>"
                f"<td>{rd.secs((end - start) / 1e9)}{' …' if running else ''}</td></tr>"
            )
        query = {"phase": phase, "name": name, **({"limit": str(size)} if size != PAGE_SIZE else {})}
        pager = '<div class="pager">'
        if page > 1:
            pager += f'<a href="?{urlencode({**query, "page": page - 1})}" rel="prev">← Newer</a>'
        pager += f'<span class="muted">page {page}</span>'
        if more:
            pager += f'<a href="?{urlencode({**query, "page": page + 1})}" rel="next">Older →</a>'
        pager += "</div>"
        table = (
            '<table id="executions"><thead><tr><th>Execution</th><th>Phase</th><th>Launch plan / task</th>'
            "<th>Started</th><th>Duration</th></tr></thead><tbody>"
            + ("".join(rows) or '<tr><td colspan="5" class="muted">no executions</td></tr>')
            + "</tbody></table>"
            + pager
        )
        poll = f"{request.path}?{urlencode({**query, 'page': page, 'partial': '1'})}"
        live = f'<div id="live-executions" data-poll="{esc(poll)}" data-every="2000" data-live="true">{table}</div>'
        if self._partial(request):
            return web.Response(text=live, content_type="text/html")
        phases = ["", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"]
        options = "".join(
            f'<option value="{p}"{" selected" if p == phase else ""}>{p or "any phase"}</option>' for p in phases
        )
        form = (
            '<form class="toolbar" method="get" id="filters">'
            f'<select name="phase" aria-label="phase">{options}</select>'
            f'<input name="name" placeholder="execution name contains" value="{esc(name)}" aria-label="name">'
            '<button type="submit">Filter</button></form>'
        )
        body = f'<h1>Executions</h1><section class="card">{form}{live}</section>'
        return await self._page(request, "Executions", body)

    # --- one execution -------------------------------------------------------------------------------------------

    async def _execution(self, request: web.Request) -> tuple[tuple[str, str, str], execution_pb2.Execution]:
        key = (request.match_info["project"], request.match_info["domain"], request.match_info["name"])
        execution = await self.executions.store.get(*key)
        if execution is None:
            from aioflyte.server.errors import NotFound

            raise NotFound(f"execution {'/'.join(key)} does not exist")
        return key, execution

    async def execution_page(self, request: web.Request) -> web.StreamResponse:
        key, ex = await self._execution(request)
        live = await self._execution_body(request, key, ex)
        if self._partial(request):
            return web.Response(text=live, content_type="text/html")
        return await self._page(request, f"Execution {key[2]}", live)

    async def _execution_body(self, request: web.Request, key: tuple[str, str, str], ex: Any) -> str:
        project, domain, name = key
        base = f"{ROOT}/projects/{quote(project)}/domains/{quote(domain)}"
        here = f"{base}/executions/{quote(name)}"
        running = ex.closure.phase in UNFINISHED
        phase = WF_PHASE.Name(ex.closure.phase)
        start, end = rd.span(ex.closure, running)
        lp = ex.spec.launch_plan
        kind_path = rd.KIND_PATH.get(lp.resource_type, "launch_plan")
        facts = [
            ("Launched", f'<a href="{base}/{kind_path}/{quote(lp.name)}/version/{quote(lp.version)}">'
                         f"{esc(rd.id_text(lp))}</a> <span class=muted>({esc(kind_path.replace('_', ' '))})</span>"),
            ("Created", rd.ts(ex.closure.created_at)),
            ("Started", rd.ts(ex.closure.started_at) or '<span class="muted">not yet</span>'),
            ("Duration", rd.secs((end - start) / 1e9) + (" (running)" if running else "")),
            ("Mode", esc(execution_pb2.ExecutionMetadata.ExecutionMode.Name(ex.spec.metadata.mode))),
        ]  # fmt: skip
        parent = ex.spec.metadata.parent_node_execution
        if parent.execution_id.name:
            facts.append(("Parent", f'<a href="{base}/executions/{quote(parent.execution_id.name)}">'
                                    f"{esc(parent.execution_id.name)}</a> node {esc(parent.node_id)}"))  # fmt: skip
        ref = ex.spec.metadata.reference_execution
        if ref.name:
            facts.append(("Relaunch of", f'<a href="{base}/executions/{quote(ref.name)}">{esc(ref.name)}</a>'))
        if ex.closure.HasField("abort_metadata"):
            facts.append(("Aborted", esc(ex.closure.abort_metadata.cause)))
        fact_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
        buttons = (
            f'<form method="post" action="{here}/relaunch"><button type="submit" id="relaunch">Relaunch</button></form>'
        )
        if running:
            buttons = (
                f'<form method="post" action="{here}/terminate"><button class="danger" type="submit" id="terminate">'
                f"Terminate</button></form>" + buttons
            )
        parts = [
            f'<h1>{esc(name)} {rd.badge(phase)}</h1><div class="toolbar">{buttons}</div>',
            f'<section class="card"><dl class="facts">{fact_html}</dl></section>',
        ]
        tree = await data.node_tree(self.executions, key)
        if ex.closure.HasField("error"):
            parts.append(self._error_section(ex.closure.error, tree))
        parts.append(await signal_forms.signals_section(self, ex, here))
        closure = await data.workflow_closure(self.store, ex)
        parts.append(await self._graph_section(key, ex, closure, tree, phase))
        parts.append(self._timeline_section(ex, tree, running))
        parts.append(await self._nodes_section(key, ex, tree, here))
        parts.append(await self._io_section(key, ex))
        every = "2000" if running else "0"
        return (
            f'<div id="live-execution" data-poll="{esc(here)}?partial=1" data-every="{every}" '
            f'data-live="{"true" if running else "false"}" data-phase="{esc(phase)}">{"".join(parts)}</div>'
        )

    @staticmethod
    def _error_section(error: Any, tree: list[data.NodeView]) -> str:
        kind = core_execution_pb2.ExecutionError.ErrorKind.Name(error.kind)
        failed = next((v.node_id for v in rd.flatten(tree) if v.ne.closure.phase == NODE_PHASE.FAILED), "")
        where = f" in node <code>{esc(failed)}</code>" if failed else ""
        return (
            f'<section class="card" id="error"><h2>Error{where}</h2><p><span class="badge phase-FAILED">{esc(kind)}'
            f"</span> <code>{esc(error.code)}</code></p>{render_error(error.message)}</section>"
        )

    async def _graph_section(
        self, key: tuple[str, str, str], ex: Any, closure: Any, tree: list[data.NodeView], phase: str
    ) -> str:
        by_id = {v.node_id: v for v in tree}
        if closure is None:  # a task execution: one node (the task's node, as flyteadmin wraps a task)
            name = ex.spec.launch_plan.name
            node = next((v for v in tree if v.node_id not in ("start-node", "end-node")), None)
            href = node_href(key, node.node_id) if node is not None else ""
            nodes = [GraphNode(id=name, label=name.rsplit(".", 1)[-1], phase=phase, kind="task", href=href)]
            return f'<section class="card" id="graph"><h2>Graph</h2>{svg(nodes, title="graph")}</section>'
        template = closure.primary.template
        nodes, specs = self._template_nodes(template, closure.primary.connections, by_id, key=key)
        html = svg(nodes, title="workflow graph")
        for n in template.nodes:
            view = by_id.get(n.id)
            if view is not None:
                html += await self._expand(view, closure, specs.get(n.id))
        return f'<section class="card" id="graph"><h2>Graph</h2>{html}</section>'

    @staticmethod
    def _template_nodes(
        template: Any, connections: Any, views: dict[str, data.NodeView], prefix: str = "",
        key: tuple[str, str, str] | None = None,
    ) -> Any:  # fmt: skip
        nodes, specs = [], {}
        for n in template.nodes:
            if n.id in ("start-node", "end-node"):
                continue
            specs[n.id] = n
            uid = prefix + n.id
            view = views.get(uid)
            ups = (
                list(connections.upstream[n.id].ids)
                if connections is not None and n.id in connections.upstream
                else list(n.upstream_node_ids)
            )
            label = rd.short(n.metadata.name or n.id)
            ph = NODE_PHASE.Name(view.ne.closure.phase) if view is not None else "NOT_STARTED"
            href = node_href(key, uid) if key is not None and view is not None else ""
            nodes.append(GraphNode(id=uid, label=f"{n.id}: {label}", phase=ph,
                                   kind=data.node_kind(n, view.ne if view else None), href=href,
                                   upstream=[prefix + u for u in ups if u != "start-node"]))  # fmt: skip
        return nodes, specs

    async def _expand(self, view: data.NodeView, closure: Any, spec: Any) -> str:
        """A parent node's children (subworkflow, branch, dynamic) as a nested graph, or a map node's items."""
        kind = data.node_kind(spec, view.ne)
        if view.ne.metadata.is_array or kind == "map":
            items = [log for te in view.tasks for log in te.closure.logs if log.name.startswith("Item ")]
            if not items:
                return ""
            lis = "".join(f"<li>{esc(log.name)}</li>" for log in items[:200])
            return (
                f'<details class="sub" id="sub-{esc(view.node_id)}"><summary>{esc(view.node_id)} · map: '
                f"{len(items)} items</summary><ul>{lis}</ul></details>"
            )
        if not view.children:
            return ""
        prefix = view.node_id + "-0-"
        by_id = {c.node_id: c for c in view.children}
        sub = data.sub_template(closure, spec)
        if sub is None and view.ne.closure.dynamic_job_spec_uri:
            sub = await rd.dynamic_template(view.ne.closure.dynamic_job_spec_uri)
        if sub is not None:
            e = view.ne.id.execution_id
            nodes, specs = self._template_nodes(sub, None, by_id, prefix, key=(e.project, e.domain, e.name))
        else:
            nodes, specs = [], {}
            for c in view.children:
                label = c.ne.metadata.spec_node_id or c.node_id.removeprefix(prefix)
                nodes.append(GraphNode(id=c.node_id, label=label, phase=NODE_PHASE.Name(c.ne.closure.phase)))
        inner = svg(nodes, title=f"{view.node_id} graph")
        for c in view.children:
            inner += await self._expand(c, closure, specs.get(c.node_id.removeprefix(prefix)))
        return (
            f'<details class="sub" id="sub-{esc(view.node_id)}" open><summary>{esc(view.node_id)} · {esc(kind)} '
            f"({len(view.children)} nodes)</summary>{inner}</details>"
        )

    def _timeline_section(self, ex: Any, tree: list[data.NodeView], running: bool) -> str:
        rows: list[tuple[str, str, int, int]] = []
        for view, depth in rd.flatten_depth(tree):
            s, e = rd.span(view.ne.closure, view.ne.closure.phase in (NODE_PHASE.RUNNING, NODE_PHASE.QUEUED))
            rows.append(("  " * depth + view.node_id, NODE_PHASE.Name(view.ne.closure.phase), s, e))
            for te in view.tasks:
                ts, tend = rd.span(te.closure, te.closure.phase == TASK_PHASE.RUNNING)
                rows.append(("  " * depth + f"  attempt {te.id.retry_attempt}", TASK_PHASE.Name(te.closure.phase),
                             ts, tend))  # fmt: skip
        if not rows:
            return ""
        t0, t1 = rd.span(ex.closure, running)
        t0 = min([t0, *(r[2] for r in rows)])
        t1 = max([t1, *(r[3] for r in rows)])
        total = max(t1 - t0, 1)
        lines = []
        for label, ph, s, e in rows:
            left = 100 * (s - t0) / total
            width = max(100 * (e - s) / total, 0.3)
            lines.append(
                f'<div class="row"><span class="name" title="{esc(label.strip())}">{esc(label)}</span>'
                f'<div class="track"><div class="bar phase-{esc(ph)}" style="left:{left:.2f}%;width:{width:.2f}%" '
                f'title="{esc(label.strip())}: {esc(ph)}, {rd.secs((e - s) / 1e9)}"></div></div></div>'
            )
        return (
            f'<section class="card" id="timeline"><h2>Timeline <span class="muted">({rd.secs(total / 1e9)})</span>'
            f'</h2><div class="gantt">{"".join(lines)}</div></section>'
        )

    async def _nodes_section(self, key: tuple[str, str, str], ex: Any, tree: list[data.NodeView], here: str) -> str:
        parts = []
        if not tree:  # a task execution: its attempt logs
            for i, path in enumerate(data.task_log_files(self.executions, key)):
                parts.append(await self._log_block(here, f"attempt {i}", path, open_=True, ref={"attempt": str(i)}))
            decks = await self._execution_decks(key)
            body = "".join(parts) or '<p class="muted">no logs yet</p>'
            return f'<section class="card" id="logs"><h2>Logs</h2>{decks}{body}</section>'
        rows = []
        for view in rd.flatten(tree):
            ne = view.ne
            ph = NODE_PHASE.Name(ne.closure.phase)
            s, e = rd.span(ne.closure, ne.closure.phase == NODE_PHASE.RUNNING)
            deck = ""
            deck_uri = ne.closure.deck_uri or rd.node_deck(self.executions.base(key), view.node_id)
            if deck_uri:
                url = await self._link(deck_uri)
                deck = f' <a class="deck" href="{esc(url)}" target="_blank" rel="noopener">Deck</a>' if url else ""
            href = node_href(key, view.node_id)
            rows.append(
                f'<tr data-node="{esc(view.node_id)}"><td><a class="node-link" href="{esc(href)}">'
                f"<code>{esc(view.node_id)}</code></a></td><td>{rd.badge(ph)}</td>"
                f"<td>{rd.ts(ne.closure.started_at)}</td><td>{rd.secs((e - s) / 1e9)}</td><td>{len(view.tasks)}{deck}"
                "</td></tr>"
            )
            logs = []
            if ne.closure.HasField("error") and ne.closure.phase == NODE_PHASE.FAILED and not view.children:
                logs.append(render_error(ne.closure.error.message))
            for te in view.tasks:
                te_running = te.closure.phase in (TASK_PHASE.RUNNING, TASK_PHASE.QUEUED)
                failed = te.closure.phase == TASK_PHASE.FAILED
                entries = list(te.closure.logs)
                for i, entry in enumerate(entries[:20]):
                    paths = data.log_files(self.executions, key, [entry.uri])
                    if not paths:
                        continue
                    ref = {"node": view.node_id, "attempt": str(te.id.retry_attempt), "index": str(i)}
                    label = f"{entry.name} (attempt {te.id.retry_attempt})"
                    logs.append(await self._log_block(here, label, paths[0], open_=failed or te_running, ref=ref))
                if len(entries) > 20:
                    logs.append(f'<p class="muted">{len(entries) - 20} more logs</p>')
            if logs:
                rows.append(f'<tr class="logs"><td colspan="5">{"".join(logs)}</td></tr>')
        return (
            '<section class="card" id="nodes"><h2>Nodes and logs</h2><table><thead><tr><th>Node</th><th>Phase</th>'
            f"<th>Started</th><th>Duration</th><th>Attempts</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "</section>"
        )

    async def _log_block(self, here: str, label: str, path: Any, *, open_: bool, ref: dict[str, str]) -> str:
        text, size = await data.read_tail(path)
        ident = "log-" + "-".join(ref.values()).replace("/", "_")
        return (
            f'<details class="log" id="{esc(ident)}"{" open" if open_ else ""}><summary>{esc(label)} '
            f'<span class="muted">({size} bytes)</span> <a href="{esc(here)}/log?{esc(urlencode(ref))}" '
            f'target="_blank">full log</a></summary><pre class="log" id="pre-{esc(ident)}">{esc(text)}</pre>'
            "</details>"
        )

    async def _execution_decks(self, key: tuple[str, str, str]) -> str:
        base = self.executions.base(key)
        found = sorted(base.glob("attempt-*/deck.html"), key=rd.attempt_no)
        found += [base / "deck.html"] if (base / "deck.html").is_file() else []
        links = []
        for path in found:
            url = await self._link(f"file://{path}")
            if url:
                links.append(f'<a class="deck" href="{esc(url)}" target="_blank" rel="noopener">Deck '
                             f"({esc(path.parent.name)})</a>")  # fmt: skip
        return f"<p>{' '.join(links)}</p>" if links else ""

    async def _io_section(self, key: tuple[str, str, str], ex: Any) -> str:
        _, inputs = await self.executions.read_inputs(key)
        outputs = await self.executions.read_outputs(ex) if ex.closure.outputs.uri else None
        out_html = await render_map(outputs, self._link) if outputs is not None else '<span class="muted">none</span>'
        return (
            '<section class="card" id="io"><h2>Inputs</h2>'
            f'<div id="inputs">{await render_map(inputs, self._link)}</div><h2>Outputs</h2>'
            f'<div id="outputs">{out_html}</div></section>'
        )

    async def log(self, request: web.Request) -> web.StreamResponse:
        key, _ = await self._execution(request)
        node = request.query.get("node")
        try:
            attempt = int(request.query.get("attempt", "0"))
            index = int(request.query.get("index", "0"))
        except ValueError:
            raise web.HTTPBadRequest(text="attempt and index must be integers") from None
        if node:
            te = await self.executions.nodes.get_task(key, node, attempt)
            uris = [te.closure.logs[index].uri] if te is not None and index < len(te.closure.logs) else []
            paths = data.log_files(self.executions, key, uris)
        else:
            paths = [p for p in data.task_log_files(self.executions, key) if p.name == f"attempt-{attempt}.log"]
        if not paths:
            raise web.HTTPNotFound(text=f"execution {'/'.join(key)} has no such log")
        text, _ = await data.read_tail(paths[0], 64 * 1024 * 1024)
        return web.Response(text=text, content_type="text/plain")

    # --- actions -------------------------------------------------------------------------------------------------

    async def terminate(self, request: web.Request) -> web.StreamResponse:
        key, _ = await self._execution(request)
        here = f"{ROOT}/projects/{quote(key[0])}/domains/{quote(key[1])}/executions/{quote(key[2])}"
        if await self.executions.terminate(key, "terminated from the console", "console"):
            raise self._back(here, msg="terminated")
        raise self._back(here, error="the execution had already finished")

    async def relaunch(self, request: web.Request) -> web.StreamResponse:
        key, ex = await self._execution(request)
        base = f"{ROOT}/projects/{quote(key[0])}/domains/{quote(key[1])}/executions"
        _, inputs = await self.executions.read_inputs(key)
        spec = execution_pb2.ExecutionSpec()
        spec.CopyFrom(ex.spec)
        spec.metadata.mode = execution_pb2.ExecutionMetadata.RELAUNCH
        spec.metadata.reference_execution.CopyFrom(ex.id)
        spec.metadata.ClearField("parent_node_execution")
        spec.metadata.nesting = 0
        spec.metadata.principal = "console"
        request_pb = execution_pb2.ExecutionCreateRequest(project=key[0], domain=key[1], spec=spec, inputs=inputs)
        create = getattr(type(self.admin).CreateExecution, "__wrapped__", type(self.admin).CreateExecution)
        try:
            response = await create(self.admin, request_pb, None)
        except AdminError as e:
            raise self._back(f"{base}/{quote(key[2])}", error=f"relaunch failed: {e.message}") from None
        raise self._back(f"{base}/{quote(response.id.name)}", msg=f"relaunched {key[2]}")

    async def lp_state(self, request: web.Request) -> web.StreamResponse:
        m = request.match_info
        ident = identifier_pb2.Identifier(resource_type=identifier_pb2.LAUNCH_PLAN, project=m["project"],
                                          domain=m["domain"], name=m["name"], version=m["version"])  # fmt: skip
        state = launch_plan_pb2.ACTIVE if m["state"] == "activate" else launch_plan_pb2.INACTIVE
        base = f"{ROOT}/projects/{quote(m['project'])}/domains/{quote(m['domain'])}"
        here = f"{base}/launch_plan/{quote(m['name'])}/version/{quote(m['version'])}"
        update = getattr(type(self.admin).UpdateLaunchPlan, "__wrapped__", type(self.admin).UpdateLaunchPlan)
        try:
            await update(self.admin, launch_plan_pb2.LaunchPlanUpdateRequest(id=ident, state=state), None)
        except AdminError as e:
            raise self._back(here, error=e.message) from None
        raise self._back(here, msg=f"{m['state']}d")
