"""Tasks the execution tests run on the server (imported by the task processes: no tests here)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from aioflyte import FlyteRecoverableException, current_context, task


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def explode(x: int) -> int:
    raise ValueError(f"bad x={x}")


@task(retries=2)
def flaky(x: int) -> int:
    """Fails recoverably on the first two attempts, succeeds on the third."""
    attempt = current_context().attempt_number
    if attempt < 2:
        raise FlyteRecoverableException(f"attempt {attempt} failed, try again")
    return x * 10 + attempt


@task
def sleepy(marker: str, seconds: float) -> str:
    """Starts a grandchild process, writes both pids to ``marker``, then sleeps."""
    child = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds})"])
    with open(marker + ".tmp", "w") as f:
        f.write(f"{os.getpid()} {child.pid}")
    os.replace(marker + ".tmp", marker)
    time.sleep(seconds)
    return "woke"


@task(timeout=1)
def too_slow(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@task
def env_and_context(name: str) -> str:
    """Reports what the server told the task process about itself."""
    ctx = current_context()
    return f"{os.environ.get(name, '')}|{ctx.execution_id.name}|{os.environ['FLYTE_INTERNAL_TASK_NAME']}"


@task
def handshake(started: str, release: str, timeout: float) -> str:
    """Creates ``started``, then waits for the test to create ``release`` (fails after ``timeout`` seconds)."""
    open(started, "w").close()
    deadline = time.monotonic() + timeout
    while not os.path.exists(release):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{release} was never created")
        time.sleep(0.02)
    return "released"


@task
def meet(marker_dir: str, parties: int, i: int, timeout: float) -> int:
    """Marks itself running in ``marker_dir``, then waits until ``parties`` executions of it are running at once
    (fails after ``timeout`` seconds): executions launched one after another never finish."""
    open(os.path.join(marker_dir, f"{i}.running"), "w").close()
    deadline = time.monotonic() + timeout
    while len([n for n in os.listdir(marker_dir) if n.endswith(".running")]) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {parties} executions ran at once")
        time.sleep(0.02)
    return i
