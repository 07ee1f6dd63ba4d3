"""The console over plain HTTP (no browser): the server in-process, its pages fetched with aiohttp. Redirects,
errors as pages with their HTTP status, security headers, the packaged script and stylesheet, cross-origin POSTs
refused, and the console URL the server publishes for clients."""

from __future__ import annotations

import aiohttp
import grpc
import pytest
from flyteidl.service import auth_pb2, auth_pb2_grpc

from aioflyte.server.app import AdminServer

pytestmark = pytest.mark.slow  # starts a server (in-process)


async def test_pages_statuses_and_headers(tmp_path):
    async with AdminServer(tmp_path / "state") as server, aiohttp.ClientSession() as http:
        console = f"{server.http.url}/console"
        async with http.get(console, allow_redirects=False) as r:
            assert r.status == 303
            assert r.headers["Location"] == "/console/projects/flytesnacks/domains/development/executions"
        async with http.get(console) as r:
            assert r.status == 200
            csp = r.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert '<option value="flytesnacks" selected>' in await r.text()
        base = f"{console}/projects/flytesnacks/domains/development"
        async with http.get(f"{base}/executions/nosuchrun") as r:
            assert r.status == 404
            assert "execution flytesnacks/development/nosuchrun does not exist" in await r.text()
        async with http.get(f"{base}/executions?phase=BOGUS") as r:
            assert r.status == 400
            assert "invalid execution phase &#x27;BOGUS&#x27;" in await r.text()
        async with http.get(f"{base}/task/nosuch/version/v1") as r:
            assert r.status == 404
        async with http.get(f"{console}/select?project=nope&domain=development") as r:
            assert r.status == 404 and "does not exist on this server" in await r.text()
        for name, kind in (("console.js", "application/javascript"), ("console.css", "text/css")):
            async with http.get(f"{console}/static/{name}") as r:
                assert r.status == 200 and r.content_type == kind
                assert len(await r.text()) > 1000
        async with http.get(f"{console}/static/../app.py") as r:
            assert r.status == 404
        # a form posted from another origin is refused; from the console's own, it reaches the handler
        async with http.post(f"{base}/executions/nosuchrun/terminate", headers={"Origin": "http://evil.example"}) as r:
            assert r.status == 403
        async with http.post(f"{base}/executions/nosuchrun/terminate", headers={"Origin": server.http.url}) as r:
            assert r.status == 404


async def test_the_server_publishes_its_console(tmp_path):
    async with AdminServer(tmp_path / "state") as server:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = auth_pb2_grpc.AuthMetadataServiceStub(channel)
            public = await stub.GetPublicClientConfig(auth_pb2.PublicClientAuthConfigRequest())
            assert public.service_http_endpoint == server.http.url
            with pytest.raises(grpc.aio.AioRpcError) as e:  # auth is off: no token endpoint, as before
                await stub.GetOAuth2Metadata(auth_pb2.OAuth2MetadataRequest())
            assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
