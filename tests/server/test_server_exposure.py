"""Owner-only state, execution envs kept out of the logs, and the refusal to serve a non-loopback address without
authentication (issue 14, section 2)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import taskenv_tasks as tasks
from click.testing import CliRunner
from servers import fresh_project, task_env

from aioflyte import Config, FlyteRemote
from aioflyte.remote.client import AdminClient
from aioflyte.server.app import AdminServer, check_exposure, is_loopback
from aioflyte.server.auth import AuthSettings, ServerSecurity
from aioflyte.server.testing import ServerProcess

HERE = Path(__file__).parent
ENVS_VALUE = "envs-value-never-logged-7f3a"


@pytest.mark.slow
@pytest.mark.asyncio
async def test_state_is_owner_only_and_envs_are_not_logged(tmp_path):
    state = tmp_path / "state"
    async with ServerProcess(state, env=task_env(HERE), args=["--log-level", "DEBUG"]) as server:
        async with AdminClient(server.endpoint) as admin:
            project = await fresh_project(admin)
        async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), project, "development") as r:
            ex = await r.execute(
                tasks.wait_for_file, inputs={"path": str(HERE)}, version="v1", wait=True, envs={"TOKEN": ENVS_VALUE}
            )
            assert ex.is_successful, ex.error
            src = tmp_path / "upload.txt"
            src.write_text("uploaded")
            _, native = await r.upload_file(src)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    checked = []
    for root, dirs, files in os.walk(state):
        for name in dirs:
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            assert mode & 0o077 == 0, f"{os.path.join(root, name)} is {oct(mode)}"
        for name in files:
            path = Path(root, name)
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
            checked.append(path.relative_to(state).as_posix())
    # the database, the signing key, an execution's inputs/outputs/log, and an upload were among them
    assert "state.db" in checked and "dataproxy.key" in checked
    assert any(c.endswith("/inputs.pb") for c in checked) and any(c.endswith("/outputs.pb") for c in checked)
    assert any("/logs/attempt-0.log" in c for c in checked) and Path(native.removeprefix("file://")).is_file()
    assert ENVS_VALUE not in server.log_path.read_text(errors="replace")


def test_an_existing_database_is_made_owner_only(tmp_path):
    import asyncio

    from aioflyte.server.store import Store

    db = tmp_path / "state.db"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    store = Store(db)
    asyncio.run(store.open())
    asyncio.run(store.close())
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host):
    assert is_loopback(host)
    check_exposure(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_a_remote_host_needs_auth_or_the_insecure_flag(host, tmp_path):
    assert not is_loopback(host)
    with pytest.raises(ValueError, match=f"refusing to bind '{host}' without authentication.*--insecure-allow-remote"):
        AdminServer(tmp_path / "state", host=host)
    check_exposure(host, None, insecure_allow_remote=True)
    check_exposure(host, ServerSecurity(auth=AuthSettings("ci", "a-secret")))
    assert not (tmp_path / "state").exists()  # refused before anything was created


@pytest.mark.slow
def test_the_server_command_refuses_a_remote_host_without_auth(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "aioflyte.server", "--host", "0.0.0.0", "--port", "0", "--state-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "refusing to bind '0.0.0.0' without authentication" in proc.stderr
    assert "anyone who can reach the port can run commands" in proc.stderr
    assert not (tmp_path / "state.db").exists()


def test_aioflyte_serve_refuses_a_remote_host_without_auth(tmp_path):
    from aioflyte.cli.main import main

    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--state-dir", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "refusing to bind '0.0.0.0' without authentication" in result.output


@pytest.mark.slow
@pytest.mark.asyncio
@pytest.mark.parametrize("args", [["--insecure-allow-remote"], ["--client-id", "ci", "--client-secret", "s3"]])
async def test_a_remote_host_starts_with_auth_or_the_flag(tmp_path, args):
    async with ServerProcess(tmp_path / "state", host="0.0.0.0", args=args) as server:
        assert server.endpoint.startswith("0.0.0.0:")


def test_aioflyte_serve_checks_task_env_names(tmp_path):
    from aioflyte.cli.main import main

    result = CliRunner().invoke(main, ["serve", "--task-env", "NOT-A-NAME", "--state-dir", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "expected an environment variable name (letters, digits and _), got 'NOT-A-NAME'" in result.output
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("where", ["the state directory", "its parent", "the state directory as a file URL"])
def test_a_raw_prefix_holding_the_state_directory_is_refused(tmp_path, where):
    from aioflyte.cli.main import main

    state = tmp_path / "state"
    raw = {"the state directory": str(state), "its parent": str(tmp_path)}.get(where, f"file://{state}")
    with pytest.raises(ValueError, match=r"holds the state directory .* signed URLs would reach state\.db"):
        AdminServer(state, raw_output_prefix=raw)
    result = CliRunner().invoke(main, ["serve", "--state-dir", str(state), "--raw-output-prefix", raw])
    assert result.exit_code == 2 and "holds the state directory" in result.output
    AdminServer(state, raw_output_prefix=str(state / "data"))  # inside it (the default) or beside it is fine
    AdminServer(state, raw_output_prefix=str(tmp_path / "raw"))
