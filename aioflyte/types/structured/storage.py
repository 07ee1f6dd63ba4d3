"""Moving dataset files without blocking the loop: writes and reads run in worker threads on local files,
transfers go through the async ``FileAccessProvider``. Readers and writers never see a partial file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from typing import Any, AsyncIterator, Callable, TypeVar

from aioflyte.exceptions import TypeTransformerFailedError
from aioflyte.io.provider import run_blocking, split_protocol

R = TypeVar("R")

FIRST_PART = f"{0:05}"  # flytekit's name for the one file of a dataset directory


async def in_thread(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)`` in a worker thread; cancelled, it still waits for the call to finish (``run_blocking``)."""
    return await run_blocking(fn, *args)


def provider() -> Any:
    from aioflyte.io import default_provider

    return default_provider()


def output_uri(uri: str | None) -> str:
    """Where an encoder writes: the dataset's own uri, else a fresh directory under the raw output prefix."""
    return uri or provider().random_remote_path()


def _tmp_beside(path: str) -> str:
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    return os.path.join(parent, f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.part")


def _write_local(path: str, write: Callable[[str], None]) -> None:
    tmp = _tmp_beside(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


async def write_file(uri: str, write: Callable[[str], None]) -> str:
    """Publish the file ``write(local_path)`` produces at ``uri`` whole (local: temp + rename; remote: upload).

    ``write`` runs in a worker thread; it is where pandas/pyarrow do their CPU and disk work.
    """
    protocol, path = split_protocol(uri)
    if protocol == "file":
        await in_thread(_write_local, path, write)
        return uri
    tmpdir = await in_thread(tempfile.mkdtemp, None, "aioflyte-sd-", provider().local_sandbox_dir)
    try:
        local = os.path.join(tmpdir, os.path.basename(path) or "part")
        await in_thread(write, local)
        await provider().put_file(local, uri)
    finally:
        await in_thread(shutil.rmtree, tmpdir, True)
    return uri


@contextlib.asynccontextmanager
async def local_copy(uri: str) -> AsyncIterator[str]:
    """A local path holding the data at ``uri`` (a file or a directory of files).

    Local data is read in place. Remote data is downloaded into a temporary directory (each file under a temp
    name, renamed when complete) that is removed afterwards, whether reading succeeded or not.
    """
    protocol, path = split_protocol(uri)
    if protocol == "file":
        if not await in_thread(os.path.exists, path):
            raise TypeTransformerFailedError(f"the dataset at {uri} does not exist")
        yield path
        return
    p = provider()
    tmpdir = await in_thread(tempfile.mkdtemp, None, "aioflyte-sd-", provider().local_sandbox_dir)
    try:
        if await p.isdir(uri):
            local = os.path.join(tmpdir, "data")
            await p.get_directory(uri, local)
        else:
            local = os.path.join(tmpdir, os.path.basename(path.rstrip("/")) or "data")
            await p.get_file(uri, local)
        yield local
    finally:
        await in_thread(shutil.rmtree, tmpdir, True)
