"""Fast registration: the source tree as a deterministic ``fast<digest>.tar.gz``, uploaded through the data proxy,
and entities registered to fetch and unpack it before they run (``aioflyte-fast-execute``).

``fast_package(source, output_dir)`` writes the archive: files in sorted order, mtimes, uids and gids zeroed, and
``.git``, ``__pycache__``, virtualenvs and what ``.gitignore`` / ``.dockerignore`` / ``.flyteignore`` exclude left
out (gitignore matching by ``pathspec``). Its name is ``fast`` + the MD5 of the included paths and contents, so the
same tree gives the same archive, byte for byte. :class:`FastRegistration` has ``FlyteRemote``'s ``fast_package``,
``fast_register_workflow`` and ``register_script``.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import os
import pathlib
import sys
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aioflyte.remote.data import DataTransfer
    from aioflyte.remote.registry import Registry
    from aioflyte.remote.session import RemoteSession

FAST_PREFIX = "fast"
FAST_FILEENDING = ".tar.gz"
#: Always left out: version control, caches, virtualenvs, editor folders, compiled files, earlier archives.
STANDARD_IGNORES = (
    ".git/", ".hg/", ".svn/", "__pycache__/", "*.pyc", "*.pyo", ".venv/", "venv/", ".tox/", ".nox/",
    ".mypy_cache/", ".pytest_cache/", ".ruff_cache/", ".idea/", ".vscode/", ".DS_Store", "*.egg-info/",
    f"{FAST_PREFIX}*{FAST_FILEENDING}",
)  # fmt: skip
IGNORE_FILES = (".gitignore", ".dockerignore", ".flyteignore")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FastPackageOptions:
    """How to package: extra ``ignores`` (gitignore-style patterns, or callables ``(relative path) -> bool``), and
    whether the standard ignores and ignore files still apply. ``copy_style``: ``CopyFileDetection.LOADED_MODULES``
    (or ``"auto"``) packages only the Python files of the modules imported in this process that live under the
    source (as ``pyflyte run --copy auto`` does); anything else the whole tree, less what is ignored.
    ``show_files`` is accepted for flytekit compatibility."""

    ignores: list[Any] = field(default_factory=list)
    keep_default_ignores: bool = True
    copy_style: Any = None
    show_files: bool = False


class Ignore:
    """Decides which paths under ``root`` stay out of the archive (paths relative to ``root``, ``/``-separated)."""

    def __init__(self, root: str | os.PathLike[str], options: FastPackageOptions | None = None) -> None:
        import pathspec

        self.root = pathlib.Path(root)
        opts = options or FastPackageOptions()
        patterns = [p for p in opts.ignores if isinstance(p, str)]
        self._callables: list[Callable[[str], bool]] = [p for p in opts.ignores if callable(p)]
        self._use_files = opts.keep_default_ignores
        if opts.keep_default_ignores:
            patterns = [*STANDARD_IGNORES, *patterns]
        self._base = pathspec.GitIgnoreSpec.from_lines(patterns)
        self._specs: dict[str, Any] = {}  # directory (relative, "" for root) -> its ignore files' spec

    def _spec_of(self, rel_dir: str) -> Any:
        import pathspec

        if rel_dir not in self._specs:
            lines: list[str] = []
            if self._use_files:
                for name in IGNORE_FILES:
                    path = self.root / rel_dir / name
                    if path.is_file():
                        lines += path.read_text(errors="replace").splitlines()
            self._specs[rel_dir] = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
        return self._specs[rel_dir]

    def is_ignored(self, rel: str, is_dir: bool = False) -> bool:
        probe = rel + "/" if is_dir else rel
        if self._base.match_file(probe) or any(f(rel) for f in self._callables):
            return True
        parts = rel.split("/")
        for i in range(len(parts)):  # the ignore files of every enclosing directory, relative to it
            spec = self._spec_of("/".join(parts[:i]))
            if spec is not None and spec.match_file("/".join(parts[i:]) + ("/" if is_dir else "")):
                return True
        return False


def list_files(source: str | os.PathLike[str], ignore: Ignore, deref_symlinks: bool = False) -> list[str]:
    """The files to package, relative to ``source``, sorted; ignored directories are not descended into."""
    root = pathlib.Path(source)
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=deref_symlinks):
        rel_dir = pathlib.Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if not ignore.is_ignored(prefix + d, is_dir=True))
        for name in filenames:
            rel = prefix + name
            if not ignore.is_ignored(rel):
                out.append(rel)
        if not deref_symlinks:  # symlinked directories are packaged as links
            out += [prefix + d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
    return sorted(out)


def _loaded_modules_only(copy_style: Any) -> bool:
    from aioflyte.image_spec._files import CopyFileDetection

    try:
        return CopyFileDetection.coerce(copy_style) is CopyFileDetection.LOADED_MODULES
    except ValueError:
        return False


def loaded_module_files(source: str | os.PathLike[str], ignore: Ignore) -> list[str]:
    """The files (relative to ``source``, sorted) of the modules imported in this process that live under
    ``source``: what ``copy_style=LOADED_MODULES`` packages."""
    root = os.path.realpath(source)
    out = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not file or not file.endswith(".py"):
            continue
        path = os.path.realpath(file)
        if os.path.commonpath([path, root]) != root or not os.path.isfile(path):
            continue
        rel = pathlib.Path(path).relative_to(root).as_posix()
        if not ignore.is_ignored(rel):
            out.add(rel)
    return sorted(out)


def compute_digest(source: str | os.PathLike[str], files: Iterable[str]) -> str:
    """MD5 over each file's relative path and contents (a link's target), in the given order."""
    h = hashlib.md5()
    for rel in files:
        path = os.path.join(source, rel)
        h.update(rel.encode())
        if os.path.islink(path) and not os.path.exists(path):
            h.update(os.readlink(path).encode())
            continue
        if os.path.isdir(path):
            h.update(b"->" + os.readlink(path).encode())
            continue
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    return h.hexdigest()


def _strip(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def fast_package(
    source: str | os.PathLike[str],
    output_dir: str | os.PathLike[str] | None = None,
    deref_symlinks: bool = False,
    options: FastPackageOptions | None = None,
) -> str:
    """Package ``source`` into ``<output_dir>/fast<md5>.tar.gz`` (a new temporary directory when None); returns
    the archive's path. The same tree always gives the same bytes."""
    src = os.path.abspath(source)
    if not os.path.isdir(src):
        raise ValueError(f"fast_package: source {src} is not a directory")
    ignore = Ignore(src, options)
    if options is not None and _loaded_modules_only(options.copy_style):
        files = loaded_module_files(src, ignore)
    else:
        files = list_files(src, ignore, deref_symlinks)
    digest = compute_digest(src, files)
    out_dir = str(output_dir) if output_dir is not None else tempfile.mkdtemp(prefix="aioflyte-fast-")
    os.makedirs(out_dir, exist_ok=True)
    archive = os.path.join(out_dir, f"{FAST_PREFIX}{digest}{FAST_FILEENDING}")
    tmp = os.path.join(out_dir, f".{FAST_PREFIX}{digest}.{uuid.uuid4().hex[:8]}.part")
    try:
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", dereference=deref_symlinks, format=tarfile.PAX_FORMAT) as tar:
                for rel in files:
                    tar.add(os.path.join(src, rel), arcname=rel, recursive=False, filter=_strip)
        os.replace(tmp, archive)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return archive


