"""Engine overheads against raw asyncio, measured in the same run; prints one JSON line.

(a) eager fan-out: N trivial tasks gathered inside an @eager workflow vs a gather of plain coroutines;
(b) map_task over N items with concurrency=1000 vs plain coroutines gated by a semaphore, plus tracemalloc
    peak growth of the map; (c) a 1,000-node sequential workflow chain vs a chain of 1,000 awaited asyncio
    tasks: latency per hop; (d) 1,000 sync tasks sleeping 10 ms, map concurrency 50, vs the ideal 0.2 s.

    python benchmarks/bench_engine.py [--eager-n 10000 100000] [--map-n 100000 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
import tracemalloc

from aioflyte import eager, map_task, task, workflow


@task
async def inc(x: int) -> int:
    return x + 1


async def plain_inc(x: int) -> int:
    return x + 1


@eager
async def fan_out(n: int) -> int:
    return len(await asyncio.gather(*[inc(x=i) for i in range(n)]))


def _timed(coro_fn, *args) -> float:
    gc.collect()
    start = time.perf_counter()
    asyncio.run(coro_fn(*args))
    return time.perf_counter() - start


def _best(repeat: int, coro_fn, *args) -> float:
    return min(_timed(coro_fn, *args) for _ in range(repeat))


async def _raw_gather(n: int) -> None:
    await asyncio.gather(*[plain_inc(i) for i in range(n)])


async def _eager(n: int) -> None:
    assert await fan_out(n=n) == n


def bench_eager(ns: list[int], repeat: int) -> dict:
    out = {}
    for n in ns:
        raw = _best(repeat, _raw_gather, n)
        aio = _best(repeat, _eager, n)
        out[str(n)] = {
            "raw_us_per_task": round(raw / n * 1e6, 2),
            "aioflyte_us_per_task": round(aio / n * 1e6, 2),
            "ratio": round(aio / raw, 2),
        }
    return out


async def _raw_sem(n: int, concurrency: int) -> None:
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> int:
        async with sem:
            return await plain_inc(i)

    await asyncio.gather(*[one(i) for i in range(n)])


async def _map(n: int, concurrency: int) -> None:
    out = await map_task(inc, concurrency=concurrency)(x=list(range(n)))
    assert len(out) == n


def _map_peak_mb(n: int, concurrency: int) -> float:
    xs = list(range(n))
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]

        async def main() -> None:
            out = await map_task(inc, concurrency=concurrency)(x=xs)
            assert len(out) == n

        asyncio.run(main())
        return round((tracemalloc.get_traced_memory()[1] - base) / 2**20, 1)
    finally:
        tracemalloc.stop()


def bench_map(ns: list[int], concurrency: int, repeat: int) -> dict:
    out = {}
    for n in ns:
        raw = _best(repeat, _raw_sem, n, concurrency)
        aio = _best(repeat, _map, n, concurrency)
        out[str(n)] = {
            "raw_semaphore_us_per_item": round(raw / n * 1e6, 2),
            "aioflyte_us_per_item": round(aio / n * 1e6, 2),
            "ratio": round(aio / raw, 2),
            "peak_growth_mb": _map_peak_mb(n, concurrency),
        }
    return out


def _chain(n: int):
    @workflow
    def chain(x: int) -> int:
        v = x
        for _ in range(n):
            v = inc(x=v)
        return v

    return chain


async def _raw_chain(n: int) -> None:
    loop = asyncio.get_running_loop()
    prev: asyncio.Future[int] = loop.create_future()
    prev.set_result(0)
    tasks = []

    async def hop(up: asyncio.Future[int]) -> int:
        return await plain_inc(await up)

    for _ in range(n):
        t = loop.create_task(hop(prev))
        tasks.append(t)
        prev = t
    assert await prev == n


def bench_chain(n: int, repeat: int) -> dict:
    wf = _chain(n)

    async def run_wf() -> None:
        assert await wf(x=0) == n

    raw = _best(repeat, _raw_chain, n)
    aio = _best(repeat, run_wf)
    return {
        "nodes": n,
        "raw_us_per_hop": round(raw / n * 1e6, 2),
        "aioflyte_us_per_hop": round(aio / n * 1e6, 2),
        "ratio": round(aio / raw, 2),
        "target_us_per_hop": 50,
    }


@task
def nap(x: int) -> int:
    time.sleep(0.01)
    return x


def _plain_nap(x: int) -> int:
    time.sleep(0.01)
    return x


def bench_sync_map(n: int, concurrency: int) -> dict:
    import concurrent.futures

    async def run() -> None:
        out = await map_task(nap, concurrency=concurrency)(x=list(range(n)))
        assert out == list(range(n))

    pool = concurrent.futures.ThreadPoolExecutor(concurrency)

    async def raw() -> None:  # the same work with plain asyncio: a semaphore over run_in_executor
        loop = asyncio.get_running_loop()
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> int:
            async with sem:
                return await loop.run_in_executor(pool, _plain_nap, i)

        await asyncio.gather(*[one(i) for i in range(n)])

    asyncio.run(run())  # warm the worker pools
    asyncio.run(raw())
    took = _best(3, run)
    raw_took = _best(3, raw)
    pool.shutdown()
    ideal = n * 0.01 / concurrency
    return {
        "n": n,
        "concurrency": concurrency,
        "seconds": round(took, 3),
        "raw_asyncio_seconds": round(raw_took, 3),
        "ideal_seconds": ideal,
        "ratio_to_ideal": round(took / ideal, 2),
        "raw_ratio_to_ideal": round(raw_took / ideal, 2),
        "ratio_to_raw": round(took / raw_took, 2),
        "target_ratio": 1.2,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eager-n", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--map-n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = ap.parse_args()
    if args.quick:
        args.eager_n, args.map_n, args.repeat = [2_000], [5_000], 1
    asyncio.run(_eager(10))  # warm-up: task plans are built once
    result = {
        "benchmark": "bench_engine",
        "eager_fan_out": bench_eager(args.eager_n, args.repeat),
        "map_task": bench_map(args.map_n, 1000, min(args.repeat, 2)),
        "chain": bench_chain(1000, args.repeat),
        "sync_map": bench_sync_map(1000, 50),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
