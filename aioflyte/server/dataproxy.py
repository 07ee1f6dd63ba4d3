"""The data proxy (flyteidl ``DataProxyService``): signed upload and download URLs, and ``GetData`` for
``flyte://`` URIs.

Uploads go to ``<raw prefix>/_uploads/<project>/<domain>/<filename_root or base32(md5)>/<filename>``. flyteadmin
puts them beside execution data (``<raw prefix>/<project>/<domain>/...``), but here executions keep their inputs,
outputs and error documents under ``<raw prefix>/<project>/<domain>/<execution>``, so an upload named after an
execution's file could decide its outcome; ``_uploads`` is not a project id (project ids are DNS labels), so no
upload lands in an execution's folder.

For a local raw prefix the signed URL is a PUT on the server's HTTP endpoint (``/data/<path>``), carrying an expiry
and an HMAC-SHA256 token (the key is ``dataproxy.key`` in the state directory, created on first start); the handler
checks the token, the expiry and the ``Content-MD5`` the URL was made for, streams the body into a temporary file
and renames it into place (see :mod:`aioflyte.server.signedurls`). For an ``s3://`` raw prefix the URL is a
presigned S3 PUT (with the MD5 signed in). Downloads are the same with GET. No path may leave the raw prefix.

``GetData`` reads ``flyte://v1/<project>/<domain>/<execution>[/<node id>[/<attempt>]]/<i|o|d>[/<name>]``: the inputs
or outputs of an execution (a LiteralMap, or one literal when ``name`` is given), or its deck as a signed URL.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
import time
from pathlib import Path
from typing import Any

import grpc
from flyteidl.core import identifier_pb2, literals_pb2
from flyteidl.service import dataproxy_pb2, dataproxy_pb2_grpc
from google.protobuf import timestamp_pb2

from aioflyte.models.literals import read_literal_map_file
from aioflyte.server.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, enum_name
from aioflyte.server.executions.manager import ExecutionManager
from aioflyte.server.executions.singletask import task_node_id
from aioflyte.server.rpc import add_service, handler
from aioflyte.server.signedurls import DataLocations, DataRoutes, UrlSigner, relative

log = logging.getLogger("aioflyte.server")

#: The longest a signed URL may live (flyteadmin's default ``maxExpiresIn``); also the default.
MAX_EXPIRES_IN = 3600.0
_FLYTE_URL = re.compile(
    r"^flyte://v1/(?P<project>[^/]+)/(?P<domain>[^/]+)/(?P<name>[^/]+)"
    r"(?:/(?P<node>[^/]+)(?:/(?P<attempt>\d+))?)?/(?P<io>[iod])(?:/(?P<literal>[^/]+))?$"
)
#: The folder under the raw prefix that every data-proxy upload goes to (not a valid project id: never an
#: execution's folder).
UPLOADS = "_uploads"
#: Node ids that stand for the whole execution when it launched a single task.
_TASK_NODE_IDS = ("n0", "start-node", "end-node")


def _expiry(expires_in: Any, has: bool, what: str) -> float:
    # not ToTimedelta(): a Duration of 2**62 seconds overflows it, and is simply too long
    seconds = expires_in.seconds + expires_in.nanos / 1e9 if has else MAX_EXPIRES_IN
    if seconds < 0:
        raise InvalidArgument(f"{what}: expires_in must not be negative, got {seconds:g}s")
    if seconds > MAX_EXPIRES_IN:
        raise InvalidArgument(
            f"{what}: expires_in {seconds:g}s exceeds the maximum allowed expiration {MAX_EXPIRES_IN:g}s"
        )
    return seconds or MAX_EXPIRES_IN


def _timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


# --- the gRPC service ------------------------------------------------------------------------------------------


class DataProxyService(dataproxy_pb2_grpc.DataProxyServiceServicer):
    """``CreateUploadLocation``, ``CreateDownloadLocation``, ``CreateDownloadLink`` and ``GetData``."""

    def __init__(self, locations: DataLocations, executions: ExecutionManager) -> None:
        self.locations = locations
        self.executions = executions

    @handler
    async def CreateUploadLocation(
        self, request: dataproxy_pb2.CreateUploadLocationRequest, context: Any
    ) -> dataproxy_pb2.CreateUploadLocationResponse:
        if not request.project or not request.domain:
            raise InvalidArgument("CreateUploadLocation: project and domain are required parameters")
        if not request.filename_root and not request.content_md5:
            raise InvalidArgument("CreateUploadLocation: content_md5 or filename_root is a required parameter")
        if request.content_md5 and len(request.content_md5) != 16:
            raise InvalidArgument(
                "CreateUploadLocation: content_md5 must be the 16 bytes of an MD5 digest, got "
                f"{len(request.content_md5)}"
            )
        seconds = _expiry(request.expires_in, request.HasField("expires_in"), "CreateUploadLocation")
        filename = request.filename or secrets.token_hex(10)
        root = request.filename_root or base64.b32encode(request.content_md5).decode()
        rel = relative(UPLOADS, request.project, request.domain, root, filename)
        if not self.locations.s3:
            self.locations.local_path(rel)  # refuses paths that leave the prefix (symlinks included)
        if request.filename and request.filename_root:
            stored = await self.locations.existing_md5(rel)
            if stored is not None and not _same_md5(stored, request.content_md5):
                raise AlreadyExists(
                    f"file already exists at location {self.locations.native(rel)}, specify a matching hash if you "
                    "wish to rewrite"
                )
        md5 = base64.b64encode(request.content_md5).decode() if request.content_md5 else ""
        url = await self.locations.upload_url(rel, seconds, md5)
        response = dataproxy_pb2.CreateUploadLocationResponse(
            signed_url=url, native_url=self.locations.native(rel), expires_at=_timestamp(time.time() + seconds)
        )
        if md5:
            response.headers["Content-MD5"] = md5
        return response

    @handler
    async def CreateDownloadLocation(
        self, request: dataproxy_pb2.CreateDownloadLocationRequest, context: Any
    ) -> dataproxy_pb2.CreateDownloadLocationResponse:
        seconds = _expiry(request.expires_in, request.HasField("expires_in"), "CreateDownloadLocation")
        if not request.native_url:
            raise InvalidArgument("CreateDownloadLocation: native_url is required")
        rel = self.locations.relative_of(request.native_url)
        url = await self.locations.download_url(rel, seconds)
        return dataproxy_pb2.CreateDownloadLocationResponse(
            signed_url=url, expires_at=_timestamp(time.time() + seconds)
        )

    @handler
    async def CreateDownloadLink(
        self, request: dataproxy_pb2.CreateDownloadLinkRequest, context: Any
    ) -> dataproxy_pb2.CreateDownloadLinkResponse:
        seconds = _expiry(request.expires_in, request.HasField("expires_in"), "CreateDownloadLink")
        if request.artifact_type != dataproxy_pb2.ARTIFACT_TYPE_DECK:
            raise InvalidArgument(
                f"CreateDownloadLink: artifact_type must be ARTIFACT_TYPE_DECK, got "
                f"{enum_name(dataproxy_pb2.ArtifactType, request.artifact_type)}"
            )
        if not request.HasField("node_execution_id"):
            raise InvalidArgument("CreateDownloadLink: node_execution_id is required")
        url = await self._deck_url(request.node_execution_id, None, seconds)
        ts = _timestamp(time.time() + seconds)
        return dataproxy_pb2.CreateDownloadLinkResponse(
            signed_url=[url],
            expires_at=ts,
            pre_signed_urls=dataproxy_pb2.PreSignedURLs(signed_url=[url], expires_at=ts),
        )

    @handler
    async def GetData(self, request: dataproxy_pb2.GetDataRequest, context: Any) -> dataproxy_pb2.GetDataResponse:
        m = _FLYTE_URL.match(request.flyte_url)
        if not m:
            raise InvalidArgument(
                f"GetData: cannot parse flyte_url {request.flyte_url!r}; expected "
                "flyte://v1/<project>/<domain>/<execution>[/<node id>[/<attempt>]]/<i|o|d>[/<name>]"
            )
        key = (m["project"], m["domain"], m["name"])
        node = m["node"]
        attempt = int(m["attempt"]) if m["attempt"] is not None else None
        if m["io"] == "d":
            nid = identifier_pb2.NodeExecutionIdentifier(
                node_id=node or "n0",
                execution_id=identifier_pb2.WorkflowExecutionIdentifier(project=key[0], domain=key[1], name=key[2]),
            )
            url = await self._deck_url(nid, attempt, MAX_EXPIRES_IN)
            urls = dataproxy_pb2.PreSignedURLs(signed_url=[url], expires_at=_timestamp(time.time() + MAX_EXPIRES_IN))
            return dataproxy_pb2.GetDataResponse(pre_signed_urls=urls)
        lm = await self._literals(key, node, attempt, m["io"] == "i")
        if m["literal"]:
            if m["literal"] not in lm.literals:
                raise InvalidArgument(
                    f"GetData: name {m['literal']!r} not found in {request.flyte_url} (it has: "
                    f"{', '.join(sorted(lm.literals)) or 'no values'})"
                )
            return dataproxy_pb2.GetDataResponse(literal=lm.literals[m["literal"]])
        return dataproxy_pb2.GetDataResponse(literal_map=lm)

    # --- execution data --------------------------------------------------------------------------------------

    async def _execution(self, key: tuple[str, str, str]) -> Any:
        execution = await self.executions.store.get(*key)
        if execution is None:
            raise NotFound(f"execution {'/'.join(key)} does not exist")
        return execution

    def _node_dir(self, execution: Any, key: tuple[str, str, str], node: str | None) -> Path | None:
        """Where a node's data is: None for the execution itself (or the single node of a task execution), else
        ``<execution dir>/nodes/<node id>`` as workflow executions record their nodes."""
        launched = execution.spec.launch_plan
        if node is None or (launched.resource_type == identifier_pb2.TASK and node in _task_node_ids(launched)):
            return None
        base = self.executions.base(key)
        for candidate in (base / "nodes" / relative(node), base / relative(node)):
            if candidate.is_dir():
                return candidate
        raise NotFound(f"node {node} of execution {'/'.join(key)} has no data on this server")

    async def _literals(
        self, key: tuple[str, str, str], node: str | None, attempt: int | None, inputs: bool
    ) -> literals_pb2.LiteralMap:
        execution = await self._execution(key)
        where = f"execution {'/'.join(key)}" + (f" node {node}" if node else "")
        folder = self._node_dir(execution, key, node)
        if node in ("start-node", "end-node") and folder is None:
            if (node == "start-node") == inputs:  # the start node has no inputs, the end node no outputs
                return literals_pb2.LiteralMap()
            inputs = node == "start-node"  # the start node's outputs are the inputs; the end node's inputs the outputs
            return await self._literals(key, None, attempt, inputs)
        phase = _phase_name(execution.closure.phase)
        if folder is None:  # the execution itself
            if inputs:
                return (await self.executions.read_inputs(key))[1]
            if attempt is None:
                outputs = await self.executions.read_outputs(execution)
                if outputs is None:
                    raise FailedPrecondition(f"{where} has no outputs (it is {phase})")
                return outputs
            folder = self.executions.base(key)
        if inputs:
            path = folder / "inputs.pb"
        elif attempt is None and (folder / "outputs.pb").is_file():
            path = folder / "outputs.pb"
        else:
            path = _attempt_dir(folder, attempt, where) / "outputs.pb"
        try:
            return await read_literal_map_file(path)
        except FileNotFoundError:
            which = "inputs" if inputs else "outputs"
            at = f" attempt {attempt}" if attempt is not None else ""
            raise FailedPrecondition(f"{where}{at} has no {which} (the execution is {phase})") from None

    async def _deck_url(self, nid: identifier_pb2.NodeExecutionIdentifier, attempt: int | None, seconds: float) -> str:
        e = nid.execution_id
        key = (e.project, e.domain, e.name)
        execution = await self._execution(key)
        where = f"execution {'/'.join(key)} node {nid.node_id}"
        folder = self._node_dir(execution, key, nid.node_id) or self.executions.base(key)
        deck = _attempt_dir(folder, attempt, where) / "deck.html"
        if not deck.is_file():
            raise NotFound(f"{where} has no deck")
        if self.locations.s3 or self.locations.root is None:
            raise NotFound(f"{where}: its deck is not under the raw data prefix {self.locations.prefix}")
        try:
            rel = deck.resolve().relative_to(self.locations.root).as_posix()
        except ValueError:
            raise NotFound(f"{where}: its deck is not under the raw data prefix {self.locations.root}") from None
        return await self.locations.download_url(rel, seconds)


def _task_node_ids(launched: identifier_pb2.Identifier) -> tuple[str, ...]:
    return (*_TASK_NODE_IDS, task_node_id(launched.name), launched.name, launched.name.rsplit(".", 1)[-1])


def _attempt_dir(folder: Path, attempt: int | None, where: str) -> Path:
    if attempt is not None:
        path = folder / f"attempt-{attempt}"
        if not path.is_dir():
            raise NotFound(f"{where} has no attempt {attempt}")
        return path
    attempts = sorted(
        (int(p.name.removeprefix("attempt-")), p)
        for p in (folder.iterdir() if folder.is_dir() else ())
        if p.name.startswith("attempt-") and p.name.removeprefix("attempt-").isdigit()
    )
    return attempts[-1][1] if attempts else folder


def _phase_name(phase: int) -> str:
    from flyteidl.core import execution_pb2 as core_execution_pb2

    return core_execution_pb2.WorkflowExecution.Phase.Name(phase)


def _same_md5(stored: bytes | str, md5: bytes) -> bool:
    if not md5:
        return False
    if isinstance(stored, bytes):
        return stored == md5
    return stored in (md5.hex(), base64.b32encode(md5).decode(), base64.b64encode(md5).decode())


class DataProxy:
    """The data proxy of one server: its HTTP routes are added at construction, its gRPC service by ``attach``."""

    def __init__(self, state_dir: str | Path, raw_output_prefix: str, executions: ExecutionManager, http: Any) -> None:
        self.locations = DataLocations(raw_output_prefix, UrlSigner(state_dir), lambda: http.url)
        self.service = DataProxyService(self.locations, executions)
        DataRoutes(self.locations).add_to(http.app)

    def attach(self, server: grpc.aio.Server) -> None:
        """Serve ``DataProxyService`` on ``server`` (and create the signing key now, not on the first request)."""
        _ = self.locations.signer.secret
        service = dataproxy_pb2.DESCRIPTOR.services_by_name["DataProxyService"]
        add_service(server, self.service, service, dataproxy_pb2_grpc.DataProxyServiceServicer)
