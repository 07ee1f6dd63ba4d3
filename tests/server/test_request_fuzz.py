"""Every method of every service the server serves, sent a few thousand random and mutated requests (seeded, so the
run is the same every time): none is answered UNKNOWN or INTERNAL, and the server never crashes. Undecodable bytes
are INVALID_ARGUMENT; bad enum values, huge numbers and odd strings are refused with an explicit code."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
import workflow_entities as wf
from flyteidl.admin import common_pb2, execution_pb2, launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import identifier_pb2
from flyteidl.service import admin_pb2, admin_pb2_grpc, dataproxy_pb2, signal_pb2
from google.protobuf import duration_pb2, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from servers import task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

HERE = Path(__file__).parent
P, D = "flytesnacks", "development"
SEED = 14
#: requests per method: random messages, then byte-level mutations of them
PER_METHOD = 60
SERVICES = [
    admin_pb2.DESCRIPTOR.services_by_name["AdminService"],
    signal_pb2.DESCRIPTOR.services_by_name["SignalService"],
    dataproxy_pb2.DESCRIPTOR.services_by_name["DataProxyService"],
]
BAD = (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)

_STRINGS = [
    "", "flytesnacks", "development", "staging", "production", "x", "a" * 300, "v1", "my.task", "../..", "/etc/passwd",
    "é∂ƒ", "%", "%%", "'", '"', "\\", "a b", "eq(phase,1)", "value_in(phase,1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;"
    "18;19;20;21;22;23;24;25;26;27;28;29;30;31;32;33;34;35;36;37;38;39;40;41;42;43;44;45;46;47;48;49;50;51;52;53;54)",
    "gt(created_at,2020-01-01)", "eq(", "contains(name,x)+eq(version,1)", "99999999999999999999999", "-1",
    "s3://bucket/key", "file:///tmp/x", "flyte://v1/flytesnacks/development/x/n0/i", "created_at", "name", "\x00",
]  # fmt: skip
_LIKELY = {
    "project": ["flytesnacks"],
    "domain": ["development", "staging"],
    "version": ["v1", "v2"],
    "name": ["wf", "t", "x"],
    "token": ["", "1", "-1", "99999999999999999999999", "abc"],
}
_INTS = [0, 1, -1, 2, 7, 99, 1000, 2**31 - 1, -(2**31), 2**32, 2**53, 2**62, 2**63 - 1, -(2**63)]


def _scalar(field: FieldDescriptor, rng: random.Random) -> Any:
    t = field.type
    if t == FieldDescriptor.TYPE_BOOL:
        return rng.random() < 0.5
    if t == FieldDescriptor.TYPE_STRING:
        likely = _LIKELY.get(field.name)
        if likely is not None and rng.random() < 0.7:  # mostly past the "unknown project" checks, to go deeper
            return rng.choice(likely)
        return rng.choice(_STRINGS) if rng.random() < 0.8 else "".join(chr(rng.randrange(32, 0x3000)) for _ in range(8))
    if t == FieldDescriptor.TYPE_BYTES:
        return rng.randbytes(rng.randrange(0, 40))
    if t in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return rng.choice([0.0, -1.0, 1e300, float("inf"), float("nan"), rng.uniform(-1e6, 1e6)])
    if t == FieldDescriptor.TYPE_ENUM:
        values = [v.number for v in field.enum_type.values]
        return rng.choice(values) if rng.random() < 0.7 else rng.choice([99, -1, 2**31 - 1, 12345])
    unsigned = t in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED32,
                     FieldDescriptor.TYPE_FIXED64)  # fmt: skip
    bits = 32 if t in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32,
                       FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32) else 64  # fmt: skip
    likely = _LIKELY.get(field.name)
    if likely is not None and rng.random() < 0.7:
        return rng.choice(likely)
    v = rng.choice(_INTS) if rng.random() < 0.8 else rng.randrange(-(2**20), 2**20)
    lo, hi = (0, 2**bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return min(max(v, lo), hi)


#: real messages (ids, specs, inputs of entities and executions the test made), by type: requests built around
#: them get past the look-ups, to the code behind
POOL: dict[str, list[Any]] = {}


def fill(msg: Any, rng: random.Random, depth: int = 0) -> Any:
    """Set a random subset of ``msg``'s fields to random values (messages nested up to a few levels); a message of a
    type the pool holds is mostly a real one, with some of its fields changed."""
    desc: Descriptor = msg.DESCRIPTOR
    real = POOL.get(desc.full_name)
    if real and rng.random() < 0.7:
        msg.CopyFrom(rng.choice(real))
        if rng.random() < 0.5:
            return msg
        depth = max(depth, 2)  # then change a few of its fields
    for field in desc.fields:
        if rng.random() < (0.1 if depth == 0 else 0.3 if depth < 2 else 0.8):
            continue
        is_message = field.type == FieldDescriptor.TYPE_MESSAGE
        if is_message and depth >= 4:
            continue
        if field.is_repeated:
            container = getattr(msg, field.name)
            if is_message and field.message_type.GetOptions().map_entry:
                key_f, value_f = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
                for _ in range(rng.randrange(0, 3)):
                    key = _scalar(key_f, rng)
                    if value_f.type == FieldDescriptor.TYPE_MESSAGE:
                        fill(container[key], rng, depth + 1)
                    else:
                        container[key] = _scalar(value_f, rng)
            elif is_message:
                for _ in range(rng.randrange(0, 3)):
                    fill(container.add(), rng, depth + 1)
            else:
                container.extend(_scalar(field, rng) for _ in range(rng.randrange(0, 3)))
        elif is_message:
            sub = getattr(msg, field.name)
            sub.Clear()
            fill(sub, rng, depth + 1)
            if field.message_type.full_name in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
                sub = getattr(msg, field.name)
                sub.seconds, sub.nanos = rng.choice([(0, 0), (2**62, 0), (-(2**62), 0), (10, -5), (1, 2**30)])
        else:
            setattr(msg, field.name, _scalar(field, rng))
    return msg


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Bytes that may or may not still decode: flipped, cut, spliced or replaced."""
    how = rng.randrange(5)
    if how == 0 or not data:
        return rng.randbytes(rng.randrange(1, 64))
    b = bytearray(data)
    if how == 1:
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    if how == 2:
        return bytes(b[: rng.randrange(len(b))])
    if how == 3:
        at = rng.randrange(len(b) + 1)
        return bytes(b[:at]) + rng.randbytes(rng.randrange(1, 16)) + bytes(b[at:])
    return bytes(b) + bytes([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F])  # a length-delimited field far past the end


