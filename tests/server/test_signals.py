"""Signals against the server subprocess, through FlyteRemote: GetOrCreate / list / set (typed, checked), approve
and reject, NOT_FOUND for unknown signals, state across restarts, the SignalManager's wait, and gate nodes
(``approve`` / ``wait_for_input``) of a remotely executed workflow released by ``approve`` / ``set_input``."""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from pathlib import Path

import executions_tasks as tasks
import grpc
import pytest
import pytest_asyncio
from flyteidl.admin import signal_pb2
from flyteidl.core import execution_pb2 as core_execution_pb2
from flyteidl.core import identifier_pb2, literals_pb2, types_pb2
from flyteidl.service import signal_pb2_grpc
from servers import task_env

from aioflyte import approve, wait_for_input, workflow
from aioflyte.configuration.config import Config
from aioflyte.remote.client import (
    FlyteEntityAlreadyExistsException,
    FlyteEntityNotExistException,
    FlyteInvalidInputException,
    sort_by,
)
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.signals import SignalManager
from aioflyte.server.store import Store
from aioflyte.server.testing import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="module")

P, D = "flytesnacks", "development"
HERE = Path(__file__).parent
Phase = core_execution_pb2.WorkflowExecution
INT = types_pb2.LiteralType(simple=types_pb2.INTEGER)
STR = types_pb2.LiteralType(simple=types_pb2.STRING)
BOOL = types_pb2.LiteralType(simple=types_pb2.BOOLEAN)


def _env() -> dict[str, str]:
    return task_env(HERE)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("signals") / "state", env=_env()) as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(server):
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
        yield r


def _name() -> str:
    return "x" + uuid.uuid4().hex[:19]


def _ex(name: str) -> identifier_pb2.WorkflowExecutionIdentifier:
    return identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name=name)


def _int(v: int) -> literals_pb2.Literal:
    return literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(integer=v)))


async def _create(remote: FlyteRemote, name: str, **types: types_pb2.LiteralType) -> None:
    for signal_id, lt in types.items():
        await remote.signal_client.get_or_create_signal(signal_id, _ex(name), lt)


def _values(signals: list[signal_pb2.Signal]) -> dict[str, literals_pb2.Literal | None]:
    return {s.id.signal_id: (s.value if s.HasField("value") else None) for s in signals}


@pytest.mark.slow
async def test_no_signals_for_an_execution_without_gates(remote):
    assert await remote.list_signals(_name()) == []


@pytest.mark.slow
async def test_get_or_create_creates_once_and_lists_in_creation_order(remote):
    name = _name()
    first = await remote.signal_client.get_or_create_signal("review", _ex(name), BOOL)
    assert first.id.signal_id == "review" and first.id.execution_id == _ex(name)
    assert first.type == BOOL and not first.HasField("value")
    await _create(remote, name, count=INT, title=STR)
    again = await remote.signal_client.get_or_create_signal("review", _ex(name), BOOL)
    assert again == first
    signals = await remote.list_signals(name)
    assert [s.id.signal_id for s in signals] == ["review", "count", "title"]
    assert [s.type for s in signals] == [BOOL, INT, STR]
    assert _values(signals) == {"review": None, "count": None, "title": None}
    # the same signal id with another type is a conflict, named
    with pytest.raises(FlyteEntityAlreadyExistsException, match="signal 'review' of execution") as info:
        await remote.signal_client.get_or_create_signal("review", _ex(name), INT)
    assert info.value.code == grpc.StatusCode.ALREADY_EXISTS
    assert "boolean" in str(info.value) and "integer" in str(info.value)


@pytest.mark.slow
async def test_set_signal_with_int_str_and_bool_values(remote):
    name = _name()
    await _create(remote, name, count=INT, title=STR, ok=BOOL, other=INT)
    await remote.set_signal("count", name, 42)
    await remote.set_signal("title", name, "my report", project=P, domain=D)
    await remote.set_input("ok", name, True)  # flytekit's alias
    await remote.set_signal("other", name, _int(7))  # a literal goes as it is
    values = _values(await remote.list_signals(name))
    assert values["count"].scalar.primitive.integer == 42
    assert values["title"].scalar.primitive.string_value == "my report"
    assert values["ok"].scalar.primitive.boolean is True
    assert values["other"].scalar.primitive.integer == 7
    # setting again replaces the value, as flyteadmin does
    await remote.set_signal("count", name, 43, python_type=int)
    assert _values(await remote.list_signals(name))["count"].scalar.primitive.integer == 43


