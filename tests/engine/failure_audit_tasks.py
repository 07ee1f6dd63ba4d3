"""What test_failure_audit.py's runs share with the process pool: the outputs' formats and the process task.

The process pool's workers import this module by name (``executor="process"`` tasks must live at module level of
an importable module), so it imports nothing of the tests.
"""

from __future__ import annotations

import hashlib
import zlib

from aioflyte import task

MAGIC = b"AIOFLYTE-AUDIT\n"
TRAILER = b"\nEND-OF-AUDIT-FILE\n"
CHUNKS = 3  # an output file is written in this many chunks, with a progress point between them


class AuditFailure(ValueError):
    """What a body that fails on purpose raises (not retried: a plain user error)."""


class AuditBlob:
    """A value with no transformer: it travels as a pickle file in the raw store."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.payload = payload(key, 512)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AuditBlob) and (self.key, self.payload) == (other.key, other.payload)

    def __hash__(self) -> int:
        return hash(self.key)


def token(key: str) -> int:
    """The int output of the call ``key``."""
    return zlib.crc32(key.encode())


def payload(key: str, n: int) -> bytes:
    seed = hashlib.sha256(key.encode()).digest()
    return (seed * (n // len(seed) + 1))[:n]


def file_chunks(key: str, n: int = 3000) -> list[bytes]:
    """The content of the output file of the call ``key``, in ``CHUNKS`` pieces.

    Whole, it reads: MAGIC, the key, the payload's length, the payload, TRAILER. Any prefix of it (a partial
    write) fails ``check_file``.
    """
    data = MAGIC + key.encode() + b"\n" + str(n).encode() + b"\n" + payload(key, n) + TRAILER
    step = len(data) // CHUNKS + 1
    return [data[i : i + step] for i in range(0, len(data), step)]


def check_file(data: bytes) -> str:
    """The key of a whole output file; AssertionError naming what is wrong with anything else."""
    assert data.startswith(MAGIC), f"not an audit file: {data[:40]!r}"
    rest = data[len(MAGIC) :]
    key, _, rest = rest.partition(b"\n")
    size, _, rest = rest.partition(b"\n")
    assert size.isdigit(), f"audit file of {key!r}: no length"
    n = int(size)
    assert rest == payload(key.decode(), n) + TRAILER, f"audit file of {key!r}: {len(rest)} bytes, not whole"
    return key.decode()


@task(executor="process")
def proc_body(key: str, dep: int) -> int:
    """A process body: fails at once when its key says so (it cannot wait on the test, being in another process)."""
    if key.endswith("!fail"):
        raise AuditFailure(f"{key} failed on purpose")
    return token(key) ^ dep


@task(executor="process", timeout=60)
def proc_body_with_timeout(key: str, dep: int) -> int:
    """``proc_body`` behind a (generous) timeout: the timeout stage around a process body."""
    if key.endswith("!fail"):
        raise AuditFailure(f"{key} failed on purpose")
    return token(key) ^ dep
