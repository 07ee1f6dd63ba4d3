"""Literal helpers shared by the remote client, the task entrypoint and the server: reading stored literal maps
(local files, or any URI through the data provider), and literal maps as Python values.

Only flyteidl is imported here; the data provider and ``TypeEngine`` are imported by the functions that use them,
so that the server, which needs neither, does not load them.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from flyteidl.core import literals_pb2

if TYPE_CHECKING:
    from aioflyte.io.provider import FileAccessProvider

log = logging.getLogger("aioflyte.remote")


class StoredData(Protocol):
    """Where a backend stored data it did not send inline (admin's ``UrlBlob``)."""

    @property
    def url(self) -> str: ...


async def read_literal_map_file(path: str | os.PathLike[str]) -> literals_pb2.LiteralMap:
    """The LiteralMap in a local file (a path, or a ``file://`` URI), read in a worker thread.

    Raises ``FileNotFoundError`` when there is no such file.
    """
    local = Path(os.fspath(path).removeprefix("file://"))
    return literals_pb2.LiteralMap.FromString(await asyncio.to_thread(local.read_bytes))


async def read_literal_map(uri: str, provider: FileAccessProvider | None = None) -> literals_pb2.LiteralMap:
    """The LiteralMap stored at ``uri``, read through ``provider`` (the default data provider when None)."""
    if provider is None:
        from aioflyte.io.provider import default_provider

        provider = default_provider()
    lm = literals_pb2.LiteralMap()
    lm.ParseFromString(await provider.get_bytes(uri))
    return lm


async def inline_or_stored(inline: literals_pb2.LiteralMap, stored: StoredData) -> literals_pb2.LiteralMap:
    """``inline`` when the backend sent the values inline, else the LiteralMap stored at ``stored.url`` (Flyte
    leaves the inline copy out for large data)."""
    if inline.literals or not stored.url:
        return inline
    return await read_literal_map(stored.url)


async def to_python_values(lm: literals_pb2.LiteralMap, types: dict[str, Any]) -> dict[str, Any]:
    """Literals as Python values of ``types``; a literal with no type (or ``Any``), or whose conversion fails, is
    returned as the literal itself."""
    from aioflyte.types.engine import TypeEngine

    out: dict[str, Any] = {}
    for name, lit in lm.literals.items():
        t = types.get(name)
        try:
            out[name] = lit if t is None or t is Any else await TypeEngine.to_python_value(None, lit, t)
        except Exception as e:
            log.debug("cannot convert %s to %s, keeping the literal: %s", name, t, e)
            out[name] = lit
    return out


__all__ = [
    "StoredData",
    "inline_or_stored",
    "read_literal_map",
    "read_literal_map_file",
    "to_python_values",
]
