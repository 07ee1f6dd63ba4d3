"""The local cache never fails a run and never trusts what it did not write: serialized calls and cancellation,
entries whose data is gone, corrupt or tampered entries, planted pickles, flytekit's switches, HashMethod on
upstream outputs, store errors, and large outputs."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import shutil
import sqlite3
import typing
from pathlib import Path

import pytest

from aioflyte import Cache, FlyteFile, HashMethod, eager, task, workflow
from aioflyte.engine import _cache_store
from aioflyte.engine.cache import cache_info, clear_cache, get_store

pytestmark = pytest.mark.filterwarnings("ignore:aioflyte. no transformer for")


async def _written() -> None:
    """Wait for the cache's writes so far (they go on behind the calls; the store's operations run in order)."""
    await get_store().count()


def _entries(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path / "cache.db")
    try:
        return conn.execute("SELECT task_name, format FROM entries").fetchall()
    finally:
        conn.close()


@pytest.fixture
def cache_path(_aioflyte_home: Path) -> Path:
    return Path(os.environ["AIOFLYTE_CACHE_DIR"])


# --- cache_serialize and cancellation ---------------------------------------------------------------------------


async def test_cancelling_the_runner_of_a_serialized_call_lets_a_waiter_take_over() -> None:
    started: list[int] = []
    first_started = asyncio.Event()
    release = asyncio.Event()

    @task(cache=Cache(version="1", serialize=True))
    async def slow(x: int) -> int:
        started.append(x)
        first_started.set()
        await release.wait()
        return x * 10

    runner = asyncio.ensure_future(slow(x=1))
    await first_started.wait()
    waiters = [asyncio.ensure_future(slow(x=1)) for _ in range(5)]
    await asyncio.sleep(0)  # the waiters are waiting on the runner
    runner.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert await asyncio.gather(*waiters) == [10] * 5  # none of them saw the runner's cancellation
    assert len(started) == 2  # one waiter took over and ran the body again; the others got its result


async def test_a_cancelled_waiter_does_not_disturb_the_runner_or_other_waiters() -> None:
    release = asyncio.Event()
    runs = 0

    @task(cache=Cache(version="1", serialize=True))
    async def slow(x: int) -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return x

    calls = [asyncio.ensure_future(slow(x=3)) for _ in range(4)]
    await asyncio.sleep(0.01)
    calls[2].cancel()
    release.set()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[2], asyncio.CancelledError)
    assert [r for i, r in enumerate(results) if i != 2] == [3, 3, 3]
    assert runs == 1


# --- entries whose data is gone, corrupt entries, planted pickles --------------------------------------------------


async def test_an_entry_whose_file_was_deleted_is_a_miss_and_is_replaced(tmp_path: Path, cache_path: Path) -> None:
    runs = 0

    @task(cache=Cache(version="1"))
    def write(text: str) -> FlyteFile:
        nonlocal runs
        runs += 1
        p = tmp_path / f"out-{runs}.txt"
        p.write_text(text)
        return FlyteFile(str(p))

    first = await write(text="hello")
    stored = first.remote_source or first.path
    assert os.path.exists(stored) and stored.startswith(os.environ["AIOFLYTE_HOME"])
    again = await write(text="hello")
    assert runs == 1 and (again.remote_source or again.path) == stored
    shutil.rmtree(os.path.join(os.environ["AIOFLYTE_HOME"], "raw"))  # the raw data folder is gone
    third = await write(text="hello")
    assert runs == 2
    with open(await third.adownload()) as f:
        assert f.read() == "hello"
    assert await write(text="hello") is not None and runs == 2  # the replaced entry is a hit again


async def test_a_tampered_entry_is_a_miss_with_a_warning(cache_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    runs = 0

    @task(cache=Cache(version="1"))
    def double(x: int) -> int:
        nonlocal runs
        runs += 1
        return 2 * x

    assert await double(x=4) == 8
    await _written()
    get_store().forget()  # drop this process's memo of the entry
    conn = sqlite3.connect(cache_path / "cache.db")
    conn.execute("UPDATE entries SET payload = ?", (pickle.dumps({"o0": 99}),))
    conn.commit()
    conn.close()
    with caplog.at_level(logging.WARNING, logger="aioflyte.cache"):
        assert await double(x=4) == 8  # not 99: the entry fails its check, the body runs again
    assert runs == 2
    assert "integrity" in caplog.text
    assert await double(x=4) == 8 and runs == 2


class Planted:
    """Unpickling this writes a marker file: a stand-in for code a crafted pickle would run."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> typing.Any:
        return (Path.write_text, (Path(self.marker), "pwned"))


