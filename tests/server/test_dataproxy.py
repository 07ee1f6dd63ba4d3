"""The data proxy against the server subprocess: upload_file (streamed PUT to a signed URL, MD5 checked, atomic),
refused uploads (wrong MD5, forged or expired tokens, paths leaving the prefix), signed downloads, GetData / get /
download of a task execution's inputs and outputs, and presigned S3 uploads when the raw prefix is on S3 (moto)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
from pathlib import Path

import aiohttp
import boto3
import dataproxy_tasks as tasks
import pytest
import pytest_asyncio
from flyteidl.core import identifier_pb2, literals_pb2
from servers import task_env

from aioflyte.configuration.config import Config
from aioflyte.remote.client import (
    FlyteEntityAlreadyExistsException,
    FlyteEntityNotExistException,
    FlyteInvalidInputException,
)
from aioflyte.remote.data import LiteralsResolver
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess
from aioflyte.types.file import FlyteFile

# every test uses the server subprocess; the tests share its loop
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

P, D = "flytesnacks", "development"
HERE = Path(__file__).parent


def _env() -> dict[str, str]:
    return task_env(HERE)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("dataproxy") / "state", env=_env()) as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(server):
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
        yield r


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def executed(remote):
    """One finished execution of ``add`` and one of ``write_text``."""
    ex_add = await remote.execute(tasks.add, inputs={"a": 2, "b": 40}, version="dp1", wait=True)
    ex_file = await remote.execute(tasks.write_text, inputs={"text": "hello data"}, version="dp1", wait=True)
    assert ex_add.is_successful and ex_file.is_successful
    return ex_add, ex_file


def _local(native_url: str) -> Path:
    assert native_url.startswith("/"), native_url  # a plain absolute path: what flytekit accepts as local raw data
    return Path(native_url)


async def _put(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.put(url, data=body, headers=headers) as rsp:
        return rsp.status, await rsp.text()


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


# --- uploads ---------------------------------------------------------------------------------------------------


async def test_upload_file_lands_at_the_native_location(remote, server, tmp_path):
    data = os.urandom(3 * 2**20 + 17)  # several of the server's 1 MiB chunks
    src = tmp_path / "payload.bin"
    src.write_bytes(data)
    md5, native = await remote.upload_file(src)
    assert md5 == _md5(data)
    stored = _local(native)
    assert stored.read_bytes() == data
    root = base64.b32encode(md5).decode()
    # under the uploads folder, never beside executions' data (<raw>/<project>/<domain>/<execution>)
    assert stored == (server.state_dir / "data" / "_uploads" / P / D / root / "payload.bin").resolve()
    assert not [p for p in stored.parent.iterdir() if p.name.endswith(".part")]  # no temp file left


async def test_upload_with_filename_root_and_other_project(remote, server, tmp_path):
    src = tmp_path / "code.tar.gz"
    src.write_bytes(b"archive bytes")
    _, native = await remote.upload_file(src, project=P, domain="staging", filename_root="my-root")
    assert native.endswith(f"/_uploads/{P}/staging/my-root/code.tar.gz")
    assert _local(native).read_bytes() == b"archive bytes"
    # the same content again is fine; other content at the same name is refused, naming the location
    assert (await remote.upload_file(src, P, "staging", filename_root="my-root"))[1] == native
    src.write_bytes(b"changed bytes")
    with pytest.raises(FlyteEntityAlreadyExistsException, match=r"my-root/code\.tar\.gz"):
        await remote.upload_file(src, P, "staging", filename_root="my-root")
    assert _local(native).read_bytes() == b"archive bytes"


async def test_upload_of_a_directory_is_refused(remote, tmp_path):
    with pytest.raises(ValueError, match="single file"):
        await remote.upload_file(tmp_path)


async def test_wrong_md5_is_refused_and_nothing_is_written(remote):
    body = b"the real body"
    claimed = _md5(b"something else")
    loc = await remote.dataproxy.create_upload_location(P, D, claimed, filename="wrong.txt")
    assert loc.headers["Content-MD5"] == base64.b64encode(claimed).decode()
    status, text = await _put(loc.signed_url, body, dict(loc.headers))
    assert status == 400 and "MD5" in text
    # a Content-MD5 other than the one the URL was signed for is refused before reading the body
    status, text = await _put(loc.signed_url, body, {"Content-MD5": base64.b64encode(_md5(body)).decode()})
    assert status == 400 and "signed for Content-MD5" in text
    assert not _local(loc.native_url).exists()
    assert not list(_local(loc.native_url).parent.glob("*"))


async def test_forged_and_expired_tokens_are_refused(remote):
    body = b"data"
    md5 = _md5(body)
    headers = {"Content-MD5": base64.b64encode(md5).decode()}
    loc = await remote.dataproxy.create_upload_location(P, D, md5, filename="t.txt", filename_root="tokens")
    url = loc.signed_url
    forged = url.replace("signature=", "signature=0")
    assert (await _put(forged, body, headers))[0] == 403
    other_path = url.replace("/tokens/t.txt", "/tokens/other.txt")
    assert (await _put(other_path, body, headers))[0] == 403
    unsigned = url.split("?")[0]
    assert (await _put(unsigned, body, headers))[0] == 403
    expired = await remote.dataproxy.create_upload_location(
        P, D, md5, filename="t.txt", filename_root="expired", expires_in=datetime.timedelta(milliseconds=1)
    )
    status, text = await _put(expired.signed_url, body, headers)
    assert status == 403 and "expired" in text
    assert not _local(expired.native_url).exists() and not _local(loc.native_url).exists()
    assert (await _put(url, body, headers))[0] == 200  # the genuine URL still works
    assert _local(loc.native_url).read_bytes() == body


async def test_bad_upload_requests_name_the_problem(remote):
    md5 = _md5(b"x")
    with pytest.raises(FlyteInvalidInputException, match="leave the raw data prefix"):
        await remote.dataproxy.create_upload_location(P, D, md5, filename="x", filename_root="../../escape")
    with pytest.raises(FlyteInvalidInputException, match="content_md5 or filename_root"):
        await remote.dataproxy.create_upload_location(P, D, b"", filename="x")
    with pytest.raises(FlyteInvalidInputException, match="exceeds the maximum"):
        await remote.dataproxy.create_upload_location(P, D, md5, expires_in=datetime.timedelta(days=2))
    with pytest.raises(FlyteInvalidInputException, match="16 bytes"):
        await remote.dataproxy.create_upload_location(P, D, b"abc")


async def test_signed_download_of_an_upload(remote, tmp_path):
    src = tmp_path / "down.txt"
    src.write_bytes(b"download me")
    _, native = await remote.upload_file(src)
    loc = await remote.dataproxy.create_download_location(native)
    async with aiohttp.ClientSession() as session:
        async with session.get(loc.signed_url) as rsp:
            assert rsp.status == 200 and await rsp.read() == b"download me"
        async with session.get(loc.signed_url.replace("signature=", "signature=f")) as rsp:
            assert rsp.status == 403
    with pytest.raises(FlyteInvalidInputException, match="not under the raw data prefix"):
        await remote.dataproxy.create_download_location(str(src))
    with pytest.raises(FlyteEntityNotExistException, match="does not exist"):
        await remote.dataproxy.create_download_location(native + ".missing")


# --- execution data --------------------------------------------------------------------------------------------


async def test_get_inputs_and_outputs_of_a_task_execution(remote, executed):
    ex, _ = executed
    name = ex.id.name
    inputs = await remote.get(f"flyte://v1/{P}/{D}/{name}/i")
    assert isinstance(inputs, LiteralsResolver) and set(inputs) == {"a", "b"}
    assert await inputs.get("a") == 2 and await inputs.get("b", as_type=int) == 40
    outputs = await remote.get(f"flyte://v1/{P}/{D}/{name}/n0/o")
    assert await outputs.native_values() == {"o0": 42}
    one = await remote.get(f"flyte://v1/{P}/{D}/{name}/n0/0/o/o0")  # node n0, attempt 0, output o0
    assert isinstance(one, literals_pb2.Literal) and one.scalar.primitive.integer == 42
    end = await remote.get(f"flyte://v1/{P}/{D}/{name}/end-node/i")
    assert end.literals["o0"].scalar.primitive.integer == 42
    start = await remote.get(f"flyte://v1/{P}/{D}/{name}/start-node/o")
    assert set(start) == {"a", "b"} and len(await remote.get(f"flyte://v1/{P}/{D}/{name}/start-node/i")) == 0


async def test_get_node_data_of_a_workflow_execution(remote):
    ex = await remote.execute(tasks.add_twice, inputs={"a": 1, "b": 2}, version="dp1", wait=True, timeout=120)
    assert ex.is_successful and ex.outputs["o0"] == 5
    base = f"flyte://v1/{P}/{D}/{ex.id.name}"
    assert await (await remote.get(f"{base}/o")).native_values() == {"o0": 5}
    assert await (await remote.get(f"{base}/n0/o")).native_values() == {"o0": 3}  # a + b
    assert await (await remote.get(f"{base}/n1/i")).native_values() == {"a": 3, "b": 2}
    assert (await remote.get(f"{base}/n1/0/o/o0")).scalar.primitive.integer == 5
    assert await remote.get(f"{base}/n7/o") is None  # no such node
    with pytest.raises(FlyteEntityNotExistException, match="node n7 of execution"):
        await remote.dataproxy.get_data(f"{base}/n7/o")


async def test_get_of_missing_data_is_none_and_bad_urls_are_explained(remote, executed):
    ex, _ = executed
    assert await remote.get(f"flyte://v1/{P}/{D}/nosuchexecution/i") is None
    assert await remote.get(f"flyte://v1/{P}/{D}/{ex.id.name}/n0/7/o") is None  # no attempt 7
    with pytest.raises(FlyteInvalidInputException, match="cannot parse flyte_url"):
        await remote.dataproxy.get_data("flyte://v2/nope")
    with pytest.raises(FlyteInvalidInputException, match="'nope' not found"):
        await remote.dataproxy.get_data(f"flyte://v1/{P}/{D}/{ex.id.name}/o/nope")
    with pytest.raises(FlyteEntityNotExistException, match="has no deck"):
        await remote.dataproxy.create_download_link(
            identifier_pb2.NodeExecutionIdentifier(
                node_id="n0",
                execution_id=identifier_pb2.WorkflowExecutionIdentifier(project=P, domain=D, name=ex.id.name),
            )
        )


async def test_download_of_a_file_output(remote, executed, tmp_path):
    _, ex = executed
    outputs = await remote.get(f"flyte://v1/{P}/{D}/{ex.id.name}/o")
    value = await outputs.get("o0")
    assert isinstance(value, FlyteFile)
    await remote.download(outputs, tmp_path / "out")
    assert (tmp_path / "out" / "o0" / "report.txt").read_text() == "hello data"
    await remote.download(outputs.get_literal("o0"), tmp_path / "single")
    assert (tmp_path / "single" / "data" / "report.txt").read_text() == "hello data"
    with pytest.raises(ValueError, match="recursive=True"):
        await remote.download(outputs, tmp_path / "x", recursive=False)


# --- S3 --------------------------------------------------------------------------------------------------------


async def test_s3_raw_prefix_gives_presigned_put_urls(s3_bucket, moto_server, tmp_path):
    prefix = f"s3://{s3_bucket}/raw"
    state = tmp_path / "s3state"
    async with ServerProcess(state, args=["--raw-output-prefix", prefix]) as s3_server:
        config = Config.for_endpoint(s3_server.endpoint, insecure=True)
        async with FlyteRemote(config, P, D) as remote:
            src = tmp_path / "to-s3.bin"
            data = os.urandom(200_000)
            src.write_bytes(data)
            md5, native = await remote.upload_file(src)
            root = base64.b32encode(md5).decode()
            assert native == f"{prefix}/_uploads/{P}/{D}/{root}/to-s3.bin"
            s3 = boto3.client("s3", endpoint_url=moto_server, aws_access_key_id="testing",
                              aws_secret_access_key="testing", region_name="us-east-1")  # fmt: skip
            obj = s3.get_object(Bucket=s3_bucket, Key=f"raw/_uploads/{P}/{D}/{root}/to-s3.bin")
            assert obj["Body"].read() == data
            loc = await remote.dataproxy.create_upload_location(P, D, _md5(b"other"), filename="bad.bin")
            assert loc.signed_url.startswith(moto_server) and "Signature" in loc.signed_url
            # the MD5 is a signed header (S3 then checks the body against it; moto does not check signatures)
            assert "X-Amz-SignedHeaders=content-md5" in loc.signed_url and "/bad.bin?" in loc.signed_url
            assert loc.headers["Content-MD5"] == base64.b64encode(_md5(b"other")).decode()
            down = await remote.dataproxy.create_download_location(native)
            async with aiohttp.ClientSession() as session, session.get(down.signed_url) as rsp:
                assert rsp.status == 200 and await rsp.read() == data
