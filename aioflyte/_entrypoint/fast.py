"""``aioflyte-fast-execute``: fetch a fast-registered code archive, unpack it, then run the task command.

    aioflyte-fast-execute --additional-distribution <uri of .tar.gz> --dest-dir <dir> -- aioflyte-execute ...

The task command runs as a child process (so it imports the new code), with the destination directory on
``PYTHONPATH`` and ``--dynamic-addl-distro`` / ``--dynamic-dest-dir`` added before ``--resolver``, as
flytekit's ``pyflyte-fast-execute`` does. A task command of ``aioflyte-execute`` runs with this interpreter
(``python -m aioflyte.entrypoint``), never whatever ``PATH`` finds. SIGTERM is passed on to the child; its exit code
is ours.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tarfile
from typing import Any


async def download_distribution(uri: str, dest_dir: str) -> str:
    """Fetch the archive into ``dest_dir`` and unpack it there (member paths may not leave ``dest_dir``)."""
    from aioflyte.io import default_provider

    name = os.path.basename(uri.rstrip("/"))
    if not name.endswith((".tar.gz", ".tgz")):
        raise ValueError(f"fast registration archive {uri!r}: expected a .tar.gz file")
    os.makedirs(dest_dir, exist_ok=True)
    local = os.path.join(dest_dir, name)
    await default_provider().get_file(uri, local)
    with tarfile.open(local, "r:*") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest_dir, filter="data")
        else:  # Python without extraction filters: refuse names that would leave dest_dir
            from aioflyte.io.provider import safe_join

            for member in tar.getmembers():
                safe_join(dest_dir, member.name)
            tar.extractall(dest_dir)  # every member's path was checked above
    return local


def with_distribution(cmd: list[str], distribution: str | None, dest_dir: str) -> list[str]:
    """The task command with the archive's location added before ``--resolver`` (for dynamic tasks)."""
    if distribution is None:
        return list(cmd)
    out: list[str] = []
    for arg in cmd:
        if arg == "--resolver":
            out += ["--dynamic-addl-distro", distribution, "--dynamic-dest-dir", dest_dir]
        out.append(arg)
    return out


def same_interpreter(cmd: list[str]) -> list[str]:
    """``aioflyte-execute ...`` as this interpreter's ``-m aioflyte.entrypoint ...``; other commands unchanged."""
    if cmd and cmd[0] == "aioflyte-execute":
        return [sys.executable, "-m", "aioflyte.entrypoint", *cmd[1:]]
    return list(cmd)


def _die_with_parent() -> Any:
    """A ``preexec_fn`` setting Linux's parent-death signal (SIGKILL), so the task command dies with this process
    (which the server starts with the same setting: a killed server leaves neither behind); None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import ctypes.util

    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def setup() -> None:
        prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # this process died before the setting took effect
            os._exit(137)

    return setup


def _run_child(cmd: list[str], env: dict[str, str]) -> int:
    child = subprocess.Popen(cmd, env=env, preexec_fn=_die_with_parent())

    def forward(signum: int, _frame: Any) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    return child.wait()


def fast_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="aioflyte-fast-execute", description=__doc__.split("\n")[0])
    p.add_argument("--additional-distribution", help="URI of the code archive (.tar.gz)")
    p.add_argument("--dest-dir", help="where to unpack it (default: the working directory)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the task command, after '--'")
    ns = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    cmd = ns.command[1:] if ns.command[:1] == ["--"] else ns.command
    if not cmd:
        p.error("the task command to run is missing (put it after '--')")
    dest = os.path.realpath(os.path.expanduser(ns.dest_dir or os.getcwd()))
    if ns.additional_distribution:
        asyncio.run(download_distribution(ns.additional_distribution, dest))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(x for x in (env.get("PYTHONPATH"), dest) if x)
    return _run_child(same_interpreter(with_distribution(cmd, ns.additional_distribution, dest)), env)


if __name__ == "__main__":
    sys.exit(fast_main())
