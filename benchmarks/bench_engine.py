"""Engine overheads against raw asyncio, measured in the same run; prints one JSON line.

(a) eager fan-out: N trivial tasks gathered inside an @eager workflow vs a gather of plain coroutines (a call
    that ends at once starts when made and needs no asyncio Task: docs/eager.md); and the same with each call
    wrapped in an asyncio Task by the caller (``create_task``) on both sides;
(b) a @workflow chain of 1,000 nodes vs a chain of 1,000 asyncio tasks, each awaiting the one before;
(c) a @workflow of 100 independent chains of 10 nodes vs the same graph of 1,000 asyncio tasks;
(d) peak memory (tracemalloc) of N tasks in flight at once, each awaiting ``asyncio.sleep(1)``, per task (each side
    in a fresh interpreter);
(e) map_task over N items with concurrency=1000 vs plain coroutines gated by a semaphore (and its memory);
(f) 1,000 sync tasks sleeping 10 ms, map concurrency 50, vs the ideal 0.2 s and vs plain asyncio.

Timings are CPU time of this process (``time.process_time``: time this shared machine gives to other processes
is not counted), over rounds in which raw asyncio and aioflyte alternate: the times are each one's best, the ratio
is the median over rounds of aioflyte's time over raw's in the same round. Read the ratios.

    python benchmarks/bench_engine.py [--eager-n 10000 100000] [--map-n 100000 1000000] [--rounds 9] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Coroutine
from typing import Any

from aioflyte import eager, map_task, task, workflow

Job = Callable[[], Coroutine[Any, Any, Any]]


@task
async def inc(x: int) -> int:
    return x + 1


async def plain_inc(x: int) -> int:
    return x + 1


@task
async def nap(x: int) -> int:
    await asyncio.sleep(1)
    return x


async def plain_nap(x: int) -> int:
    await asyncio.sleep(1)
    return x


@eager
async def fan_out(n: int) -> int:
    return len(await asyncio.gather(*[inc(x=i) for i in range(n)]))


@eager
async def fan_out_in_tasks(n: int) -> int:
    return len(await asyncio.gather(*[asyncio.create_task(inc(x=i)) for i in range(n)]))


@eager
async def nap_fan_out(n: int) -> int:
    return len(await asyncio.gather(*[nap(x=i) for i in range(n)]))


def _cpu(job: Job) -> float:
    gc.collect()
    start = time.process_time()
    asyncio.run(job())
    return time.process_time() - start


def _race(raw: Job, aio: Job, rounds: int) -> tuple[float, float, float]:
    """(best raw, best aioflyte, median ratio of the pairs) over ``rounds`` rounds of one raw run then one
    aioflyte run, each on a fresh loop: a pair sees the same machine, so its ratio is steadier than either time."""
    raws, aios = [], []
    for _ in range(rounds):
        raws.append(_cpu(raw))
        aios.append(_cpu(aio))
    return min(raws), min(aios), statistics.median(a / r for r, a in zip(raws, aios))


def _per(raw: float, aio: float, ratio: float, n: int, unit: str) -> dict[str, float]:
    return {
        f"raw_us_per_{unit}": round(raw / n * 1e6, 2),
        f"aioflyte_us_per_{unit}": round(aio / n * 1e6, 2),
        "ratio": round(ratio, 2),
    }


# --- (a) eager fan-out ---------------------------------------------------------------------------------------------


def bench_eager(ns: list[int], rounds: int) -> dict[str, Any]:
    out = {}
    for n in ns:

        async def raw(n: int = n) -> None:
            await asyncio.gather(*[plain_inc(i) for i in range(n)])

        async def aio(n: int = n) -> None:
            assert await fan_out(n=n) == n

        async def raw_tasks(n: int = n) -> None:
            await asyncio.gather(*[asyncio.create_task(plain_inc(i)) for i in range(n)])

        async def aio_tasks(n: int = n) -> None:
            assert await fan_out_in_tasks(n=n) == n

        out[str(n)] = {**_per(*_race(raw, aio, rounds), n, "task"), "target_ratio": 1.4}
        # the same calls each wrapped in an asyncio Task by the caller (create_task), on both sides
        out[f"{n}_in_tasks"] = _per(*_race(raw_tasks, aio_tasks, rounds), n, "task")
    return out


# --- (b) chain, (c) fan-out graph ----------------------------------------------------------------------------------


def _chains(width: int, length: int) -> Any:
    @workflow
    def graph(x: int) -> list[int]:
        ends = []
        for _ in range(width):
            v = x
            for _ in range(length):
                v = inc(x=v)
            ends.append(v)
        return ends

    return graph


async def _raw_chains(width: int, length: int) -> list[int]:
    """The same graph with plain asyncio: one task per node, each awaiting the task of the node before it."""
    loop = asyncio.get_running_loop()
    start: asyncio.Future[int] = loop.create_future()
    start.set_result(0)

    async def hop(up: asyncio.Future[int]) -> int:
        return await plain_inc(await up)

    ends = []
    for _ in range(width):
        prev: asyncio.Future[int] = start
        for _ in range(length):
            prev = loop.create_task(hop(prev))
        ends.append(prev)
    return list(await asyncio.gather(*ends))


def bench_graph(width: int, length: int, rounds: int) -> dict[str, Any]:
    wf = _chains(width, length)
    expected = [length] * width

    async def raw() -> None:
        assert await _raw_chains(width, length) == expected

    async def aio() -> None:
        assert await wf(x=0) == expected

    return {"nodes": width * length, **_per(*_race(raw, aio, rounds), width * length, "node"), "target_ratio": 2.5}


# --- (d) memory of tasks in flight ---------------------------------------------------------------------------------


def _peak_bytes(job: Job) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        asyncio.run(job())
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def _memory_jobs(n: int) -> dict[str, Job]:
    async def raw() -> None:
        await asyncio.gather(*[plain_nap(i) for i in range(n)])

    async def aio() -> None:
        assert await nap_fan_out(n=n) == n

    return {"raw": raw, "aioflyte": aio}


def peak_in_this_process(side: str, n: int) -> int:
    """The peak (bytes) of ``side``'s job for ``n`` tasks, after the same job for one task (imports, plans)."""
    asyncio.run(_memory_jobs(1)[side]())
    return _peak_bytes(_memory_jobs(n)[side])


