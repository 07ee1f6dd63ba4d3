"""How a cached call's outputs are stored and read back.

Outputs of plain types (scalars, containers, dataclasses and other types with no files, directories or datasets
in them) are stored as their values after the local literal round trip, pickled in one C-level pass: a hit
unpickles them, a 10^6-element list costs no per-element Python work to store or read. Other outputs are stored
as their literals; those point at data in the raw store (files, directories, datasets), which a hit checks is
still there, and pickles inside them are copied into the store's own folder and checked by content hash before
anything unpickles them. Entries themselves are verified by the store (HMAC) before they are decoded.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import typing
from typing import Any

from flyteidl.core import literals_pb2 as _lit
from flyteidl.core import types_pb2 as _types

from aioflyte.core.task import PythonTask, raise_type_error
from aioflyte.engine._cache_store import CacheStore, Entry
from aioflyte.engine.task_runner import CONVERSION_ERRORS
from aioflyte.types._codec import needs_io
from aioflyte.types.engine import TypeEngine
from aioflyte.types.file import PICKLE_FORMAT

PICKLED = "pickle"
LITERALS = "literals"


class DataGone(Exception):
    """Data a cached entry points at is missing (deleted raw data, a removed object): the entry is a miss."""


def _plain_literal_type(lt: _types.LiteralType) -> bool:
    kind = lt.WhichOneof("type")
    if kind in ("simple", "enum_type"):
        return True
    if kind == "collection_type":
        return _plain_literal_type(lt.collection_type)
    if kind == "map_value_type":
        return _plain_literal_type(lt.map_value_type)
    if kind == "union_type":
        return all(_plain_literal_type(v) for v in lt.union_type.variants)
    if kind == "blob":
        return lt.blob.format == PICKLE_FORMAT
    return False


_PLAIN: dict[Any, bool] = {}


def is_plain(t: Any) -> bool:
    """Whether values of ``t`` hold no references to stored data (so they can be kept as pickled values)."""
    try:
        return _PLAIN[t]
    except (KeyError, TypeError):
        pass
    base = typing.get_args(t)[0] if typing.get_origin(t) is typing.Annotated else t
    if isinstance(base, type) and hasattr(base, "model_fields"):  # pydantic models may hold files: literals
        plain = False
    else:
        try:
            plain = not needs_io(t) and _plain_literal_type(TypeEngine.to_literal_type(t))
        except Exception:
            plain = False
    try:
        _PLAIN[t] = plain
    except TypeError:
        pass
    return plain


def outputs_plain(task: PythonTask) -> bool:
    return all(is_plain(t) for t in task.python_interface.outputs.values())


# --- storing ---------------------------------------------------------------------------------------------------


def pickled_entry(task: PythonTask, value: Any) -> Entry:
    """The entry of a call whose (already converted) return value is of plain types."""
    values = task.python_interface.unpack_outputs(value, f"task {task.name}")
    return Entry(PICKLED, pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL))


async def literal_entry(task: PythonTask, result: Any, store: CacheStore) -> tuple[Any, Entry]:
    """(the value the caller gets, the entry) for a call whose outputs reference stored data: the outputs are
    converted to literals once, and the caller's value is read back from those literals (the local round trip)."""
    iface = task.python_interface
    values = iface.unpack_outputs(result, f"task {task.name}")
    lm = _lit.LiteralMap()
    for n, t in iface.outputs.items():
        v = values[n]
        try:
            lm.literals[n].CopyFrom(await TypeEngine.async_to_literal(None, v, t))
        except CONVERSION_ERRORS as e:
            raise_type_error(f"task {task.name}", "output", n, t, v, e)
    # the caller's value is read back from the raw store, as without the cache; then the entry's pickles are
    # copied into the store's folder (read right after the task wrote them), where later hits read them
    out = {n: await TypeEngine.async_to_python_value(None, lm.literals[n], t) for n, t in iface.outputs.items()}
    for blob in _blobs(lm):
        if blob.metadata.type.format == PICKLE_FORMAT:
            blob.uri = await _keep_pickle(store, blob.uri)
    refs: list[str] = []
    _collect_refs(lm, refs)
    return iface.pack_outputs(out), Entry(LITERALS, lm.SerializeToString(deterministic=True), tuple(refs))


