"""Tests of the local persistent task cache store (aioflyte.engine.cache)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from flyteidl.core import literals_pb2

from aioflyte.engine import _cache_store, _sqlite_worker
from aioflyte.engine.cache import (
    CacheStore,
    Entry,
    cache_dir,
    cache_key,
    clear_cache,
    clear_cache_sync,
    get_store,
    wait_for_entry,
)
from aioflyte.exceptions import FlyteCacheError


def _int(v: int, hash_: str = "") -> literals_pb2.Literal:
    """An integer literal, optionally with a hash override."""
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=v)), hash=hash_)


def _str(v: str, hash_: str = "") -> literals_pb2.Literal:
    """A string literal, optionally with a hash override."""
    return literals_pb2.Literal(
        scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(string_value=v)), hash=hash_
    )


def _coll(*items: literals_pb2.Literal) -> literals_pb2.Literal:
    """A collection literal."""
    return literals_pb2.Literal(collection=literals_pb2.LiteralCollection(literals=list(items)))


def _map(**items: literals_pb2.Literal) -> literals_pb2.Literal:
    """A map literal."""
    return literals_pb2.Literal(map=literals_pb2.LiteralMap(literals=items))


def _inputs(**items: literals_pb2.Literal) -> literals_pb2.LiteralMap:
    """An input LiteralMap."""
    return literals_pb2.LiteralMap(literals=items)


def _outputs(v: int) -> Entry:
    """An entry holding the serialized output LiteralMap ``{"o0": v}``."""
    return Entry("literals", _inputs(o0=_int(v)).SerializeToString())


def _sqlite_threads() -> list[threading.Thread]:
    """The stores' worker threads still alive."""
    return [t for t in threading.enumerate() if t.name == "aioflyte-cache"]


async def _settled_thread_count(timeout: float = 5.0) -> int:
    """The thread count once earlier stores' idle worker threads have exited (a clean baseline)."""
    deadline = time.monotonic() + timeout
    while _sqlite_threads() and time.monotonic() < deadline:  # noqa: ASYNC110  (threads that retire when idle: no event)
        await asyncio.sleep(0.01)
    return threading.active_count()


async def _wait_threads(baseline: int, timeout: float = 5.0) -> int:
    """Wait until the thread count drops back to ``baseline`` (or the timeout); return the count."""
    deadline = time.monotonic() + timeout
    while threading.active_count() > baseline and time.monotonic() < deadline:  # noqa: ASYNC110  (no event)
        await asyncio.sleep(0.01)
    return threading.active_count()