# --- registration -----------------------------------------------------------------------------------------------


def module_root(entity: Any) -> tuple[str, str]:
    """``(source root, module name)`` of where ``entity`` is defined: the directory its top-level package is in."""
    from aioflyte.remote.translator import entity_kind

    kind = entity_kind(entity)
    target = entity.workflow if kind == "launch_plan" else entity
    fn = getattr(target, "task_function", None) or getattr(target, "workflow_function", None)
    mod_name = getattr(fn, "__module__", None) or getattr(target, "__module__", None)
    module = sys.modules.get(mod_name or "")
    file = getattr(module, "__file__", None)
    if not mod_name or mod_name == "__main__" or not file:
        raise ValueError(
            f"cannot tell where {getattr(entity, 'name', entity)!r} is defined (module {mod_name!r}); pass source_path "
            "and module_name"
        )
    path = pathlib.Path(file).resolve().with_suffix("")
    if path.name == "__init__":
        path = path.parent
    depth = len(mod_name.split("."))
    return str(path.parents[depth - 1]), mod_name


def version_from_hash(md5_bytes: bytes, settings: Any, default_inputs: dict[str, Any] | None, *extra: str) -> str:
    """The registration version of a fast-registered archive: the archive's MD5, the settings, aioflyte's version
    and ``extra`` (image names), hashed and URL-safe base64-encoded without padding, as flytekit derives it."""
    import cloudpickle

    from aioflyte._version import __version__

    h = hashlib.md5(md5_bytes)
    h.update(settings.to_json().encode())
    h.update(__version__.encode())
    for s in extra:
        h.update(s.encode())
    if default_inputs:
        try:
            h.update(cloudpickle.dumps(default_inputs))
        except TypeError:
            pass
    return base64.urlsafe_b64encode(h.digest()).decode("ascii").rstrip("=")


