"""Fixtures of the entrypoint tests: a store on local disk or on the loopback S3 server."""

from __future__ import annotations

import pytest
from entrypoint_helpers import Store


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> Store:
    if request.param == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        return Store("s3", f"s3://{bucket}/run")
    return Store("local", str(tmp_path / "store"))


@pytest.fixture
def local_store(tmp_path) -> Store:
    return Store("local", str(tmp_path / "store"))
