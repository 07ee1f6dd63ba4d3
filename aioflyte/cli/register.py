"""``aioflyte register PATH...``: register every task, workflow and launch plan defined in the given modules or
directories with a Flyte backend, like ``pyflyte register``.

Fast by default: the source tree (the directory above the outermost package of the paths) is packaged into a
deterministic ``fast<digest>.tar.gz``, uploaded through the backend's data proxy, and the tasks fetch and unpack it
before they run; the version defaults to a hash of the archive and the settings. ``--non-fast`` registers tasks that
run the code already in their image (and then ``--version`` is required).

    aioflyte register --endpoint localhost:8089 --insecure workflows/
    aioflyte register --endpoint localhost:8089 --insecure -p flytesnacks -d development --version v1 app.py
    aioflyte register -c ~/.flyte/config.yaml workflows/     # the backend from a flytectl config file
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from typing import Any

import click

from aioflyte.cli._remote import config_options, resolve_config, scope_options
from aioflyte.cli.package import _env, _image_config, find_entities
from aioflyte.cli.register_package import is_package, load_package, register_package


def source_root(path: str) -> str:
    """The directory to import ``path`` from: the first ancestor that is not a package (has no ``__init__.py``)."""
    folder = os.path.dirname(os.path.abspath(path)) if os.path.isfile(path) else os.path.abspath(path)
    if os.path.isdir(path) and not os.path.isfile(os.path.join(folder, "__init__.py")):
        return folder
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder = os.path.dirname(folder)
    return folder


def module_names(path: str, root: str) -> list[str]:
    """The modules ``path`` stands for, named relative to ``root``: a ``.py`` file, or every module of a directory."""
    path = os.path.abspath(path)
    if os.path.isfile(path):
        if not path.endswith(".py"):
            raise click.BadParameter(f"{path} is not a Python file", param_hint="PATH")
        files = [path]
    else:
        files = []
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(
                d for d in dirnames if not d.startswith((".", "__pycache__")) and d not in ("venv", "node_modules")
            )
            files += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py")]
    names = []
    for f in files:
        rel = os.path.relpath(os.path.splitext(f)[0], root).replace(os.sep, ".")
        if rel.endswith(".__init__"):
            rel = rel[: -len(".__init__")]
        if rel and rel != "__init__" and all(part.isidentifier() for part in rel.split(".")):
            names.append(rel)
    return names


def load(paths: tuple[str, ...]) -> tuple[str, list[Any]]:
    """Import the modules of ``paths`` (their common source root first on ``sys.path``); (root, entities)."""
    import importlib

    roots = {source_root(p) for p in paths}
    if len(roots) != 1:
        raise click.BadParameter(
            f"the paths are in different source trees ({', '.join(sorted(roots))}); register them separately",
            param_hint="PATH",
        )
    root = roots.pop()
    if root not in sys.path:
        sys.path.insert(0, root)
    modules = []
    for p in paths:
        for name in module_names(p, root):
            try:
                modules.append(importlib.import_module(name))
            except Exception as e:
                raise click.ClickException(f"cannot import {name} (from {p}): {type(e).__name__}: {e}") from e
    return root, find_entities(modules)


async def register_entities(
    entities: list[Any],
    root: str,
    *,
    config: Any,
    project: str,
    domain: str,
    version: str | None,
    image_config: Any,
    fast: bool,
    destination_dir: str,
    raw_data_prefix: str | None,
    env: dict[str, str] | None,
) -> tuple[str, list[Any]]:
    """Package (when ``fast``), upload and register ``entities``; returns (version, registered identifiers)."""
    from aioflyte.core.options import Options, RawOutputDataConfig
    from aioflyte.remote.fast import fast_package, version_from_hash
    from aioflyte.remote.remote import FlyteRemote
    from aioflyte.remote.serialization import FastSerializationSettings, SerializationSettings
    from aioflyte.remote.translator import registrable_entities

    options = Options(raw_output_data_config=RawOutputDataConfig(raw_data_prefix)) if raw_data_prefix else None
    settings = SerializationSettings(image_config=image_config, project=project, domain=domain, env=env,
                                     source_root=root)  # fmt: skip
    async with FlyteRemote(config, project, domain) as remote:
        if fast:
            with tempfile.TemporaryDirectory(prefix="aioflyte-register-") as tmp:
                archive = await asyncio.to_thread(fast_package, root, tmp)
                click.secho(f"  Packaged {root} into {os.path.basename(archive)}", dim=True)
                md5_bytes, native_url = await remote.upload_file(archive, project, domain)
            fss = FastSerializationSettings(enabled=True, destination_dir=destination_dir,
                                            distribution_location=native_url)  # fmt: skip
            settings = settings.replace(fast_serialization_settings=fss)
            version = version or version_from_hash(md5_bytes, settings, None)
        assert version is not None
        settings = settings.replace(version=version)
        messages = await registrable_entities(entities, settings, options)
        ids = await remote._register_all(messages, settings, version)
    return version, [i for i in ids if i is not None]


@click.command("register")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@config_options
@scope_options
@click.option("-v", "--version", default=None, help="Version (default for fast registration: a hash of the code).")
@click.option(
    "-i",
    "--image",
    "images",
    multiple=True,
    help="An image tasks run in: 'repo/name:tag' (the default image) or 'name=repo/name:tag'. Repeatable.",
)
@click.option("--non-fast", is_flag=True, default=False, help="Do not package the code: the image has it.")
@click.option("--raw-data-prefix", default=None, help="Where executions of the launch plans write raw data.")
@click.option(
    "--destination-dir",
    default=".",
    show_default=True,
    help="Where the code archive is unpacked where tasks run (fast registration).",
)
@click.option("-e", "--env", "env", multiple=True, help="NAME=VALUE set in every task's container. Repeatable.")
def register(
    paths: tuple[str, ...],
    config_file: str | None,
    endpoint: str | None,
    insecure: bool,
    project: str,
    domain: str,
    version: str | None,
    images: tuple[str, ...],
    non_fast: bool,
    raw_data_prefix: str | None,
    destination_dir: str,
    env: tuple[str, ...],
) -> None:
    """Register the tasks, workflows and launch plans defined in PATHS (modules or directories), or the packages
    aioflyte package writes (a .tgz, or a folder of .pb files)."""
    from aioflyte.exceptions import FlyteRemoteError
    from aioflyte.remote.translator import run_sync

    if non_fast and not version:
        raise click.UsageError("--non-fast needs --version: without a code archive there is nothing to hash")
    config = resolve_config(config_file, endpoint, insecure)
    packages = [p for p in paths if is_package(p)]
    if packages:
        if len(packages) != len(paths):
            raise click.UsageError("give either packages (.tgz or folders of .pb files) or source paths, not both")
        for p in packages:
            try:
                with tempfile.TemporaryDirectory(prefix="aioflyte-register-pkg-") as scratch:
                    messages, archive = load_package(p, scratch)
                    version_p, ids = run_sync(register_package(messages, archive, config=config, project=project,
                                                               domain=domain, version=version))  # fmt: skip
            except (FlyteRemoteError, OSError, ValueError) as e:
                raise click.ClickException(f"registration of {p} failed: {e}") from e
            _report(ids, project, domain, version_p)
        return
    root, entities = load(paths)
    if not entities:
        click.secho(f"No Flyte entities found in {', '.join(paths)}", fg="yellow")
        return
    try:
        version, ids = run_sync(
            register_entities(
                entities, root, config=config, project=project, domain=domain,
                version=version, image_config=_image_config(images), fast=not non_fast,
                destination_dir=destination_dir, raw_data_prefix=raw_data_prefix, env=_env(env),
            )
        )  # fmt: skip
    except (FlyteRemoteError, OSError, ValueError) as e:
        raise click.ClickException(f"registration failed: {e}") from e
    _report(ids, project, domain, version)


def _report(ids: list[Any], project: str, domain: str, version: str) -> None:
    kinds = {1: "task", 2: "workflow", 3: "launch plan"}
    for i in ids:
        click.secho(f"  Registered {kinds.get(i.resource_type, 'entity')} {i.name}@{i.version}", dim=True)
    click.secho(f"Successfully registered {len(ids)} entities in {project}/{domain} as version {version}", fg="green")
