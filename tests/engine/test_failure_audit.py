"""The failure-path audit of local runs: however a run ends, it leaves nothing behind (issue 11, item 6).

Hypothesis generates a few hundred runs (deterministically: ``derandomize``): a single task call, a ``@workflow``
(either failure policy) or an ``@eager`` (sequential awaits, or a ``TaskGroup``) of up to six calls. Each call is an
async body, a sync body (on the worker threads) or a process body (``executor="process"``); it succeeds, fails,
fails a few times then succeeds on a retry, hangs past its ``timeout``, or writes part of its output then fails.
Outputs are ints, files (written locally and uploaded by the engine, or written straight to the store with
``open("wb")``), directories and pickles; calls take the output of an earlier call (so files and directories are
downloaded); some calls are cached. A run may be cancelled after a random number of the bodies' progress points
(start, each chunk written, end) plus a few loop turns: never after a wall-clock delay.

After each run, whatever its outcome (success, failure or cancellation), and once the sync bodies it stopped waiting
for have been released and have returned:

- no asyncio task is pending but the test's own;
- no thread is alive but those there before and the worker pools' (aioflyte's task threads); no OS thread either;
- no child process is alive but the process pool's workers (and none is a zombie);
- the temp directory holds exactly what it held before: the run's scratch space and its downloads are gone, and
  so is any ``aioflyte-data-*`` folder; the download sandbox used outside runs is untouched by the run;
- nothing was written to the raw store after the run ended (every local write of the data plane is timed);
- the raw store holds no half-written output. "Half-written" means a temporary file of a write (``*.part``,
  ``aioflyte-write-*``), a file at its final path that is not whole (every output file states its length and ends
  with a trailer; a pickle's name is the md5 of its content), a directory missing a file its manifest lists, or any
  output of a call whose body did not return (a file the body writes straight to the store excepted, unless the
  body failed in the middle of writing it: it is published whole as its write ends), or a deck page (an ``@eager``
  body's, by default) that is not whole or is of an attempt whose body did not return;
- the cache holds new entries only for calls whose body returned: after a successful run exactly one per cached
  call. A probe then calls each cached call again, in a new run, and checks that its body runs (a cache miss) when
  the first body did not return, and does not (a hit) after a successful run.

The outcome itself is checked too: a run that was cancelled ends cancelled, a run with no failing call and no
cancellation returns the right value (and a file or directory it returns can be read after the run), any other run
raises the error of one of its calls. A small test at the end shows that the checks catch what they look for.

Not generated yet, for known bugs: ``Cache(serialize=True)`` (see ``SERIALIZE``), and an eager body that gathers its
calls with ``asyncio.gather`` (see the xfail test at the end).
"""

from __future__ import annotations

import asyncio
import builtins
import functools
import hashlib
import itertools
import multiprocessing
import os
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import failure_audit_tasks as fat
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from aioflyte import Cache, FlyteDirectory, FlyteFile, WorkflowFailurePolicy, eager, task, workflow
from aioflyte.engine import pools
from aioflyte.exceptions import FlyteRecoverableException, FlyteTimeout
from aioflyte.io import provider as provider_module
from aioflyte.io.provider import default_provider
from aioflyte.runscope import current_run, default_raw_output_prefix

pytestmark = pytest.mark.filterwarnings("ignore::aioflyte.types.pickle.PickleFallbackWarning")

if sys.version_info < (3, 11):
    pytest.skip("the audit's eager runs use asyncio.TaskGroup (Python 3.11)", allow_module_level=True)

#: How long a hanging body waits before its task's timeout fires (wall clock, but nothing is asserted on it).
HANG_TIMEOUT = 0.02
#: A hang guard: the longest the test waits for anything (a run to end, a thread to return). Never reached.
HANG_GUARD = 60.0
#: The dependency of a call that takes no other call's output.
CONST = 7
#: Whether cached calls may use Cache(serialize=True) (a serialized call cancelled while it takes the store's
#: reservation must release it, or the probe of that call waits for the reservation's TTL and hits the hang guard).
SERIALIZE = True

OUT_TYPES: dict[str, Any] = {
    "int": int,
    "file": FlyteFile,  # written locally, uploaded by the engine
    "rfile": FlyteFile,  # written straight to the store (FlyteFile.new_remote_file + open("wb"))
    "dir": FlyteDirectory,
    "pickle": fat.AuditBlob,
}


# ---------------------------------------------------------------------------------------------- what a run is


@dataclass(frozen=True)
class NodeSpec:
    body: str  # async | sync | process
    behavior: str  # ok | fail | flaky | hang | write_fail
    out: str  # a key of OUT_TYPES
    upstream: int | None  # the call whose output this one takes, or None (it takes CONST)
    retries: int = 0
    fails: int = 0  # flaky: how many attempts fail before one succeeds
    cache: bool = False
    serialize: bool = False
    timeout: float | None = None

    @property
    def succeeds(self) -> bool:
        return self.behavior == "ok" or (self.behavior == "flaky" and self.fails <= self.retries)


