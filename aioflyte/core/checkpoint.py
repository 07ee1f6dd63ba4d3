"""Checkpoints: ``current_context().checkpoint`` lets a retried task resume from what its last attempt saved.

Each attempt writes under ``<raw prefix>/checkpoints/<call id>/<attempt>``; attempt n reads attempt n-1's.
Methods have flytekit's names and are sync (for sync tasks, which run in worker threads); async tasks use the
``a``-prefixed coroutines (``await cp.aread()``), since a sync call cannot block the loop it runs on.
"""

from __future__ import annotations

import asyncio
import io
import os
import pathlib
import tempfile
from typing import Any

from aioflyte.exceptions import FlyteDataNotFoundError
from aioflyte.runscope import run_loop

_SINGLE = "_checkpoint"  # the object ``write``/``read`` use, inside the checkpoint directory


def _blocking(coro: Any, what: str) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        coro.close()
        raise RuntimeError(
            f"checkpoint.{what}() blocks; inside an async task use 'await current_context().checkpoint.a{what}()'"
        )
    loop = run_loop()
    if loop is not None:  # a sync task body's worker thread: the work runs on the run's loop
        return asyncio.run_coroutine_threadsafe(coro, loop).result()
    return asyncio.run(coro)


class Checkpoint:
    """This attempt's checkpoint location (``checkpoint_dest``) and the previous attempt's (``checkpoint_src``)."""

    def __init__(
        self, checkpoint_dest: str | os.PathLike[str], checkpoint_src: str | os.PathLike[str] | None = None
    ) -> None:
        self._dest = os.fspath(checkpoint_dest).rstrip("/")
        self._src = os.fspath(checkpoint_src).rstrip("/") if checkpoint_src else None
        self._restored: pathlib.Path | None = None

    @property
    def checkpoint_dest(self) -> str:
        return self._dest

    @property
    def checkpoint_src(self) -> str | None:
        return self._src

    @staticmethod
    def _provider() -> Any:
        from aioflyte.io import default_provider

        return default_provider()

    async def aprev_exists(self) -> bool:
        """Whether the previous attempt saved a checkpoint."""
        if self._src is None:
            return False
        return bool(await self._provider().list_files(self._src)) if await self._provider().exists(self._src) else False

    async def arestore(self, path: str | os.PathLike[str] | None = None) -> pathlib.Path | None:
        """Download the previous attempt's checkpoint into ``path`` (a new temp dir by default); None if none."""
        if self._restored is not None:
            return self._restored
        if not await self.aprev_exists():
            return None
        target = str(path) if path is not None else tempfile.mkdtemp(prefix="aioflyte-checkpoint-")
        await self._provider().get_directory(self._src, target)
        self._restored = pathlib.Path(target)
        return self._restored

    async def asave(self, cp: str | os.PathLike[str] | io.BufferedReader) -> None:
        """Save a file, a directory, or an open binary reader as this attempt's checkpoint."""
        p = self._provider()
        if isinstance(cp, (io.BufferedReader, io.BytesIO)):
            await p.put_bytes(f"{self._dest}/{_SINGLE}", cp.read())
            return
        local = os.fspath(cp)
        if os.path.isdir(local):  # noqa: ASYNC240  # one stat of a local path: microseconds, less than a thread hop
            await p.put_directory(local, self._dest)
        elif os.path.isfile(local):  # noqa: ASYNC240  # as above
            await p.put_file(local, f"{self._dest}/{os.path.basename(local)}")
        else:
            raise FlyteDataNotFoundError(f"checkpoint.save({local!r}): no such file or directory")

    async def aread(self) -> bytes | None:
        """The bytes the previous attempt wrote with ``write``, or None if it wrote none."""
        if self._src is None:
            return None
        uri = f"{self._src}/{_SINGLE}"
        p = self._provider()
        if not await p.exists(uri):
            return None
        return await p.get_bytes(uri)

    async def awrite(self, b: bytes) -> None:
        """Save ``b`` as this attempt's checkpoint (read back by the next attempt with ``read``)."""
        await self._provider().put_bytes(f"{self._dest}/{_SINGLE}", bytes(b))

    def prev_exists(self) -> bool:
        return _blocking(self.aprev_exists(), "prev_exists")

    def restore(self, path: str | os.PathLike[str] | None = None) -> pathlib.Path | None:
        return _blocking(self.arestore(path), "restore")

    def save(self, cp: str | os.PathLike[str] | io.BufferedReader) -> None:
        _blocking(self.asave(cp), "save")

    def read(self) -> bytes | None:
        return _blocking(self.aread(), "read")

    def write(self, b: bytes) -> None:
        _blocking(self.awrite(b), "write")


SyncCheckpoint = Checkpoint
