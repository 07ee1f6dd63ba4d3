"""Task ``environment``: variables set while a task runs and restored after.

``os.environ`` is process-wide, so overlapping tasks share it: each variable is reference-counted and
the value it had before the first task set it is restored when the last one finishes.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Iterator

_lock = threading.Lock()
_saved: dict[str, tuple[int, str | None]] = {}


def apply(environment: dict[str, str]) -> None:
    """Set ``environment``'s variables (undone by ``restore``)."""
    with _lock:
        for k, v in environment.items():
            count, original = _saved.get(k, (0, os.environ.get(k)))
            _saved[k] = (count + 1, original)
            os.environ[k] = v


def restore(environment: dict[str, str]) -> None:
    """Undo an ``apply`` of ``environment``: a variable gets its first value back when no task sets it any more."""
    with _lock:
        for k in environment:
            count, original = _saved[k]
            if count == 1:
                del _saved[k]
                if original is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = original
            else:
                _saved[k] = (count - 1, original)


@contextlib.contextmanager
def applied(environment: dict[str, str] | None) -> Iterator[None]:
    """``environment`` set while the block runs (nothing to do for none)."""
    if not environment:
        yield
        return
    apply(environment)
    try:
        yield
    finally:
        restore(environment)