@dataclass(frozen=True)
class RunSpec:
    kind: str  # task | workflow | eager_seq | eager_group
    nodes: tuple[NodeSpec, ...]
    result: int  # the call whose output the run returns
    fail_fast: bool  # a workflow's failure policy
    cancel_at: int | None  # cancel the run at this progress point of the bodies (None: never)
    extra_turns: int  # loop turns between that progress point and the cancellation

    def dep_kind(self, i: int) -> str:
        up = self.nodes[i].upstream
        return "int" if up is None else self.nodes[up].out

    @property
    def succeeds(self) -> bool:
        return all(n.succeeds for n in self.nodes)


@st.composite
def node_specs(draw: Any, i: int, outs: list[str]) -> NodeSpec:
    upstream = draw(st.none() | st.integers(0, i - 1)) if i else None
    body = draw(st.sampled_from(["async", "async", "sync", "sync", "process"]))
    if body == "process":
        # A process body cannot wait on the test (another process): it succeeds or fails at once; int in, int out.
        if upstream is not None and outs[upstream] != "int":
            upstream = None
        return NodeSpec("process", draw(st.sampled_from(["ok", "ok", "fail"])), "int", upstream)
    behavior = draw(st.sampled_from(["ok"] * 7 + ["fail", "flaky", "flaky", "hang", "write_fail"]))
    out = draw(st.sampled_from(list(OUT_TYPES)))
    retries = draw(st.integers(0, 1 if behavior == "hang" else 2))
    fails = draw(st.integers(1, 2)) if behavior == "flaky" else 0
    cache = (upstream is None or outs[upstream] == "int") and draw(st.booleans())
    serialize = cache and SERIALIZE and draw(st.booleans())
    timeout = HANG_TIMEOUT if behavior == "hang" else draw(st.sampled_from([None, None, 60.0]))
    return NodeSpec(body, behavior, out, upstream, retries, fails, cache, serialize, timeout)


@st.composite
def run_specs(draw: Any) -> RunSpec:
    kind = draw(st.sampled_from(["task", "workflow", "workflow", "eager_seq", "eager_group"]))
    n = 1 if kind == "task" else draw(st.integers(1, 6))
    nodes: list[NodeSpec] = []
    for i in range(n):
        nodes.append(draw(node_specs(i, [x.out for x in nodes])))
    return RunSpec(
        kind,
        tuple(nodes),
        result=draw(st.integers(0, n - 1)),
        fail_fast=draw(st.booleans()),
        cancel_at=draw(st.sampled_from([None, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])),
        extra_turns=draw(st.integers(0, 4)),
    )


def node_key(nonce: str, i: int, node: NodeSpec) -> str:
    key = f"{nonce}-{i}"
    return key + "!fail" if node.body == "process" and node.behavior == "fail" else key


def expected_dep(spec: RunSpec, nonce: str, i: int) -> Any:
    """The dependency call ``i`` receives, when it is an int (the only kind a cached call takes)."""
    up = spec.nodes[i].upstream
    if up is None:
        return CONST
    return fat.token(node_key(nonce, up, spec.nodes[up])) ^ expected_dep(spec, nonce, up)


# ---------------------------------------------------------------------------------------------- the bodies


@dataclass
class Call:
    """One call of a run, as its body saw it."""

    node: NodeSpec
    attempts: int = 0
    returned: bool = False  # a body returned its value (the engine may still have stopped waiting for it)
    probe: bool = False  # the next body is the cache probe's: it returns at once
    probed: bool = False  # the probe's body ran (a cache miss)


@dataclass
class Audit:
    """The run being audited, shared with its bodies (on the loop's thread and on worker threads)."""

    loop: asyncio.AbstractEventLoop
    cancel_at: int | None
    calls: dict[str, Call] = field(default_factory=dict)
    ticks: int = 0
    trigger: asyncio.Event = field(default_factory=asyncio.Event)
    release: threading.Event = field(default_factory=threading.Event)  # set after the run: hanging sync bodies end
    run: Any = None

    def _tick(self) -> None:
        self.ticks += 1
        if self.ticks == self.cancel_at:
            self.trigger.set()

    def tick(self) -> None:
        """A progress point of a body (from any thread)."""
        if threading.get_ident() == self.thread:
            self._tick()
        else:
            self.loop.call_soon_threadsafe(self._tick)

    async def atick(self) -> None:
        """A progress point of an async body, where a cancellation can land."""
        self._tick()
        await asyncio.sleep(0)

    def begin(self, key: str) -> Call:
        if self.run is None:
            self.run = current_run()  # the run's state, for telling its writes from those of later runs
        call = self.calls[key]
        call.attempts += 1
        return call

    def __post_init__(self) -> None:
        self.thread = threading.get_ident()


AUDIT: Audit | None = None


def audit() -> Audit:
    assert AUDIT is not None
    return AUDIT


def _int_out(key: str, dep: Any) -> int:
    return fat.token(key) ^ (dep if isinstance(dep, int) else 0)


def _dir_names(key: str) -> list[str]:
    return [f"audit-{key}-{j}.bin" for j in range(2)]