@pytest.mark.slow
async def test_a_value_of_the_wrong_type_is_rejected(remote):
    name = _name()
    await _create(remote, name, count=INT)
    # converted with the signal's registered type: the client names the signal, expected and actual
    with pytest.raises(FlyteInvalidInputException, match=r"signal 'count' of execution .*expected int, got 'abc'"):
        await remote.set_signal("count", name, "abc")
    # a value the client sends as a string: the server refuses it with INVALID_ARGUMENT naming both types
    with pytest.raises(FlyteInvalidInputException, match="expected integer, got string") as info:
        await remote.set_signal("count", name, "abc", python_type=str)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "signal 'count' of execution flytesnacks/development/" + name in str(info.value)
    with pytest.raises(FlyteInvalidInputException, match="expected integer, got boolean"):
        await remote.approve("count", name)
    assert _values(await remote.list_signals(name)) == {"count": None}  # nothing was stored


@pytest.mark.slow
async def test_unknown_signal_is_not_found(remote):
    name = _name()
    for call in (remote.set_signal("nope", name, 1), remote.approve("nope", name), remote.reject("nope", name)):
        with pytest.raises(FlyteEntityNotExistException) as info:
            await call
        assert info.value.code == grpc.StatusCode.NOT_FOUND
        assert f"signal 'nope' of execution flytesnacks/development/{name} does not exist" in str(info.value)


@pytest.mark.slow
async def test_approve_and_reject_set_the_boolean(remote):
    name = _name()
    await _create(remote, name, first=BOOL, second=BOOL)
    await remote.approve("first", name)
    await remote.reject("second", name)
    values = _values(await remote.list_signals(name))
    assert values["first"].scalar.primitive.boolean is True
    assert values["second"].scalar.primitive.HasField("boolean") and values["second"].scalar.primitive.boolean is False


@pytest.mark.slow
async def test_list_pages_with_limit_and_token(remote):
    name = _name()
    await _create(remote, name, **{f"s{i}": INT for i in range(5)})
    assert [s.id.signal_id for s in await remote.list_signals(name, limit=2)] == ["s0", "s1"]
    pages, token = [], ""
    while True:
        page, token = await remote.signal_client.list_signals(_ex(name), limit=2, token=token)
        pages.append([s.id.signal_id for s in page])
        if not token:
            break
    assert pages == [["s0", "s1"], ["s2", "s3"], ["s4"]]
    assert [s.id.signal_id async for s in remote.signal_client.iter_signals(_ex(name), limit=3)] == [
        f"s{i}" for i in range(5)
    ]
    # flyteadmin's filters, and a descending sort
    assert [s.id.signal_id for s in await remote.list_signals(name, filters="eq(signal_id,s3)")] == ["s3"]
    chosen = await remote.list_signals(name, filters="value_in(signal.signal_id,s4;s1)")
    assert [s.id.signal_id for s in chosen] == ["s1", "s4"]
    newest, _ = await remote.signal_client.list_signals(_ex(name), limit=2, sort=sort_by("created_at"))
    assert [s.id.signal_id for s in newest] == ["s4", "s3"]
    with pytest.raises(FlyteInvalidInputException, match="invalid filter field 'phase' for signal lists"):
        await remote.list_signals(name, filters="eq(phase,SUCCEEDED)")


@pytest.mark.slow
async def test_bad_requests_get_explicit_codes(server):
    ex = _ex(_name())
    sid = identifier_pb2.SignalIdentifier(signal_id="a", execution_id=ex)
    cases = [
        ("ListSignals", signal_pb2.SignalListRequest(workflow_execution_id=ex, limit=0), "limit"),
        ("ListSignals", signal_pb2.SignalListRequest(limit=5), "missing execution_id"),
        ("ListSignals", signal_pb2.SignalListRequest(workflow_execution_id=ex, limit=5, token="x"), "token"),
        ("ListSignals", signal_pb2.SignalListRequest(workflow_execution_id=ex, limit=5, sort_by={"key": "x"}), "sort"),
        ("GetOrCreateSignal", signal_pb2.SignalGetOrCreateRequest(type=INT), "missing id"),
        ("GetOrCreateSignal", signal_pb2.SignalGetOrCreateRequest(id=sid), "missing type"),
        (
            "GetOrCreateSignal",
            signal_pb2.SignalGetOrCreateRequest(id=identifier_pb2.SignalIdentifier(signal_id="a"), type=INT),
            "missing execution_id",
        ),
        ("SetSignal", signal_pb2.SignalSetRequest(id={"execution_id": ex}, value=_int(1)), "missing signal_id"),
        ("SetSignal", signal_pb2.SignalSetRequest(id=sid), "missing value"),
    ]
    async with grpc.aio.insecure_channel(server.endpoint) as channel:
        stub = signal_pb2_grpc.SignalServiceStub(channel)
        for method, request, message in cases:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await getattr(stub, method)(request)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (method, message)
            assert message in info.value.details(), (method, info.value.details())
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await stub.SetSignal(signal_pb2.SignalSetRequest(id=sid, value=_int(1)))
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        assert f"signal 'a' of execution flytesnacks/development/{ex.name} does not exist" in info.value.details()