class Blob:
    """A type aioflyte stores as a pickle."""

    def __init__(self, v: int) -> None:
        self.v = v


async def test_a_pickle_planted_in_the_store_is_never_unpickled(tmp_path: Path, cache_path: Path) -> None:
    marker = tmp_path / "marker"
    runs = 0

    @task(cache=Cache(version="1"))
    def make(v: int) -> Blob:
        nonlocal runs
        runs += 1
        return Blob(v)

    assert (await make(v=1)).v == 1
    await _written()
    get_store().forget()
    conn = sqlite3.connect(cache_path / "cache.db")
    assert conn.execute("SELECT format FROM entries").fetchall() == [("pickle",)]
    conn.execute("UPDATE entries SET payload = ?", (pickle.dumps({"o0": Planted(str(marker))}),))
    conn.commit()
    conn.close()
    assert (await make(v=1)).v == 1
    assert not marker.exists() and runs == 2


async def test_pickles_inside_literal_entries_are_copied_and_checked(tmp_path: Path, cache_path: Path) -> None:
    marker = tmp_path / "marker"
    runs = 0

    @task(cache=Cache(version="1"))
    def both(v: int) -> tuple[FlyteFile, Blob]:
        nonlocal runs
        runs += 1
        p = tmp_path / f"f{runs}.txt"
        p.write_text(str(v))
        return FlyteFile(str(p)), Blob(v)

    _, blob = await both(v=5)
    assert blob.v == 5
    await _written()
    objects = list((cache_path / "objects").iterdir())
    assert len(objects) == 1 and os.stat(objects[0]).st_mode & 0o777 == 0o600
    # The raw store's copy of the pickle is not what the cache reads: replacing it changes nothing.
    for root, _, files in os.walk(os.path.join(os.environ["AIOFLYTE_HOME"], "raw")):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                head = f.read(2)
            if head[:1] == b"\x80":  # a pickle
                with open(path, "wb") as f:
                    pickle.dump(Planted(str(marker)), f)
    get_store().forget()
    _, blob = await both(v=5)
    assert blob.v == 5 and runs == 1 and not marker.exists()
    # A changed object in the store's folder fails its content check: a miss, never unpickled.
    with open(objects[0], "wb") as f:
        pickle.dump(Planted(str(marker)), f)
    get_store().forget()
    _, blob = await both(v=5)
    assert blob.v == 5 and runs == 2 and not marker.exists()


# --- flytekit's switches -----------------------------------------------------------------------------------------


async def test_flyte_local_cache_enabled_false_turns_the_cache_off(
    monkeypatch: pytest.MonkeyPatch, cache_path: Path
) -> None:
    runs = 0

    @task(cache=Cache(version="1"))
    def f(x: int) -> int:
        nonlocal runs
        runs += 1
        return x

    monkeypatch.setenv("FLYTE_LOCAL_CACHE_ENABLED", "false")
    await f(x=1)
    await f(x=1)
    assert runs == 2
    assert not (cache_path / "cache.db").exists()  # not even looked at
    monkeypatch.setenv("FLYTE_LOCAL_CACHE_ENABLED", "true")
    await f(x=1)
    await f(x=1)
    assert runs == 3


async def test_flyte_local_cache_overwrite_reruns_and_replaces(monkeypatch: pytest.MonkeyPatch) -> None:
    value = 1

    @task(cache=Cache(version="1"))
    def f(x: int) -> int:
        return value

    assert await f(x=0) == 1
    value = 2
    assert await f(x=0) == 1  # a hit
    monkeypatch.setenv("FLYTE_LOCAL_CACHE_OVERWRITE", "true")
    assert await f(x=0) == 2  # rerun, and the entry replaced
    monkeypatch.delenv("FLYTE_LOCAL_CACHE_OVERWRITE")
    value = 3
    assert await f(x=0) == 2


