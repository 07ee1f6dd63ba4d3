"""aioflyte quickstart: sync and async tasks, run concurrently, with retries, a timeout and a cache.

python examples/quickstart.py
"""

from __future__ import annotations

import asyncio
import time
import typing

import aioflyte
from aioflyte import Cache, current_context, task
from aioflyte.engine.cache import clear_cache_sync
from aioflyte.exceptions import FlyteRecoverableException


@task(cache=Cache(version="1"))
def square(x: int) -> int:
    """A sync task: runs on the shared worker-thread pool, never on the event loop."""
    time.sleep(0.2)
    return x * x


@task(retries=3, timeout=5)
async def fetch(item: int) -> str:
    """An async task whose first attempt fails transiently for every third item; aioflyte retries it
    (flytekit ignores retries locally)."""
    await asyncio.sleep(0.2)
    if item % 3 == 0 and current_context().attempt_number == 0:
        raise FlyteRecoverableException(f"flaky service for item {item}")
    return f"page-{item}"


class Summary(typing.NamedTuple):
    total: int
    pages: list[str]


@task
async def pipeline(n: int) -> Summary:
    """Fans out n sync and n async tasks at once."""
    squares, pages = await asyncio.gather(
        asyncio.gather(*[square(x=i) for i in range(n)]),
        asyncio.gather(*[fetch(item=i) for i in range(n)]),
    )
    return Summary(total=sum(squares), pages=list(pages))


def main() -> None:
    n = 10
    clear_cache_sync(square.name)  # start cold, so the timing below is the uncached one
    start = time.perf_counter()
    out = aioflyte.run(pipeline, n=n)
    first = time.perf_counter() - start
    print(f"sum of squares 0..{n - 1} = {out.total}")
    print(f"pages: {', '.join(out.pages)}")
    print(f"{2 * n} tasks of 0.2 s each took {first:.2f} s (sequential would be {0.4 * n:.1f} s)")
    start = time.perf_counter()
    aioflyte.run(pipeline, n=n)
    print(f"second run, squares served from the local cache: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
