"""``DataProxyClient``: Flyte's DataProxyService calls as coroutines, on an :class:`AdminClient`'s channel (with its
retries of transient errors and its translation of failures into ``FlyteRemoteError`` subclasses)."""

from __future__ import annotations

import datetime
from typing import Any

from flyteidl.core import identifier_pb2
from flyteidl.service import dataproxy_pb2, dataproxy_pb2_grpc
from google.protobuf import duration_pb2

from aioflyte.remote.client.admin import AdminClient


def _duration(expires_in: datetime.timedelta | float | None) -> duration_pb2.Duration | None:
    if expires_in is None:
        return None
    d = duration_pb2.Duration()
    if isinstance(expires_in, datetime.timedelta):
        d.FromTimedelta(expires_in)
    else:
        d.FromNanoseconds(int(expires_in * 1e9))
    return d


class DataProxyClient:
    """Signed upload and download URLs and ``flyte://`` data, through the backend's data proxy."""

    def __init__(self, admin: AdminClient) -> None:
        self.admin = admin

    async def _call(self, method: str, request: Any, entity: str | None = None) -> Any:
        return await self.admin.call_service(dataproxy_pb2_grpc.DataProxyServiceStub, method, request, entity)

    async def create_upload_location(
        self,
        project: str,
        domain: str,
        content_md5: bytes,
        filename: str = "",
        filename_root: str = "",
        expires_in: datetime.timedelta | float | None = None,
        add_content_md5_metadata: bool = True,
    ) -> dataproxy_pb2.CreateUploadLocationResponse:
        """Where to PUT a file: ``signed_url`` (send ``headers`` with it) and the ``native_url`` it will be at."""
        request = dataproxy_pb2.CreateUploadLocationRequest(
            project=project,
            domain=domain,
            content_md5=content_md5,
            filename=filename,
            filename_root=filename_root,
            expires_in=_duration(expires_in),
            add_content_md5_metadata=add_content_md5_metadata,
        )
        where = f"upload {project}/{domain}/{filename_root + '/' if filename_root else ''}{filename}"
        return await self._call("CreateUploadLocation", request, where)

    async def create_download_location(
        self, native_url: str, expires_in: datetime.timedelta | float | None = None
    ) -> dataproxy_pb2.CreateDownloadLocationResponse:
        """A signed URL that GETs ``native_url``."""
        request = dataproxy_pb2.CreateDownloadLocationRequest(native_url=native_url, expires_in=_duration(expires_in))
        return await self._call("CreateDownloadLocation", request, native_url)

    async def create_download_link(
        self,
        node_execution_id: identifier_pb2.NodeExecutionIdentifier,
        artifact_type: dataproxy_pb2.ArtifactType = dataproxy_pb2.ARTIFACT_TYPE_DECK,
        expires_in: datetime.timedelta | float | None = None,
    ) -> dataproxy_pb2.CreateDownloadLinkResponse:
        """Signed URLs of a node execution's artifact (its deck)."""
        request = dataproxy_pb2.CreateDownloadLinkRequest(
            artifact_type=artifact_type, node_execution_id=node_execution_id, expires_in=_duration(expires_in)
        )
        e = node_execution_id.execution_id
        entity = f"node {node_execution_id.node_id} of execution {e.project}/{e.domain}/{e.name}"
        return await self._call("CreateDownloadLink", request, entity)

    async def get_data(self, flyte_uri: str) -> dataproxy_pb2.GetDataResponse:
        """What a ``flyte://v1/...`` URI points at: a ``literal_map``, a ``literal`` or ``pre_signed_urls``."""
        return await self._call("GetData", dataproxy_pb2.GetDataRequest(flyte_url=flyte_uri), flyte_uri)
