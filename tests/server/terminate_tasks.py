"""Tasks test_terminate_many.py runs on the server (imported by the task processes: no tests here)."""

from __future__ import annotations

import os
import time

from aioflyte import task


@task
def hold(markers: str, seconds: float) -> float:
    """Writes its pid as a file under ``markers`` (so a test can check the process is gone), then sleeps."""
    path = os.path.join(markers, str(os.getpid()))
    with open(path + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(path + ".tmp", path)
    time.sleep(seconds)
    return seconds


@task
def where() -> str:
    """The working directory the server started the task process in."""
    return os.getcwd()
