"""Signed URLs for the data proxy: an HMAC signer keyed by the state directory, where data lives (a local directory
or an ``s3://`` prefix) and the aiohttp routes that serve signed ``PUT`` / ``GET /data/<path>`` requests.

Uploads are streamed into a temporary file beside the target, checked against the ``Content-MD5`` the URL was
signed for, and renamed into place; a bad signature, an expired URL or a path leaving the prefix is refused (403).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from aioflyte.server.errors import InvalidArgument, NotFound

log = logging.getLogger("aioflyte.server")

KEY_FILE = "dataproxy.key"
ROUTE = "/data/"
_CHUNK = 1 << 20


# --- signing ---------------------------------------------------------------------------------------------------


class UrlSigner:
    """HMAC-SHA256 tokens over (method, path, expiry, md5), keyed by ``<state_dir>/dataproxy.key``.

    The key file is created (mode 0600) on first use when missing, so signed URLs survive server restarts.
    """

    def __init__(self, state_dir: str | Path) -> None:
        self.path = Path(state_dir) / KEY_FILE
        self._secret: bytes | None = None

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_name(f".{KEY_FILE}.{uuid.uuid4().hex[:8]}")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(secrets.token_bytes(32))
                with contextlib.suppress(FileExistsError):
                    os.link(tmp, self.path)  # the first writer wins; a key already handed out is never replaced
                os.unlink(tmp)
            self._secret = self.path.read_bytes()
        return self._secret

    def token(self, method: str, path: str, expires: int, md5: str = "") -> str:
        message = f"{method}\n{path}\n{expires}\n{md5}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def query(self, method: str, path: str, expires: int, md5: str = "") -> str:
        q = f"expires={expires}&signature={self.token(method, path, expires, md5)}"
        return q + (f"&md5={quote(md5, safe='')}" if md5 else "")

    def check(self, method: str, path: str, query: Any) -> str:
        """The signed Content-MD5 (base64, may be empty); raises ``web.HTTPForbidden`` for a bad or expired URL."""
        try:
            expires = int(query.get("expires", ""))
        except ValueError:
            raise web.HTTPForbidden(text="the URL is not signed: expires is missing or not a number") from None
        md5 = query.get("md5", "")
        given = query.get("signature", "")
        if not hmac.compare_digest(given, self.token(method, path, expires, md5)):
            raise web.HTTPForbidden(text=f"invalid signature for {method} {path}")
        if expires < time.time():
            raise web.HTTPForbidden(text=f"the signed URL for {method} {path} expired at {expires} (unix time)")
        return md5


# --- locations -------------------------------------------------------------------------------------------------


def relative(*parts: str) -> str:
    """Parts joined with ``/``, refusing empty, absolute and ``..`` segments."""
    segments: list[str] = []
    for part in parts:
        for seg in part.replace("\\", "/").split("/"):
            if seg in ("", "."):
                continue
            if seg == ".." or "\x00" in seg:
                raise InvalidArgument(f"invalid path segment {seg!r} in {'/'.join(parts)!r}: paths may not leave the "
                                      "raw data prefix")  # fmt: skip
            segments.append(seg)
    if not segments:
        raise InvalidArgument("empty path")
    return "/".join(segments)


class DataLocations:
    """Where the proxy's data lives: a local directory or an ``s3://bucket/prefix``, and how to sign URLs to it."""

    def __init__(self, raw_output_prefix: str, signer: UrlSigner, base_url: Any) -> None:
        self.prefix = raw_output_prefix.rstrip("/")
        self.s3 = self.prefix.startswith(("s3://", "s3a://"))
        self.root = Path(self.prefix.removeprefix("file://")).resolve() if not self.s3 else None
        self.signer = signer
        self._base_url = base_url  # a callable: the HTTP endpoint's base URL (known once it is started)

    def native(self, rel: str) -> str:
        """The URL clients store: ``s3://...``, or a plain absolute path for a local directory (flytekit refuses
        ``file://`` URLs for FlyteFile and FlyteDirectory inputs, and accepts paths as local raw data)."""
        return f"{self.prefix}/{rel}" if self.s3 else f"{self.root}/{rel}"

    def local_path(self, rel: str) -> Path:
        assert self.root is not None
        path = (self.root / rel).resolve()
        if path != self.root and self.root not in path.parents:
            raise InvalidArgument(f"path {rel!r} leaves the raw data prefix {self.root}")
        return path

    def relative_of(self, native_url: str) -> str:
        """The path of ``native_url`` under the raw prefix; InvalidArgument when it is elsewhere."""
        if self.s3:
            if not native_url.startswith(self.prefix + "/"):
                raise InvalidArgument(f"native_url {native_url!r} is not under the raw data prefix {self.prefix}")
            return relative(native_url[len(self.prefix) + 1 :])
        assert self.root is not None
        if "\x00" in native_url:
            raise InvalidArgument(f"native_url {native_url!r} holds a NUL character")
        path = Path(native_url.removeprefix("file://")).resolve()
        if self.root not in path.parents:
            raise InvalidArgument(f"native_url {native_url!r} is not under the raw data prefix {self.root}")
        return path.relative_to(self.root).as_posix()

    def _http_url(self, method: str, rel: str, expires: int, md5: str = "") -> str:
        return f"{self._base_url()}{ROUTE}{quote(rel)}?{self.signer.query(method, rel, expires, md5)}"

    @contextlib.asynccontextmanager
    async def _s3_client(self) -> AsyncIterator[Any]:
        """An S3 client with the data config's credentials and endpoint that signs with SigV4 (so only the host
        and the Content-MD5 are signed, whatever Content-Type the uploader sends)."""
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        from aioflyte.io import default_provider

        opts = default_provider().data_config.storage_options("s3")
        kwargs: dict[str, Any] = dict(opts.get("client_kwargs", {}))
        if opts.get("key"):
            kwargs["aws_access_key_id"] = opts["key"]
        if opts.get("secret"):
            kwargs["aws_secret_access_key"] = opts["secret"]
        config = AioConfig(signature_version="s3v4", retries={"max_attempts": 2, "mode": "standard"})
        async with get_session().create_client("s3", config=config, **kwargs) as client:
            yield client

    async def check_reachable(self) -> None:
        """Raise OSError naming the prefix when its bucket cannot be reached with the data config's settings."""
        bucket = self.prefix.split("://", 1)[1].partition("/")[0]
        try:
            async with self._s3_client() as client:
                await client.head_bucket(Bucket=bucket)
        except Exception as e:
            raise OSError(
                f"--raw-output-prefix {self.prefix}: cannot reach bucket {bucket!r} ({type(e).__name__}: {e}); check "
                "FLYTE_AWS_ENDPOINT and the credentials (FLYTE_AWS_ACCESS_KEY_ID / FLYTE_AWS_SECRET_ACCESS_KEY)"
            ) from e

    def _bucket_key(self, rel: str) -> tuple[str, str]:
        bucket, _, key = self.native(rel).split("://", 1)[1].partition("/")
        return bucket, key

    async def upload_url(self, rel: str, seconds: float, md5: str) -> str:
        expires = int(time.time() + seconds)
        if not self.s3:
            return self._http_url("PUT", rel, expires, md5)
        bucket, key = self._bucket_key(rel)
        params = {"Bucket": bucket, "Key": key, **({"ContentMD5": md5} if md5 else {})}
        async with self._s3_client() as client:
            return await client.generate_presigned_url("put_object", Params=params, ExpiresIn=int(seconds))

    async def download_url(self, rel: str, seconds: float) -> str:
        if not self.s3:
            if not self.local_path(rel).is_file():
                raise NotFound(f"{self.native(rel)} does not exist")
            return self._http_url("GET", rel, int(time.time() + seconds))
        bucket, key = self._bucket_key(rel)
        async with self._s3_client() as client:
            return await client.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=int(seconds)
            )

    async def existing_md5(self, rel: str) -> bytes | str | None:
        """The MD5 of what is stored at ``rel`` (bytes locally, the ETag text on S3), or None when nothing is."""
        if not self.s3:
            path = self.local_path(rel)
            if not path.is_file():
                return None
            return await asyncio.to_thread(_md5_file, path)
        from botocore.exceptions import ClientError

        bucket, key = self._bucket_key(rel)
        try:
            async with self._s3_client() as client:
                head = await client.head_object(Bucket=bucket, Key=key)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return str(head.get("ETag", "")).strip('"')

    async def write(self, rel: str, source: Any) -> str:
        """Store the readable binary file ``source`` at ``rel`` under the raw prefix (the console's uploads); its
        native URL."""
        if not self.s3:
            path = self.local_path(rel)

            def copy() -> None:
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as out:
                    shutil.copyfileobj(source, out, _CHUNK)

            await asyncio.to_thread(copy)
            return self.native(rel)
        bucket, key = self._bucket_key(rel)
        data = await asyncio.to_thread(source.read)
        async with self._s3_client() as client:
            await client.put_object(Bucket=bucket, Key=key, Body=data)
        return self.native(rel)


