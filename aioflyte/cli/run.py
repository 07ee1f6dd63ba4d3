"""``aioflyte run FILE.py ENTITY [--input values]``: run a task, workflow or launch plan locally, like ``pyflyte run``.

The file is imported under the module name ``aioflyte register`` gives it (relative to its source root, which goes
first on ``sys.path``); ENTITY's inputs become options: ``--n 3``, ``--name x``, ``--flag/--no-flag`` for bools, JSON
strings for lists, dicts and dataclasses, paths for files, directories and dataframes (parquet). Defaults come from
the entity's interface. With ``--remote`` the source tree is fast-registered on a backend and the entity runs there,
local data inputs uploaded through its data proxy.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import importlib.util
import json
import os
import sys
import typing
from typing import Any

import click

#: Where ``run`` keeps its own options in ``ctx.obj``.
CTX_RUN = "run"


def load_file(path: str) -> Any:
    """Import ``path`` under the module name ``aioflyte register`` gives it: relative to its source root (the first
    ancestor folder that is not a package), which goes first on ``sys.path``. A file outside any package is a
    module named after the file. The file itself is always executed afresh."""
    from aioflyte.cli.register import module_names, source_root

    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise click.BadParameter(f"no such file: {path}", param_hint="FILE")
    root = source_root(path)
    if root not in sys.path:
        sys.path.insert(0, root)
    names = module_names(path, root) if path.endswith(".py") else []
    name = names[0] if names else os.path.splitext(os.path.basename(path))[0]
    parent = name.rpartition(".")[0]
    if parent:
        importlib.import_module(parent)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise click.BadParameter(f"cannot load {path} as a Python module", param_hint="FILE")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    if parent:
        setattr(sys.modules[parent], name.rpartition(".")[2], module)
    spec.loader.exec_module(module)
    return module


def entities(module: Any) -> dict[str, Any]:
    """Module-level tasks, workflows and launch plans by attribute name."""
    from aioflyte.remote.translator import entity_kind

    return {k: v for k, v in vars(module).items() if not k.startswith("_") and entity_kind(v) is not None}


class JsonType(click.ParamType):
    """A JSON string converted to a list, dict or dataclass."""

    def __init__(self, py_type: Any) -> None:
        self.py_type = py_type
        origin = typing.get_origin(py_type) or py_type
        if isinstance(py_type, type) and dataclasses.is_dataclass(py_type):
            self.name = f"JSON object ({py_type.__name__})"
        else:
            self.name = f"JSON {'list' if origin is list else 'object'}"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            data = json.loads(value)
        except json.JSONDecodeError as e:
            self.fail(f"{value!r} is not valid JSON ({e.msg}); expected a {self.name}", param, ctx)
        origin = typing.get_origin(self.py_type) or self.py_type
        if isinstance(self.py_type, type) and dataclasses.is_dataclass(self.py_type):
            if not isinstance(data, dict):
                self.fail(f"{value!r} is not a {self.name}", param, ctx)
            try:
                return self.py_type(**data)
            except TypeError as e:
                self.fail(f"{value!r} does not fit {self.py_type.__name__}: {e}", param, ctx)
        if (origin is list and not isinstance(data, list)) or (origin is dict and not isinstance(data, dict)):
            self.fail(f"{value!r} is not a {self.name}", param, ctx)
        return data


class PathType(click.ParamType):
    """A local path (or URI) turned into a FlyteFile / FlyteDirectory."""

    def __init__(self, py_type: Any, directory: bool) -> None:
        self.py_type = py_type
        self.name = "directory" if directory else "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        return self.py_type(value)


class DatasetType(click.ParamType):
    """A local path (or URI) of a dataset (a parquet file or folder) turned into a ``StructuredDataset``."""

    name = "dataset"

    def __init__(self, py_type: Any) -> None:
        self.py_type = py_type

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from aioflyte.types.structured import StructuredDataset

        if not isinstance(value, str):
            return value
        if "://" not in value:
            if not os.path.exists(value):
                self.fail(f"{value!r}: no such file or directory (expected a parquet file or folder)", param, ctx)
            value = os.path.abspath(value)
        return StructuredDataset(uri=value, file_format="parquet")


def _is_dataframe(py_type: Any) -> bool:
    from aioflyte.types.structured import StructuredDataset

    if isinstance(py_type, type) and issubclass(py_type, StructuredDataset):
        return True
    module = getattr(py_type, "__module__", "") or ""
    return getattr(py_type, "__name__", "") == "DataFrame" and module.split(".")[0] in ("pandas", "polars")


def _param_type(py_type: Any) -> tuple[Any, bool]:
    """The click type for a Python type, and whether it is a boolean flag."""
    from aioflyte.types.directory import FlyteDirectory
    from aioflyte.types.file import FlyteFile

    args = typing.get_args(py_type)
    if typing.get_origin(py_type) is typing.Union and type(None) in args and len(args) == 2:
        py_type = next(a for a in args if a is not type(None))
    origin = typing.get_origin(py_type) or py_type
    if py_type is bool:
        return click.BOOL, True
    if py_type is int:
        return click.INT, False
    if py_type is float:
        return click.FLOAT, False
    if py_type is str:
        return click.STRING, False
    if isinstance(origin, type) and issubclass(origin, enum.Enum):
        return click.Choice([m.value for m in origin]), False
    if isinstance(origin, type) and issubclass(origin, FlyteDirectory):
        return PathType(origin, directory=True), False
    if isinstance(origin, type) and issubclass(origin, FlyteFile):
        return PathType(origin, directory=False), False
    if _is_dataframe(origin):
        return DatasetType(py_type), False
    if origin in (list, dict) or dataclasses.is_dataclass(py_type):
        return JsonType(py_type), False
    return JsonType(dict), False


def _type_name(py_type: Any) -> str:
    return py_type.__name__ if isinstance(py_type, type) and not typing.get_args(py_type) else str(py_type)


def input_options(interface: Any) -> list[click.Parameter]:
    """One click option per input of ``interface``, required unless it has a default."""
    from aioflyte.core.interface import NO_DEFAULT

    opts: list[click.Parameter] = []
    for name, (py_type, default) in interface.inputs.items():
        ptype, flag = _param_type(py_type)
        has_default = default is not NO_DEFAULT
        if has_default and isinstance(default, enum.Enum):
            default = default.value
        if has_default and isinstance(ptype, JsonType) and default is not None:
            is_record = dataclasses.is_dataclass(default) and not isinstance(default, type)
            default = json.dumps(dataclasses.asdict(default) if is_record else default)
        decl = f"--{name}/--no-{name}" if flag else f"--{name}"
        kwargs: dict[str, Any] = {"default": default} if has_default else {}
        if flag:
            kwargs["is_flag"] = True
        else:
            kwargs["type"] = ptype
        opts.append(
            click.Option(
                [decl, name],
                required=not has_default,
                show_default=has_default,
                help=f"{_type_name(py_type)} input" + ("" if has_default else " (required)"),
                **kwargs,
            )
        )
    return opts


def _print_result(result: Any) -> None:
    try:
        from rich.console import Console
        from rich.pretty import Pretty

        Console().print(Pretty(result))
    except ImportError:  # pragma: no cover
        click.echo(repr(result))


def _run_remote(entity: Any, inputs: dict[str, Any], opts: dict[str, Any]) -> Any:
    """Fast-register ``entity`` with the code of its source tree (as ``pyflyte run --remote`` does) on the backend at
    ``--endpoint``, execute it with ``inputs`` (local files, directories and datasets uploaded through the data
    proxy), wait, return its value."""
    if not opts.get("endpoint"):
        raise click.UsageError("--remote needs --endpoint HOST:PORT (e.g. the one aioflyte serve listens on)")

    async def go() -> Any:
        from aioflyte.configuration.config import Config
        from aioflyte.remote.fast import FastPackageOptions, module_root
        from aioflyte.remote.remote import FlyteRemote

        source, module_name = module_root(entity)
        config = Config.for_endpoint(opts["endpoint"], insecure=opts["insecure"])
        async with FlyteRemote(config, default_project=opts["project"], default_domain=opts["domain"]) as remote:
            registered = await remote.register_script(
                entity,
                version=opts.get("version"),
                project=opts["project"],
                domain=opts["domain"],
                destination_dir=opts.get("destination_dir") or ".",
                source_path=source,
                module_name=module_name,
                fast_package_options=FastPackageOptions(copy_style=opts.get("copy") or "auto"),
            )
            click.echo(f"registered {registered.name}@{registered.id.version} from {source}", err=True)
            type_hints = {name: t for name, (t, _) in entity.python_interface.inputs.items()}
            ex = await remote.execute(registered, inputs=inputs, type_hints=type_hints)
            click.echo(f"execution {ex.id.project}/{ex.id.domain}/{ex.id.name} started", err=True)
            ex = await remote.wait(ex, sync_nodes=False)
            click.echo(f"execution {ex.id.project}/{ex.id.domain}/{ex.id.name}: {ex.phase_name}", err=True)
            if not ex.is_successful:
                msg = ex.error.message if ex.error is not None else ex.phase_name
                raise click.ClickException(f"execution {ex.id.name} failed: {msg}")
            ex = await remote.sync_execution(ex, entity_definition=entity)
            return entity.python_interface.pack_outputs(ex.outputs)

    return asyncio.run(go())


class EntityGroup(click.Group):
    """Subcommands are the entities of the file given as the first argument."""

    def __init__(self, filename: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filename = filename
        self._module: Any = None

    def _entities(self) -> dict[str, Any]:
        if self._module is None:
            self._module = load_file(self.filename)
        return entities(self._module)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self._entities())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entity = self._entities().get(name)
        if entity is None:
            return None
        interface = entity.python_interface

        def callback(**inputs: Any) -> None:
            opts = (click.get_current_context().obj or {}).get(CTX_RUN) or {}
            if opts.get("remote"):
                _print_result(_run_remote(entity, inputs, opts))
                return
            import aioflyte

            _print_result(aioflyte.run(entity, **inputs))

        fn = getattr(entity, "task_function", None) or getattr(entity, "function", None)
        doc = (getattr(fn, "__doc__", None) or "").strip()
        return click.Command(
            name,
            params=input_options(interface),
            callback=callback,
            help=doc or f"Run {name} ({getattr(entity, 'name', name)}) locally.",
        )


class RunCommand(click.Group):
    """``run FILE ENTITY``: the first argument is the file; the rest is the entity's own command."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return []

    def get_command(self, ctx: click.Context, filename: str) -> click.Command | None:
        if not os.path.isfile(filename):
            raise click.BadParameter(f"no such file: {filename} (expected FILE.py ENTITY)", param_hint="FILE")
        return EntityGroup(
            filename,
            name=filename,
            help=f"Entities defined in {filename}.",
        )