def _check_local_dir(path: str) -> None:
    names = sorted(os.listdir(path))
    with open(os.path.join(path, "MANIFEST")) as f:
        listed = f.read().split()
    assert names == sorted([*listed, "MANIFEST"]), f"directory {path}: {names}, manifest {listed}"
    for name in listed:
        with open(os.path.join(path, name), "rb") as f:
            fat.check_file(f.read())


async def _acheck_dep(key: str, dep: Any) -> None:
    """An async body uses its input: downloads a file or directory (or streams a file), compares a pickle."""
    if isinstance(dep, FlyteFile):
        if fat.token(key) % 2:
            async with dep.open("rb") as r:
                data = await r.read()
        else:
            with open(await dep.adownload(), "rb") as f:
                data = f.read()
        fat.check_file(data)
    elif isinstance(dep, FlyteDirectory):
        _check_local_dir(await dep.adownload())
    elif isinstance(dep, fat.AuditBlob):
        assert dep == fat.AuditBlob(dep.key)


def _scheck_dep(key: str, dep: Any) -> None:
    """A sync body uses its input (downloads go through the run's loop)."""
    if isinstance(dep, FlyteFile):
        if fat.token(key) % 2:
            with dep.open("rb") as r:
                data = r.read()
        else:
            with open(dep, "rb") as f:
                data = f.read()
        fat.check_file(data)
    elif isinstance(dep, FlyteDirectory):
        _check_local_dir(os.fspath(dep))
    elif isinstance(dep, fat.AuditBlob):
        assert dep == fat.AuditBlob(dep.key)


async def _amake(call: Call, key: str, out: str, dep: Any, fail_midway: bool) -> Any:
    """An async body makes its output, with progress points between the chunks it writes."""
    a = audit()
    if out == "int":
        if fail_midway:
            raise fat.AuditFailure(f"{key} failed before returning its output")
        value: Any = _int_out(key, dep)
    elif out == "file":
        value = FlyteFile.new(f"audit-{key}.bin")
        with open(value.path, "wb") as f:
            for chunk in fat.file_chunks(key):
                f.write(chunk)
                f.flush()
                await a.atick()
                if fail_midway:
                    raise fat.AuditFailure(f"{key} failed while writing its output")
    elif out == "rfile":
        value = FlyteFile.new_remote_file(f"audit-{key}.bin")
        async with value.open("wb") as w:
            for chunk in fat.file_chunks(key):
                await w.write(chunk)
                await a.atick()
                if fail_midway:
                    raise fat.AuditFailure(f"{key} failed while writing its output")
    elif out == "dir":
        value = FlyteDirectory.new(f"dir-{key}")
        names = _dir_names(key)
        with open(os.path.join(value.path, "MANIFEST"), "w") as f:
            f.write("\n".join(names))
        for j, name in enumerate(names):
            with open(os.path.join(value.path, name), "wb") as f:
                f.write(b"".join(fat.file_chunks(f"{key}#{j}")))
            await a.atick()
            if fail_midway:
                raise fat.AuditFailure(f"{key} failed while writing its output")
    else:
        if fail_midway:
            raise fat.AuditFailure(f"{key} failed before returning its output")
        value = fat.AuditBlob(key)
    return value


def _smake(call: Call, key: str, out: str, dep: Any, fail_midway: bool) -> Any:
    """A sync body makes its output (on a worker thread)."""
    a = audit()
    if out == "int":
        if fail_midway:
            raise fat.AuditFailure(f"{key} failed before returning its output")
        value: Any = _int_out(key, dep)
    elif out == "file":
        value = FlyteFile.new(f"audit-{key}.bin")
        with open(value.path, "wb") as f:
            for chunk in fat.file_chunks(key):
                f.write(chunk)
                a.tick()
                if fail_midway:
                    raise fat.AuditFailure(f"{key} failed while writing its output")
    elif out == "rfile":
        value = FlyteFile.new_remote_file(f"audit-{key}.bin")
        with value.open("wb") as w:
            for chunk in fat.file_chunks(key):
                w.write(chunk)
                a.tick()
                if fail_midway:
                    raise fat.AuditFailure(f"{key} failed while writing its output")
    elif out == "dir":
        value = FlyteDirectory.new(f"dir-{key}")
        names = _dir_names(key)
        with open(os.path.join(value.path, "MANIFEST"), "w") as f:
            f.write("\n".join(names))
        for j, name in enumerate(names):
            with open(os.path.join(value.path, name), "wb") as f:
                f.write(b"".join(fat.file_chunks(f"{key}#{j}")))
            a.tick()
            if fail_midway:
                raise fat.AuditFailure(f"{key} failed while writing its output")
    else:
        if fail_midway:
            raise fat.AuditFailure(f"{key} failed before returning its output")
        value = fat.AuditBlob(key)
    return value


