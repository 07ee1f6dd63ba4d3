"""A layered DAG layout drawn as SVG: each node in the column of its longest path from a root, coloured by phase."""

from __future__ import annotations

from dataclasses import dataclass, field

from aioflyte.server.console.values import esc

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 150, 38, 50, 18, 10


@dataclass
class GraphNode:
    id: str
    label: str
    phase: str = "NOT_STARTED"
    kind: str = ""
    upstream: list[str] = field(default_factory=list)
    href: str = ""


def layers(nodes: list[GraphNode]) -> dict[str, int]:
    """Each node's layer: 0 for roots, else one more than its deepest upstream node (cycles cut)."""
    by_id = {n.id: n for n in nodes}
    depth: dict[str, int] = {}

    def visit(node_id: str, seen: frozenset[str]) -> int:
        if node_id in depth:
            return depth[node_id]
        ups = [u for u in by_id[node_id].upstream if u in by_id and u not in seen]
        d = 1 + max((visit(u, seen | {node_id}) for u in ups), default=-1)
        depth[node_id] = d
        return d

    for n in nodes:
        visit(n.id, frozenset())
    return depth


def svg(nodes: list[GraphNode], *, title: str = "graph") -> str:
    """The graph as an inline SVG; every node is a ``<g class="node phase-PHASE" data-node-id=...>``."""
    if not nodes:
        return '<p class="muted">no nodes</p>'
    depth = layers(nodes)
    columns: dict[int, list[GraphNode]] = {}
    for n in nodes:
        columns.setdefault(depth[n.id], []).append(n)
    pos: dict[str, tuple[int, int]] = {}
    for col, members in columns.items():
        for row, n in enumerate(members):
            pos[n.id] = (PAD + col * (NODE_W + GAP_X), PAD + row * (NODE_H + GAP_Y))
    width = PAD * 2 + (max(columns) + 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + max(len(m) for m in columns.values()) * (NODE_H + GAP_Y) - GAP_Y
    parts = [
        f'<svg class="dag" role="img" aria-label="{esc(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrow"/></marker></defs>',
    ]
    for n in nodes:
        x2, y2 = pos[n.id]
        for u in n.upstream:
            if u not in pos:
                continue
            x1, y1 = pos[u]
            parts.append(
                f'<path class="edge" marker-end="url(#arrow)" d="M {x1 + NODE_W} {y1 + NODE_H // 2} C '
                f"{x1 + NODE_W + GAP_X // 2} {y1 + NODE_H // 2}, {x2 - GAP_X // 2} {y2 + NODE_H // 2}, "
                f'{x2} {y2 + NODE_H // 2}"/>'
            )
    for n in nodes:
        x, y = pos[n.id]
        label = n.label if len(n.label) <= 20 else n.label[:19] + "…"
        box = (
            f'<rect x="{x}" y="{y}" rx="6" width="{NODE_W}" height="{NODE_H}"/>'
            f'<text x="{x + 8}" y="{y + 15}" class="label">{esc(label)}</text>'
            f'<text x="{x + 8}" y="{y + 30}" class="sub">{esc(n.phase)}{" · " + esc(n.kind) if n.kind else ""}</text>'
            f"<title>{esc(n.id)}: {esc(n.label)} ({esc(n.phase)})</title>"
        )
        if n.href:
            box = f'<a href="{esc(n.href)}">{box}</a>'
        parts.append(
            f'<g class="node phase-{esc(n.phase)}" data-node-id="{esc(n.id)}" data-phase="{esc(n.phase)}">{box}</g>'
        )
    parts.append("</svg>")
    return "".join(parts)
