"""Drives flytekit 1.16's ``FlyteRemote`` for ``test_single_task_nodes_flytekit.py``: runs a flytekit task launched
directly and prints (as the last line of stdout, JSON) what ``sync_execution(sync_nodes=True)`` shows of its
nodes: ``python fk_nodes_driver.py CONFIG PROJECT VERSION``."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from flytekit.configuration import Config
from flytekit.remote import FlyteRemote


def _values(execution, which: str) -> dict | None:
    try:
        values = getattr(execution, which)
    except Exception as e:  # flytekit raises for the outputs of a failed execution
        return {"raised": type(e).__name__}
    return dict(values) if values is not None else None


def _items(te) -> list:
    md = te.closure.metadata
    if md is None:
        return []
    return [
        {"index": r.index, "phase": int(r.phase), "logs": [log.name for log in r.logs]} for r in md.external_resources
    ]


def _nodes(remote: FlyteRemote, entity, inputs: dict) -> dict:
    ex = remote.execute(entity, inputs=inputs)
    ex = remote.wait(ex, timeout=timedelta(minutes=5), poll_interval=timedelta(seconds=0.3))
    ex = remote.sync_execution(ex, sync_nodes=True)
    out = {}
    for node_id, ne in ex.node_executions.items():
        out[node_id] = {
            "phase": int(ne.closure.phase),
            "deck_uri": ne.closure.deck_uri,
            "error": ne.closure.error.message if ne.closure.error is not None else None,
            "inputs": _values(ne, "inputs"),
            "outputs": _values(ne, "outputs"),
            "started": ne.closure.started_at is not None and ne.closure.started_at.year > 1970,
            "attempts": [
                {
                    "phase": int(te.closure.phase),
                    "logs": [log.name for log in te.closure.logs],
                    "outputs": _values(te, "outputs"),
                    "items": _items(te),
                }
                for te in ne.task_executions
            ],
        }
    return {"phase": int(ex.closure.phase), "nodes": out}


def main() -> None:
    import fk_node_flows as F

    config, project, version = sys.argv[1:]
    remote = FlyteRemote(Config.auto(config), default_project=project, default_domain="development")
    greet = remote.register_task(F.fk_greet, version=version)
    fail = remote.register_task(F.fk_fail, version=version)
    mapped = remote.register_workflow(F.fk_mapped, version=version)
    result = {
        "greet": _nodes(remote, greet, {"name": "flo"}),
        "fail": _nodes(remote, fail, {"n": 3}),
        "mapped": _nodes(remote, mapped, {"xs": [1, 2]}),
    }
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
