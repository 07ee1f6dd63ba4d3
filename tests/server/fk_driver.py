"""Drives flytekit 1.16's ``FlyteRemote`` against the server; run by the flytekit Python (not aioflyte's) from
``test_flytekit_interop.py``: ``python fk_driver.py CONFIG PROJECT VERSION STEP [ARGS...]``. Prints one JSON line
(the last line of stdout) with what the test asserts on."""

from __future__ import annotations

import json
import pathlib
import sys
import time
from datetime import timedelta

from flytekit.configuration import Config
from flytekit.remote import FlyteRemote


def _result(ex):
    error = ex.closure.error
    return {
        "phase": int(ex.closure.phase),
        "outputs": dict(ex.outputs) if ex.is_successful else None,
        "inputs": dict(ex.inputs),
        "error": error.message if error is not None else None,
    }


#: how often to ask for an execution's state (flytekit's default is 30 s)
POLL = timedelta(seconds=0.3)


def _run(remote: FlyteRemote, entity, inputs: dict) -> dict:
    return _result(remote.wait(remote.execute(entity, inputs=inputs), timeout=timedelta(minutes=5), poll_interval=POLL))


def entities(remote: FlyteRemote, version: str) -> dict:
    import fk_flows

    out = {}
    task = remote.register_task(fk_flows.add, version=version)
    out["task"] = _run(remote, task, {"a": 1, "b": 2})
    wf = remote.register_workflow(fk_flows.add_wf, version=version)
    out["workflow"] = _run(remote, wf, {"a": 1})
    lp = remote.register_launch_plan(fk_flows.add_lp, version=version)
    out["launch_plan"] = _run(remote, lp, {})
    return out


def _until_signal(remote: FlyteRemote, name: str, signal_id: str) -> None:
    for _ in range(600):
        if signal_id in [s.id.signal_id for s in remote.list_signals(name)]:
            return
        time.sleep(0.2)
    raise TimeoutError(f"signal {signal_id} of {name} never appeared")


def signals(remote: FlyteRemote, version: str, upload: str) -> dict:
    import fk_flows

    out = {}
    wf = remote.register_workflow(fk_flows.gated_wf, version=version)
    ex = remote.execute(wf, inputs={"x": 4})
    _until_signal(remote, ex.id.name, "review")
    remote.approve("review", ex.id.name)
    _until_signal(remote, ex.id.name, "extra")
    remote.set_input("extra", ex.id.name, 6)
    out["gated"] = _result(remote.wait(ex, timeout=timedelta(minutes=5), poll_interval=POLL))
    task = remote.register_task(fk_flows.sleeper, version=version)
    ex = remote.execute(task, inputs={"seconds": 600})
    for _ in range(600):  # terminate a running task process
        if int(remote.sync_execution(ex).closure.phase) == 2:  # RUNNING
            break
        time.sleep(0.2)
    remote.terminate(ex, "enough of this")
    ex = remote.wait(ex, timeout=timedelta(minutes=2), poll_interval=POLL)
    out["terminated"] = {"phase": int(ex.closure.phase), "cause": ex.closure.abort_metadata.cause}
    md5, url = remote.upload_file(pathlib.Path(upload))
    out["upload"] = {"md5": md5.hex(), "url": url}
    return out


def launch(remote: FlyteRemote, version: str, name: str, inputs: str) -> dict:
    lp = remote.fetch_launch_plan(name=name, version=version)
    return _run(remote, lp, json.loads(inputs))


def outputs(remote: FlyteRemote, version: str, name: str) -> dict:
    return _result(remote.sync_execution(remote.fetch_execution(name=name)))


def main() -> None:
    config, project, version, step, *args = sys.argv[1:]
    remote = FlyteRemote(Config.auto(config), default_project=project, default_domain="development")
    steps = {"entities": entities, "signals": signals, "launch": launch, "outputs": outputs}
    print(json.dumps(steps[step](remote, version, *args), default=str))


if __name__ == "__main__":
    main()
