"""Literal maps stored by a backend, read through the data plane (any URI the data provider reaches)."""

from __future__ import annotations

from typing import Protocol

from flyteidl.core import literals_pb2

from aioflyte.io.provider import FileAccessProvider, default_provider


class StoredData(Protocol):
    """Where a backend stored data it did not send inline (admin's ``UrlBlob``)."""

    @property
    def url(self) -> str: ...


async def read_literal_map(uri: str, provider: FileAccessProvider | None = None) -> literals_pb2.LiteralMap:
    """The LiteralMap stored at ``uri``, read through ``provider`` (the default data provider when None)."""
    provider = provider or default_provider()
    lm = literals_pb2.LiteralMap()
    lm.ParseFromString(await provider.get_bytes(uri))
    return lm


async def inline_or_stored(inline: literals_pb2.LiteralMap, stored: StoredData) -> literals_pb2.LiteralMap:
    """``inline`` when the backend sent the values inline, else the LiteralMap stored at ``stored.url`` (Flyte
    leaves the inline copy out for large data)."""
    if inline.literals or not stored.url:
        return inline
    return await read_literal_map(stored.url)


__all__ = ["StoredData", "inline_or_stored", "read_literal_map"]