@pytest.fixture
def cdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache directory, set as ``AIOFLYTE_CACHE_DIR``."""
    d = tmp_path / "cache"
    monkeypatch.setenv("AIOFLYTE_CACHE_DIR", str(d))
    return d


# --- cache keys ---------------------------------------------------------------------------------


def test_key_is_deterministic_hex_sha256() -> None:
    k1 = cache_key("t", "1", _inputs(a=_int(1), b=_str("x")))
    k2 = cache_key("t", "1", _inputs(a=_int(1), b=_str("x")))
    assert k1 == k2
    assert len(k1) == 64 and int(k1, 16) >= 0


def test_key_independent_of_insertion_order() -> None:
    m1 = literals_pb2.LiteralMap()
    m1.literals["a"].CopyFrom(_int(1))
    m1.literals["b"].CopyFrom(_map(x=_int(1), y=_int(2)))
    m2 = literals_pb2.LiteralMap()
    m2.literals["b"].CopyFrom(_map(y=_int(2), x=_int(1)))
    m2.literals["a"].CopyFrom(_int(1))
    assert cache_key("t", "1", m1) == cache_key("t", "1", m2)


def test_key_depends_on_name_version_and_values() -> None:
    base = cache_key("t", "1", _inputs(a=_int(1)))
    assert cache_key("u", "1", _inputs(a=_int(1))) != base
    assert cache_key("t", "2", _inputs(a=_int(1))) != base
    assert cache_key("t", "1", _inputs(a=_int(2))) != base
    assert cache_key("t", "1", _inputs(b=_int(1))) != base
    assert cache_key("t", "1", _inputs()) != base
    # field boundaries are unambiguous
    assert cache_key("ab", "c", _inputs()) != cache_key("a", "bc", _inputs())
    # collection order matters
    assert cache_key("t", "1", _inputs(a=_coll(_int(1), _int(2)))) != cache_key(
        "t", "1", _inputs(a=_coll(_int(2), _int(1)))
    )


def test_ignored_inputs_are_excluded() -> None:
    k1 = cache_key("t", "1", _inputs(a=_int(1), debug=_str("x")), ignored_inputs=["debug"])
    k2 = cache_key("t", "1", _inputs(a=_int(1), debug=_str("y")), ignored_inputs=("debug",))
    k3 = cache_key("t", "1", _inputs(a=_int(1)))
    assert k1 == k2 == k3
    assert cache_key("t", "1", _inputs(a=_int(1), debug=_str("x"))) != k3
    # ignoring an unknown name is harmless; a generator is accepted
    assert cache_key("t", "1", _inputs(a=_int(1)), ignored_inputs=(n for n in ["nope"])) == k3


def test_literal_hash_overrides_value() -> None:
    k1 = cache_key("t", "1", _inputs(df=_str("data-v1", hash_="h1")))
    k2 = cache_key("t", "1", _inputs(df=_str("data-v2", hash_="h1")))
    k3 = cache_key("t", "1", _inputs(df=_str("data-v1", hash_="h2")))
    assert k1 == k2
    assert k1 != k3
    assert cache_key("t", "1", _inputs(df=_str("data-v1"))) != k1


def test_nested_literal_hashes_are_used() -> None:
    def key(*vals: tuple[int, str]) -> str:
        return cache_key(
            "t",
            "1",
            _inputs(
                xs=_coll(*[_int(v, h) for v, h in vals]),
                m=_map(inner=_coll(_map(k=_int(vals[0][0], vals[0][1])))),
            ),
        )

    assert key((1, "h"), (2, "g")) == key((99, "h"), (42, "g"))
    assert key((1, "h"), (2, "g")) != key((1, "h"), (2, "other"))
    # without hashes the values count
    assert key((1, ""), (2, "")) != key((3, ""), (2, ""))


def test_collection_level_hash_wins() -> None:
    k1 = cache_key("t", "1", _inputs(xs=literals_pb2.Literal(collection=_coll(_int(1)).collection, hash="c")))
    k2 = cache_key("t", "1", _inputs(xs=literals_pb2.Literal(collection=_coll(_int(2)).collection, hash="c")))
    assert k1 == k2


# --- location ---------------------------------------------------------------------------------------


def test_cache_dir_env_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIOFLYTE_CACHE_DIR", raising=False)
    monkeypatch.setenv("AIOFLYTE_HOME", str(tmp_path / "home"))
    assert cache_dir() == os.path.join(str(tmp_path / "home"), "cache")
    assert get_store().directory == os.path.join(str(tmp_path / "home"), "cache")
    monkeypatch.setenv("AIOFLYTE_CACHE_DIR", str(tmp_path / "c2"))
    assert cache_dir() == str(tmp_path / "c2")
    store = get_store()
    assert store.path == os.path.join(str(tmp_path / "c2"), "cache.db")
    assert get_store() is store
    assert get_store(str(tmp_path / "other")).directory == str(tmp_path / "other")
    assert CacheStore().directory == str(tmp_path / "c2")


# --- store operations -----------------------------------------------------------------------------


async def test_put_get_count_clear(cdir: Path) -> None:
    store = get_store()
    assert not cdir.exists()  # created on first use only
    assert await store.get("missing") is None
    assert (cdir / "cache.db").is_file()
    await store.put("k1", _outputs(1), task_name="a", version="1")
    await store.put("k2", _outputs(2), task_name="a", version="1")
    await store.put("k3", _outputs(3), task_name="b", version="1")
    assert await store.count() == 3
    got = await store.get("k2")
    assert got is not None and literals_pb2.LiteralMap.FromString(got.payload) == _inputs(o0=_int(2))
    await store.put("k2", _outputs(22), task_name="a", version="2")  # upsert
    assert await store.count() == 3
    assert await store.get("k2") == _outputs(22)
    assert await store.clear("a") == 2
    assert await store.clear("nothing") == 0
    assert await store.count() == 1
    assert await store.get("k3") == _outputs(3)
    assert await clear_cache() == 1
    assert await store.count() == 0


async def test_wal_mode(cdir: Path) -> None:
    import sqlite3

    await get_store().count()
    conn = sqlite3.connect(cdir / "cache.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


async def test_synchronous_normal_and_schema_version(cdir: Path) -> None:
    import sqlite3

    store = CacheStore(str(cdir))
    assert await store._run("pragma", lambda c: c.execute("PRAGMA synchronous").fetchone()[0]) == 1  # NORMAL
    conn = sqlite3.connect(cdir / "cache.db")
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == _cache_store.SCHEMA_VERSION
    finally:
        conn.close()


async def test_files_are_owner_only(cdir: Path) -> None:
    store = get_store()
    await store.put("k", _outputs(1), task_name="t", version="1")
    assert os.stat(cdir).st_mode & 0o777 == 0o700
    for name in ("cache.db", "cache.key", "cache.db-wal"):
        assert os.stat(cdir / name).st_mode & 0o777 == 0o600, name


async def test_an_entry_that_fails_its_mac_is_corrupt(cdir: Path) -> None:
    import sqlite3

    store = get_store()
    await store.put("k", _outputs(1), task_name="t", version="1")
    store.close()
    conn = sqlite3.connect(cdir / "cache.db")
    conn.execute("UPDATE entries SET payload = ? WHERE key = 'k'", (_outputs(2).payload,))
    conn.commit()
    conn.close()
    fresh = CacheStore(str(cdir))  # no memo of the entry
    with pytest.raises(_cache_store.CorruptEntry, match="integrity"):
        await fresh.get("k")


async def test_many_concurrent_operations(cdir: Path) -> None:
    store = get_store()
    before = len(_sqlite_threads())
    await asyncio.gather(*[store.put(f"k{i}", _outputs(i), task_name="t", version="1") for i in range(30)])
    store.forget()
    values = await asyncio.gather(*[store.get(f"k{i}") for i in range(30)])
    assert values == [_outputs(i) for i in range(30)]
    assert len(_sqlite_threads()) == before + 1  # one worker thread for the store, whatever the concurrency


def test_clear_cache_sync(cdir: Path) -> None:
    asyncio.run(get_store().put("k", _outputs(1), task_name="t", version="1"))
    assert clear_cache_sync("other") == 0
    assert clear_cache_sync() == 1


async def test_clear_cache_sync_in_running_loop_is_an_error(cdir: Path) -> None:
    with pytest.raises(RuntimeError, match="running event loop"):
        clear_cache_sync()


def test_store_works_across_event_loops(cdir: Path) -> None:
    store = get_store()
    for i in range(3):
        asyncio.run(store.put(f"k{i}", _outputs(i), task_name="t", version="1"))
    assert asyncio.run(store.count()) == 3


def test_persistence_across_processes(cdir: Path) -> None:
    key = cache_key("proc_task", "1", _inputs(a=_int(5)))
    script = textwrap.dedent(
        f"""
        import asyncio
        from flyteidl.core import literals_pb2
        from aioflyte.engine.cache import Entry, cache_key, get_store

        lit = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=5)))
        key = cache_key("proc_task", "1", literals_pb2.LiteralMap(literals={{"a": lit}}))
        assert key == {key!r}, key
        out = literals_pb2.LiteralMap(literals={{"o0": lit}}).SerializeToString()
        asyncio.run(get_store().put(key, Entry("literals", out), task_name="proc_task", version="1"))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], env=dict(os.environ), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr

    async def read() -> Entry | None:
        return await get_store().get(key)

    assert asyncio.run(read()) == _outputs(5)
    assert clear_cache_sync("proc_task") == 1


