"""Literal maps in local files (what the local server keeps for each execution and node)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from flyteidl.core import literals_pb2


async def read_literal_map_file(path: str | os.PathLike[str]) -> literals_pb2.LiteralMap:
    """The LiteralMap in a local file (a path, or a ``file://`` URI), read in a worker thread.

    Raises ``FileNotFoundError`` when there is no such file.
    """
    local = Path(os.fspath(path).removeprefix("file://"))
    return literals_pb2.LiteralMap.FromString(await asyncio.to_thread(local.read_bytes))


__all__ = ["read_literal_map_file"]
