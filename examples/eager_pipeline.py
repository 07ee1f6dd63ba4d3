"""An eager pipeline: plain Python control flow over awaited tasks, fanned out with asyncio.gather.

python examples/eager_pipeline.py
"""

from __future__ import annotations

import asyncio
import time

import aioflyte
from aioflyte import eager, task, workflow


@task(retries=2)
async def fetch(page: int) -> list[int]:
    """Pretend to call a slow API (0.5 s per page)."""
    await asyncio.sleep(0.5)
    return [page * 10 + i for i in range(5)]


@task
def score(values: list[int]) -> float:
    return sum(values) / len(values)


@task
def label(score: float, threshold: float) -> str:
    return "high" if score >= threshold else "low"


@workflow
def summarize(values: list[int], threshold: float = 50.0) -> str:
    return label(score=score(values=values), threshold=threshold)


@eager
async def pipeline(pages: int) -> dict[str, str]:
    batches = await asyncio.gather(*[fetch(page=p) for p in range(pages)])  # all pages at once
    results = {}
    for p, batch in enumerate(batches):
        if not batch:  # plain Python branching on real values
            continue
        results[f"page-{p}"] = await summarize(values=batch)
    return results


def main() -> None:
    start = time.perf_counter()
    out = aioflyte.run(pipeline, pages=8)
    for k, v in out.items():
        print(f"{k}: {v}")
    print(f"8 pages fetched concurrently in {time.perf_counter() - start:.2f} s (sequential: 4 s)")


if __name__ == "__main__":
    main()