@pytest.mark.slow
def test_concurrent_first_use_from_several_processes(cdir: Path) -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from aioflyte.engine.cache import Entry, get_store

        async def main(n: str) -> None:
            store = get_store()
            puts = [store.put(f"{n}-{i}", Entry("pickle", b"x"), task_name="t", version="1") for i in range(10)]
            await asyncio.gather(*puts)
            won = await asyncio.gather(*[store.reserve("shared", f"{n}-{i}", 30) for i in range(3)])
            print(sum(won))

        asyncio.run(main(sys.argv[1]))
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(n)],
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    assert sum(int(out) for out, _ in outs) == 1  # exactly one process won the reservation
    assert asyncio.run(get_store().count()) == 40


# --- reservations ---------------------------------------------------------------------------------


async def test_reservation_semantics(cdir: Path) -> None:
    store = get_store()
    assert await store.reserve("k", "alice", ttl=30)
    assert not await store.reserve("k", "bob", ttl=30)
    assert await store.reserve("k", "alice", ttl=30)  # already ours
    assert await store.reserve("other", "bob", ttl=30)  # keys are independent
    await store.release("k", "bob")  # not bob's: no effect
    assert not await store.reserve("k", "bob", ttl=30)
    await store.release("k", "alice")
    assert await store.reserve("k", "bob", ttl=30)


async def test_reservation_expiry_and_extend(cdir: Path) -> None:
    store = get_store()
    assert await store.reserve("k", "alice", ttl=0.2)
    assert await store.extend("k", "alice", ttl=0.6)
    await asyncio.sleep(0.3)
    assert not await store.reserve("k", "bob", ttl=30)  # extended: still alice's
    await asyncio.sleep(0.4)
    assert await store.reserve("k", "bob", ttl=30)  # expired: bob takes over
    assert not await store.extend("k", "alice", ttl=30)  # alice lost it
    assert not await store.reserve("k", "alice", ttl=30)


async def test_concurrent_reserve_has_one_winner(cdir: Path) -> None:
    store = get_store()
    results = await asyncio.gather(*[store.reserve("k", f"owner{i}", ttl=30) for i in range(10)])
    assert sum(results) == 1