def bench_memory(n: int) -> dict[str, Any]:
    """Each side in a fresh interpreter: asyncio keeps every task in one process-wide weak set whose table keeps
    its size and its deleted entries from earlier runs, so a run measured after the other would find a table
    shaped by it (and, by hash layout, sometimes resize it within the measured peak)."""
    peaks = {}
    for side in ("raw", "aioflyte"):
        out = subprocess.run(
            [sys.executable, __file__, "--peak-of", side, "--memory-n", str(n)],
            check=True,
            capture_output=True,
            text=True,
        )
        peaks[side] = int(out.stdout.strip().splitlines()[-1])
    raw_b, aio_b = peaks["raw"], peaks["aioflyte"]
    return {
        "n": n,
        "raw_bytes_per_task": round(raw_b / n),
        "aioflyte_bytes_per_task": round(aio_b / n),
        "ratio": round(aio_b / raw_b, 2),
        "target_ratio": 1.4,
    }


# --- (e) map ---------------------------------------------------------------------------------------------------------


def _map_peak_mb(n: int, concurrency: int) -> float:
    xs = list(range(n))

    async def job() -> None:
        assert len(await map_task(inc, concurrency=concurrency)(x=xs)) == n

    return round(_peak_bytes(job) / 2**20, 1)


def bench_map(ns: list[int], concurrency: int, rounds: int) -> dict[str, Any]:
    out = {}
    for n in ns:

        async def raw(n: int = n) -> None:
            sem = asyncio.Semaphore(concurrency)

            async def one(i: int) -> int:
                async with sem:
                    return await plain_inc(i)

            await asyncio.gather(*[one(i) for i in range(n)])

        async def aio(n: int = n) -> None:
            assert len(await map_task(inc, concurrency=concurrency)(x=list(range(n)))) == n

        out[str(n)] = {**_per(*_race(raw, aio, rounds), n, "item"), "peak_growth_mb": _map_peak_mb(n, concurrency)}
    return out


# --- (f) sync tasks that sleep ---------------------------------------------------------------------------------------


@task
def sleepy(x: int) -> int:
    time.sleep(0.01)
    return x


def _plain_sleepy(x: int) -> int:
    time.sleep(0.01)
    return x


def bench_sync_map(n: int, concurrency: int, rounds: int) -> dict[str, Any]:
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(concurrency)

    async def aio() -> None:
        assert await map_task(sleepy, concurrency=concurrency)(x=list(range(n))) == list(range(n))

    async def raw() -> None:  # the same work with plain asyncio: a semaphore over run_in_executor
        loop = asyncio.get_running_loop()
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> int:
            async with sem:
                return await loop.run_in_executor(pool, _plain_sleepy, i)

        await asyncio.gather(*[one(i) for i in range(n)])

    def wall(job: Job) -> float:
        start = time.perf_counter()
        asyncio.run(job())
        return time.perf_counter() - start

    wall(aio), wall(raw)  # warm the worker pools
    took = min(wall(aio) for _ in range(rounds))
    raw_took = min(wall(raw) for _ in range(rounds))
    pool.shutdown()
    ideal = n * 0.01 / concurrency
    return {
        "n": n,
        "concurrency": concurrency,
        "seconds": round(took, 3),
        "raw_asyncio_seconds": round(raw_took, 3),
        "ideal_seconds": ideal,
        "ratio_to_ideal": round(took / ideal, 2),
        "ratio_to_raw": round(took / raw_took, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eager-n", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--map-n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--memory-n", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--peak-of", choices=["raw", "aioflyte"], help=argparse.SUPPRESS)  # bench_memory's child
    args = ap.parse_args()
    if args.peak_of:
        print(peak_in_this_process(args.peak_of, args.memory_n))
        return
    if args.quick:
        args.eager_n, args.map_n, args.memory_n, args.rounds = [2_000], [5_000], 2_000, 1
    asyncio.run(fan_out(n=10))  # warm-up: task plans are built once
    result = {
        "benchmark": "bench_engine",
        "eager_fan_out": bench_eager(args.eager_n, args.rounds),
        "chain": {**bench_graph(1, 1000, args.rounds)},
        "fan_out_graph": bench_graph(100, 10, args.rounds),
        "memory_in_flight": bench_memory(args.memory_n),
        "map_task": bench_map(args.map_n, 1000, min(args.rounds, 3)),
        "sync_map": bench_sync_map(1000, 50, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
