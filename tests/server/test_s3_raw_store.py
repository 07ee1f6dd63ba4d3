"""``aioflyte serve --raw-output-prefix s3://bucket/prefix`` against a loopback S3 server (moto): uploads through the
data proxy land in the bucket (presigned S3 PUT URLs), a workflow with file, directory and dataframe inputs and file
and dataframe outputs reads and writes its data there, FlyteRemote fetches the outputs, and the data proxy hands out
presigned S3 download URLs; a prefix the server cannot use fails the start with a clear message."""

from __future__ import annotations

import uuid
from pathlib import Path

import aiohttp
import boto3
import pandas as pd
import pytest
import pytest_asyncio
import s3_store_tasks
from servers import task_env

from aioflyte.configuration.config import Config
from aioflyte.io.literals import inline_or_stored
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess
from aioflyte.types.directory import FlyteDirectory
from aioflyte.types.file import FlyteFile

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

HERE = Path(__file__).resolve().parent
P, D = "flytesnacks", "development"
S3_ENV = {
    "FLYTE_AWS_ACCESS_KEY_ID": "testing",
    "FLYTE_AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "FLYTE_AWS_BACKOFF_SECONDS": "0.01",
}


def _s3(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                        region_name="us-east-1")  # fmt: skip


@pytest.fixture(scope="module")
def bucket(moto_server):
    """A fresh bucket; the client side of the tests (this process) reaches the store with the same settings."""
    name = f"raw-{uuid.uuid4().hex[:12]}"
    _s3(moto_server).create_bucket(Bucket=name)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in {**S3_ENV, "FLYTE_AWS_ENDPOINT": moto_server}.items():
            mp.setenv(k, v)
        yield name


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory, bucket):
    state = tmp_path_factory.mktemp("s3store") / "state"
    async with ServerProcess(state, env=task_env(HERE), args=["--raw-output-prefix", f"s3://{bucket}/raw"]) as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def remote(server):
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as r:
        yield r


async def test_uploads_go_to_the_bucket_and_download_urls_are_presigned(remote, bucket, moto_server, tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("to the bucket")
    _, native = await remote.upload_file(src)
    assert native.startswith(f"s3://{bucket}/raw/") and native.endswith("/notes.txt")
    key = native.removeprefix(f"s3://{bucket}/")
    assert _s3(moto_server).get_object(Bucket=bucket, Key=key)["Body"].read() == b"to the bucket"
    down = await remote.dataproxy.create_download_location(native)
    assert down.signed_url.startswith(moto_server) and "Signature" in down.signed_url
    async with aiohttp.ClientSession() as http, http.get(down.signed_url) as rsp:
        assert rsp.status == 200 and await rsp.read() == b"to the bucket"


async def test_workflow_reads_and_writes_files_in_the_bucket(server, remote, bucket, moto_server, tmp_path):
    uploaded = tmp_path / "in.txt"
    uploaded.write_text("hello s3")
    _, native = await remote.upload_file(uploaded)  # an input uploaded through the data proxy
    folder = tmp_path / "local-dir"  # a local directory: FlyteRemote.execute uploads it through the data proxy
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (folder / "b.txt").write_text("b")
    df = pd.DataFrame({"a": [1, 2, 3]})  # a local dataframe: written locally, then uploaded the same way
    ex = await remote.execute(
        s3_store_tasks.s3_wf, inputs={"f": FlyteFile(native), "d": FlyteDirectory(str(folder)), "df": df},
        version=f"v{uuid.uuid4().hex[:8]}", wait=True, timeout=180,
    )  # fmt: skip
    assert ex.is_successful, ex.error
    assert ex.outputs["o1"] == len("HELLO S3") and ex.outputs["o2"] == ["a.txt", "b.txt"]
    assert ex.outputs["o3"]["a"].tolist() == [2, 4, 6]  # read back from the bucket
    data = await remote.client.get_execution_data(ex.id)
    inputs = await inline_or_stored(data.full_inputs, data.inputs)
    assert inputs.literals["f"].scalar.blob.uri == native
    assert inputs.literals["d"].scalar.blob.uri.startswith(f"s3://{bucket}/raw/")
    assert inputs.literals["df"].scalar.structured_dataset.uri.startswith(f"s3://{bucket}/raw/")
    outputs = await inline_or_stored(data.full_outputs, data.outputs)
    out_uri = outputs.literals["o0"].scalar.blob.uri
    assert out_uri.startswith(f"s3://{bucket}/raw/{P}/{D}/{ex.id.name}/") and out_uri.endswith("/shouted.txt")
    df_uri = outputs.literals["o3"].scalar.structured_dataset.uri
    assert df_uri.startswith(f"s3://{bucket}/raw/{P}/{D}/{ex.id.name}/")
    obj = _s3(moto_server).get_object(Bucket=bucket, Key=out_uri.removeprefix(f"s3://{bucket}/"))
    assert obj["Body"].read() == b"HELLO S3"
    # FlyteRemote fetches the output file (through the S3 settings of this process) ...
    await remote.download(outputs, tmp_path / "fetched")
    assert (tmp_path / "fetched" / "o0" / "shouted.txt").read_text() == "HELLO S3"
    # ... or through a presigned URL of the data proxy
    down = await remote.dataproxy.create_download_location(out_uri)
    async with aiohttp.ClientSession() as http, http.get(down.signed_url) as rsp:
        assert rsp.status == 200 and await rsp.read() == b"HELLO S3"
    # no data under the state directory: it holds only the executions' documents
    assert not list(server.state_dir.rglob("shouted.txt")) and not list(server.state_dir.rglob("in.txt"))


async def test_a_prefix_the_server_cannot_use_fails_the_start(bucket, tmp_path):
    with pytest.raises(RuntimeError, match=r"cannot reach bucket 'no-such-bucket'"):
        async with ServerProcess(tmp_path / "s1", args=["--raw-output-prefix", "s3://no-such-bucket/raw"]):
            pass
    with pytest.raises(RuntimeError, match=r"a local folder or on S3 \(s3://bucket/prefix\), not on gs://"):
        async with ServerProcess(tmp_path / "s2", args=["--raw-output-prefix", "gs://b/raw"]):
            pass


async def test_local_data_that_cannot_be_uploaded_names_the_input(remote, tmp_path):
    from aioflyte.exceptions import FlyteInvalidInputException

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FlyteInvalidInputException, match=r"input 'd' of .*list_dir.*empty directory"):
        await remote.execute(s3_store_tasks.list_dir, inputs={"d": FlyteDirectory(str(empty))}, version="v-empty")
