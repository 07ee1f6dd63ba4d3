"""Authentication against the server subprocess with auth on: UNAUTHENTICATED without credentials, OAuth2 client
credentials (secret from a file and from env; discovery of the token endpoint and of the metadata key), refresh
before expiry, one fetch for concurrent calls, a wrong secret, ExternalCommand tokens and their retry after
UNAUTHENTICATED, a static token from env, and secrets kept out of reprs and logs."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import sys
import textwrap
from pathlib import Path

import aiohttp
import grpc
import pytest
import pytest_asyncio
from flyteidl.service import auth_pb2, auth_pb2_grpc

from aioflyte.configuration.config import AuthType, Config, PlatformConfig
from aioflyte.remote.client import FlytePermissionDeniedException
from aioflyte.remote.client.auth import FlyteAuthenticationException
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

# every test uses the server subprocess; the tests share its loop
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

P, D = "flytesnacks", "development"
CLIENT_ID = "aioflyte-ci"
SECRET = "s3cr3t:with/odd+chars"
TTL = 600.0  # the module's server; the refresh test runs its own with a short one
SHORT_TTL = 4.0
KEY = "flyte-authorization"  # not the default, so clients must honour GetPublicClientConfig
ISSUED = "issued an access token"
REFUSED = " refused: "


def _auth_server(root: Path, ttl: float) -> ServerProcess:
    root.mkdir(parents=True, exist_ok=True)
    secret_file = root / "server-secret"
    secret_file.write_text(SECRET + "\n")
    args = ["--client-id", CLIENT_ID, "--client-secret-file", str(secret_file), "--token-ttl", str(ttl)]
    return ServerProcess(root / "state", args=[*args, "--auth-metadata-key", KEY])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    async with _auth_server(tmp_path_factory.mktemp("auth"), TTL) as s:
        yield s


def _log_count(server: ServerProcess, text: str) -> int:
    return server.log_path.read_text(errors="replace").count(text)


def _client_secret_remote(server: ServerProcess, secret: str = SECRET, **kwargs) -> FlyteRemote:
    platform = PlatformConfig(
        endpoint=server.endpoint, insecure=True, auth_mode=AuthType.CLIENTSECRET, client_id=CLIENT_ID,
        client_credentials_secret=secret,
    )  # fmt: skip
    return FlyteRemote(Config(platform=platform), P, D, **kwargs)


async def _token_endpoint(server: ServerProcess) -> str:
    async with grpc.aio.insecure_channel(server.endpoint) as channel:
        meta = await auth_pb2_grpc.AuthMetadataServiceStub(channel).GetOAuth2Metadata(auth_pb2.OAuth2MetadataRequest())
    return meta.token_endpoint


async def test_calls_without_credentials_are_unauthenticated_but_auth_metadata_is_open(server):
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as remote:
        with pytest.raises(FlytePermissionDeniedException) as info:
            await remote.list_projects()
    error = info.value
    assert error.code == grpc.StatusCode.UNAUTHENTICATED
    assert "ListProjects" in str(error) and "authentication required" in str(error)
    assert repr(KEY) in str(error) and "/oauth2/token" in str(error)

    async with grpc.aio.insecure_channel(server.endpoint) as channel:
        stub = auth_pb2_grpc.AuthMetadataServiceStub(channel)
        meta = await stub.GetOAuth2Metadata(auth_pb2.OAuth2MetadataRequest())
        public = await stub.GetPublicClientConfig(auth_pb2.PublicClientAuthConfigRequest())
    assert meta.token_endpoint.startswith("http://127.0.0.1:") and meta.token_endpoint.endswith("/oauth2/token")
    assert "client_credentials" in meta.grant_types_supported
    assert public.authorization_metadata_key == KEY


async def test_forged_and_malformed_tokens_are_refused(server):
    cases = {
        "Bearer v1.e30.AAAA": "not issued by this server",
        "Bearer nonsense": "malformed",
        "Basic abc": "must be 'Bearer TOKEN'",
    }
    async with grpc.aio.insecure_channel(server.endpoint) as channel:
        call = channel.unary_unary("/flyteidl.service.AdminService/GetVersion", lambda m: b"", lambda b: b)
        for value, expected in cases.items():
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call(b"", metadata=((KEY, value),))
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED, value
            assert expected in info.value.details(), value


async def test_client_secret_from_a_file_via_config(server, tmp_path):
    secret_file = tmp_path / "client-secret"
    secret_file.write_text(SECRET + "\n")
    config_file = tmp_path / "config.yaml"
    config_file.write_text(
        textwrap.dedent(f"""\
        admin:
          endpoint: dns:///{server.endpoint}
          insecure: true
          clientId: {CLIENT_ID}
          clientSecretLocation: {secret_file}
        """)
    )
    before = _log_count(server, ISSUED)
    async with FlyteRemote.auto(config_file=str(config_file), default_project=P, default_domain=D) as remote:
        assert remote.config.platform.auth_mode == AuthType.CLIENTSECRET
        projects = await remote.list_projects()
        assert P in [p.id for p in projects]
        assert [d.id for d in await remote.get_domains()]
        # another service's stub on the same channel carries the token too
        assert await remote.list_signals("no-such-execution") == []
    assert _log_count(server, ISSUED) == before + 1


async def test_client_secret_from_env(server, tmp_path, monkeypatch):
    monkeypatch.setenv("FLYTE_PLATFORM_URL", server.endpoint)
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", "true")
    monkeypatch.setenv("FLYTE_CREDENTIALS_AUTH_MODE", "ClientSecret")
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET", SECRET)
    empty = tmp_path / "empty.yaml"
    empty.write_text("{}\n")
    async with FlyteRemote.auto(config_file=str(empty), default_project=P, default_domain=D) as remote:
        assert P in [p.id for p in await remote.list_projects()]


async def test_client_secret_file_from_env_selects_client_secret(server, tmp_path, monkeypatch):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET)
    monkeypatch.setenv("FLYTE_PLATFORM_URL", server.endpoint)
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", "true")
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET_FROM_FILE", str(secret_file))
    empty = tmp_path / "empty.yaml"
    empty.write_text("{}\n")
    async with FlyteRemote.auto(config_file=str(empty), default_project=P, default_domain=D) as remote:
        assert remote.config.platform.auth_mode == AuthType.CLIENTSECRET
        assert P in [p.id for p in await remote.list_projects()]


async def test_token_is_refreshed_before_it_expires(tmp_path):
    async with _auth_server(tmp_path / "short", SHORT_TTL) as server, _client_secret_remote(server) as remote:
        await remote.list_projects()
        authenticator = remote.client.authenticators[0]
        old_token = authenticator._token
        assert authenticator.fetches == 1 and _log_count(server, ISSUED) == 1
        await asyncio.sleep(SHORT_TTL + 0.1)  # the first token has expired on the server
        await remote.list_projects()
        assert authenticator.fetches == 2 and _log_count(server, ISSUED) == 2
        assert _log_count(server, REFUSED) == 0  # refreshed ahead: no call went out with the stale token
        async with grpc.aio.insecure_channel(server.endpoint) as channel:
            call = channel.unary_unary("/flyteidl.service.AdminService/GetVersion", lambda m: b"", lambda b: b)
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call(b"", metadata=((KEY, f"Bearer {old_token}"),))
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED and "expired" in info.value.details()


async def test_concurrent_calls_fetch_one_token(server):
    issued = _log_count(server, ISSUED)
    async with _client_secret_remote(server) as remote:
        results = await asyncio.gather(*(remote.list_projects() for _ in range(20)))
        assert all(P in [p.id for p in r] for r in results)
        assert remote.client.authenticators[0].fetches == 1
    assert _log_count(server, ISSUED) == issued + 1


async def test_wrong_secret_names_client_and_endpoint(server):
    async with _client_secret_remote(server, secret="not-the-secret") as remote:
        with pytest.raises(FlyteAuthenticationException) as info:
            await remote.list_projects()
    message = str(info.value)
    assert "HTTP 401" in message and repr(CLIENT_ID) in message
    assert await _token_endpoint(server) in message
    assert "not-the-secret" not in message and SECRET not in message
    assert info.value.code == grpc.StatusCode.UNAUTHENTICATED


def _token_script(tmp_path: Path, token_endpoint: str, *, bad_first: bool = False) -> Path:
    """A command printing a token it gets from the token endpoint (a bogus one on its first run if ``bad_first``);
    every run appends a line to ``runs``."""
    script = tmp_path / "token.py"
    script.write_text(
        textwrap.dedent(f"""\
        import base64, json, pathlib, urllib.parse, urllib.request
        runs = pathlib.Path({str(tmp_path / "runs")!r})
        first = not runs.exists()
        with runs.open("a") as f:
            f.write("run\\n")
        if {bad_first!r} and first:
            print("v1.e30.forged")
        else:
            pair = urllib.parse.quote_plus({CLIENT_ID!r}) + ":" + urllib.parse.quote_plus({SECRET!r})
            request = urllib.request.Request(
                {token_endpoint!r}, data=b"grant_type=client_credentials",
                headers={{"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}},
            )
            print(json.load(urllib.request.urlopen(request))["access_token"])
        """)
    )
    return script


def _command_remote(server: ServerProcess, command: list[str]) -> FlyteRemote:
    platform = PlatformConfig(
        endpoint=server.endpoint, insecure=True, auth_mode=AuthType.EXTERNALCOMMAND, command=command
    )
    return FlyteRemote(Config(platform=platform), P, D)


async def test_external_command_token(server, tmp_path):
    script = _token_script(tmp_path, await _token_endpoint(server))
    async with _command_remote(server, [sys.executable, str(script)]) as remote:
        assert P in [p.id for p in await remote.list_projects()]
        await remote.get_domains()
    assert (tmp_path / "runs").read_text().count("run") == 1  # cached between calls


async def test_unauthenticated_call_refreshes_once_and_retries(server, tmp_path):
    script = _token_script(tmp_path, await _token_endpoint(server), bad_first=True)
    refused = _log_count(server, REFUSED)
    async with _command_remote(server, [sys.executable, str(script)]) as remote:
        assert P in [p.id for p in await remote.list_projects()]
    assert (tmp_path / "runs").read_text().count("run") == 2
    assert _log_count(server, REFUSED) == refused + 1


async def test_failing_command_names_command_and_stderr(server, tmp_path):
    script = tmp_path / "fail.py"
    script.write_text("import sys\nsys.stderr.write('no credentials in the vault\\n')\nsys.exit(3)\n")
    async with _command_remote(server, [sys.executable, str(script)]) as remote:
        with pytest.raises(FlyteAuthenticationException) as info:
            await remote.list_projects()
    message = str(info.value)
    assert str(script) in message and "exit code 3" in message and "no credentials in the vault" in message


async def test_static_token_from_env(server, monkeypatch):
    import aiohttp

    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()  # plain basic auth, as curl -u sends
    async with aiohttp.ClientSession() as session, session.post(
        await _token_endpoint(server), data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    ) as resp:  # fmt: skip
        assert resp.status == 200
        body = await resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == TTL
    monkeypatch.setenv("FLYTE_CREDENTIALS_ACCESS_TOKEN", body["access_token"])
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D) as remote:
        assert P in [p.id for p in await remote.list_projects()]


async def test_secrets_stay_out_of_reprs_and_logs(server, caplog):
    caplog.set_level(logging.DEBUG)
    async with _client_secret_remote(server) as remote:
        await remote.list_projects()
        token = remote.client.authenticators[0]._token
        shown = [repr(remote.config), repr(remote.config.platform), repr(remote.client.authenticators[0])]
    assert token and all(SECRET not in s and token not in s for s in shown)
    assert SECRET not in caplog.text and token not in caplog.text
    server_log = server.log_path.read_text(errors="replace")
    assert SECRET not in server_log and token not in server_log


async def test_server_rejects_a_secret_without_client_id(tmp_path):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aioflyte.server", "--state-dir", str(tmp_path), "--client-secret", "x",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2 and b"--client-id" in stderr


async def test_a_refused_token_request_shows_only_a_prefix_of_the_submitted_client_id(server):
    """A secret pasted into the client id field must not reach the server's log or the answer."""
    submitted = "pasted-secret-0123456789abcdef"
    url = await _token_endpoint(server)
    async with aiohttp.ClientSession() as session:
        form = {"grant_type": "client_credentials", "client_id": submitted, "client_secret": "wrong"}
        async with session.post(url, data=form) as rsp:
            status, body = rsp.status, await rsp.text()
    assert status == 401 and submitted not in body
    answer = json.loads(body)
    assert answer["error"] == "invalid_client" and "'pas…' (30 characters)" in answer["error_description"]
    server_log = server.log_path.read_text(errors="replace")
    assert submitted not in server_log and "token request refused: wrong credentials for client 'pas…'" in server_log