async def test_the_switches_in_a_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "flytekit.config"
    cfg.write_text("[local]\ncache_enabled = false\n")
    monkeypatch.setenv("FLYTECTL_CONFIG", str(cfg))
    runs = 0

    @task(cache=Cache(version="1"))
    def f(x: int) -> int:
        nonlocal runs
        runs += 1
        return x

    await f(x=1)
    await f(x=1)
    assert runs == 2
    from aioflyte.configuration import LocalConfig

    assert LocalConfig.auto().cache_enabled is False


# --- HashMethod on an upstream output ------------------------------------------------------------------------------


def _constant_hash(v: list[int]) -> str:
    return "same-for-all"


@task
def produce(seed: int) -> typing.Annotated[list[int], HashMethod(_constant_hash)]:
    return [seed, seed]


consumed: list[list[int]] = []


@task(cache=Cache(version="1"))
def consume(xs: list[int]) -> int:
    consumed.append(xs)
    return sum(xs)


@workflow
def pipeline(seed: int) -> int:
    return consume(xs=produce(seed=seed))


async def test_an_upstream_hash_method_feeds_the_downstream_cache_key_in_a_workflow() -> None:
    consumed.clear()
    assert await pipeline(seed=1) == 2
    assert await pipeline(seed=5) == 2  # a different value with the same hash: a hit, as on Flyte
    assert consumed == [[1, 1]]
    assert await consume(xs=[5, 5]) == 10  # the same value passed directly has no hash: its own key


async def test_an_upstream_hash_method_feeds_the_downstream_cache_key_in_eager() -> None:
    consumed.clear()

    @eager
    async def run(seed: int) -> int:
        return await consume(xs=await produce(seed=seed))

    assert await run(seed=2) == 4
    assert await run(seed=9) == 4
    assert consumed == [[2, 2]]


# --- store errors, the memo, large outputs -------------------------------------------------------------------------


async def test_a_broken_store_is_logged_once_counted_and_never_fails_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "a-file"
    bad.write_text("not a directory")
    monkeypatch.setenv("AIOFLYTE_CACHE_DIR", str(bad))
    runs = 0

    @task(cache=Cache(version="1"))
    def f(x: int) -> int:
        nonlocal runs
        runs += 1
        return x + 1

    with caplog.at_level(logging.WARNING, logger="aioflyte.cache"):
        for n in range(1, 4):
            assert await f(x=1) == 2
            for _ in range(1000):  # the write goes on behind the call; wait for its failure (a hang guard)
                if get_store().stats.errors == 2 * n:
                    break
                await asyncio.sleep(0.005)
    assert runs == 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2  # one for the failed lookups, one for the failed writes: each kind once
    assert str(bad) in warnings[0].getMessage()
    assert get_store().stats.errors == 6


async def test_clear_cache_forgets_memoized_hits() -> None:
    runs = 0

    @task(cache=Cache(version="1"))
    def f(x: int) -> int:
        nonlocal runs
        runs += 1
        return x

    await f(x=1)
    await f(x=1)
    assert runs == 1 and get_store().stats.memo_hits == 1
    assert await clear_cache(f.name) == 1
    await f(x=1)
    assert runs == 2


async def test_another_process_clearing_the_cache_invalidates_the_memo(cache_path: Path) -> None:
    import subprocess
    import sys

    runs = 0

    @task(cache=Cache(version="1"))
    def f(x: int) -> int:
        nonlocal runs
        runs += 1
        return x

    await f(x=1)
    await f(x=1)
    await _written()
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", "from aioflyte.engine.cache import clear_cache_sync; print(clear_cache_sync())"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "1", out.stderr
    await f(x=1)
    assert runs == 2


async def test_concurrent_hits_share_one_lookup_and_none_fail(cache_path: Path) -> None:
    @task(cache=Cache(version="1"))
    async def f(x: int) -> int:
        return x * 3

    await f(x=2)
    await _written()
    get_store().forget()
    before = get_store().stats.as_dict()
    results = await asyncio.gather(*[f(x=2) for _ in range(2000)], return_exceptions=True)
    assert results == [6] * 2000
    after = get_store().stats.as_dict()
    assert after["errors"] == before["errors"]
    assert after["hits"] - before["hits"] == 2000