async def async_body(key: str, dep: Any, out: str) -> Any:
    a = audit()
    call = a.begin(key)
    await a.atick()
    if call.probe:
        call.probed = True
        value = await _amake(call, key, out, dep, False)
        call.returned = True
        return value
    await _acheck_dep(key, dep)
    behavior = call.node.behavior
    if behavior == "fail":
        raise fat.AuditFailure(f"{key} failed on purpose")
    if behavior == "flaky" and call.attempts <= call.node.fails:
        raise FlyteRecoverableException(f"{key}: attempt {call.attempts} fails")
    if behavior == "hang":
        await asyncio.Event().wait()  # only the task's timeout or the run's cancellation ends this
    value = await _amake(call, key, out, dep, behavior == "write_fail")
    await a.atick()
    call.returned = True
    return value


def sync_body(key: str, dep: Any, out: str) -> Any:
    a = audit()
    call = a.begin(key)
    a.tick()
    if call.probe:
        call.probed = True
        value = _smake(call, key, out, dep, False)
        call.returned = True
        return value
    _scheck_dep(key, dep)
    behavior = call.node.behavior
    if behavior == "fail":
        raise fat.AuditFailure(f"{key} failed on purpose")
    if behavior == "flaky" and call.attempts <= call.node.fails:
        raise FlyteRecoverableException(f"{key}: attempt {call.attempts} fails")
    if behavior == "hang":
        a.release.wait(HANG_GUARD)  # set by the test once the run has ended
        raise fat.AuditFailure(f"{key} was released after its run ended")
    value = _smake(call, key, out, dep, behavior == "write_fail")
    a.tick()
    call.returned = True
    return value


@functools.cache
def task_for(
    body: str,
    dep: str,
    out: str,
    retries: int,
    cache: bool,
    serialize: bool,
    timeout: float | None,
    probe: bool = False,
) -> Any:
    """The task of one configuration (made once; every call of a run has a key of its own). The probe's twin has
    the same name, so the same cache keys, but no timeout: its body must not be cut short."""
    if body == "process":
        return fat.proc_body_with_timeout if timeout else fat.proc_body
    if body == "async":

        async def fn(key: str, dep: Any) -> Any:
            return await async_body(key, dep, out)

    else:

        def fn(key: str, dep: Any) -> Any:
            return sync_body(key, dep, out)

    fn.__annotations__ = {"key": str, "dep": OUT_TYPES[dep], "return": OUT_TYPES[out]}
    name = f"audit.{body}.{dep}.{out}.r{retries}.c{int(cache)}{int(serialize)}.t{timeout}"
    return task(
        fn,
        name=name,
        retries=retries,
        timeout=0 if probe else timeout or 0,
        cache=Cache(version="1", serialize=serialize) if cache else False,
    )


def node_task(spec: RunSpec, i: int, probe: bool = False) -> Any:
    n = spec.nodes[i]
    return task_for(n.body, spec.dep_kind(i), n.out, n.retries, n.cache, n.serialize, n.timeout, probe)


def build(spec: RunSpec, nonce: str) -> Callable[[], Any]:
    """A callable starting the run: the one task call, or the workflow or eager made for this spec."""
    keys = [node_key(nonce, i, n) for i, n in enumerate(spec.nodes)]
    out_type = OUT_TYPES[spec.nodes[spec.result].out]
    if spec.kind == "task":
        return lambda: node_task(spec, 0)(key=keys[0], dep=CONST)
    if spec.kind == "workflow":

        def wf_body() -> Any:
            outs: list[Any] = []
            for i, n in enumerate(spec.nodes):
                dep = CONST if n.upstream is None else outs[n.upstream]
                outs.append(node_task(spec, i)(key=keys[i], dep=dep))
            return outs[spec.result]

        wf_body.__annotations__ = {"return": out_type}
        policy = (
            WorkflowFailurePolicy.FAIL_IMMEDIATELY
            if spec.fail_fast
            else WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE
        )
        wf = workflow(failure_policy=policy)(wf_body)
        return lambda: wf()

    async def eager_body() -> Any:
        if spec.kind == "eager_seq":
            outs: list[Any] = []
            for i, n in enumerate(spec.nodes):
                dep = CONST if n.upstream is None else outs[n.upstream]
                outs.append(await node_task(spec, i)(key=keys[i], dep=dep))
            return outs[spec.result]
        started: dict[int, asyncio.Task[Any]] = {}

        async def call(i: int, n: NodeSpec) -> Any:
            dep = CONST if n.upstream is None else await started[n.upstream]
            return await node_task(spec, i)(key=keys[i], dep=dep)

        async with asyncio.TaskGroup() as tg:
            for i, n in enumerate(spec.nodes):
                started[i] = tg.create_task(call(i, n))
        return started[spec.result].result()

    eager_body.__annotations__ = {"return": out_type}
    eg = eager(eager_body)
    return lambda: eg()


# ---------------------------------------------------------------------------------------------- the checks


async def cache_entries() -> int:
    """How many entries the local cache holds (the test's one use of the store's API: adapt it here if it changes)."""
    from aioflyte.engine.cache import get_store

    return await get_store().count()


def other_tasks() -> list[asyncio.Task[Any]]:
    me = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not me and not t.done()]


