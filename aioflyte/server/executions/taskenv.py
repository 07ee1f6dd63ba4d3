"""The environment task processes run in: which interpreter and which ``PATH`` resolve a container command.

The server runs every container command as registered: its first word is looked up on the task environment's
``PATH`` (the folder of ``--task-python`` first, then ``--task-path``, by default the server's own interpreter and
``PATH``), so a task registered by flytekit runs ``pyflyte-execute`` of the environment that has flytekit. Only
aioflyte's own commands (``aioflyte-execute``, ``aioflyte-fast-execute``) are rewritten, to ``<python> -m ...``,
and only when they would not resolve. A fast-registration command unpacks its code in the attempt's working
directory, whatever ``--dest-dir`` it was registered with (``pyflyte register`` says ``/root``).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field

#: aioflyte's own commands and the modules that implement them (run with the task environment's interpreter)
OWN_COMMANDS = {"aioflyte-execute": "aioflyte.entrypoint", "aioflyte-fast-execute": "aioflyte._entrypoint.fast"}
#: the commands that fetch fast-registered code before running the task command
FAST_COMMANDS = ("aioflyte-fast-execute", "pyflyte-fast-execute")


class MissingExecutable(Exception):
    """A container command's executable is not in the task environment."""


@dataclass(frozen=True)
class TaskEnvironment:
    """Where task processes find their executables: ``python`` and a ``PATH`` (``None``: the server's)."""

    python: str = field(default_factory=lambda: sys.executable)
    path: str | None = None

    def __post_init__(self) -> None:
        # never resolve symbolic links: a virtual environment's python is a link out of its bin folder
        object.__setattr__(self, "python", os.path.abspath(os.path.expanduser(self.python)))

    @property
    def search_path(self) -> str:
        """The ``PATH`` of task processes: the interpreter's folder (its scripts), then ``path``."""
        base = self.path if self.path is not None else os.environ.get("PATH", os.defpath)
        folders: list[str] = []
        for folder in (os.path.dirname(self.python), *base.split(os.pathsep)):
            if folder and folder not in folders:
                folders.append(folder)
        return os.pathsep.join(folders)

    def check(self) -> None:
        """Refuse to start with an interpreter that is not there (ValueError naming the option)."""
        if not (os.path.isfile(self.python) and os.access(self.python, os.X_OK)):
            raise ValueError(f"--task-python {self.python!r} is not an executable file")

    def resolve(self, argv: list[str], work_dir: str | None = None) -> list[str]:
        """``argv`` with its executable found on the task environment (MissingExecutable when it is not)."""
        exe, rest = argv[0], list(argv[1:])
        name = os.path.basename(exe)
        if work_dir is not None and name in FAST_COMMANDS:
            rest = _with_dest_dir(rest, work_dir)
        if os.sep in exe:  # a path, as registered: relative to the working directory or absolute
            return [exe, *rest]
        found = shutil.which(exe, path=self.search_path)
        if found is not None:
            return [found, *rest]
        module = OWN_COMMANDS.get(exe)
        if module is not None:
            return [self.python, "-m", module, *rest]
        raise MissingExecutable(
            f"the executable {exe!r} of the task's command is not in the server's task environment (PATH: "
            f"{self.search_path}); start the server with --task-python pointing at the Python of an environment "
            f"that has it (or add its folder with --task-path)"
        )


def _with_dest_dir(args: list[str], work_dir: str) -> list[str]:
    """A fast-execute command's options with ``--dest-dir`` set to ``work_dir`` (the options end at ``--``)."""
    end = args.index("--") if "--" in args else len(args)
    head, tail = args[:end], args[end:]
    out: list[str] = []
    i = 0
    while i < len(head):
        arg = head[i]
        if arg == "--dest-dir":
            i += 2
            continue
        if arg.startswith("--dest-dir="):
            i += 1
            continue
        out.append(arg)
        i += 1
    return [*out, "--dest-dir", work_dir, *tail]


__all__ = ["FAST_COMMANDS", "OWN_COMMANDS", "MissingExecutable", "TaskEnvironment"]
