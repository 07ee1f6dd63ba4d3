"""Task processes get an allow-listed environment: never the server's whole environment (issue 14, section 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_asyncio
import taskenv_tasks as tasks
from servers import fresh_project, task_env

from aioflyte import Config, FlyteRemote
from aioflyte.remote.client import AdminClient
from aioflyte.server.executions.taskvars import ALLOWED
from aioflyte.server.testing import ServerProcess

HERE = Path(__file__).parent
pytestmark = pytest.mark.slow
SECRET = "s3cr3t-server-value-0123"
SERVER_ONLY = {
    "SERVER_SIDE_API_TOKEN": SECRET,
    "AWS_SECRET_ACCESS_KEY": "server-aws-secret",
    "FLYTE_CREDENTIALS_CLIENT_SECRET": "server-client-secret",
    "_FSEC_OTHER_KEY": "a secret no task requested",
}
REQUESTED = {"_FSEC_MYGROUP_MYKEY": "the-requested-secret-value", "_FSEC_MAPPED_TOKEN": "mapped-secret-value"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    env = {**task_env(HERE), **SERVER_ONLY, **REQUESTED, "PASSED_BY_OPTION": "yes", "FLYTE_SDK_LOGGING_LEVEL": "20"}
    state = tmp_path_factory.mktemp("taskenv") / "state"
    async with ServerProcess(state, env=env, args=["--task-env", "PASSED_BY_OPTION"]) as s:
        yield s


@pytest_asyncio.fixture(loop_scope="module")
async def remote(server):
    async with AdminClient(server.endpoint) as admin:
        project = await fresh_project(admin)
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, "development") as r:
        yield r


@pytest.mark.asyncio(loop_scope="module")
async def test_a_task_sees_only_the_allowed_variables(remote):
    ex = await remote.execute(tasks.show_env, inputs={}, version="v1", wait=True, envs={"DECLARED": "by-the-spec"})
    assert ex.is_successful, ex.error
    env = json.loads(ex.outputs["o0"])
    assert SECRET not in ex.outputs["o0"] and "server-aws-secret" not in ex.outputs["o0"]
    for name in SERVER_ONLY:
        assert name not in env
    # what it does get: the allow-list, the spec's envs, requested secrets, --task-env names, FLYTE_* settings
    assert env["DECLARED"] == "by-the-spec"
    assert env["PASSED_BY_OPTION"] == "yes"
    assert env["FLYTE_SDK_LOGGING_LEVEL"] == "20"
    assert env["PYTHONPATH"] == task_env(HERE)["PYTHONPATH"]
    assert env["_FSEC_MYGROUP_MYKEY"] == env["__secret_read__"] == "the-requested-secret-value"
    assert env["MAPPED"] == env["_FSEC_MAPPED_TOKEN"] == "mapped-secret-value"  # a secret's env_var names its copy
    expected = {*ALLOWED, "DECLARED", "PASSED_BY_OPTION", "PYTHONUNBUFFERED", "MAPPED", "__secret_read__"}
    extra = {k for k in env if k not in expected and not k.startswith(("FLYTE_", "_F_", "_FSEC_MYGROUP", "_FSEC_MAP"))}
    assert extra == set(), f"task processes got server variables beyond the allow-list: {sorted(extra)}"


@pytest.mark.parametrize("bad", ["1ABC", "A-B", "", "A B"])
def test_task_env_names_are_checked(bad):
    from aioflyte.server.executions.taskvars import check_names

    with pytest.raises(ValueError, match="--task-env: expected an environment variable name"):
        check_names([bad])


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("entity", [tasks.leaks_secret_in_output, tasks.leaks_secret_in_error])
async def test_error_documents_never_show_a_requested_secret(remote, server, entity):
    ex = await remote.execute(entity, inputs={}, version="v1", wait=True)
    assert not ex.is_successful and ex.error is not None
    value = REQUESTED["_FSEC_MYGROUP_MYKEY"]
    assert value not in ex.error.message and "[redacted secret]" in ex.error.message
    expected = "expected int, got str" if entity is tasks.leaks_secret_in_output else "could not connect with password"
    assert expected in ex.error.message
    # nor the task's log (the entrypoint logs the error document's message)
    logs = list((server.state_dir / "data" / remote.default_project).rglob("attempt-0.log"))
    assert logs and all(value not in p.read_text(errors="replace") for p in logs)


@pytest.mark.asyncio(loop_scope="module")
async def test_the_server_redacts_errors_no_entrypoint_redacted(remote):
    """A command that is not aioflyte's entrypoint (a raw container here; flytekit's pyflyte-execute alike) writes
    the secret it was given into its error: the execution's error shows it redacted."""
    ex = await remote.execute(tasks.leaks_secret_in_container, inputs={}, version="v1", wait=True)
    assert not ex.is_successful and ex.error is not None
    assert REQUESTED["_FSEC_MYGROUP_MYKEY"] not in ex.error.message
    assert "login failed for [redacted secret]" in ex.error.message


def test_aws_variables_pass_only_with_an_s3_raw_store():
    from aioflyte.server.executions.taskvars import inherited

    server_env = {"PATH": "/bin", "AWS_REGION": "us-east-1", "AWS_SECRET_ACCESS_KEY": "k", "OTHER": "x"}
    assert inherited(server_env) == {"PATH": "/bin"}
    assert inherited(server_env, prefixes=("AWS_",)) == {k: v for k, v in server_env.items() if k != "OTHER"}
    assert inherited(server_env, ["OTHER"]) == {"PATH": "/bin", "OTHER": "x"}