def _image_names(entity: Any) -> list[str]:
    image = getattr(entity, "container_image", None)
    if image is not None and hasattr(image, "image_name"):
        return [image.image_name()]
    nodes = getattr(getattr(entity, "workflow", entity), "nodes", None) or []
    return [n for node in nodes for n in _image_names(getattr(node, "flyte_entity", None))]


class FastRegistration:
    """Packages code, uploads it through ``data`` and registers entities (through ``registry``) to run from it."""

    def __init__(self, session: RemoteSession, registry: Registry, data: DataTransfer) -> None:
        self.session = session
        self.registry = registry
        self.data = data

    async def fast_package(
        self,
        root: str | os.PathLike[str],
        deref_symlinks: bool = True,
        output: str | None = None,
        options: FastPackageOptions | None = None,
    ) -> tuple[bytes, str]:
        """Package ``root`` and upload it; see ``FlyteRemote.fast_package``."""
        archive = await asyncio.to_thread(fast_package, root, output, deref_symlinks, options)
        return await self.data.upload_file(pathlib.Path(archive))

    async def fast_register_workflow(
        self,
        entity: Any,
        serialization_settings: Any = None,
        version: str | None = None,
        default_launch_plan: bool | None = True,
        options: Any = None,
        fast_package_options: FastPackageOptions | None = None,
    ) -> Any:
        """Register a workflow with its code packaged; see ``FlyteRemote.fast_register_workflow``."""
        from aioflyte.remote.translator import entity_kind

        if entity_kind(entity) != "workflow":
            raise ValueError(f"fast_register_workflow takes a workflow, not {entity!r}; use register_script")
        source_path, module_name = module_root(entity)
        ss = serialization_settings
        return await self.register_script(
            entity,
            image_config=ss.image_config if ss is not None else None,
            project=ss.project if ss is not None else None,
            domain=ss.domain if ss is not None else None,
            version=version,
            default_launch_plan=bool(default_launch_plan),
            options=options,
            source_path=source_path,
            module_name=module_name,
            fast_package_options=fast_package_options,
        )

    async def register_script(
        self,
        entity: Any,
        image_config: Any = None,
        version: str | None = None,
        project: str | None = None,
        domain: str | None = None,
        destination_dir: str = ".",
        copy_all: bool = False,
        default_launch_plan: bool = True,
        options: Any = None,
        source_path: str | None = None,
        module_name: str | None = None,
        envs: dict[str, str] | None = None,
        fast_package_options: FastPackageOptions | None = None,
    ) -> Any:
        """Package and upload code, and register ``entity`` to run from it; see ``FlyteRemote.register_script``."""
        from aioflyte.configuration.image import ImageConfig
        from aioflyte.remote.serialization import FastSerializationSettings, SerializationSettings
        from aioflyte.remote.translator import entity_kind

        kind = entity_kind(entity)
        if kind is None:
            raise ValueError(f"register_script takes a task, workflow or launch plan, not {entity!r}")
        if source_path is None:
            source_path, _ = module_root(entity)  # the module name is for flytekit's signature only
        if copy_all and fast_package_options is not None:
            fast_package_options = dc_replace(fast_package_options, copy_style="all")
        p, d = self.session.project_domain(project, domain)
        image_config = image_config or ImageConfig.auto_default_image()
        with tempfile.TemporaryDirectory(prefix="aioflyte-script-") as tmp:
            archive = await asyncio.to_thread(fast_package, source_path, tmp, False, fast_package_options)
            md5_bytes, native_url = await self.data.upload_file(pathlib.Path(archive), p, d)
        settings = SerializationSettings(
            image_config=image_config,
            project=p,
            domain=d,
            env=envs,
            fast_serialization_settings=FastSerializationSettings(
                enabled=True, destination_dir=destination_dir, distribution_location=native_url
            ),
            source_root=str(source_path),
        )
        if version is None:
            default_inputs = None
            if kind == "workflow":
                default_inputs = getattr(entity.python_interface, "default_inputs_as_kwargs", None)
            version = version_from_hash(md5_bytes, settings, default_inputs, *_image_names(entity))
        settings = settings.replace(version=version)
        if kind in ("task", "map_task"):
            return await self.registry.register_task(entity, settings, version)
        if kind == "workflow":
            return await self.registry.register_workflow(entity, settings, version, default_launch_plan, options)
        return await self.registry.register_launch_plan(entity, version, p, d, options, settings)


__all__ = [
    "FAST_FILEENDING",
    "FAST_PREFIX",
    "FastPackageOptions",
    "FastRegistration",
    "Ignore",
    "compute_digest",
    "fast_package",
    "list_files",
    "loaded_module_files",
    "module_root",
    "version_from_hash",
]