@pytest.mark.slow
async def test_signals_survive_a_restart(tmp_path):
    state, name = tmp_path / "state", _name()
    async with ServerProcess(state) as s, FlyteRemote(Config.for_endpoint(s.endpoint, insecure=True), P, D) as r:
        await _create(r, name, done=INT, later=STR)
        await r.set_signal("done", name, 5)
    async with ServerProcess(state) as s, FlyteRemote(Config.for_endpoint(s.endpoint, insecure=True), P, D) as r:
        signals = await r.list_signals(name)
        assert [(x.id.signal_id, x.type) for x in signals] == [("done", INT), ("later", STR)]
        values = _values(signals)
        assert values["done"].scalar.primitive.integer == 5 and values["later"] is None
        await r.set_signal("later", name, "after the restart")
        assert _values(await r.list_signals(name))["later"].scalar.primitive.string_value == "after the restart"


async def test_manager_wait_is_woken_by_set_and_cancellable(tmp_path):
    store = Store(tmp_path / "state.db")
    await store.open()
    try:
        signals = SignalManager(store)
        await signals.open()
        ex = _ex("waiting")
        waiter = asyncio.create_task(signals.wait(ex, "go", INT))
        while not await signals.list(ex, limit=10):  # noqa: ASYNC110  (the wait created the signal)
            await asyncio.sleep(0.01)
        assert not waiter.done() and signals.waiting() == 1
        await signals.set(ex, "go", _int(3))
        assert (await asyncio.wait_for(waiter, 10)).scalar.primitive.integer == 3
        assert signals.waiting() == 0
        # already set: returns at once; a second wait on the same signal gets the same value
        assert (await signals.wait(ex, "go", INT)).scalar.primitive.integer == 3
        # cancelling a wait leaves the signal and no waiter behind
        pending = asyncio.create_task(signals.wait(ex, "never", BOOL))
        while signals.waiting() == 0:  # noqa: ASYNC110  (the manager's state: no event to wait on)
            await asyncio.sleep(0.01)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        assert signals.waiting() == 0
        assert [s.id.signal_id for s in await signals.list(ex, limit=10)] == ["go", "never"]
    finally:
        await store.close()


# --- gate nodes of a remotely executed workflow ---------------------------------------------------------------------

HOUR = datetime.timedelta(hours=1)


@workflow
def gated(a: int, b: int) -> int:
    total = tasks.add(a=a, b=b)
    approved = approve(total, "review", timeout=HOUR)
    extra = wait_for_input("extra", timeout=HOUR, expected_type=int)
    return tasks.add(a=approved, b=extra)


async def _signals_appear(remote: FlyteRemote, name: str, expected: set[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while {s.id.signal_id for s in await remote.list_signals(name)} != expected:
        assert time.monotonic() < deadline, f"the gate nodes never created the signals {expected}"
        await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_gates_wait_for_approval_and_input(remote):
    ex = await remote.execute(gated, inputs={"a": 1, "b": 2}, version="g1")
    await _signals_appear(remote, ex.id.name, {"review", "extra"})
    assert not (await remote.sync_execution(ex)).is_done  # held by its gates
    await remote.approve("review", ex.id.name)
    await remote.set_input("extra", ex.id.name, 10)
    done = await remote.wait(ex, timeout=datetime.timedelta(seconds=120))
    assert done.phase == Phase.SUCCEEDED, done.error
    assert done.outputs["o0"] == 13


@pytest.mark.slow
async def test_rejected_gate_fails_the_execution(remote):
    ex = await remote.execute(gated, inputs={"a": 1, "b": 2}, version="g1")
    await _signals_appear(remote, ex.id.name, {"review", "extra"})
    await remote.reject("review", ex.id.name)
    done = await remote.wait(ex, timeout=datetime.timedelta(seconds=120))
    assert done.phase == Phase.FAILED
    assert "reject" in str(done.error).lower()
