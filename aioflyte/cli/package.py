"""``aioflyte package``: serialize a module's entities into the protobuf files Flyte registers, like ``pyflyte
package`` (``N_<name>_1.pb`` for a task, ``_2.pb`` for a workflow, ``_3.pb`` for a launch plan).

    aioflyte --pkgs mymodule package --output flyte-package.tgz
    aioflyte --pkgs mymodule package -d out/

``main`` is a stand-in top-level group (``--pkgs``) until the full ``aioflyte`` command mounts ``package``.
"""

from __future__ import annotations

import importlib
import math
import os
import pkgutil
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import click

#: Where the top-level group keeps ``--pkgs`` in ``ctx.obj``.
CTX_PACKAGES = "pkgs"


# --- finding and writing entities ----------------------------------------------------------------------------


@contextmanager
def _sys_path(path: str | None) -> Iterator[None]:
    if not path:
        yield
        return
    path = os.path.abspath(path)
    sys.path.insert(0, path)
    try:
        yield
    finally:
        if path in sys.path:
            sys.path.remove(path)


def load_modules(pkgs: Iterable[str]) -> list[Any]:
    """Import the named modules, and every submodule of the named packages."""
    modules = []
    for name in pkgs:
        mod = importlib.import_module(name)
        modules.append(mod)
        if hasattr(mod, "__path__"):
            walk = pkgutil.walk_packages(mod.__path__, prefix=f"{name}.")
            modules.extend(importlib.import_module(info.name) for info in walk)
    return modules


def find_entities(modules: Iterable[Any]) -> list[Any]:
    """Tasks, workflows and launch plans defined at module level, in definition order, each once."""
    from aioflyte.remote.translator import entity_kind

    seen: set[int] = set()
    out = []
    for mod in modules:
        for value in list(vars(mod).values()):
            if id(value) in seen or entity_kind(value) is None:
                continue
            seen.add(id(value))
            out.append(value)
    return out


def file_names(messages: list[Any]) -> list[str]:
    """pyflyte's file names: a zero-padded index, the entity name, and 1 (task), 2 (workflow) or 3 (launch plan)."""
    width = math.ceil(math.log(len(messages), 10)) if messages else 0
    names = []
    for i, m in enumerate(messages):
        kind = {"TaskSpec": 1, "WorkflowSpec": 2, "LaunchPlan": 3}[type(m).__name__]
        name = m.id.name if kind == 3 else m.template.id.name
        names.append(f"{str(i).zfill(width)}_{name}_{kind}.pb")
    return names


def write_messages(messages: list[Any], folder: str) -> list[str]:
    """Write each message as a ``.pb`` file into ``folder``; the paths written."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for fname, m in zip(file_names(messages), messages):
        path = os.path.join(folder, fname)
        with open(path, "wb") as f:
            f.write(m.SerializeToString())
        paths.append(path)
    return paths


def write_archive(messages: list[Any], output: str, fast_source: str | None = None) -> list[str]:
    """Write the ``.pb`` files (and, given ``fast_source``, its code archive) into a gzipped tar at ``output``;
    the member names."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_messages(messages, tmp)
        if fast_source is not None:
            paths.append(write_code_archive(fast_source, tmp))
        with tarfile.open(output, "w:gz") as tar:
            for p in paths:
                tar.add(p, arcname=os.path.basename(p))
    return [os.path.basename(p) for p in paths]


def write_code_archive(source: str, folder: str) -> str:
    """The source tree as ``fast<digest>.tar.gz`` in ``folder`` (for fast registration); its path."""
    from aioflyte.remote.fast import fast_package

    return fast_package(source, folder)


async def serialize_packages(pkgs: Iterable[str], settings: Any, source: str | None = ".") -> list[Any]:
    """Load ``pkgs`` (with ``source`` on ``sys.path``) and serialize everything they define."""
    from aioflyte.remote.translator import registrable_entities

    with _sys_path(source):
        modules = load_modules(pkgs)
        return await registrable_entities(find_entities(modules), settings)


# --- the command ---------------------------------------------------------------------------------------------


def _image_config(images: tuple[str, ...]) -> Any:
    """``--image`` values as an ``ImageConfig`` (aioflyte's default image unless one is given without a name)."""
    from aioflyte.configuration.image import ImageConfig

    try:
        return ImageConfig.validate_image(None, "--image", images)
    except (ValueError, AssertionError) as e:
        raise click.BadParameter(str(e), param_hint="--image") from None