async def test_a_large_list_is_stored_as_one_pickle_and_comes_back_fresh(cache_path: Path) -> None:
    @task(cache=Cache(version="1"))
    def big(n: int) -> list[int]:
        return list(range(n))

    first = await big(n=200_000)
    second = await big(n=200_000)
    assert first == second == list(range(200_000)) and first is not second
    second.append(-1)  # a caller changing its copy does not change the cache
    assert await big(n=200_000) == first
    await _written()
    assert _entries(cache_path) == [(big.name, "pickle")]


async def test_cache_info_reports_entries_sizes_and_counters(cache_path: Path) -> None:
    @task(cache=Cache(version="1"))
    def f(x: int) -> int:
        return x

    await f(x=1)
    await f(x=2)
    await f(x=2)
    info = await cache_info()
    assert info["directory"] == str(cache_path)
    assert info["entries"] == 2 and info["tasks"][f.name]["entries"] == 2
    assert info["disk_bytes"] > 0
    assert info["stats"]["hits"] == 1 and info["stats"]["misses"] == 2 and info["stats"]["puts"] == 2


def test_store_files_have_owner_only_modes(cache_path: Path) -> None:
    @task(cache=Cache(version="1"))
    def f(x: int) -> int:
        return x

    asyncio.run(f(x=1))
    assert os.stat(cache_path).st_mode & 0o777 == 0o700
    assert os.stat(cache_path / "cache.db").st_mode & 0o777 == 0o600
    assert os.stat(cache_path / _cache_store.KEY_FILENAME).st_mode & 0o777 == 0o600


# --- across processes ------------------------------------------------------------------------------------------

HOLDER = """
import asyncio, sys
from aioflyte import Cache, task

@task(cache=Cache(version="1", serialize=True), name="xproc.slow")
async def slow(x: int) -> int:
    with open(sys.argv[1], "a") as f:
        f.write("started\\n")
    await asyncio.sleep(float(sys.argv[2]))
    return x + 100

print(asyncio.run(slow(x=1)))
"""


@pytest.mark.slow
@pytest.mark.parametrize("how", ["killed", "interrupted"])
async def test_a_waiter_takes_over_when_the_runner_process_dies_or_is_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    import signal
    import sys

    monkeypatch.setenv("AIOFLYTE_CACHE_RESERVATION_TTL", "1")
    script, log = tmp_path / "holder.py", tmp_path / "log"
    script.write_text(HOLDER)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(log), "60", env=dict(os.environ), stdout=asyncio.subprocess.PIPE
    )
    for _ in range(600):  # a hang guard, not a measurement
        if log.exists():
            break
        await asyncio.sleep(0.05)
    assert log.read_text() == "started\n"

    from aioflyte.engine import config

    monkeypatch.setattr(config.settings, "cache_reservation_ttl", 1.0)

    @task(cache=Cache(version="1", serialize=True), name="xproc.slow")
    async def slow(x: int) -> int:
        with open(log, "a") as f:
            f.write("taken over\n")
        return x + 100

    waiter = asyncio.ensure_future(slow(x=1))
    await asyncio.sleep(0.3)
    assert not waiter.done()  # waiting for the holder's reservation
    holder.send_signal(signal.SIGKILL if how == "killed" else signal.SIGINT)
    await holder.wait()
    assert await asyncio.wait_for(waiter, 30) == 101
    assert log.read_text() == "started\ntaken over\n"


async def test_a_call_cancelled_while_taking_the_reservation_releases_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's thread commits a reservation even when the call that asked for it is cancelled meanwhile: the
    call must still release it, or every identical call (in any process) waits for the reservation's TTL."""
    reserved = asyncio.Event()
    real = _cache_store.CacheStore.reserve

    async def reserve_then_pause(self: _cache_store.CacheStore, key: str, owner: str, ttl: float) -> bool:
        granted = await real(self, key, owner, ttl)
        reserved.set()
        await asyncio.sleep(0)  # the caller's cancellation lands here, while it awaits reserve()
        return granted

    monkeypatch.setattr(_cache_store.CacheStore, "reserve", reserve_then_pause)

    @task(cache=Cache(version="1", serialize=True))
    async def cached(x: int) -> int:
        return x

    first = asyncio.ensure_future(cached(x=1))
    await reserved.wait()
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    monkeypatch.setattr(_cache_store.CacheStore, "reserve", real)
    assert await asyncio.wait_for(cached(x=1), 30) == 1  # not stuck behind a reservation nobody holds
