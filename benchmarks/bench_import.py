"""Import time of aioflyte's public API, beside ``import asyncio`` alone, measured with ``-X importtime``.

Prints one JSON line: the median (and the best) over alternating runs of the microseconds the statement's imports
took (sum of the top-level cumulative entries ``-X importtime`` reports, interpreter start-up excluded). Target:
< 75 ms. Importing aioflyte loads neither asyncio nor the engine: ``import asyncio`` alone is the baseline beside it.

    python benchmarks/bench_import.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

STATEMENT = "from aioflyte import task, workflow, eager, map_task"
BASELINE = "import asyncio"


def _import_us(statement: str) -> int:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True, check=True
    ).stderr
    total = 0
    before_site = True
    for line in out.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        if name.strip() == "site":  # everything up to and including site is interpreter start-up
            before_site = False
            continue
        if before_site or cumulative.strip() == "cumulative":
            continue
        if not name.startswith("  "):  # top level: imported by the statement itself
            total += int(cumulative)
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    aio_runs, raw_runs = [], []
    for _ in range(args.runs):  # alternating, so that both see the same machine
        aio_runs.append(_import_us(STATEMENT))
        raw_runs.append(_import_us(BASELINE))
    aio, raw = statistics.median(aio_runs), statistics.median(raw_runs)
    print(
        json.dumps(
            {
                "benchmark": "bench_import",
                "statement": STATEMENT,
                "aioflyte_ms": round(aio / 1000, 1),
                "aioflyte_best_ms": round(min(aio_runs) / 1000, 1),
                "asyncio_ms": round(raw / 1000, 1),
                "asyncio_best_ms": round(min(raw_runs) / 1000, 1),
                "ratio": round(aio / raw, 2),
                "target_ms": 75,
            }
        )
    )


if __name__ == "__main__":
    main()
