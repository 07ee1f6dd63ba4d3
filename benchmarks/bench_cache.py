"""The local task cache (issue 11's figures) against raw sqlite3, measured in the same run; prints one JSON line.

(1) hit: µs per call over N sequential hits of one cached ``int -> int`` async task (after its one miss), beside
    the same body as an uncached task and a raw sqlite3 ``SELECT`` of one blob by primary key (one connection
    kept open; also one connection per op) on a table like the store's;
(1b) stored hit: N entries written by one process, then read back by a new process, once each (no in-process
    memory of them): µs per call, beside the uncached task and raw ``SELECT``s there;
(2) miss: µs per call over N sequential calls with distinct inputs (body run, outputs written), beside the
    uncached task and a raw sqlite3 ``INSERT OR REPLACE`` per op (WAL, ``synchronous=NORMAL``, autocommit);
    entries are written behind the calls, so also the same until every entry is written (``us_per_miss_written``);
(3) concurrent hits: ``asyncio.gather`` of N identical calls at once after one warm call, for each N (its own
    process): wall seconds, RSS growth (``/proc/self/statm``; peak from ``VmHWM``, reset before the gather),
    tracemalloc peak growth (a second gather: tracing slows it down), calls that raised, calls the store could not
    serve (the cache never fails a run: such a call runs the body and logs a warning; ``body_runs``), and the time
    ratio of the largest N to the smallest (linear: the ratio of the sizes);
(4) big output: a cached task returning ``list(range(N))`` (``-> list[int]``): miss and hit seconds (best of
    rounds, a fresh key per round), beside the uncached task; tracemalloc peak growth of each;
(5) processes: P processes started together, each gathering C identical calls of a ``serialize=True`` task whose
    body appends a line to a file and sleeps: how many times the body ran (lines) and how many errors or
    warnings (``aioflyte`` loggers, stderr) said "database is locked".

Scenarios use only the public API (``task``, ``Cache``, ``clear_cache``) and the environment: every scenario runs
in a process of its own with a fresh ``$AIOFLYTE_CACHE_DIR`` (and ``$AIOFLYTE_HOME``, ``$TMPDIR``) under one
temporary directory, removed at the end, so nothing leaks between scenarios or runs and RSS starts clean. Per-call
figures are wall time (``time.perf_counter``), each one's best over rounds in which raw sqlite3, the uncached
task and the cached task alternate; a ratio is the median over rounds of the cached time over the other in the
same round. This machine is shared and noisy: read the ratios.

    python benchmarks/bench_cache.py [--hits 10000] [--misses 2000] [--concurrent 1000 10000] [--big 1000000]
        [--procs 4] [--calls 50] [--sleep 0.5] [--rounds 5] [--big-rounds 3] [--trials 3]
        [--only hit stored_hit miss concurrent big serialize] [--quick]

A full run took ~7 minutes before issue 11 (the gather of 10^4 hits alone ~1 minute, twice); now ~1 minute.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import hashlib
import json
import logging
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Coroutine
from typing import Any

from aioflyte import Cache, task
from aioflyte.engine.cache import cache_info, clear_cache

SCENARIOS = ("hit", "stored_hit", "miss", "concurrent", "big", "serialize")
RUNS_FILE_ENV = "BENCH_CACHE_RUNS_FILE"  # where the serialized body appends one line per run
LOCKED = "database is locked"
MB = 2**20

_body_runs: collections.Counter[str] = collections.Counter()  # body runs in this process, per task


# --- the tasks -------------------------------------------------------------------------------------------------------


@task(cache=Cache(version="1"))
async def cached_inc(x: int) -> int:
    _body_runs["inc"] += 1
    return x + 1


@task
async def uncached_inc(x: int) -> int:
    _body_runs["uncached_inc"] += 1
    return x + 1


@task(cache=True, cache_version="1")
async def cached_range(n: int, salt: int) -> list[int]:
    _body_runs["range"] += 1
    return list(range(n))


@task
async def uncached_range(n: int, salt: int) -> list[int]:
    return list(range(n))


def _record_run() -> None:
    """Append one line to the runs file (one O_APPEND write: lines from several processes never mix)."""
    fd = os.open(os.environ[RUNS_FILE_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
    finally:
        os.close(fd)


@task(cache=Cache(version="1", serialize=True))
async def serialized_once(x: int, seconds: float) -> int:
    _record_run()
    await asyncio.sleep(seconds)
    return x + 1


# --- measuring -------------------------------------------------------------------------------------------------------


class _Warnings(logging.Handler):
    """Collects the warnings of aioflyte's loggers (the cache logs there instead of failing a run)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")

    @classmethod
    def install(cls) -> _Warnings:
        handler = cls()
        logging.getLogger("aioflyte").addHandler(handler)  # replaces the last-resort print to stderr
        return handler

    def summary(self) -> dict[str, Any]:
        return {
            "cache_warnings": len(self.messages),
            "first_warning": self.messages[0][:300] if self.messages else None,
            "locked_warnings": sum(LOCKED in m for m in self.messages),
        }