def coroutine_is(t: asyncio.Task[Any], name: str, file: str) -> bool:
    """Whether task ``t`` runs the coroutine function ``name`` of the source file ending with ``file``."""
    code = getattr(t.get_coro(), "cr_code", None)
    return code is not None and code.co_name == name and code.co_filename.replace(os.sep, "/").endswith(file)


def tree(root: str) -> set[str]:
    """Every file and folder under ``root`` (relative paths)."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, name), root))
    return out


_PICKLE_NAME = re.compile(r"[0-9a-f]{32}")


def raw_store_problems(root: str, seen: set[str], calls: dict[str, Call]) -> list[str]:
    """What is half-written in the raw store (files not in ``seen``, which then joins them); see the docstring."""
    problems = []
    for dirpath, dirnames, filenames in os.walk(root):
        problems += [
            f"a temporary folder of a write was left: {os.path.join(dirpath, name)}"
            for name in dirnames
            if name.startswith(".") or name.endswith(".part")
        ]
        for name in filenames:
            path = os.path.join(dirpath, name)
            if path in seen:
                continue
            seen.add(path)
            with open(path, "rb") as f:
                data = f.read()
            if name.startswith((".", "aioflyte-write-")) or name.endswith(".part"):
                problems.append(f"a temporary file of a write was left: {path}")
            elif name == "MANIFEST":
                problems += [
                    f"directory {dirpath} lacks {listed}, which its manifest lists"
                    for listed in data.decode().split()
                    if not os.path.isfile(os.path.join(dirpath, listed))
                ]
            elif name.startswith("audit-"):
                try:
                    key = fat.check_file(data).split("#")[0]
                except AssertionError as e:
                    problems.append(f"{path} is not whole: {e}")
                    continue
                call = calls.get(key)
                # A file the body writes straight to the store is published whole as its write ends, which may be
                # as the run is cancelled; any other output is uploaded by the engine once the body has returned.
                written = call is not None and call.node.out == "rfile" and call.node.behavior != "write_fail"
                if call is None or not (call.returned or written):
                    problems.append(f"{path} is an output of call {key}, whose body did not return")
            elif name == "deck.html":  # an @eager body's deck page (enable_deck is its default, as in flytekit)
                page = data.decode("utf-8", "replace")
                if not (page.startswith("<!doctype html>") and page.endswith("</html>\n")):
                    problems.append(f"deck page {path} is not whole")
                elif '<li data-deck="Output"' not in page:  # written only once the body returned
                    problems.append(f"deck page {path} is of an attempt whose body did not return")
            elif _PICKLE_NAME.fullmatch(name):
                if hashlib.md5(data).hexdigest() != name:
                    problems.append(f"pickle {path} is not whole")
            else:
                problems.append(f"an unexpected file in the raw store: {path}")
    return problems


def extra_threads(env: Env) -> list[str]:
    """Threads alive now that were not before the test, but for the engine's workers (the task threads, and the
    cache store's thread, which retires when idle); OS threads too."""
    alive = threading.enumerate()
    extra = [
        t.name for t in alive if t not in env.threads and not t.name.startswith(("aioflyte-task", "aioflyte-cache"))
    ]
    if os.path.isdir("/proc/self/task"):
        known = {t.native_id for t in alive} | env.tids
        extra += [f"OS thread {tid}" for tid in map(int, os.listdir("/proc/self/task")) if tid not in known]
    return extra


def children() -> dict[int, str]:
    """This process's child processes (pid: state letter), from /proc."""
    out = {}
    if not os.path.isdir("/proc"):
        return {p.pid: "?" for p in multiprocessing.active_children()}
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == me:
            out[int(entry)] = fields[0]
    return out


def extra_children(env: Env) -> list[str]:
    workers = {p.pid for pool in pools._process_pool for p in pool._processes.values()}  # stdlib: pid -> Process
    allowed = env.children | workers
    return [f"pid {pid} ({state})" for pid, state in children().items() if pid not in allowed or state == "Z"]


