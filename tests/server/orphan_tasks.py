"""Tasks test_server_orphans.py runs on the server (imported by the task processes: no tests here)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from aioflyte import task

#: what the grandchild runs: write its pid, sleep, then write a ``late`` file (it must never get that far)
_GRANDCHILD = (
    "import os, sys, time; d = sys.argv[1]; open(os.path.join(d, str(os.getpid()) + '.pid'), 'w').close(); "
    "time.sleep(float(sys.argv[2])); open(os.path.join(d, str(os.getpid()) + '.late'), 'w').close()"
)


@task
def family(markers: str, seconds: float) -> float:
    """Starts a grandchild process (in the task's process group), records both pids under ``markers``, then
    sleeps ``seconds`` and returns (so a surviving task process would write outputs)."""
    child = subprocess.Popen([sys.executable, "-c", _GRANDCHILD, markers, str(seconds)])
    with open(os.path.join(markers, f"{os.getpid()}.pid"), "w"):
        pass
    time.sleep(seconds)
    child.wait()
    return seconds
