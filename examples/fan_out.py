"""A fan-out: a map task over 2,000 items with bounded concurrency, with live progress from a run handle.

python examples/fan_out.py
"""

from __future__ import annotations

import asyncio
import random
import time

from rich.progress import Progress

import aioflyte
import aioflyte.engine.handle
from aioflyte import map_task, task, workflow


@task(retries=2)
async def process(item: int) -> int:
    """Some I/O-bound work per item (10-30 ms); every 97th item fails once, transiently, and is retried."""
    await asyncio.sleep(random.uniform(0.01, 0.03))
    if item % 97 == 0 and aioflyte.current_context().attempt_number == 0:
        raise aioflyte.FlyteRecoverableException(f"transient error on item {item}")
    return item * item


@task
def make_items(n: int) -> list[int]:
    return list(range(n))


@task
def total(values: list[int]) -> int:
    return sum(values)


@workflow
def fan_out(n: int) -> int:
    items = make_items(n=n)
    return total(values=map_task(process, concurrency=200)(item=items))


@aioflyte.eager
async def batches(n: int, parts: int) -> int:
    """The same fan-out from an eager workflow: `parts` map tasks at once."""
    size = n // parts
    results = await asyncio.gather(
        *[map_task(process, concurrency=50)(item=list(range(p * size, (p + 1) * size))) for p in range(parts)]
    )
    return sum(sum(r) for r in results)


async def main() -> None:
    n = 2_000
    start = time.perf_counter()
    done = 0
    with Progress() as progress:
        bar = progress.add_task("items", total=n)
        handle = aioflyte.start(fan_out, n=n)

        def on_change(st: aioflyte.engine.handle.NodeState) -> None:
            nonlocal done
            if st.status == "succeeded" and st.id.startswith("process-"):  # one map item finished
                done += 1
                progress.update(bar, completed=done)

        handle.on_change(on_change)
        result = await handle
    took = time.perf_counter() - start
    print(f"sum of squares below {n}: {result} in {took:.2f} s ({n} items, 200 in flight; serial: ~{n * 0.02:.0f} s)")
    for node_id, st in handle.nodes.items():
        if not node_id.startswith("process-"):  # the workflow's own nodes; map items are tracked too
            print(f"  {node_id:4} {st.name:24} {st.status:10} {st.duration:.2f}s")
    start = time.perf_counter()
    print(f"eager, 4 maps at once: {await batches(n=n, parts=4)} in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
