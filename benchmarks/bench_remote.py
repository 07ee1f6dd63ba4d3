"""Remote eager against the local server: launch throughput and the watcher's status calls.

Prints one JSON line. The server (``python -m aioflyte.server``, a real process on a free loopback port) runs
at most ``--max-processes`` task processes, so children stay outstanding while we measure:

- raw: N ``CreateExecution`` calls made concurrently with plain asyncio over the same AdminClient (the floor:
  what the server and gRPC allow), then the N executions terminated;
- eager: one ``@eager`` workflow gathering N task calls through a ``RemoteController`` (``qps=None``,
  ``max_in_flight=N``): time until all N are launched, then the watcher's ``ListExecutions`` calls per second
  over a window while the N children are outstanding, for N small and N large (it must not grow with N) —
  "idle" (children sleep, nothing changes) and "busy" (children finish at once, the server completes some
  every second) —, then the cancellation of the run and the time until every child is terminated.

    python benchmarks/bench_remote.py [--n 1000] [--small 100] [--window 10] [--max-processes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from _remote_tasks import nap, naps  # noqa: E402

from aioflyte import RemoteController  # noqa: E402
from aioflyte.configuration.config import Config  # noqa: E402
from aioflyte.remote.remote import FlyteRemote  # noqa: E402
from aioflyte.server.testing import ServerProcess  # noqa: E402

P, D = "flytesnacks", "development"


async def raw_launch(remote: FlyteRemote, n: int) -> float:
    """N concurrent CreateExecution calls with plain asyncio; returns launches per second."""
    from aioflyte.remote.executions import _to_literals

    task = await remote.register_task(nap, version="bench")
    literals = await _to_literals("task nap", nap.python_interface, {"seconds": 600.0}, {})
    started = time.perf_counter()
    ids = await asyncio.gather(
        *(remote.client.create_execution(P, D, task.id, literals, name=f"raw-{i}") for i in range(n))
    )
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(remote.client.terminate_execution(i, "benchmark") for i in ids))
    return n / elapsed


async def eager_run(remote: FlyteRemote, n: int, window: float, tag: str, seconds: float) -> dict[str, float]:
    """Launch N children of nap(seconds); status calls/s over ``window`` while they are outstanding; cancel."""
    controller = RemoteController(remote, version="bench", execution_name=tag, max_in_flight=n, qps=None)
    started = time.perf_counter()
    run = asyncio.create_task(controller.run_eager(naps, {"n": n, "seconds": seconds}))
    while controller.stats["launched"] < n:
        if run.done():
            run.result()
        await asyncio.sleep(0.01)
    launched = time.perf_counter() - started
    before, t0 = controller.stats["status_rpcs"], time.perf_counter()
    await asyncio.sleep(window)
    rpcs = (controller.stats["status_rpcs"] - before) / (time.perf_counter() - t0)
    cancel_started = time.perf_counter()
    run.cancel()
    try:
        await run
    except asyncio.CancelledError:
        pass
    await controller.close()
    cancelled = time.perf_counter() - cancel_started
    return {
        "launch_per_s": n / launched,
        "status_rpcs_per_s": rpcs,
        "terminated": controller.stats["terminated"],
        "cancel_s": cancelled,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--max-processes", type=int, default=2)
    args = parser.parse_args()
    pythonpath = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        server_args = ["--max-processes", str(args.max_processes)]
        async with ServerProcess(Path(tmp) / "state", env={"PYTHONPATH": pythonpath}, args=server_args) as server:
            config = Config.for_endpoint(server.endpoint, insecure=True)
            async with FlyteRemote(config, default_project=P, default_domain=D) as remote:
                raw = await raw_launch(remote, args.n)
                # idle: children sleep 600 s (only --max-processes run; nothing changes during the window)
                small = await eager_run(remote, args.small, args.window, "idle-small", 600.0)
                large = await eager_run(remote, args.n, args.window, "idle-large", 600.0)
                # busy: children finish at once, so the server completes several a second during the window
                busy_small = await eager_run(remote, args.small, args.window, "busy-small", 0.0)
                busy_large = await eager_run(remote, args.n, args.window, "busy-large", 0.0)
    print(
        json.dumps(
            {
                "bench": "remote",
                "n": args.n,
                "small": args.small,
                "raw_launch_per_s": round(raw, 1),
                "eager_launch_per_s": round(large["launch_per_s"], 1),
                "eager_vs_raw_launch": round(large["launch_per_s"] / raw, 2),
                "watcher_rpcs_per_s_idle_small": round(small["status_rpcs_per_s"], 2),
                "watcher_rpcs_per_s_idle_large": round(large["status_rpcs_per_s"], 2),
                "watcher_rpcs_per_s_busy_small": round(busy_small["status_rpcs_per_s"], 2),
                "watcher_rpcs_per_s_busy_large": round(busy_large["status_rpcs_per_s"], 2),
                "terminated_on_cancel": large["terminated"],
                "cancel_terminate_s": round(large["cancel_s"], 2),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
