"""How ``aioflyte run`` shows a failed local run: one line naming the task, the node and the attempt, then the
user's frames of the traceback, with aioflyte's, the libraries' and the standard library's collapsed into a count
(``--verbose`` prints the whole traceback).

    Error: task fail.boom failed at node n0 of workflow fail.wf (attempt 2 of 2): ZeroDivisionError: division by zero
    Traceback (your code, most recent call last):
      File "/work/fail.py", line 8, in boom
        return helper(x)
      File "/work/fail.py", line 4, in helper
        return 1 / x
    ZeroDivisionError: division by zero
    (31 frames of aioflyte, click and the standard library hidden; --verbose shows them)
"""

from __future__ import annotations

import os
import re
import sysconfig
import traceback
from typing import Any

_TASK_NOTE = re.compile(r"^aioflyte: raised by task '(?P<task>[^']+)'(?: \(attempt (?P<attempt>\d+) of (?P<of>\d+)\))?")
_NODE_NOTE = re.compile(r"^aioflyte: node (?P<node>\S+) \((?P<entity>[^)]*)\) of workflow (?P<wf>\S+) failed")


def _library_roots() -> tuple[str, ...]:
    roots = {os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep}  # the aioflyte package
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.abspath(path) + os.sep)
    return tuple(roots)


def is_user_frame(filename: str, roots: tuple[str, ...]) -> bool:
    """A frame of the user's code: a real file outside aioflyte, site-packages and the standard library."""
    if filename.startswith("<") or not os.path.isabs(filename):
        return False  # <frozen runpy>, <string>, uvloop/loop.pyx
    path = os.path.abspath(filename)
    return not path.startswith(roots)


def headline(exc: BaseException) -> str:
    """``task T failed at node N of workflow W (attempt A of B): Type: message`` from the engine's notes."""
    task = node = None
    for note in getattr(exc, "__notes__", None) or ():
        task = task or _TASK_NOTE.match(note)
        node = node or _NODE_NOTE.match(note)
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if task is None and node is None:
        return what
    if task is not None:
        parts = [f"task {task.group('task')} failed"]
    else:
        assert node is not None
        parts = [f"{node.group('entity')} failed"]
    if node is not None:
        parts.append(f"at node {node.group('node')} of workflow {node.group('wf')}")
    if task is not None and task.group("attempt"):
        parts.append(f"(attempt {task.group('attempt')} of {task.group('of')})")
    return " ".join(parts) + f": {what}"


def format_failure(exc: BaseException, verbose: bool = False) -> str:
    """The text shown for a run that raised ``exc`` (without the leading ``Error: ``)."""
    if verbose:
        return headline(exc) + "\n" + "".join(traceback.format_exception(exc)).rstrip()
    roots = _library_roots()
    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if is_user_frame(f.filename, roots)]
    hidden = len(frames) - len(user)
    lines = [headline(exc)]
    if user:
        lines.append("Traceback (your code, most recent call last):")
        lines.append("".join(traceback.format_list(user)).rstrip("\n"))
    lines.append(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    cause = exc.__cause__
    if cause is not None:
        lines.append(f"  caused by {type(cause).__name__}: {cause}")
    if hidden:
        lines.append(f"({hidden} frames of aioflyte, libraries and the standard library hidden; --verbose shows them)")
    return "\n".join(lines)


def fail_with(exc: BaseException, verbose: bool) -> Any:
    """Print the failure on stderr and exit with code 1."""
    import click

    click.secho("Error: ", fg="red", bold=True, err=True, nl=False)
    click.echo(format_failure(exc, verbose), err=True)
    raise SystemExit(1)
