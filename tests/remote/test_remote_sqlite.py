"""A SQLite3Task end to end on ``aioflyte serve``: the database is uploaded through the data proxy, the task is
registered (its template carries the query and the database's URI), and the server runs it as a process of its
container command: ``aioflyte-execute`` with the task template resolver, reading the template the server writes
(``{{.taskTemplatePath}}``) and running ``SQLite3TaskExecutor`` from it alone. Also inside a workflow, its output
going to a Python task."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import pytest_asyncio
from servers import fresh_project, task_env

from aioflyte import kwtypes, task, workflow
from aioflyte.configuration.config import Config
from aioflyte.extras.sqlite3.task import SQLite3Config, SQLite3Task
from aioflyte.remote.client import AdminClient
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess
from aioflyte.types.structured import StructuredDataset

HERE = Path(__file__).parent
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]


@task
def row_count(df: pd.DataFrame) -> int:
    return len(df)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with ServerProcess(tmp_path_factory.mktemp("remote-sqlite") / "state", env=task_env(HERE)) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, "development") as r:
        yield r


@pytest.fixture
def archived_db(tmp_path) -> Path:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as con:
        con.execute("create table orders (id integer, item text, qty integer)")
        con.executemany("insert into orders values (?, ?, ?)", [(i, f"item-{i}", i * 10) for i in range(8)])
    archive = tmp_path / "shop.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(db, arcname="shop.db")
    return archive


async def test_a_sqlite_task_reads_a_database_uploaded_through_the_data_proxy(remote, archived_db):
    _, uri = await remote.upload_file(archived_db)
    big_orders = SQLite3Task(
        "remote_sqlite.big_orders",
        query_template="select id, item from orders where qty >= {{ .inputs.min_qty }} order by id",
        inputs=kwtypes(min_qty=int),
        output_schema_type=StructuredDataset,
        task_config=SQLite3Config(uri=uri, compressed=True),
    )
    ex = await remote.execute(big_orders, inputs={"min_qty": 50}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    sd = ex.outputs["results"]
    assert isinstance(sd, StructuredDataset)
    assert (await sd.open(pd.DataFrame).all()).to_dict("list") == {
        "id": [5, 6, 7],
        "item": ["item-5", "item-6", "item-7"],
    }

    @workflow
    def how_many(min_qty: int) -> int:
        return row_count(df=big_orders(min_qty=min_qty))

    ex = await remote.execute(how_many, inputs={"min_qty": 20}, version="v1", wait=True, timeout=120)
    assert ex.is_successful, ex.error
    assert ex.outputs["o0"] == 6


async def test_a_query_error_fails_the_execution_with_its_message(remote, archived_db):
    _, uri = await remote.upload_file(archived_db)
    broken = SQLite3Task(
        "remote_sqlite.broken",
        query_template="select x from nowhere",
        task_config=SQLite3Config(uri=uri, compressed=True),
    )
    ex = await remote.execute(broken, version="v1", wait=True, timeout=120)
    assert not ex.is_successful
    assert "no such table: nowhere" in ex.error.message and "DatabaseError" in ex.error.message
