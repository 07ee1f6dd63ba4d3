"""Content digests of the files an ``ImageSpec`` copies into its image (``source_root`` and ``copy``).

The digests go into the image tag, so a changed source file gives a new tag. They are computed the way flytekit
1.16 computes them (MD5 over each file's bytes followed by its relative path with the separators removed), so the
same files give the same tag in both.
"""

from __future__ import annotations

import enum
import fnmatch
import hashlib
import os
import re
import shutil
import site
import stat
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType


class CopyFileDetection(enum.Enum):
    """Which files under ``source_root`` go into the image: the loaded modules, all files, or none."""

    LOADED_MODULES = 1
    ALL = 2
    NO_COPY = 3

    @classmethod
    def coerce(cls, value: CopyFileDetection | str | None) -> CopyFileDetection | None:
        """The member for ``value``: a member, its name, or pyflyte's ``--copy`` word (``auto``, ``all``, ``none``)."""
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, str):
            key = value.strip().upper()
            key = {"AUTO": "LOADED_MODULES", "NONE": "NO_COPY"}.get(key, key)
            if key in cls.__members__:
                return cls[key]
        raise ValueError(
            f"ImageSpec.source_copy_mode: expected a CopyFileDetection or one of 'auto', 'all', 'none', got {value!r}"
        )


_STANDARD_IGNORES = ("*.pyc", ".cache", ".cache/*", "__pycache__/*", "**/__pycache__/*")
_SKIPPED_DIRS = {".git"}
_BLOCK = 1 << 16


def _update_with_file(hasher: hashlib._Hash, path: str, rel: str) -> None:
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_BLOCK), b""):
            hasher.update(chunk)
    hasher.update("".join(rel.split(os.sep)).encode("utf-8"))


def _hashable(path: str) -> bool:
    """Files that take part: existing (not dangling links) and not sockets."""
    return os.path.exists(path) and not stat.S_ISSOCK(os.stat(path).st_mode)


def copy_digest(sources: Iterable[str]) -> str:
    """Hex digest of the ``copy`` entries: a directory contributes its files (relative to it), a file its name."""
    hasher = hashlib.md5()
    for src in sources:
        if os.path.isdir(src):
            for root, _, files in os.walk(src, topdown=True):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    if _hashable(path):
                        _update_with_file(hasher, path, os.path.relpath(path, src))
        elif _hashable(src):
            _update_with_file(hasher, src, os.path.basename(src))
    return hasher.hexdigest()


def source_digest(source_root: str, mode: CopyFileDetection, aioflyte_root: str | None = None) -> str:
    """Hex digest of the files ``mode`` selects under ``source_root`` (sorted by absolute path)."""
    if mode is CopyFileDetection.LOADED_MODULES:
        files = loaded_module_files(source_root, list(sys.modules.values()), aioflyte_root)
    else:
        files = all_files(source_root)
    hasher = hashlib.md5()
    for path in sorted(files):
        _update_with_file(hasher, path, os.path.relpath(path, source_root))
    return hasher.hexdigest()


def _inside(path: str, directory: str) -> bool:
    try:
        return os.path.commonpath([path, directory]) == directory
    except ValueError:  # different drives
        return False


def loaded_module_files(source_root: str, modules: list[ModuleType], aioflyte_root: str | None = None) -> list[str]:
    """Files of the imported modules that live under ``source_root`` and are not installed packages."""
    if aioflyte_root is None:
        aioflyte_root = str(Path(__file__).resolve().parents[1])
    installed = [aioflyte_root, sys.prefix, sys.base_prefix, site.getusersitepackages(), *site.getsitepackages()]
    files = []
    for mod in modules:
        path = getattr(mod, "__file__", None)
        if not path or any(_inside(path, d) for d in installed) or not _inside(path, source_root):
            continue
        files.append(path)
    return files


def all_files(source_root: str) -> list[str]:
    """Every file under ``source_root`` except ``.git`` and what git, ``.dockerignore`` or the standard ignores
    (bytecode, caches) exclude."""
    ignored = _Ignores(source_root)
    out: list[str] = []
    for root, dirs, files in os.walk(source_root, topdown=True):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS]
        for name in sorted(files):
            path = os.path.join(root, name)
            if _hashable(path) and not ignored(path):
                out.append(path)
    return out


class _Ignores:
    """The ignore rules flytekit applies when copying all files: git's, ``.dockerignore``'s and the standard ones."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.git_files = _git_ignored(root, [])
        self.git_dirs = _git_ignored(root, ["--directory"]) if self.git_files else set()
        self.docker = _DockerIgnore.from_file(os.path.join(root, ".dockerignore"))

    def __call__(self, path: str) -> bool:
        rel = os.path.relpath(path, self.root) if os.path.isabs(path) else path
        posix = Path(rel).as_posix()
        if self.git_files and (
            posix in self.git_files or (os.path.isdir(os.path.join(self.root, rel)) and posix + "/" in self.git_dirs)
        ):
            return True
        if self.docker.matches(rel):
            return True
        return any(fnmatch.fnmatch(rel, p) for p in _STANDARD_IGNORES)


def _git_ignored(root: str, extra: list[str]) -> set[str]:
    """Paths git reports as ignored under ``root`` (empty without git or outside a repository)."""
    if shutil.which("git") is None:
        return set()
    out = subprocess.run(
        ["git", "ls-files", "-io", "--exclude-standard", *extra], cwd=root, capture_output=True, check=False
    )
    if out.returncode != 0:
        return set()
    return set(out.stdout.decode("utf-8").split("\n")[:-1])


def _clean(pattern: str) -> list[str]:
    """A ``.dockerignore`` pattern as path components, with ``.``, empty and ``..`` (with its parent) removed."""
    parts: list[str] = []
    for part in pattern.strip().replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return parts


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Docker's glob: ``*`` and ``?`` stay within one path component, ``**`` spans any number of them."""
    out, i, n = "^", 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*" and i < n and pattern[i] == "*":
            i += 1
            if i < n and pattern[i] == "/":
                i += 1
            out += ".*" if i >= n else "(.*/)?"
        elif c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            end = pattern.find("]", i + 1 if i < n and pattern[i] in "!]" else i)
            if end < 0:
                out += "\\["
            else:
                body = pattern[i:end].replace("\\", "\\\\")
                out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = end + 1
        else:
            out += re.escape(c)
    return re.compile(out + "$")


class _DockerIgnore:
    """``.dockerignore`` semantics: the last matching pattern wins, ``!`` re-includes, and a pattern that matches
    a parent directory matches everything under it."""

    def __init__(self, patterns: list[str]) -> None:
        self.rules: list[tuple[bool, int, re.Pattern[str]]] = []
        for raw in [*patterns, "!.dockerignore"]:
            negated = raw.startswith("!")
            parts = _clean(raw[1:] if negated else raw)
            if parts:
                self.rules.append((negated, len(parts), _glob_regex("/".join(parts))))

    @classmethod
    def from_file(cls, path: str) -> _DockerIgnore:
        if not os.path.isfile(path):
            return cls([])
        with open(path, encoding="utf-8") as f:
            return cls([line.strip() for line in f if line and not line.startswith("#")])

    def matches(self, rel: str) -> bool:
        rel = rel.replace(os.sep, "/")
        parents = [p for p in rel.split("/")[:-1] if p]
        matched = False
        for negated, depth, regex in self.rules:
            hit = bool(regex.match(rel))
            if not hit and parents and depth <= len(parents):
                hit = bool(regex.match("/".join(parents[:depth])))
            if hit:
                matched = not negated
        return matched
