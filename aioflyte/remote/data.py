"""``FlyteRemote``'s data calls (:class:`DataTransfer`): ``upload_file`` (through the backend's data proxy),
``download`` (literals to local files) and ``get`` (what a ``flyte://`` URI points at), as coroutines.

``upload_file`` hashes the file, asks the backend for a signed URL (``CreateUploadLocation``) and streams the file
to it with aiohttp, sending ``Content-MD5``; it returns ``(md5 bytes, native URL)`` as flytekit does.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import pathlib
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, TypeAlias

from flyteidl.core import literals_pb2, types_pb2
from google.protobuf.json_format import MessageToJson

from aioflyte.exceptions import FlyteDataTransferError, FlyteUserException
from aioflyte.remote.client.dataproxy import DataProxyClient
from aioflyte.remote.session import RemoteSession

log = logging.getLogger("aioflyte.remote")

_CHUNK = 1 << 20
Literal: TypeAlias = literals_pb2.Literal
LiteralMap: TypeAlias = literals_pb2.LiteralMap


def hash_file(path: str | os.PathLike[str]) -> tuple[bytes, str, int]:
    """``(md5 digest, md5 hex, size)`` of a file, read in 1 MiB blocks."""
    h = hashlib.md5()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.digest(), h.hexdigest(), size


async def _file_chunks(path: str) -> AsyncIterator[bytes]:
    f = await asyncio.to_thread(open, path, "rb")
    try:
        while chunk := await asyncio.to_thread(f.read, _CHUNK):
            yield chunk
    finally:
        await asyncio.to_thread(f.close)


def extra_headers(native_url: str) -> dict[str, str]:
    """Headers a store needs on a signed PUT (Azure Blob wants its blob type)."""
    if native_url.startswith(("abfs://", "abfss://")):
        return {"x-ms-blob-type": "BlockBlob"}
    return {}


# --- literal type guessing (GetData carries no types) -----------------------------------------------------------


def literal_type_of(lit: Literal) -> types_pb2.LiteralType | None:
    """The literal type a value most likely has, from the value alone; None when it cannot be told."""
    kind = lit.WhichOneof("value")
    if kind == "collection":
        items = lit.collection.literals
        inner = literal_type_of(items[0]) if items else types_pb2.LiteralType(simple=types_pb2.NONE)
        return types_pb2.LiteralType(collection_type=inner) if inner is not None else None
    if kind == "map":
        values = list(lit.map.literals.values())
        inner = literal_type_of(values[0]) if values else types_pb2.LiteralType(simple=types_pb2.NONE)
        return types_pb2.LiteralType(map_value_type=inner) if inner is not None else None
    if kind != "scalar":
        return None
    scalar = lit.scalar
    skind = scalar.WhichOneof("value")
    if skind == "primitive":
        simple = {
            "integer": types_pb2.INTEGER, "float_value": types_pb2.FLOAT, "string_value": types_pb2.STRING,
            "boolean": types_pb2.BOOLEAN, "datetime": types_pb2.DATETIME, "duration": types_pb2.DURATION,
        }.get(scalar.primitive.WhichOneof("value") or "")  # fmt: skip
        return types_pb2.LiteralType(simple=simple) if simple is not None else None
    if skind == "none_type":
        return types_pb2.LiteralType(simple=types_pb2.NONE)
    if skind == "blob":
        return types_pb2.LiteralType(blob=scalar.blob.metadata.type)
    if skind == "generic":
        return types_pb2.LiteralType(simple=types_pb2.STRUCT)
    if skind == "structured_dataset":
        return types_pb2.LiteralType(structured_dataset_type=scalar.structured_dataset.metadata.structured_dataset_type)
    if skind == "union":
        return literal_type_of(scalar.union.value)
    return None


class LiteralsResolver(Mapping[str, Literal]):
    """The values of a LiteralMap by name, as ``remote.get`` returns them (flytekit's ``LiteralsResolver``).

    Indexing gives the Literal (``resolver["o0"]``); ``await resolver.get("o0")`` gives the Python value, of
    ``as_type`` when given, else of the type guessed from the value (``int``, ``str``, ``FlyteFile``, lists, ...).
    """

    def __init__(self, literals: Mapping[str, Literal], type_hints: dict[str, Any] | None = None) -> None:
        self._literals = dict(literals)
        self._type_hints = dict(type_hints or {})

    @property
    def literals(self) -> dict[str, Literal]:
        return self._literals

    def update_type_hints(self, type_hints: dict[str, Any]) -> None:
        self._type_hints.update(type_hints)

    def get_literal(self, key: str) -> Literal:
        if key not in self._literals:
            raise LookupError(f"no value named {key!r} (the values are: {', '.join(sorted(self._literals)) or 'none'})")
        return self._literals[key]

    def __getitem__(self, key: str) -> Literal:
        return self.get_literal(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._literals)

    def __len__(self) -> int:
        return len(self._literals)

    async def get(self, attr: str, as_type: Any = None) -> Any:  # type: ignore[override]
        """The value named ``attr`` as a Python value (of ``as_type``, a type hint given before, or a guessed type)."""
        return await to_python(self.get_literal(attr), as_type or self._type_hints.get(attr), attr)

    async def native_values(self) -> dict[str, Any]:
        """Every value as a Python value."""
        return {k: await self.get(k) for k in self._literals}

    def __repr__(self) -> str:
        return f"LiteralsResolver({', '.join(sorted(self._literals))})"


async def to_python(lit: Literal, as_type: Any = None, name: str = "value") -> Any:
    """A literal as a Python value: of ``as_type``, else of the type its value suggests."""
    from aioflyte.types.engine import TypeEngine

    t = as_type
    if t is None:
        lt = literal_type_of(lit)
        if lt is None:
            raise FlyteUserException(f"cannot tell the Python type of {name!r}; pass as_type=")
        t = TypeEngine.guess_python_type(lt)
    return await TypeEngine.async_to_python_value(None, lit, t)


# --- the calls --------------------------------------------------------------------------------------------------


class DataTransfer:
    """``upload_file``, ``download`` and ``get`` through the data proxy of the backend of ``session``."""

    def __init__(self, session: RemoteSession) -> None:
        self.session = session
        self._dataproxy: DataProxyClient | None = None

    @property
    def dataproxy(self) -> DataProxyClient:
        """The data proxy client, on the admin client's channel."""
        client = self.session.client
        if self._dataproxy is None or self._dataproxy.admin is not client:
            self._dataproxy = DataProxyClient(client)
        return self._dataproxy

    async def upload_file(
        self,
        to_upload: pathlib.Path | str,
        project: str | None = None,
        domain: str | None = None,
        filename_root: str | None = None,
    ) -> tuple[bytes, str]:
        """Upload one file through the backend's data proxy; see ``FlyteRemote.upload_file``."""
        path = pathlib.Path(to_upload)
        if not path.is_file():  # noqa: ASYNC240  # one stat of a local path: microseconds, less than a thread hop
            raise ValueError(f"{path} is not a single file, upload arg must be a single file.")
        p, d = self.session.project_domain(project, domain)
        return await self._put(path, p, d, path.name, filename_root or "")

    async def _put(self, path: pathlib.Path, p: str, d: str, filename: str, filename_root: str) -> tuple[bytes, str]:
        import aiohttp

        md5_bytes, _, size = await asyncio.to_thread(hash_file, path)
        location = await self.dataproxy.create_upload_location(
            p, d, md5_bytes, filename=filename, filename_root=filename_root
        )
        headers = {"Content-Length": str(size), "Content-MD5": base64.b64encode(md5_bytes).decode()}
        headers.update(extra_headers(location.native_url))
        headers.update(location.headers)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=300)
        ssl = self.session.http_ssl()
        async with aiohttp.ClientSession(timeout=timeout) as http:
            put = http.put(location.signed_url, data=_file_chunks(str(path)), headers=headers, ssl=ssl)
            async with put as rsp:
                if rsp.status not in (200, 201):
                    text = (await rsp.text())[:2000]
                    raise FlyteDataTransferError(
                        f"upload of {path} to {location.native_url} failed: HTTP {rsp.status}: {text}"
                    )
        log.debug("uploaded %s (%d bytes) to %s", path, size, location.native_url)
        return md5_bytes, location.native_url

    async def upload_directory(self, directory: pathlib.Path | str, project: str, domain: str) -> str:
        """Upload every file under ``directory`` through the data proxy under one root named after their contents;
        returns the native URL of the uploaded directory."""
        root = pathlib.Path(directory)
        files = await asyncio.to_thread(_files_under, root)
        if not files:
            raise ValueError(f"{root} is an empty directory: there is nothing to upload")
        digest = hashlib.md5()
        for rel in files:
            digest.update(rel.encode() + b"\0" + (await asyncio.to_thread(hash_file, root / rel))[0])
        filename_root = digest.hexdigest()
        native = ""
        for rel in files:
            _, native = await self._put(root / rel, project, domain, rel, filename_root)
        return native[: -len(files[-1]) - 1]

    async def upload_local_data(self, literals: LiteralMap | Literal, project: str, domain: str) -> None:
        """Replace every local file, directory and dataset in ``literals`` (a path or ``file://`` URI) by its copy
        uploaded through the data proxy, so that a backend that does not share this machine's disk can read it."""
        if isinstance(literals, Literal):
            await self._upload_literal(literals, project, domain)
            return
        for lit in literals.literals.values():
            await self._upload_literal(lit, project, domain)

    async def _upload_literal(self, lit: Literal, project: str, domain: str) -> None:
        kind = lit.WhichOneof("value")
        if kind == "collection":
            for item in lit.collection.literals:
                await self._upload_literal(item, project, domain)
            return
        if kind == "map":
            for item in lit.map.literals.values():
                await self._upload_literal(item, project, domain)
            return
        if kind != "scalar":
            return
        scalar = lit.scalar
        skind = scalar.WhichOneof("value")
        if skind == "union":
            await self._upload_literal(scalar.union.value, project, domain)
            return
        if skind not in ("blob", "structured_dataset"):
            return
        holder = scalar.blob if skind == "blob" else scalar.structured_dataset
        local = _local_path(holder.uri)
        if local is None:
            return
        path = pathlib.Path(local)
        if await asyncio.to_thread(path.is_dir):
            holder.uri = await self.upload_directory(path, project, domain)
        elif await asyncio.to_thread(path.is_file):
            holder.uri = (await self._put(path, project, domain, path.name, ""))[1]
        else:
            raise ValueError(f"cannot upload {holder.uri}: no such file or directory")

    async def download(
        self,
        data: LiteralsResolver | Literal | LiteralMap | Mapping[str, Literal],
        download_to: str | os.PathLike[str],
        recursive: bool = True,
    ) -> None:
        """Download the files and directories in ``data`` under ``download_to``; see ``FlyteRemote.download``."""
        target = pathlib.Path(download_to)
        if isinstance(data, Literal):
            await _download_literal("data", data, target)
            return
        if not recursive:
            raise ValueError("download: pass recursive=True to download every value of a literal map")
        literals = data.literals if isinstance(data, (LiteralsResolver, LiteralMap)) else data
        for var, lit in literals.items():
            await _download_literal(var, lit, target)

    async def get(self, flyte_uri: str | None = None) -> LiteralsResolver | Literal | bytes | None:
        """What a ``flyte://`` URI points at; see ``FlyteRemote.get``."""
        from aioflyte.exceptions import FlyteRemoteError

        if not flyte_uri:
            raise FlyteUserException("flyte_uri cannot be empty")
        try:
            response = await self.dataproxy.get_data(flyte_uri)
        except FlyteRemoteError as e:
            log.info("nothing found at %s: %s", flyte_uri, e)
            return None
        if response.HasField("literal_map"):
            return LiteralsResolver(response.literal_map.literals)
        if response.HasField("literal"):
            return response.literal
        if response.HasField("pre_signed_urls"):
            urls = response.pre_signed_urls.signed_url
            if not urls:
                raise ValueError(f"flyte URI {flyte_uri} resolved to an empty download link")
            return await _fetch_url(urls[0], self.session.http_ssl())
        log.info("nothing found at %s", flyte_uri)
        return None