async def until(what: str, ok: Callable[[], bool]) -> None:
    """Wait for ``ok()`` (a hang guard: fails only if it never holds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG_GUARD
    while not ok():
        assert loop.time() < deadline, f"{what}: still not the case after {HANG_GUARD}s"
        await asyncio.sleep(0.002)


def until_sync(what: str, ok: Callable[[], bool]) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not ok():
        assert time.monotonic() < deadline, f"{what}: still not the case after {HANG_GUARD}s"
        time.sleep(0.002)


def leaves(e: BaseException) -> list[BaseException]:
    """The exceptions in ``e``: itself, or those of an exception group (a TaskGroup's), recursively."""
    if isinstance(e, getattr(builtins, "BaseExceptionGroup", ())):
        return [x for sub in e.exceptions for x in leaves(sub)]
    return [e]


async def check_value(spec: RunSpec, nonce: str, value: Any) -> None:
    """A successful run's value is right, and a file or directory it returns can be read after the run."""
    i = spec.result
    node = spec.nodes[i]
    key = node_key(nonce, i, node)
    if node.out == "int":
        dep = expected_dep(spec, nonce, i) if spec.dep_kind(i) == "int" else 0
        assert value == fat.token(key) ^ dep
    elif node.out in ("file", "rfile"):
        async with value.open("rb") as r:  # streamed from the store
            assert fat.check_file(await r.read()) == key
        path = await value.adownload()  # downloaded into the sandbox of code outside runs
        with open(path, "rb") as f:
            assert fat.check_file(f.read()) == key
    elif node.out == "dir":
        _check_local_dir(await value.adownload())
    else:
        assert value == fat.AuditBlob(key)


# ---------------------------------------------------------------------------------------------- the audit


@dataclass(repr=False)
class Env:
    root: str  # the test's own directory: each run gets a home (raw store, cache) and a temp directory in it
    threads: set[threading.Thread]
    tids: set[int]
    children: set[int]
    tmp: str = ""  # the current run's temp directory (tempfile.tempdir)
    raw_seen: set[str] = field(default_factory=set)
    runs: itertools.count[int] = field(default_factory=itertools.count)
    stats: dict[str, int] = field(default_factory=dict)
    writes: list[tuple[str, int, Any]] = field(default_factory=list)  # local writes: (path, when complete, run)
    ended: int = 0  # when the current run ended (time.monotonic_ns)

    def late_writes(self) -> list[str]:
        """Files the data plane wrote to the raw store for the current run after it ended."""
        raw = default_raw_output_prefix() + os.sep
        run = audit().run
        return [p for p, when, r in self.writes if r is run and when > self.ended and p.startswith(raw)]

    def isolate(self, nonce: str) -> None:
        """A fresh home (raw store), temp directory and default data provider for the next run: a run that fails
        the audit leaves nothing that the next one (Hypothesis replaying it) would trip on."""
        home = os.path.join(self.root, nonce)
        self.tmp = os.path.join(home, "tmp")
        os.makedirs(self.tmp)
        os.environ["AIOFLYTE_HOME"] = home
        os.environ["AIOFLYTE_CACHE_DIR"] = os.path.join(self.root, "cache")  # shared: every call has keys of its own
        os.environ["TMPDIR"] = tempfile.tempdir = self.tmp
        provider_module._DEFAULT = None  # a provider of the run's own: its download sandbox is under tmp
        self.raw_seen = set()
        self.writes.clear()

    def record_writes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Note when each local write of the data plane is complete (to tell one that lands after its run). Each
        takes a millisecond more (in its worker thread), so that cancellations land in the middle of some."""
        for name in ("_copy_local_atomic", "_write_local_atomic"):
            real = getattr(provider_module, name)

            def recorded(src: Any, dst: Any, real: Any = real, name: str = name) -> None:
                time.sleep(0.001)
                real(src, dst)
                path = src if name == "_write_local_atomic" else dst
                self.writes.append((path, time.monotonic_ns(), current_run()))

            monkeypatch.setattr(provider_module, name, recorded)


def stacks() -> str:
    """Where every task and thread is (for a hang guard's message)."""
    import io
    import traceback

    out = io.StringIO()
    for t in asyncio.all_tasks():
        t.print_stack(file=out)
    for tid, frame in sys._current_frames().items():
        out.write(f"thread {tid}:\n{''.join(traceback.format_stack(frame))}")
    return out.getvalue()


async def audit_run(env: Env, spec: RunSpec, nonce: str) -> None:
    global AUDIT
    loop = asyncio.get_running_loop()
    a = AUDIT = Audit(loop, spec.cancel_at)
    for i, n in enumerate(spec.nodes):
        a.calls[node_key(nonce, i, n)] = Call(n)
    start = build(spec, nonce)
    sandbox = default_provider().local_sandbox_dir  # outside runs: the process-wide download sandbox
    tmp_before, sandbox_before = tree(env.tmp), tree(sandbox)
    entries_before = await cache_entries()

    run = asyncio.ensure_future(start())
    ended: list[int] = []
    run.add_done_callback(lambda _: ended.append(time.monotonic_ns()))
    cancelled = False
    if spec.cancel_at is not None:
        trigger = asyncio.ensure_future(a.trigger.wait())
        await asyncio.wait({run, trigger}, timeout=HANG_GUARD, return_when=asyncio.FIRST_COMPLETED)
        trigger.cancel()
        await asyncio.gather(trigger, return_exceptions=True)
        for _ in range(spec.extra_turns):
            if run.done():
                break
            await asyncio.sleep(0)
        cancelled = run.cancel()
    await asyncio.wait({run}, timeout=HANG_GUARD)
    assert run.done(), f"the run did not end within {HANG_GUARD}s:\n{stacks()}"
    # Right after the run, the only tasks left may be I/O that sync bodies still running asked the loop to do: the
    # bridged calls, and the file operations they wait on in worker threads.
    left = other_tasks()
    bridges = [t for t in left if coroutine_is(t, "_as_coro", "aioflyte/io/bridge.py")]
    jobs = [t for t in left if coroutine_is(t, "run_sync", "anyio/to_thread.py")]
    assert not [t for t in left if t not in bridges and t not in jobs], f"tasks left by the run: {left}"
    assert bridges or not jobs, f"file operations left by the run: {jobs}"
    a.release.set()  # hanging sync bodies the run stopped waiting for return now
    await until("the sync bodies returned", lambda: not pools.in_flight())
    await until("no asyncio task is left", lambda: not other_tasks())
    raw = default_raw_output_prefix()
    env.ended = ended[0]
    assert not env.late_writes(), f"written to the raw store after the run ended: {env.late_writes()}"

    # the outcome: a cancelled run ends cancelled (or, when a call of an eager body failed meanwhile, with that
    # failure: a TaskGroup reports it rather than the cancellation, and an eager run closing its scope after the
    # failure keeps the body's error; seen under load for sequential eager bodies too)
    if run.cancelled():
        assert cancelled, "the run ended cancelled, but nothing cancelled it"
        outcome = "cancelled"
    elif run.exception() is not None:
        error = run.exception()
        assert not spec.succeeds, f"the run should have succeeded: {error!r}"
        assert not cancelled or spec.kind.startswith("eager"), f"the run was cancelled but ended with {error!r}"
        for e in leaves(error):
            assert isinstance(e, (fat.AuditFailure, FlyteRecoverableException, FlyteTimeout)), repr(e)
        outcome = "failed"
    else:
        assert not cancelled, f"the run was cancelled but returned {run.result()!r}"
        assert spec.succeeds, "the run should have failed"
        outcome = "succeeded"
    env.stats[outcome] = env.stats.get(outcome, 0) + 1

    # what is left behind
    assert tree(env.tmp) == tmp_before, f"left in the temp directory: {tree(env.tmp) - tmp_before}"
    assert tree(sandbox) == sandbox_before, f"left in the download sandbox: {tree(sandbox) - sandbox_before}"
    problems = raw_store_problems(raw, env.raw_seen, a.calls)
    assert not problems, "\n".join(problems)
    cached = [(i, a.calls[node_key(nonce, i, n)]) for i, n in enumerate(spec.nodes) if n.cache]
    new_entries = await cache_entries() - entries_before
    returned = sum(c.returned for _, c in cached)
    assert new_entries <= returned, f"{new_entries} new cache entries, but only {returned} cached bodies returned"
    if outcome == "succeeded":
        assert new_entries == len(cached)
        await check_value(spec, nonce, run.result())
        # reading it downloaded it into the download sandbox of code outside runs, and nowhere else
        outside = os.path.relpath(sandbox, env.tmp)
        stray = {p for p in tree(env.tmp) - tmp_before if p != outside and not p.startswith(outside + os.sep)}
        assert not stray, f"reading the run's value after the run wrote outside the sandbox: {stray}"

    # the cache probe: each cached call again, in a run of its own
    a.cancel_at = None
    if a.run is None:  # no body of the run started: the probes' writes are not the run's
        a.run = object()
    tmp_before = tree(env.tmp)
    for i, call in cached:
        returned, call.probe = call.returned, True
        key = node_key(nonce, i, call.node)
        await asyncio.wait_for(node_task(spec, i, True)(key=key, dep=expected_dep(spec, nonce, i)), HANG_GUARD)
        if not returned:
            assert call.probed, f"call {key} failed or was cancelled, yet it has a cache entry"
        if outcome == "succeeded":
            assert not call.probed, f"call {key} succeeded, yet it has no cache entry"
    await until("no asyncio task is left after the probes", lambda: not other_tasks())
    assert tree(env.tmp) == tmp_before, f"left in the temp directory by probes: {tree(env.tmp) - tmp_before}"
    problems = raw_store_problems(raw, env.raw_seen, a.calls)
    assert not problems, "\n".join(problems)


@pytest.fixture
def env(tmp_path, monkeypatch) -> Iterator[Env]:
    """The worker pools started, then the baselines; each run is isolated (``Env.isolate``)."""
    for name in ("AIOFLYTE_HOME", "AIOFLYTE_CACHE_DIR", "TMPDIR"):  # restored after the test
        monkeypatch.setenv(name, os.environ.get(name, ""))
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    monkeypatch.setattr(provider_module, "_DEFAULT", provider_module._DEFAULT)

    async def warm_up() -> None:
        global AUDIT
        AUDIT = Audit(asyncio.get_running_loop(), None)
        for body in ("async", "sync"):
            AUDIT.calls[f"warm-{body}"] = Call(NodeSpec(body, "ok", "int", None))
            await task_for(body, "int", "int", 0, False, False, None)(key=f"warm-{body}", dep=CONST)
        await fat.proc_body(key="warm", dep=CONST)
        await cache_entries()

    env = Env(str(tmp_path), set(), set(), set())
    env.record_writes(monkeypatch)
    env.isolate("warm-up")
    asyncio.run(warm_up())
    until_sync("the warm-up's threads ended", lambda: not [t for t in threading.enumerate() if "AnyIO" in t.name])
    alive = threading.enumerate()
    env.threads = set(alive)
    env.tids = set(map(int, os.listdir("/proc/self/task"))) if os.path.isdir("/proc/self/task") else set()
    env.children = set(children())
    yield env
    print("failure audit:", env.stats)
    if sum(env.stats.values()) >= MAX_EXAMPLES:  # every run passed: they did cover every way a run ends
        assert min(env.stats.get(k, 0) for k in ("succeeded", "failed", "cancelled")) >= MAX_EXAMPLES // 10, env.stats


MAX_EXAMPLES = 300


@pytest.mark.slow
@pytest.mark.timeout(300)  # ~15 s alone on 2 cores; more on a loaded machine
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same runs every time: a failure reproduces
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failing run is reported as it was generated
    report_multiple_bugs=False,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=run_specs())
def test_failed_or_cancelled_runs_leave_nothing_behind(env, spec):
    nonce = f"r{next(env.runs)}"
    env.isolate(nonce)
    try:
        asyncio.run(audit_run(env, spec, nonce))
        until_sync("no thread is left", lambda: not extra_threads(env))
        until_sync("no child process is left", lambda: not extra_children(env))
        # checked again now that every thread is done: a write still under way at the first check is counted
        assert not env.late_writes(), f"written to the raw store after the run ended: {env.late_writes()}"
    except BaseException as e:
        e.add_note(f"the run: {spec}")
        # Hypothesis replays a failing run to report it; if timing makes the replay differ, this is the original.
        print(f"failure audit: run {nonce} failed: {e!r:.3000}\n  {spec}")
        raise


# ---------------------------------------------------------------------------------------------- the audit's parts


def test_the_checks_catch_what_they_look_for(tmp_path):
    """Each check of the audit fails on the leftover it looks for (so a passing audit means something)."""
    root = str(tmp_path / "raw")
    good, cut = fat.file_chunks("k-0"), fat.file_chunks("k-1")
    calls = {
        "k-0": Call(NodeSpec("async", "ok", "file", None), returned=True),
        "k-1": Call(NodeSpec("async", "ok", "file", None)),
    }
    files = {
        "a/audit-k-0.bin": b"".join(good),  # whole, of a call that returned: fine
        "b/audit-k-1.bin": b"".join(cut),  # whole, but its call's body never returned
        "c/audit-k-0.bin": b"".join(good)[:-3],  # cut short
        "d/.audit-k-0.bin.1234abcd.part": b"x",  # a temporary file of a write
        "e/MANIFEST": b"audit-k-0-0.bin\naudit-k-0-1.bin",  # a directory missing a file
        "e/audit-k-0-0.bin": b"".join(fat.file_chunks("k-0#0")),
        f"f/{hashlib.md5(b'pickle').hexdigest()}": b"pickle",  # a whole pickle: fine
        f"g/{hashlib.md5(b'pickle').hexdigest()}": b"pick",  # a cut one
        "h/something-else": b"?",
    }
    for rel, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)
    problems = raw_store_problems(root, set(), calls)
    flagged = sorted({p.split(root + os.sep)[1][0] for p in problems})  # the one-letter folder each names
    assert flagged == ["b", "c", "d", "e", "g", "h"], problems

    env = Env(str(tmp_path), set(threading.enumerate()), set(map(int, os.listdir("/proc/self/task"))), set(children()))
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, name="stray")
    t.start()
    try:
        assert "stray" in extra_threads(env)
    finally:
        stop.set()
        t.join()
    assert not extra_threads(env)
    import subprocess

    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert any(f"pid {child.pid} " in c for c in extra_children(env))
    finally:
        child.communicate()
    assert not extra_children(env)


