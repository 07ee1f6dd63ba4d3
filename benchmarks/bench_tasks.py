"""Per-task overhead of aioflyte tasks against raw asyncio, measured in the same run.

Prints one JSON line. Async: N trivial ``int -> int`` tasks awaited with asyncio.gather, beside a gather of
the same plain coroutine. Sync: N trivial sync tasks (worker threads) beside ``asyncio.to_thread``.
Memory: tracemalloc peak during a gather of N, per task. Results are ratios: this machine is noisy.

    python benchmarks/bench_tasks.py [--n 10000 100000] [--sync-n 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import time
import tracemalloc

from aioflyte import task


async def plain_inc(x: int) -> int:
    return x + 1


@task
async def inc(x: int) -> int:
    return x + 1


def plain_sync_inc(x: int) -> int:
    return x + 1


@task
def sync_inc(x: int) -> int:
    return x + 1


async def _raw(n: int) -> None:
    await asyncio.gather(*[plain_inc(i) for i in range(n)])


async def _aio(n: int) -> None:
    await asyncio.gather(*[inc(x=i) for i in range(n)])


async def _raw_sync(n: int) -> None:
    await asyncio.gather(*[asyncio.to_thread(plain_sync_inc, i) for i in range(n)])


async def _aio_sync(n: int) -> None:
    await asyncio.gather(*[sync_inc(x=i) for i in range(n)])


def _best(fn, n: int, repeat: int) -> float:
    """Best wall time of ``repeat`` runs, each on a fresh loop."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        asyncio.run(fn(n))
        best = min(best, time.perf_counter() - start)
    return best


def _peak_bytes(fn, n: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        asyncio.run(fn(n))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--sync-n", type=int, default=5_000)
    ap.add_argument("--mem-n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    asyncio.run(_aio(10))  # warm up: plans and converters are computed once per task
    result: dict = {"benchmark": "bench_tasks", "python": platform.python_version(), "async": {}}
    for n in args.n:
        raw = _best(_raw, n, args.repeat)
        aio = _best(_aio, n, args.repeat)
        result["async"][str(n)] = {
            "raw_us_per_task": round(raw / n * 1e6, 2),
            "aioflyte_us_per_task": round(aio / n * 1e6, 2),
            "overhead_us_per_task": round((aio - raw) / n * 1e6, 2),
            "ratio": round(aio / raw, 2),
        }
    raw_mem = _peak_bytes(_raw, args.mem_n)
    aio_mem = _peak_bytes(_aio, args.mem_n)
    result["memory"] = {
        "n": args.mem_n,
        "raw_bytes_per_task": round(raw_mem / args.mem_n),
        "aioflyte_bytes_per_task": round(aio_mem / args.mem_n),
        "extra_bytes_per_task": round((aio_mem - raw_mem) / args.mem_n),
    }
    raw_s = _best(_raw_sync, args.sync_n, args.repeat)
    aio_s = _best(_aio_sync, args.sync_n, args.repeat)
    result["sync"] = {
        "n": args.sync_n,
        "to_thread_us_per_task": round(raw_s / args.sync_n * 1e6, 2),
        "aioflyte_us_per_task": round(aio_s / args.sync_n * 1e6, 2),
        "ratio": round(aio_s / raw_s, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