def _errors(results: list[Any]) -> dict[str, Any]:
    errors = [f"{type(r).__name__}: {r}"[:200] for r in results if isinstance(r, BaseException)]
    return {"failed": len(errors), "errors": dict(collections.Counter(errors).most_common(3))}


async def _timed(job: Callable[[], Coroutine[Any, Any, Any]]) -> float:
    gc.collect()
    start = time.perf_counter()
    await job()
    return time.perf_counter() - start


def _run_timed(job: Callable[[], Coroutine[Any, Any, Any]]) -> float:
    """Wall seconds of ``job`` on a fresh loop, not counting the loop's set-up."""
    return asyncio.run(_timed(job))


async def _peak_growth(job: Callable[[], Coroutine[Any, Any, Any]]) -> float:
    """tracemalloc peak above the memory traced when ``job`` starts, in MB (what it returns included)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = await job()
        peak = tracemalloc.get_traced_memory()[1] - base
        del result
        return round(peak / MB, 1)
    finally:
        tracemalloc.stop()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        return True
    except OSError:
        return False


def _peak_rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _us(seconds: float, n: int) -> float:
    return round(seconds / n * 1e6, 2)


# --- raw sqlite3: a table like the store's ---------------------------------------------------------------------------

_RAW_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cache_entries (key TEXT PRIMARY KEY, task_name TEXT NOT NULL, "
    "version TEXT NOT NULL, outputs BLOB NOT NULL, created_at REAL NOT NULL)"
)
_RAW_BLOB = bytes(16)  # about the size of an int output's serialized LiteralMap
_RAW_SELECT = "SELECT outputs FROM cache_entries WHERE key = ?"
_RAW_INSERT = (
    "INSERT OR REPLACE INTO cache_entries (key, task_name, version, outputs, created_at) VALUES (?, ?, ?, ?, ?)"
)


def _raw_key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _raw_connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, isolation_level=None)  # autocommit: one transaction per statement
    db.execute("PRAGMA journal_mode=WAL").fetchall()
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(_RAW_SCHEMA)
    return db


def _raw_selects(db: sqlite3.Connection, key: str, n: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        db.execute(_RAW_SELECT, (key,)).fetchone()
    return time.perf_counter() - start


def _raw_connect_selects(path: str, key: str, n: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(n):
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.execute(_RAW_SELECT, (key,)).fetchone()
        db.close()
    return time.perf_counter() - start


def _raw_inserts(db: sqlite3.Connection, keys: list[str]) -> float:
    gc.collect()
    start = time.perf_counter()
    for key in keys:
        db.execute(_RAW_INSERT, (key, "bench.task", "1", _RAW_BLOB, time.time()))
    return time.perf_counter() - start


# --- scenarios, each run in a process of its own ---------------------------------------------------------------------


def _sequential(t: Any, xs: range | list[int], expect: Callable[[int], int]) -> Callable[[], Coroutine]:
    async def job() -> int:
        wrong = 0
        for x in xs:
            wrong += await t(x=x) != expect(x)
        assert wrong == 0, f"{wrong} calls of {t.name} returned a wrong value"
        return wrong

    return job


def scenario_hit(p: dict[str, Any]) -> dict[str, Any]:
    n, rounds, scratch = p["n"], p["rounds"], p["scratch"]
    warnings = _Warnings.install()
    asyncio.run(clear_cache())
    assert asyncio.run(cached_inc(x=1)) == 2  # the one miss
    assert _body_runs["inc"] == 1, "the first call did not run the body"
    asyncio.run(_sequential(uncached_inc, range(100), lambda x: x + 1)())  # warm the uncached path too
    raw_path = os.path.join(scratch, "raw.db")
    db = _raw_connect(raw_path)
    key = _raw_key("hit", 1)
    db.execute(_RAW_INSERT, (key, "bench.task", "1", _RAW_BLOB, time.time()))
    ones = [1] * n
    raw, raw_conn, plain, hit = [], [], [], []
    for _ in range(rounds):
        raw.append(_raw_selects(db, key, n))
        raw_conn.append(_raw_connect_selects(raw_path, key, n))
        plain.append(_run_timed(_sequential(uncached_inc, ones, lambda x: x + 1)))
        hit.append(_run_timed(_sequential(cached_inc, ones, lambda x: x + 1)))
    db.close()
    return {
        "n": n,
        "rounds": rounds,
        "us_per_hit": _us(min(hit), n),
        "uncached_us_per_call": _us(min(plain), n),
        "raw_sqlite_select_us": _us(min(raw), n),
        "raw_sqlite_connect_select_us": _us(min(raw_conn), n),
        "ratio_to_uncached": round(statistics.median(h / u for h, u in zip(hit, plain)), 2),
        "ratio_to_raw_sqlite": round(statistics.median(h / r for h, r in zip(hit, raw)), 2),
        "body_runs_during_hits": _body_runs["inc"] - 1,
        **warnings.summary(),
        "target_us_per_hit": 25,
    }


def scenario_miss(p: dict[str, Any]) -> dict[str, Any]:
    n, rounds, scratch = p["n"], p["rounds"], p["scratch"]
    warnings = _Warnings.install()
    asyncio.run(clear_cache())
    assert asyncio.run(cached_inc(x=-1)) == 0  # warm: the store's file and schema exist from here
    asyncio.run(_sequential(uncached_inc, range(100), lambda x: x + 1)())
    db = _raw_connect(os.path.join(scratch, "raw.db"))
    raw, plain, miss, written = [], [], [], []
    for r in range(rounds):
        xs = range(r * n, (r + 1) * n)  # inputs never seen before: every call misses
        keys = [_raw_key("miss", x) for x in xs]
        raw.append(_raw_inserts(db, keys))
        plain.append(_run_timed(_sequential(uncached_inc, xs, lambda x: x + 1)))
        before = _body_runs["inc"]
        miss.append(_run_timed(_sequential(cached_inc, xs, lambda x: x + 1)))
        assert _body_runs["inc"] - before == n, "a call with a new input did not run the body"
        # the same, until every entry is written (entries are written behind the calls; cache_info() answers
        # after the writes queued before it)
        xs = range((rounds + r) * n, (rounds + r + 1) * n)
        written.append(_run_timed(_then_written(_sequential(cached_inc, xs, lambda x: x + 1))))
    db.close()
    return {
        "n": n,
        "rounds": rounds,
        "us_per_miss": _us(min(miss), n),
        "us_per_miss_written": _us(min(written), n),
        "uncached_us_per_call": _us(min(plain), n),
        "raw_sqlite_insert_us": _us(min(raw), n),
        "ratio_to_uncached": round(statistics.median(m / u for m, u in zip(miss, plain)), 2),
        "ratio_to_raw_sqlite": round(statistics.median(m / r for m, r in zip(miss, raw)), 2),
        **warnings.summary(),
        "target_us_per_miss": 300,
    }


def _then_written(job: Callable[[], Coroutine[Any, Any, Any]]) -> Callable[[], Coroutine[Any, Any, Any]]:
    async def both() -> Any:
        out = await job()
        await cache_info()
        return out

    return both


def scenario_stored_hit(p: dict[str, Any]) -> dict[str, Any]:
    """Hits that this process has never seen (no in-process memory of them): N entries written by this process,
    then read back by a new process, each once, beside the uncached task and raw SELECTs in that process."""
    n = p["n"]
    warnings = _Warnings.install()
    asyncio.run(_then_written(_sequential(cached_inc, range(n), lambda x: x + 1))())
    assert _body_runs["inc"] == n
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", "stored_hit_read", json.dumps(p)],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-800:])
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), **warnings.summary()}


def scenario_stored_hit_read(p: dict[str, Any]) -> dict[str, Any]:
    n, scratch = p["n"], p["scratch"]
    warnings = _Warnings.install()
    asyncio.run(_sequential(uncached_inc, range(100), lambda x: x + 1)())
    plain = _run_timed(_sequential(uncached_inc, range(n), lambda x: x + 1))
    hit = _run_timed(_sequential(cached_inc, range(n), lambda x: x + 1))
    db = _raw_connect(os.path.join(scratch, "raw-read.db"))
    keys = [_raw_key("stored", x) for x in range(n)]
    _raw_inserts(db, keys)
    start = time.perf_counter()
    for k in keys:
        db.execute(_RAW_SELECT, (k,)).fetchone()
    raw = time.perf_counter() - start
    db.close()
    return {
        "n": n,
        "us_per_hit": _us(hit, n),
        "uncached_us_per_call": _us(plain, n),
        "raw_sqlite_select_us": _us(raw, n),
        "body_runs_during_hits": _body_runs["inc"],
        **warnings.summary(),
        "target_us_per_hit": 25,
    }


def scenario_concurrent(p: dict[str, Any]) -> dict[str, Any]:
    n = p["n"]
    warnings = _Warnings.install()

    async def gather() -> list[Any]:
        return await asyncio.gather(*[cached_inc(x=1) for _ in range(n)], return_exceptions=True)

    async def run() -> dict[str, Any]:
        await clear_cache()
        assert await cached_inc(x=1) == 2  # the one miss
        runs = _body_runs["inc"]
        warnings.messages.clear()
        gc.collect()
        rss0 = _rss_bytes()
        peak_reset = _reset_peak_rss()
        start = time.perf_counter()
        results = await gather()
        took = time.perf_counter() - start
        rss1, peak = _rss_bytes(), _peak_rss_bytes()
        out = {
            "n": n,
            "seconds": round(took, 3),
            "us_per_call": _us(took, n),
            **_errors(results),
            "wrong": sum(1 for r in results if not isinstance(r, BaseException) and r != 2),
            "body_runs": _body_runs["inc"] - runs,
            "rss_growth_mb": round((rss1 - rss0) / MB, 1),
            "rss_peak_growth_mb": round((peak - rss0) / MB, 1) if peak_reset else None,
            **warnings.summary(),  # a call the store could not serve runs uncached and logs a warning
        }
        del results
        runs = _body_runs["inc"]
        out["tracemalloc_peak_growth_mb"] = await _peak_growth(gather)  # (the results are counted in it)
        out["tracemalloc_pass_body_runs"] = _body_runs["inc"] - runs
        return out

    return asyncio.run(run())


def scenario_big(p: dict[str, Any]) -> dict[str, Any]:
    n, rounds = p["n"], p["rounds"]
    warnings = _Warnings.install()
    asyncio.run(clear_cache())
    assert asyncio.run(cached_range(n=3, salt=-1)) == [0, 1, 2]  # warm: the store and the list converter

    def call(t: Any, salt: int) -> Callable[[], Coroutine]:
        async def job() -> list[int]:
            out = await t(n=n, salt=salt)
            assert len(out) == n and out[-1] == n - 1, f"{t.name} returned a wrong list"
            return out

        return job

    plain, miss, hit = [], [], []
    for r in range(rounds):
        plain.append(_run_timed(call(uncached_range, r)))
        runs = _body_runs["range"]
        miss.append(_run_timed(call(cached_range, r)))  # a new salt: a new key
        hit.append(_run_timed(call(cached_range, r)))
        assert _body_runs["range"] - runs == 1, "the second call with the same inputs ran the body"

    async def peaks() -> dict[str, float]:
        salt = rounds  # a key not used above
        return {
            "uncached_peak_growth_mb": await _peak_growth(call(uncached_range, salt)),
            "miss_peak_growth_mb": await _peak_growth(call(cached_range, salt)),
            "hit_peak_growth_mb": await _peak_growth(call(cached_range, salt)),
        }

    return {
        "n": n,
        "rounds": rounds,
        "miss_seconds": round(min(miss), 3),
        "hit_seconds": round(min(hit), 3),
        "uncached_seconds": round(min(plain), 3),
        "miss_ratio_to_uncached": round(statistics.median(m / u for m, u in zip(miss, plain)), 2),
        "hit_ratio_to_uncached": round(statistics.median(h / u for h, u in zip(hit, plain)), 2),
        **asyncio.run(peaks()),
        **warnings.summary(),
        "target_miss_seconds": 1.5,
        "target_hit_seconds": 0.5,
        "target_peak_growth_mb": 300,
    }


def serialize_worker(p: dict[str, Any]) -> dict[str, Any]:
    """One of the processes of (5): says "ready", waits for "go" on stdin, gathers its calls, reports."""
    warnings = _Warnings.install()
    print("ready", flush=True)
    sys.stdin.readline()

    async def run() -> tuple[list[Any], float]:
        start = time.perf_counter()
        calls = [serialized_once(x=1, seconds=p["seconds"]) for _ in range(p["calls"])]
        results = await asyncio.gather(*calls, return_exceptions=True)
        return results, time.perf_counter() - start

    results, took = asyncio.run(run())
    errors = _errors(results)
    return {
        "seconds": round(took, 3),
        **errors,
        "wrong": sum(1 for r in results if not isinstance(r, BaseException) and r != 2),
        "locked_errors": sum(count for e, count in errors["errors"].items() if LOCKED in e),
        **warnings.summary(),
    }


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "hit": scenario_hit,
    "stored_hit": scenario_stored_hit,
    "stored_hit_read": scenario_stored_hit_read,
    "miss": scenario_miss,
    "concurrent": scenario_concurrent,
    "big": scenario_big,
    "serialize-worker": serialize_worker,
}


# --- the parent: one fresh cache directory and process per scenario -------------------------------------------------


def _scenario_env(root: str, name: str) -> tuple[str, dict[str, str]]:
    scratch = tempfile.mkdtemp(prefix=f"{name}-", dir=root)
    env = dict(os.environ)
    env["AIOFLYTE_CACHE_DIR"] = os.path.join(scratch, "cache")
    env["AIOFLYTE_HOME"] = os.path.join(scratch, "home")
    env["TMPDIR"] = os.path.join(scratch, "tmp")
    os.makedirs(env["TMPDIR"])
    return scratch, env


def _child(root: str, name: str, params: dict[str, Any], timeout: float) -> dict[str, Any]:
    scratch, env = _scenario_env(root, name)
    try:
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--child", name, json.dumps({**params, "scratch": scratch})],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {**params, "error": f"timed out after {timeout:.0f} s"}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {**params, "error": f"exit {proc.returncode}: {proc.stderr.strip()[-800:]}"}
    return json.loads(lines[-1])


def bench_concurrent(root: str, ns: list[int], timeout: float) -> dict[str, Any]:
    out: dict[str, Any] = {str(n): _child(root, "concurrent", {"n": n}, timeout) for n in ns}
    small, large = out[str(min(ns))], out[str(max(ns))]
    if len(set(ns)) > 1 and "seconds" in small and "seconds" in large:
        out["time_ratio"] = round(large["seconds"] / small["seconds"], 2)
        out["size_ratio"] = max(ns) / min(ns)  # linear when time_ratio is about this
    out.update(target_seconds_at_10000=2, target_memory_growth_mb=100, target_failed=0, target_time_ratio="linear")
    return out


def _serialize_trial(root: str, procs: int, calls: int, seconds: float, timeout: float) -> dict[str, Any]:
    scratch, env = _scenario_env(root, "serialize")
    runs_file = env[RUNS_FILE_ENV] = os.path.join(scratch, "runs.txt")
    params = json.dumps({"calls": calls, "seconds": seconds})
    workers, stderrs = [], []
    try:
        for i in range(procs):
            stderrs.append(open(os.path.join(scratch, f"worker-{i}.stderr"), "w+"))
            workers.append(
                subprocess.Popen(
                    [sys.executable, os.path.abspath(__file__), "--child", "serialize-worker", params],
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderrs[-1],
                    text=True,
                )
            )
        for w in workers:  # every process has imported aioflyte: start them together
            assert w.stdout is not None and w.stdout.readline().strip() == "ready", "a worker did not start"
        start = time.perf_counter()
        for w in workers:
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        reports = []
        for w in workers:
            stdout, _ = w.communicate(timeout=timeout)
            lines = stdout.strip().splitlines()
            reports.append(json.loads(lines[-1]) if w.returncode == 0 and lines else {"exit": w.returncode})
        took = time.perf_counter() - start
        stderr_text = ""
        for f in stderrs:
            f.seek(0)
            stderr_text += f.read()
        body_runs = 0
        if os.path.exists(runs_file):
            with open(runs_file) as f:
                body_runs = sum(1 for _ in f)
        return {
            "body_runs": body_runs,
            "seconds": round(took, 3),
            "failed": sum(r.get("failed", calls) for r in reports),
            "wrong": sum(r.get("wrong", 0) for r in reports),
            "locked": sum(r.get("locked_errors", 0) + r.get("locked_warnings", 0) for r in reports)
            + stderr_text.count(LOCKED),
            "cache_warnings": sum(r.get("cache_warnings", 0) for r in reports),
            "errors": [e for r in reports for e in r.get("errors", {})][:3],
            "first_warning": next((r["first_warning"] for r in reports if r.get("first_warning")), None),
            "workers_exited_nonzero": sum(1 for w in workers if w.returncode != 0),
            "stderr_tail": stderr_text.strip()[-300:] or None,
        }
    except (subprocess.TimeoutExpired, AssertionError) as e:
        return {"error": f"{type(e).__name__}: {e}"}
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
        for f in stderrs:
            f.close()
        shutil.rmtree(scratch, ignore_errors=True)


def bench_serialize(root: str, procs: int, calls: int, seconds: float, trials: int, timeout: float) -> dict[str, Any]:
    results = [_serialize_trial(root, procs, calls, seconds, timeout) for _ in range(trials)]
    ok = [r for r in results if "error" not in r]
    return {
        "processes": procs,
        "calls_per_process": calls,
        "body_seconds": seconds,
        "trials": trials,
        "body_runs": [r["body_runs"] for r in ok],
        "lock_errors": sum(r["locked"] for r in ok),
        "failed": sum(r["failed"] for r in ok),
        "wrong": sum(r["wrong"] for r in ok),
        "seconds": [r["seconds"] for r in ok],
        "cache_warnings": sum(r["cache_warnings"] for r in ok),
        "errors": [e for r in ok for e in r["errors"]][:3],
        "first_warning": next((r["first_warning"] for r in ok if r["first_warning"]), None),
        "workers_exited_nonzero": sum(r["workers_exited_nonzero"] for r in ok),
        "stderr_tail": next((r["stderr_tail"] for r in ok if r["stderr_tail"]), None),
        "trial_errors": [r["error"] for r in results if "error" in r],
        "target_body_runs": 1,
        "target_lock_errors": 0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hits", type=int, default=10_000, help="sequential hits per round (1)")
    ap.add_argument("--misses", type=int, default=2_000, help="sequential misses per round (2)")
    ap.add_argument("--concurrent", type=int, nargs="+", default=[1_000, 10_000], help="gather sizes (3)")
    ap.add_argument("--big", type=int, default=1_000_000, help="length of the returned list (4)")
    ap.add_argument("--procs", type=int, default=4, help="processes (5)")
    ap.add_argument("--calls", type=int, default=50, help="concurrent calls per process (5)")
    ap.add_argument("--sleep", type=float, default=0.5, help="seconds the serialized body sleeps (5)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of (1) and (2)")
    ap.add_argument("--big-rounds", type=int, default=3, help="rounds of (4)")
    ap.add_argument("--trials", type=int, default=3, help="trials of (5), each on a fresh cache")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds before a scenario process is killed")
    ap.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--child", nargs=2, metavar=("SCENARIO", "PARAMS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](json.loads(args.child[1]))))
        return
    if args.quick:
        args.hits, args.misses, args.concurrent, args.big = 500, 200, [100, 1_000], 100_000
        args.rounds, args.big_rounds, args.trials = 1, 1, 1

    root = tempfile.mkdtemp(prefix="bench_cache_")
    result: dict[str, Any] = {"benchmark": "bench_cache", "python": platform.python_version()}
    try:
        if "hit" in args.only:
            result["hit"] = _child(root, "hit", {"n": args.hits, "rounds": args.rounds}, args.timeout)
        if "stored_hit" in args.only:
            result["stored_hit"] = _child(root, "stored_hit", {"n": args.hits}, args.timeout)
        if "miss" in args.only:
            result["miss"] = _child(root, "miss", {"n": args.misses, "rounds": args.rounds}, args.timeout)
        if "concurrent" in args.only:
            result["concurrent_hits"] = bench_concurrent(root, args.concurrent, args.timeout)
        if "big" in args.only:
            result["big_output"] = _child(root, "big", {"n": args.big, "rounds": args.big_rounds}, args.timeout)
        if "serialize" in args.only:
            result["serialize_processes"] = bench_serialize(
                root, args.procs, args.calls, args.sleep, args.trials, args.timeout
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