async def test_wait_for_entry_returns_value_written_by_holder(cdir: Path) -> None:
    store = get_store()
    assert await wait_for_entry(store, "k", "holder", ttl=30) is None  # free: we hold it now

    async def holder() -> None:
        await asyncio.sleep(0.2)
        await store.put("k", _outputs(7), task_name="t", version="1")
        await store.release("k", "holder")

    task = asyncio.create_task(holder())
    value = await asyncio.wait_for(wait_for_entry(store, "k", "waiter", ttl=30, poll=0.02), 5)
    await task
    assert value == _outputs(7)
    # the waiter did not keep a reservation
    assert await store.reserve("k", "third", ttl=30)


async def test_wait_for_entry_takes_over_expired_reservation(cdir: Path) -> None:
    store = get_store()
    assert await store.reserve("k", "dead-holder", ttl=0.2)
    start = time.monotonic()
    assert await asyncio.wait_for(wait_for_entry(store, "k", "waiter", ttl=30, poll=0.02), 5) is None
    assert time.monotonic() - start >= 0.15
    assert not await store.reserve("k", "dead-holder", ttl=30)


async def test_wait_for_entry_existing_value(cdir: Path) -> None:
    store = get_store()
    await store.put("k", _outputs(3), task_name="t", version="1")
    assert await wait_for_entry(store, "k", "w", ttl=30) == _outputs(3)


async def test_serialized_waiters_run_body_once(cdir: Path) -> None:
    store = get_store()
    runs = 0

    async def worker(owner: str) -> Entry:
        nonlocal runs
        value = await wait_for_entry(store, "k", owner, ttl=30, poll=0.01)
        if value is None:
            runs += 1
            await asyncio.sleep(0.1)
            value = _outputs(9)
            await store.put("k", value, task_name="t", version="1")
            await store.release("k", owner)
        return value

    results = await asyncio.gather(*[worker(f"w{i}") for i in range(5)])
    assert runs == 1
    assert results == [_outputs(9)] * 5


# --- errors and threads ---------------------------------------------------------------------------


async def test_cache_dir_that_is_a_file_raises_cache_error(tmp_path: Path) -> None:
    f = tmp_path / "not-a-dir"
    f.write_text("x")
    store = CacheStore(str(f))
    for op in ("get", "put", "count", "reserve"):
        with pytest.raises(FlyteCacheError) as ei:
            if op == "get":
                await store.get("k")
            elif op == "put":
                await store.put("k", _outputs(0), task_name="t", version="1")
            elif op == "count":
                await store.count()
            else:
                await store.reserve("k", "o", ttl=1)
        assert str(f) in str(ei.value) and op in str(ei.value)


async def test_corrupt_database_raises_cache_error_and_clear_removes_it(tmp_path: Path) -> None:
    d = tmp_path / "corrupt"
    d.mkdir()
    (d / "cache.db").write_bytes(b"this is not a sqlite database" * 100)
    store = CacheStore(str(d))
    with pytest.raises(FlyteCacheError, match=r"cache\.db is corrupt.*aioflyte cache clear"):
        await store.count()
    assert await store.clear() == 0  # clearing everything removes the corrupt file
    assert await store.count() == 0
    await store.put("k", _outputs(1), task_name="t", version="1")
    assert await store.count() == 1


@pytest.fixture
def quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Store worker threads retire after 50 ms idle instead of seconds."""
    monkeypatch.setattr(_sqlite_worker, "_IDLE_S", 0.05)


async def test_no_threads_left_behind(cdir: Path, quick_idle: None) -> None:
    baseline = await _settled_thread_count()
    store = get_store()
    await store.put("k", _outputs(1), task_name="t", version="1")
    await store.get("k")
    await store.count()
    await store.reserve("r", "o", ttl=5)
    await store.extend("r", "o", ttl=5)
    await store.release("r", "o")
    await store.clear()
    with pytest.raises(FlyteCacheError):
        await CacheStore(str(cdir / "cache.db")).count()  # a file used as the directory
    assert await _wait_threads(baseline) == baseline  # the idle workers retired
    assert _sqlite_threads() == []
    assert await store.count() == 0  # and a later operation starts a new one
    store.close()
    assert _sqlite_threads() == []


async def test_cancelled_operations_leave_no_threads(cdir: Path, quick_idle: None) -> None:
    store = get_store()
    await store.count()
    baseline = await _settled_thread_count()
    for i in range(60):
        op = store.reserve("k", f"o{i}", ttl=1) if i % 2 else store.put("k", _outputs(i), task_name="t", version="1")
        task = asyncio.create_task(op)
        await asyncio.sleep((i % 6) * 0.0005)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert await _wait_threads(baseline) == baseline
    assert _sqlite_threads() == []
    assert await store.count() <= 1  # still usable