@click.group("run", cls=RunCommand, subcommand_metavar="FILE.py ENTITY [--INPUT VALUE]...")
@click.option(
    "--remote",
    is_flag=True,
    default=False,
    help="Register the file's code (fast) on a Flyte backend and execute there instead of locally.",
)
@click.option("--endpoint", default=None, help="The backend's Admin endpoint, HOST:PORT (with --remote).")
@click.option("--insecure", is_flag=True, default=False, help="Plaintext gRPC (e.g. aioflyte serve).")
@click.option("-p", "--project", default="flytesnacks", show_default=True, help="Project to register and run in.")
@click.option("-d", "--domain", default="development", show_default=True, help="Domain to register and run in.")
@click.option(
    "--version", default=None, help="Version to register under (default: a hash of the code archive and settings)."
)
@click.option(
    "--copy",
    type=click.Choice(["auto", "all"]),
    default="auto",
    show_default=True,
    help="With --remote, the code to package: 'auto' the loaded Python modules of the source tree, 'all' every file.",
)
@click.option(
    "--destination-dir",
    default=".",
    show_default=True,
    help="With --remote, where the code archive is unpacked where the tasks run.",
)
@click.pass_context
def run(
    ctx: click.Context,
    remote: bool,
    endpoint: str | None,
    insecure: bool,
    project: str,
    domain: str,
    version: str | None,
    copy: str,
    destination_dir: str,
) -> None:
    """Run a task, workflow or launch plan from FILE.py: aioflyte run [--remote ...] FILE.py ENTITY --input value."""
    ctx.ensure_object(dict)
    ctx.obj[CTX_RUN] = {
        "remote": remote,
        "endpoint": endpoint,
        "insecure": insecure,
        "project": project,
        "domain": domain,
        "version": version,
        "copy": copy,
        "destination_dir": destination_dir,
    }
