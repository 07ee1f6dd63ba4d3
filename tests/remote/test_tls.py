"""TLS against the server subprocess serving a self-signed certificate made here (gRPC port and HTTPS token
endpoint, auth on): ``ca_cert_file_path`` (and its env var), ``insecure_skip_verify``, and clear errors for an
untrusted certificate, a plaintext client against the TLS server, a TLS client against a plaintext server, and a
missing CA file."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
from pathlib import Path

import aiohttp
import grpc
import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flyteidl.service import auth_pb2, auth_pb2_grpc

from aioflyte.configuration.config import AuthType, Config, PlatformConfig
from aioflyte.remote.client import FlyteRemoteUnavailableException
from aioflyte.remote.remote import FlyteRemote
from aioflyte.server.testing import ServerProcess

# every test uses the server subprocess; the tests share its loop
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

P, D = "flytesnacks", "development"
CLIENT_ID, SECRET = "tls-client", "tls-secret"
FAST = {"retry_timeout": 1.0}  # connection failures are retried; keep the failing cases short


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (its own CA), and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aioflyte test server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_path.write_bytes(key_bytes)
    return cert_path, key_path


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> tuple[Path, Path]:
    return _self_signed(tmp_path_factory.mktemp("certs"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory, certs):
    cert, key = certs
    args = ["--tls-cert", str(cert), "--tls-key", str(key), "--client-id", CLIENT_ID, "--client-secret", SECRET]
    async with ServerProcess(tmp_path_factory.mktemp("tls") / "state", args=args) as s:
        yield s


def _remote(endpoint: str, **platform: object) -> FlyteRemote:
    config = PlatformConfig(
        endpoint=endpoint, auth_mode=AuthType.CLIENTSECRET, client_id=CLIENT_ID, client_credentials_secret=SECRET,
        **platform,
    )  # fmt: skip
    return FlyteRemote(Config(platform=config), P, D, **FAST)


async def test_ca_cert_file_path_verifies_grpc_and_the_https_token_endpoint(server, certs):
    async with _remote(server.endpoint, ca_cert_file_path=str(certs[0])) as remote:
        assert P in [p.id for p in await remote.list_projects()]
        authenticator = remote.client.authenticators[0]
        assert authenticator.fetches == 1 and authenticator.token_endpoint.startswith("https://127.0.0.1:")


async def test_upload_and_download_over_https_with_the_platform_ca(server, certs, tmp_path):
    """The data proxy's signed URLs are https on a TLS server; uploads and downloads trust the platform's CA."""
    source = tmp_path / "payload.bin"
    source.write_bytes(b"over tls " * 1000)
    async with _remote(server.endpoint, ca_cert_file_path=str(certs[0])) as remote:
        md5, native = await remote.upload_file(source)
        assert Path(native.removeprefix("file://")).read_bytes() == source.read_bytes()
        assert md5 == hashlib.md5(source.read_bytes()).digest()
        location = await remote.dataproxy.create_download_location(native)
        assert location.signed_url.startswith("https://")
        async with aiohttp.ClientSession() as session, session.get(location.signed_url, ssl=remote._http_ssl()) as rsp:
            assert rsp.status == 200 and await rsp.read() == source.read_bytes()


async def test_ca_cert_from_env_and_a_host_name_the_certificate_lists(server, certs, monkeypatch, tmp_path):
    monkeypatch.setenv("FLYTE_PLATFORM_URL", server.endpoint.replace("127.0.0.1", "localhost"))
    monkeypatch.setenv("FLYTE_PLATFORM_CA_CERT_FILE_PATH", str(certs[0]))
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("FLYTE_CREDENTIALS_AUTH_MODE", "ClientSecret")
    empty = tmp_path / "empty.yaml"
    empty.write_text("{}\n")
    async with FlyteRemote.auto(config_file=str(empty), default_project=P, default_domain=D) as remote:
        assert remote.config.platform.insecure is False
        assert [d.id for d in await remote.get_domains()]


async def test_insecure_skip_verify_trusts_the_presented_certificate(server):
    async with _remote(server.endpoint, insecure_skip_verify=True) as remote:
        assert P in [p.id for p in await remote.list_projects()]


async def test_untrusted_certificate_fails_clearly(server):
    async with _remote(server.endpoint) as remote:  # system roots: the self-signed certificate is not among them
        with pytest.raises(FlyteRemoteUnavailableException) as info:
            await remote.list_projects()
    message = str(info.value)
    assert "CERTIFICATE_VERIFY_FAILED" in message and "ca_cert_file_path" in message
    assert remote.client.retries == 0  # a handshake failure is not retried


async def test_plaintext_client_against_the_tls_server_fails_clearly(server):
    async with FlyteRemote(Config.for_endpoint(server.endpoint, insecure=True), P, D, **FAST) as remote:
        with pytest.raises(FlyteRemoteUnavailableException) as info:
            await remote.list_projects()
    message = str(info.value)
    assert "ListProjects failed with UNAVAILABLE" in message
    assert "plaintext (insecure=True)" in message and "insecure=False" in message


async def test_tls_client_against_a_plaintext_server_fails_clearly(tmp_path, certs):
    async with ServerProcess(tmp_path / "plain") as plain, _remote(
        plain.endpoint, ca_cert_file_path=str(certs[0])
    ) as remote:  # fmt: skip
        with pytest.raises(FlyteRemoteUnavailableException) as info:
            await remote.get_domains()
    assert "does not seem to speak TLS" in str(info.value) and "insecure=True" in str(info.value)


async def test_auth_metadata_over_tls_points_at_https(server, certs):
    credentials = grpc.ssl_channel_credentials(root_certificates=certs[0].read_bytes())
    async with grpc.aio.secure_channel(server.endpoint, credentials) as channel:
        meta = await auth_pb2_grpc.AuthMetadataServiceStub(channel).GetOAuth2Metadata(auth_pb2.OAuth2MetadataRequest())
    assert meta.token_endpoint.startswith("https://") and meta.token_endpoint.endswith("/oauth2/token")


async def test_missing_ca_file_names_the_setting(server, tmp_path):
    missing = tmp_path / "nope.pem"
    remote = _remote(server.endpoint, ca_cert_file_path=str(missing))
    with pytest.raises(FileNotFoundError) as info:
        remote.client  # noqa: B018  (the client is built on first use)
    assert str(missing) in str(info.value) and "ca_cert_file_path" in str(info.value)