def _env(values: tuple[str, ...]) -> dict[str, str] | None:
    env = {}
    for v in values:
        k, sep, val = v.partition("=")
        if not sep or not k:
            raise click.BadParameter(f"expected NAME=VALUE, got {v!r}", param_hint="--env")
        env[k] = val
    return env or None


@click.command("package")
@click.option(
    "-i",
    "--image",
    "images",
    multiple=True,
    help="An image tasks run in: 'repo/name:tag' (the default image) or 'name=repo/name:tag' (referred to as "
    "{{.image.name.fqn}}:{{.image.name.version}}). Repeatable.",
)
@click.option("-s", "--source", default=".", show_default=True, help="Directory the packages are imported from.")
@click.option("-o", "--output", default="flyte-package.tgz", show_default=True, help="The .tgz archive to write.")
@click.option("-d", "--dir", "folder", default=None, help="Write the .pb files into this directory instead.")
@click.option("-f", "--force", is_flag=True, default=False, help="Overwrite an existing output archive.")
@click.option(
    "--python-interpreter",
    default="/opt/venv/bin/python3",
    show_default=True,
    help="The Python interpreter inside the task image.",
)
@click.option(
    "--in-container-source-path",
    default="/root",
    show_default=True,
    help="Where the code is inside the task image (the image's COPY destination).",
)
@click.option("-e", "--env", "env", multiple=True, help="NAME=VALUE set in every task's container. Repeatable.")
@click.option(
    "--fast",
    is_flag=True,
    default=False,
    help="Also package the source tree as fast<digest>.tar.gz beside the .pb files; tasks then fetch and unpack it "
    "into --in-container-source-path before they run (the registering tool fills in its location).",
)
@click.pass_context
def package(
    ctx: click.Context,
    images: tuple[str, ...],
    source: str,
    output: str,
    folder: str | None,
    force: bool,
    python_interpreter: str,
    in_container_source_path: str,
    env: tuple[str, ...],
    fast: bool,
) -> None:
    """Serialize the entities of the --pkgs modules into files Flyte registers (like pyflyte package)."""
    from aioflyte.remote.serialization import FastSerializationSettings, SerializationSettings
    from aioflyte.remote.translator import run_sync

    pkgs = list((ctx.obj or {}).get(CTX_PACKAGES) or [])
    if not pkgs:
        raise click.UsageError("no packages to scan: give them with --pkgs, e.g. aioflyte --pkgs mymodule package")
    if folder is None and os.path.exists(output) and not force:
        raise click.BadParameter(f"output file {output} already exists; use -f to overwrite it", param_hint="--output")
    settings = SerializationSettings(
        image_config=_image_config(images),
        python_interpreter=python_interpreter,
        env=_env(env),
        fast_serialization_settings=FastSerializationSettings(enabled=fast, destination_dir=in_container_source_path),
        source_root=os.path.abspath(source),
    )
    messages = run_sync(serialize_packages(pkgs, settings, source))
    if not messages:
        click.secho(f"No Flyte entities found in packages {pkgs}", fg="yellow")
        return
    fast_source = os.path.abspath(source) if fast else None
    if folder is not None:
        names = write_messages(messages, folder)
        if fast_source is not None:
            names.append(write_code_archive(fast_source, folder))
    else:
        names = write_archive(messages, output, fast_source)
    for n in names:
        click.secho(f"  Packaging {os.path.basename(n)}", dim=True)
    where = folder if folder is not None else output
    click.secho(f"Successfully serialized {len(messages)} Flyte entities into {where}", fg="green")


@click.group("aioflyte")
@click.option(
    "-k",
    "--pkgs",
    multiple=True,
    help="Dot-separated Python packages (or modules) to scan for entities. Repeatable.",
)
@click.pass_context
def main(ctx: click.Context, pkgs: tuple[str, ...]) -> None:
    """aioflyte's command line (for now: package)."""
    ctx.ensure_object(dict)
    ctx.obj[CTX_PACKAGES] = [p for ps in pkgs for p in ps.split(",") if p]


main.add_command(package)


if __name__ == "__main__":  # pragma: no cover
    main()