def _local_path(uri: str) -> str | None:
    """The local path ``uri`` names (a plain path or a ``file://`` URI), or None for a remote URI."""
    if uri.startswith("file://"):
        return uri[len("file://") :]
    if not uri or "://" in uri:
        return None
    return uri


def _files_under(root: pathlib.Path) -> list[str]:
    """The files under ``root``, relative, ``/``-separated, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = pathlib.Path(dirpath).relative_to(root).as_posix()
        out += [name if rel_dir == "." else f"{rel_dir}/{name}" for name in filenames]
    return sorted(out)


async def _fetch_url(url: str, ssl: Any = True) -> bytes:
    if url.startswith(("http://", "https://")):
        import aiohttp

        async with aiohttp.ClientSession() as session, session.get(url, ssl=ssl) as rsp:
            if rsp.status != 200:
                raise FlyteDataTransferError(f"download of {url.split('?')[0]} failed: HTTP {rsp.status}")
            return await rsp.read()
    from aioflyte.io import default_provider

    return await default_provider().get_bytes(url)


async def _download_literal(var: str, lit: Literal, target: pathlib.Path) -> None:
    from aioflyte.io import default_provider

    kind = lit.WhichOneof("value")
    if kind == "collection":
        for i, item in enumerate(lit.collection.literals):
            await _download_literal(str(i), item, target / var)
        return
    if kind == "map":
        for key, item in lit.map.literals.items():
            await _download_literal(key, item, target / var)
        return
    if kind != "scalar":
        log.info("skipping %s: it is not a file, directory or dataset", var)
        return
    scalar = lit.scalar
    skind = scalar.WhichOneof("value")
    provider = default_provider()
    if skind in ("blob", "structured_dataset"):
        uri = scalar.blob.uri if skind == "blob" else scalar.structured_dataset.uri
        if not uri:
            log.info("skipping %s: it has no data", var)
            return
        multipart = skind == "structured_dataset" or (
            scalar.blob.metadata.type.dimensionality == types_pb2.BlobType.MULTIPART
        )
        dest = target / var
        if multipart:
            await provider.get_directory(uri, str(dest))
        else:
            await asyncio.to_thread(dest.mkdir, parents=True, exist_ok=True)
            await provider.get_file(uri, str(dest / os.path.basename(uri.rstrip("/"))))
    elif skind == "union":
        await _download_literal(var, scalar.union.value, target)
    elif skind == "generic":
        await asyncio.to_thread(target.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread((target / f"{var}.json").write_text, MessageToJson(scalar.generic))
    elif skind == "binary" and scalar.binary.tag == "msgpack":
        import msgpack

        await asyncio.to_thread(target.mkdir, parents=True, exist_ok=True)
        text = json.dumps(msgpack.unpackb(scalar.binary.value))
        await asyncio.to_thread((target / f"{var}.json").write_text, text)
    else:
        log.info("skipping %s: it is not a file, directory or dataset", var)


__all__ = ["DataTransfer", "LiteralsResolver", "hash_file", "literal_type_of", "to_python"]
