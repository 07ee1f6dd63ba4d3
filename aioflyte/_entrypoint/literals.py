"""Literal plumbing of the entrypoint: offloaded literals (Flyte's literal offloading) in and out."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from flyteidl.core import literals_pb2 as _lit
from google.protobuf import json_format

OUTPUTS_FILE = "outputs.pb"


def join(prefix: str, name: str) -> str:
    return prefix.rstrip("/") + "/" + name


async def unwrap(provider: Any, lit: _lit.Literal) -> _lit.Literal:
    """The literal itself, fetched from its URI when the platform offloaded it."""
    while lit.WhichOneof("value") == "offloaded_metadata":
        data = await provider.get_bytes(lit.offloaded_metadata.uri)
        lit = _lit.Literal()
        lit.ParseFromString(data)
    return lit


def hash_string(msg: Any) -> str:
    """A stable hash of a message (sha256 of its sorted JSON form, base64), as Flyte computes for literals."""
    text = json.dumps(json_format.MessageToDict(msg), sort_keys=True, separators=(",", ":"))
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("utf-8")


def _mb(name: str, default: str) -> int:
    return int(os.environ.get(name, default)) * 1024 * 1024


def offload(output_prefix: str, outputs: _lit.LiteralMap, types: dict[str, Any]) -> dict[str, bytes]:
    """Files to write under the output prefix: ``outputs.pb`` and, when the platform enables offloading
    (``_F_L_MIN_SIZE_MB``), one ``<name>_offloaded_metadata.pb`` per output at least that large."""
    files: dict[str, bytes] = {}
    if os.environ.get("_F_L_MIN_SIZE_MB") is not None:
        low, high = _mb("_F_L_MIN_SIZE_MB", "10"), _mb("_F_L_MAX_SIZE_MB", "1000")
        for name in list(outputs.literals):
            lit = outputs.literals[name]
            size = lit.ByteSize()
            if size >= high:
                raise ValueError(f"output {name!r} is {size} bytes, more than the largest literal allowed ({high})")
            if size < low:
                continue
            fname = f"{name}_offloaded_metadata.pb"
            files[fname] = lit.SerializeToString()
            md = _lit.LiteralOffloadedMetadata(uri=join(output_prefix, fname), size_bytes=size)
            md.inferred_type.CopyFrom(types[name])
            outputs.literals[name].CopyFrom(_lit.Literal(offloaded_metadata=md, hash=lit.hash or hash_string(lit)))
    files[OUTPUTS_FILE] = outputs.SerializeToString()
    return files
