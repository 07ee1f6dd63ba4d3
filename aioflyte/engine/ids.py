"""Deterministic ids, so that a re-run finds the work an earlier run already did.

Node ids come from the compile order (``n0``, ``n1``, ...); ids of calls made at run time (eager children) from
the entity, a hash of the inputs and the call order."""

from __future__ import annotations

import hashlib
from typing import Any


def inputs_digest(inputs: dict[str, Any]) -> str:
    """A short, stable digest of input values (their reprs, by sorted name)."""
    h = hashlib.blake2b(digest_size=4)
    for k in sorted(inputs):
        h.update(k.encode())
        h.update(b"\0")
        h.update(repr(inputs[k]).encode())
        h.update(b"\1")
    return h.hexdigest()


def child_id(counters: dict[str, int], entity_name: str, inputs: dict[str, Any]) -> str:
    """``<entity>-<digest>-<n>``: the n-th call of this entity with these inputs within the run."""
    short = entity_name.rsplit(".", 1)[-1]
    base = f"{short}-{inputs_digest(inputs)}"
    n = counters.get(base, 0)
    counters[base] = n + 1
    return f"{base}-{n}"