def requests_for(method: MethodDescriptor, rng: random.Random) -> list[bytes]:
    request_type = message_factory.GetMessageClass(method.input_type)
    valid = [fill(request_type(), rng).SerializeToString() for _ in range(PER_METHOD * 2 // 3)]
    return valid + [mutate(rng.choice(valid), rng) for _ in range(PER_METHOD - len(valid))]


async def _real_things(endpoint: str) -> None:
    """Register a workflow, its tasks and launch plans, run it, and put what they are made of in the pool."""
    POOL.clear()
    async with FlyteRemote(Config.for_endpoint(endpoint, insecure=True), P, D) as remote:
        # a fixed name, so that the requests built around it are the same on every run
        done = await remote.execute(
            wf.chain, inputs={"a": 1, "b": 2}, version="v1", execution_name="fuzz-seed", wait=True
        )
        await remote.register_launch_plan(wf.fixed_lp, version="v1")
        client = remote.client
        ex = await client.get_execution(done.id)
        nodes = await client.list_node_executions(done.id)
        data = await client.get_execution_data(done.id)
    add = POOL.setdefault
    add("flyteidl.core.WorkflowExecutionIdentifier", []).append(ex.id)
    add("flyteidl.admin.ExecutionSpec", []).append(ex.spec)
    add("flyteidl.core.Identifier", []).append(ex.spec.launch_plan)
    add("flyteidl.core.LiteralMap", []).append(data.full_inputs)
    for node in getattr(nodes, "node_executions", []) or []:
        add("flyteidl.core.NodeExecutionIdentifier", []).append(node.id)
    async with grpc.aio.insecure_channel(endpoint) as channel:
        stub = admin_pb2_grpc.AdminServiceStub(channel)
        lp = await stub.GetLaunchPlan(common_pb2.ObjectGetRequest(id=ex.spec.launch_plan))
        add("flyteidl.admin.LaunchPlanSpec", []).append(lp.spec)
        add("flyteidl.core.Identifier", []).append(lp.spec.workflow_id)
        w = await stub.GetWorkflow(common_pb2.ObjectGetRequest(id=lp.spec.workflow_id))
        compiled = w.closure.compiled_workflow
        add("flyteidl.admin.WorkflowSpec", []).append(workflow_pb2.WorkflowSpec(template=compiled.primary.template))
        for t in compiled.tasks:
            add("flyteidl.core.Identifier", []).append(t.template.id)
            add("flyteidl.admin.TaskSpec", []).append(task_pb2.TaskSpec(template=t.template))
    for ids in POOL.values():  # versions the test did not register, so that Create* calls get past "exists"
        for msg in list(ids):
            if msg.DESCRIPTOR.full_name == "flyteidl.core.Identifier":
                other = type(msg)()
                other.CopyFrom(msg)
                other.version = "v2"
                ids.append(other)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("fuzz") / "state", env=task_env(HERE)) as s:
        await _real_things(s.endpoint)
        yield s


async def test_random_and_mutated_requests_never_get_unknown_or_internal(server):
    rng = random.Random(SEED)
    codes: Counter[str] = Counter()
    bad: list[str] = []
    async with grpc.aio.insecure_channel(server.endpoint) as channel:
        sent = 0
        for service in SERVICES:
            for method in service.methods:
                call = channel.unary_unary(f"/{service.full_name}/{method.name}")  # bytes in, bytes out

                async def one(data: bytes, call: Any = call, name: str = method.name) -> None:
                    try:
                        await call(data, timeout=30)
                        codes["OK"] += 1
                    except grpc.aio.AioRpcError as e:
                        codes[e.code().name] += 1
                        if e.code() in BAD or e.code() == grpc.StatusCode.UNAVAILABLE:
                            bad.append(f"{name} {data.hex()[:200]}: {e.code().name} {e.details()}")

                batch = requests_for(method, rng)
                sent += len(batch)
                await asyncio.gather(*(one(d) for d in batch))
        assert server.process is not None and server.process.returncode is None, "the server crashed"
    assert sent >= 3000
    assert bad == [], f"{len(bad)} bad answers ({dict(codes)}):\n" + "\n".join(bad[:40])
    assert codes["INVALID_ARGUMENT"] > 0


async def _code(endpoint: str, service: Any, method: str, request: Any) -> tuple[grpc.StatusCode, str]:
    data = request if isinstance(request, bytes) else request.SerializeToString()
    async with grpc.aio.insecure_channel(endpoint) as channel:
        try:
            await channel.unary_unary(f"/{service.full_name}/{method}")(data, timeout=30)
        except grpc.aio.AioRpcError as e:
            return e.code(), e.details() or ""
    return grpc.StatusCode.OK, ""


ADMIN, PROXY = SERVICES[0], SERVICES[2]


@pytest.mark.parametrize(
    ("service", "method", "request_", "says"),
    [
        (ADMIN, "GetTask", b"\xff\xff\xff", "not a valid flyteidl.admin.ObjectGetRequest message"),
        (ADMIN, "GetTask", common_pb2.ObjectGetRequest(id=identifier_pb2.Identifier(
            resource_type=99, project=P, domain=D, name="t", version="v1")), "99 (not a ResourceType value)"),
        (PROXY, "CreateDownloadLink", dataproxy_pb2.CreateDownloadLinkRequest(artifact_type=7),
         "7 (not a ArtifactType value)"),
        (ADMIN, "ListTasks", common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=P, domain=D, name="t"), limit=10,
            token="99999999999999999999999"), "invalid pagination token"),
        (PROXY, "CreateUploadLocation", dataproxy_pb2.CreateUploadLocationRequest(
            project=P, domain=D, filename="f", content_md5=bytes(16),
            expires_in=duration_pb2.Duration(seconds=2**62)), "exceeds the maximum"),
        (ADMIN, "ListExecutions", common_pb2.ResourceListRequest(
            id=common_pb2.NamedEntityIdentifier(project=P, domain=D), limit=10,
            filters="value_in(phase," + ";".join(["RUNNING"] * 5000) + ")"), "at most 1000 allowed"),
        (ADMIN, "CreateExecution", execution_pb2.ExecutionCreateRequest(
            project=P, domain=D, spec=execution_pb2.ExecutionSpec(launch_plan=identifier_pb2.Identifier(
                resource_type=identifier_pb2.LAUNCH_PLAN, project=P, domain=D, name="lp", version="v1"),
                max_parallelism=-1)), "must not be negative"),
        (ADMIN, "CreateLaunchPlan", launch_plan_pb2.LaunchPlanCreateRequest(
            id=identifier_pb2.Identifier(resource_type=identifier_pb2.LAUNCH_PLAN, project=P, domain=D, name="lp",
                                         version="v1"),
            spec=launch_plan_pb2.LaunchPlanSpec(max_parallelism=-5, workflow_id=identifier_pb2.Identifier(
                resource_type=identifier_pb2.WORKFLOW, project=P, domain=D, name="wf", version="v1"))),
         "got -5"),
    ],
    ids=["undecodable", "resource-type-99", "artifact-type-7", "page-token-overflow", "expiry-overflow",
         "too-many-filter-values", "negative-max-parallelism", "negative-lp-max-parallelism"],
)  # fmt: skip
async def test_bad_requests_are_invalid_argument_with_a_message(server, service, method, request_, says):
    code, message = await _code(server.endpoint, service, method, request_)
    assert code == grpc.StatusCode.INVALID_ARGUMENT, (code, message)
    assert says in message