async def _keep_pickle(store: CacheStore, uri: str) -> str:
    """Copy a pickle the outputs point at into the store's own folder, named by its content's sha256."""
    import asyncio

    from aioflyte.io.provider import default_provider

    data = await default_provider().get_bytes(uri)
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(store.objects, digest)

    def write() -> None:
        os.makedirs(store.objects, mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.{id(data)}.tmp"  # always rewritten: an existing file is not trusted
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    await asyncio.to_thread(write)
    return path


def _blobs(lm: _lit.LiteralMap) -> list[_lit.Blob]:
    found: list[_lit.Blob] = []

    def walk(lit: _lit.Literal) -> None:
        kind = lit.WhichOneof("value")
        if kind == "scalar":
            sk = lit.scalar.WhichOneof("value")
            if sk == "blob":
                found.append(lit.scalar.blob)
            elif sk == "union":
                walk(lit.scalar.union.value)
        elif kind == "collection":
            for x in lit.collection.literals:
                walk(x)
        elif kind == "map":
            for x in lit.map.literals.values():
                walk(x)

    for lit in lm.literals.values():
        walk(lit)
    return found


def _collect_refs(lm: _lit.LiteralMap, refs: list[str]) -> None:
    """URIs of the stored data the literals point at (pickles excluded: they live in the store's folder)."""

    def walk(lit: _lit.Literal) -> None:
        kind = lit.WhichOneof("value")
        if kind == "scalar":
            sk = lit.scalar.WhichOneof("value")
            if sk == "blob":
                if lit.scalar.blob.metadata.type.format != PICKLE_FORMAT:
                    refs.append(lit.scalar.blob.uri)
            elif sk == "structured_dataset":
                if lit.scalar.structured_dataset.uri:
                    refs.append(lit.scalar.structured_dataset.uri)
            elif sk == "schema":
                refs.append(lit.scalar.schema.uri)
            elif sk == "union":
                walk(lit.scalar.union.value)
        elif kind == "collection":
            for x in lit.collection.literals:
                walk(x)
        elif kind == "map":
            for x in lit.map.literals.values():
                walk(x)
        elif kind == "offloaded_metadata":
            refs.append(lit.offloaded_metadata.uri)

    for lit in lm.literals.values():
        walk(lit)


# --- reading ---------------------------------------------------------------------------------------------------


async def decode(task: PythonTask, entry: Entry, store: CacheStore) -> Any:
    """The caller's value from a verified entry; ``DataGone`` if data it points at is missing."""
    iface = task.python_interface
    if entry.format == PICKLED:
        return iface.pack_outputs(pickle.loads(entry.payload))
    if entry.format != LITERALS:
        raise ValueError(f"unknown cache entry format {entry.format!r}")
    from aioflyte.io.provider import default_provider

    provider = default_provider()
    for uri in entry.refs:
        if not await provider.exists(uri):
            raise DataGone(uri)
    lm = _lit.LiteralMap()
    lm.ParseFromString(entry.payload)
    for blob in _blobs(lm):
        if blob.metadata.type.format == PICKLE_FORMAT:
            await _check_pickle(store, blob.uri)
    out = {n: await TypeEngine.async_to_python_value(None, lm.literals[n], t) for n, t in iface.outputs.items()}
    return iface.pack_outputs(out)


async def _check_pickle(store: CacheStore, path: str) -> None:
    """A pickle an entry points at must be in the store's folder and hold what the entry recorded."""
    import asyncio

    def digest() -> str:
        if not os.path.isabs(path) or os.path.dirname(os.path.normpath(path)) != store.objects:
            raise ValueError(f"a cached pickle outside the cache's folder: {path}")
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()

    try:
        actual = await asyncio.to_thread(digest)
    except FileNotFoundError:
        raise DataGone(path) from None
    if actual != os.path.basename(path):
        raise ValueError(f"the cached pickle {path} was changed")
