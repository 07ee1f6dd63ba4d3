"""Test isolation: every test gets its own aioflyte home (cache, raw outputs) under a temp dir."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _aioflyte_home(tmp_path, monkeypatch):
    home = tmp_path / "aioflyte-home"
    monkeypatch.setenv("AIOFLYTE_HOME", str(home))
    monkeypatch.setenv("AIOFLYTE_CACHE_DIR", str(home / "cache"))
    monkeypatch.delenv("AIOFLYTE_RAW_OUTPUT_PREFIX", raising=False)
    yield home


@pytest.fixture(scope="session")
def moto_server():
    """A real S3-compatible HTTP server (moto) on a free loopback port, for the whole session."""
    from moto.server import ThreadedMotoServer

    from aioflyte.server.testing import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_server, monkeypatch):
    """A fresh bucket on the moto server; FLYTE_AWS_* point at it exactly as a user points at MinIO."""
    import uuid

    import boto3

    monkeypatch.setenv("FLYTE_AWS_ENDPOINT", moto_server)
    monkeypatch.setenv("FLYTE_AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("FLYTE_AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("FLYTE_AWS_BACKOFF_SECONDS", "0.01")
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=moto_server,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def s3_raw_prefix(s3_bucket, monkeypatch):
    """Runs write their outputs (files, pickles, dataframes) under s3://<bucket>/raw."""
    prefix = f"s3://{s3_bucket}/raw"
    monkeypatch.setenv("AIOFLYTE_RAW_OUTPUT_PREFIX", prefix)
    return prefix