def _md5_file(path: Path) -> bytes:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.digest()


# --- the HTTP routes -------------------------------------------------------------------------------------------


class DataRoutes:
    """``PUT /data/<path>`` (streamed, atomic, MD5-checked) and ``GET /data/<path>`` for signed URLs."""

    def __init__(self, locations: DataLocations) -> None:
        self.locations = locations

    def add_to(self, app: web.Application) -> None:
        app.router.add_put(ROUTE + "{path:.+}", self.put)
        app.router.add_get(ROUTE + "{path:.+}", self.get)

    def _target(self, request: web.Request, method: str) -> tuple[str, str, Path]:
        rel = request.match_info["path"]
        md5 = self.locations.signer.check(method, rel, request.query)
        try:
            return rel, md5, self.locations.local_path(relative(rel))
        except InvalidArgument as e:
            raise web.HTTPForbidden(text=e.message) from None

    async def put(self, request: web.Request) -> web.Response:
        rel, md5, path = self._target(request, "PUT")
        sent = request.headers.get("Content-MD5", "")
        if md5 and sent != md5:
            raise web.HTTPBadRequest(
                text=f"PUT {rel}: the URL was signed for Content-MD5 {md5}, the request sent {sent or 'none'}"
            )
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
        digest = hashlib.md5()
        size = 0
        try:
            f = await asyncio.to_thread(open, tmp, "wb")
            try:
                async for chunk in request.content.iter_chunked(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    await asyncio.to_thread(f.write, chunk)
            finally:
                await asyncio.to_thread(f.close)
            actual = base64.b64encode(digest.digest()).decode()
            if sent and actual != sent:
                raise web.HTTPBadRequest(
                    text=f"PUT {rel}: the body's MD5 is {actual}, the Content-MD5 header says {sent}; "
                    "nothing was written"
                )
            await asyncio.to_thread(os.replace, tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        log.info("stored %d bytes at %s", size, path)
        return web.Response(status=200, headers={"ETag": f'"{digest.hexdigest()}"'})

    async def get(self, request: web.Request) -> web.StreamResponse:
        rel, _, path = self._target(request, "GET")
        if not path.is_file():
            raise web.HTTPNotFound(text=f"{rel} does not exist")
        # user data (a deck is user-written HTML) opens in a sandbox: its scripts run, but in an origin of their own,
        # never with the web console's (served from this same host and port)
        headers = {"Content-Security-Policy": "sandbox allow-scripts allow-popups allow-downloads"}
        return web.FileResponse(path, chunk_size=256 * 1024, headers=headers)