async def test_a_cancelled_runs_sync_body_keeps_the_runs_scratch_space_until_it_returns(tmp_path, monkeypatch):
    """Python cannot stop a thread: the run's scratch space outlives the run until its last sync body returns, and
    is removed then (it is neither removed under the body's feet nor left behind)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    started, release = threading.Event(), threading.Event()
    wrote: list[bool] = []

    @task
    def body(x: int) -> int:
        scratch = FlyteFile.new("late.txt").path  # in the attempt's working directory, in the run's scratch space
        started.set()
        release.wait(HANG_GUARD)
        with open(scratch, "w") as f:  # the run was cancelled meanwhile
            f.write("late")
        wrote.append(True)
        return x

    run = asyncio.ensure_future(body(x=1))
    await until("the body started", started.is_set)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert os.listdir(tmp_path), "the scratch space went while the body still runs"
    release.set()
    await until("the scratch space is removed", lambda: not os.listdir(tmp_path))
    assert wrote == [True]


async def test_a_failed_eager_run_leaves_none_of_its_calls_running():
    release = threading.Event()

    @task
    def slow(x: int) -> int:
        release.wait(HANG_GUARD)
        return x

    @task
    async def boom(x: int) -> int:
        raise fat.AuditFailure("boom")

    @eager
    async def gathered(x: int) -> int:
        a, b = await asyncio.gather(slow(x=x), boom(x=x))
        return a + b

    try:
        with pytest.raises(fat.AuditFailure):
            await gathered(x=1)
        assert not other_tasks(), "the eager run ended with its gathered calls still running"
    finally:
        release.set()
