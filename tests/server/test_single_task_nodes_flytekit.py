"""flytekit 1.16's ``FlyteRemote.sync_execution(sync_nodes=True)`` against the server: of a task launched
directly, the three node executions flyteadmin gives it (start, the task's node, end), the task node's attempt
with its log and outputs, its deck, and a failure's error; of a map task, its items (``external_resources``)
(flytekit driven as a subprocess: ``fk_nodes_driver.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_flytekit_interop import FLYTEKIT_PYTHON, HERE, _flytekit, config, project, server  # noqa: F401

from aioflyte.server.executions.singletask import task_node_id

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.slow,
    pytest.mark.timeout(600),  # a hang guard only: each flytekit task process imports flytekit
    pytest.mark.skipif(not FLYTEKIT_PYTHON, reason="no Python with flytekit 1.16 (see test_flytekit_interop.py)"),
]
NODE_SUCCEEDED, NODE_FAILED = 3, 5
TASK_SUCCEEDED, TASK_FAILED = 3, 5


async def test_flytekit_sees_the_node_of_a_task_launched_directly(config, project):  # noqa: F811
    out = await _flytekit(FLYTEKIT_PYTHON, str(HERE / "fk_nodes_driver.py"), str(config), project, "v1")
    got = json.loads(out.strip().splitlines()[-1])

    greet = got["greet"]
    node_id = task_node_id("fk_node_flows.fk_greet")
    assert set(greet["nodes"]) == {"start-node", node_id, "end-node"}, greet
    node = greet["nodes"][node_id]
    assert node["phase"] == NODE_SUCCEEDED and node["started"]
    assert node["inputs"] == {"name": "flo"} and node["outputs"] == {"o0": "hello flo"}
    assert node["attempts"] == [
        {"phase": TASK_SUCCEEDED, "logs": ["Local process log"], "outputs": {"o0": "hello flo"}, "items": []}
    ]
    assert node["deck_uri"].endswith("/attempt-0/deck.html")
    assert "flytekit greets flo" in Path(node["deck_uri"]).read_text()

    fail = got["fail"]["nodes"][task_node_id("fk_node_flows.fk_fail")]
    assert fail["phase"] == NODE_FAILED and "flytekit task failed on 3" in fail["error"]
    assert [a["phase"] for a in fail["attempts"]] == [TASK_FAILED]

    # a map task: its items on the task execution, as Flyte reports an array node's subtasks
    mapped = got["mapped"]
    assert mapped["phase"] == 4, mapped  # WorkflowExecution.SUCCEEDED
    [array] = [n for n in mapped["nodes"].values() if n["attempts"]]
    [te] = array["attempts"]
    assert [(i["index"], i["phase"]) for i in te["items"]] == [(0, TASK_SUCCEEDED), (1, TASK_SUCCEEDED)]
    assert [i["logs"] for i in te["items"]] == [["Item 0 log"], ["Item 1 log"]]
    # flytekit 1.16's map task says generates_deck=False and its items write no deck (enable_deck of the mapped
    # task is not passed on): no deck to gather (aioflyte's map items write theirs: test_single_task_nodes.py)
    assert array["deck_uri"] == ""
