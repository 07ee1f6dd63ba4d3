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
import datetime
import enum
import importlib.util
import json
import os
import sys
import typing
from typing import Any

import click

from aioflyte.cli._remote import DEFAULT_DOMAIN, DEFAULT_PROJECT
from aioflyte.cli.inputs import (
    DatasetType,
    DateTimeType,
    DateType,
    DurationType,
    EnumType,
    is_dataframe_type,
    read_inputs_file,
)

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
        from aioflyte.cli.inputs import InputError, structure, type_name

        data = value
        if isinstance(value, str):
            try:
                data = json.loads(value)
            except json.JSONDecodeError as e:
                self.fail(f"{value!r} is not valid JSON ({e.msg}); expected a {self.name}", param, ctx)
        try:
            return structure(data, self.py_type)
        except InputError as e:
            self.fail(f"{str(e).removeprefix('value: ')} (expected {type_name(self.py_type)})", param, ctx)


class PathType(click.ParamType):
    """A local path (or URI) turned into a FlyteFile / FlyteDirectory."""

    def __init__(self, py_type: Any, directory: bool) -> None:
        self.py_type = py_type
        self.name = "directory" if directory else "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        if "://" not in value:
            is_dir = self.name == "directory"
            if not (os.path.isdir(value) if is_dir else os.path.isfile(value)):
                what = "directory" if is_dir else "file"
                self.fail(f"{value!r}: no such {what} (expected a local {what} path or a URI)", param, ctx)
            value = os.path.abspath(value)
        return self.py_type(value)


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
        return EnumType(origin), False
    if py_type is datetime.datetime:
        return DateTimeType(), False
    if py_type is datetime.date:
        return DateType(), False
    if py_type is datetime.timedelta:
        return DurationType(), False
    if isinstance(origin, type) and issubclass(origin, FlyteDirectory):
        return PathType(origin, directory=True), False
    if isinstance(origin, type) and issubclass(origin, FlyteFile):
        return PathType(origin, directory=False), False
    if is_dataframe_type(py_type):
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
            default = json.dumps(default, default=_json_default)
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
    opts.append(
        click.Option(
            ["--inputs-file"],
            type=click.Path(exists=True, dir_okay=False),
            is_eager=True,
            expose_value=False,
            callback=_load_inputs_file,
            help="A YAML or JSON file of input values by name (the options given on the command line win).",
        )
    )
    return opts


def _json_default(value: Any) -> Any:
    """What ``json.dumps`` cannot encode by itself, in the form the option reads back."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _load_inputs_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--inputs-file``: its values become the command's defaults, read with each input's own type."""
    if not value:
        return
    data = read_inputs_file(value)
    names = {p.name for p in ctx.command.params if isinstance(p, click.Option) and p.name != "inputs_file"}
    unknown = sorted(set(data) - names)
    if unknown:
        raise click.BadParameter(
            f"{value} gives {unknown[0]!r}, which is not an input (the inputs: {', '.join(sorted(names))})",
            ctx=ctx,
            param=param,
        )
    ctx.default_map = {**(ctx.default_map or {}), **data}


def _print_result(result: Any) -> None:
    try:
        from rich.console import Console
        from rich.pretty import Pretty

        Console().print(Pretty(result))
    except ImportError:  # pragma: no cover
        click.echo(repr(result))


def _key_values(values: tuple[str, ...] | list[str], option: str) -> dict[str, str]:
    """``K=V`` values of a repeatable option as a dict; anything else is a usage error naming the option."""
    out: dict[str, str] = {}
    for v in values or ():
        key, sep, val = v.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{v!r} is not KEY=VALUE", param_hint=f"'{option}'")
        out[key] = val
    return out


def _execution_kwargs(opts: dict[str, Any]) -> dict[str, Any]:
    """``FlyteRemote.execute`` keywords from ``run``'s options (name, env vars, labels, tags, cache overwrite)."""
    kwargs: dict[str, Any] = {}
    if opts.get("name"):
        kwargs["execution_name"] = opts["name"]
    envs = _key_values(opts.get("envvars") or (), "--envvars")
    if envs:
        kwargs["envs"] = envs
    labels = _key_values(opts.get("labels") or (), "--labels")
    if labels:
        from aioflyte.core.options import Options
        from aioflyte.models.common import Labels

        kwargs["options"] = Options(labels=Labels(labels))
    if opts.get("tags"):
        kwargs["tags"] = list(opts["tags"])
    if opts.get("overwrite_cache"):
        kwargs["overwrite_cache"] = True
    return kwargs


_NOT_WAITED = object()


def _run_remote(entity: Any, inputs: dict[str, Any], opts: dict[str, Any]) -> Any:
    """Fast-register ``entity`` with the code of its source tree (as ``pyflyte run --remote`` does) on the backend
    (``--endpoint``, ``-c FILE`` or the discovered config file) and execute it with ``inputs`` (local files,
    directories and datasets uploaded through the data proxy); print its id and console URL as soon as it starts;
    wait (unless ``--no-wait``) and return its value. Ctrl-C while waiting asks whether to terminate it."""
    from aioflyte.cli._remote import resolve_config

    config = resolve_config(opts.get("config_file"), opts.get("endpoint"), opts["insecure"])
    kwargs = _execution_kwargs(opts)
    started: dict[str, Any] = {}

    async def go() -> Any:
        from aioflyte.remote.fast import FastPackageOptions, module_root
        from aioflyte.remote.remote import FlyteRemote

        async with FlyteRemote(config, default_project=opts["project"], default_domain=opts["domain"]) as remote:
            type_hints = {name: t for name, (t, _) in entity.python_interface.inputs.items()}
            if opts.get("copy") == "none":  # no code is sent: the task environment must import it (as pyflyte's)
                ex = await remote.execute(
                    entity, inputs=inputs, version=opts.get("version"), type_hints=type_hints, **kwargs
                )
            else:
                source, module_name = module_root(entity)
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
                if not opts.get("quiet"):
                    click.echo(f"registered {registered.name}@{registered.id.version} from {source}", err=True)
                ex = await remote.execute(registered, inputs=inputs, type_hints=type_hints, **kwargs)
            started["id"] = ex.id
            click.echo(f"execution {ex.id.project}/{ex.id.domain}/{ex.id.name} started", err=True)
            click.echo(f"  {remote.generate_console_url(ex.id)}", err=True)
            if not opts.get("wait", True):
                return _NOT_WAITED
            ex = await remote.wait(ex)
            click.echo(f"execution {ex.id.project}/{ex.id.domain}/{ex.id.name}: {ex.phase_name}", err=True)
            if not ex.is_successful:
                msg = ex.error.message if ex.error is not None else ex.phase_name
                raise click.ClickException(f"execution {ex.id.name} failed: {msg}")
            ex = await remote.sync_execution(ex, entity_definition=entity)
            return entity.python_interface.pack_outputs(ex.outputs)

    try:
        return asyncio.run(go())
    except KeyboardInterrupt:
        ex_id = started.get("id")
        if ex_id is None:
            raise click.Abort() from None
        _offer_terminate(config, ex_id, opts)
        raise SystemExit(130) from None


def _offer_terminate(config: Any, ex_id: Any, opts: dict[str, Any]) -> None:
    """After Ctrl-C while waiting: terminate the execution, or leave it running and say how to follow it."""
    text = f"{ex_id.project}/{ex_id.domain}/{ex_id.name}"
    if click.confirm(f"\nTerminate execution {text}?", default=False, err=True):

        async def stop() -> None:
            from aioflyte.remote.remote import FlyteRemote

            async with FlyteRemote(config, default_project=opts["project"], default_domain=opts["domain"]) as r:
                await r.client.terminate_execution(ex_id, "terminated from aioflyte run (Ctrl-C)")

        asyncio.run(stop())
        click.echo(f"terminated {text}", err=True)
    else:
        click.echo(f"{text} is still running: aioflyte logs {text} / aioflyte get execution {text}", err=True)


def _group_verbose() -> bool:
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    return bool(root is not None and isinstance(root.obj, dict) and root.obj.get("verbose"))


def _run_local(entity: Any, inputs: dict[str, Any], opts: dict[str, Any]) -> Any:
    """Run locally, printing the run's id at once and following its nodes (``--quiet``: nothing but the result)."""
    from aioflyte._run import _loop_factory
    from aioflyte.cli.progress import RunProgress

    os.environ.update(_key_values(opts.get("envvars") or (), "--envvars"))
    if opts.get("overwrite_cache"):
        os.environ["FLYTE_LOCAL_CACHE_OVERWRITE"] = "true"
    quiet = bool(opts.get("quiet"))

    async def go() -> Any:
        handle = entity.start(**inputs)
        if not quiet:
            click.echo(f"Running execution {handle.id} locally", err=True)
        with RunProgress(handle, RunProgress.default_mode(quiet), getattr(entity, "name", "run")):
            return await handle

    factory = _loop_factory()
    if hasattr(asyncio, "Runner"):
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(go())
    return asyncio.run(go())  # pragma: no cover (3.10)


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
                result = _run_remote(entity, inputs, opts)
                if result is not _NOT_WAITED:
                    _print_result(result)
                return
            try:
                result = _run_local(entity, inputs, opts)
            except (click.ClickException, click.exceptions.Exit, click.Abort):
                raise
            except Exception as e:
                from aioflyte.cli.errors import fail_with

                fail_with(e, verbose=bool(opts.get("verbose")) or _group_verbose())
            _print_result(result)

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
@click.option(
    "-c",
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="With --remote, a flytectl YAML or flytekit INI config file (default: discovered, as pyflyte does).",
)
@click.option("--endpoint", default=None, help="The backend's Admin endpoint, HOST:PORT (with --remote).")
@click.option("--insecure", is_flag=True, default=False, help="Plaintext gRPC (e.g. aioflyte serve).")
@click.option(
    "-p",
    "--project",
    default=DEFAULT_PROJECT,
    envvar="FLYTE_DEFAULT_PROJECT",
    show_default=True,
    show_envvar=True,
    help="Project to register and run in.",
)
@click.option(
    "-d", "--domain", default=DEFAULT_DOMAIN, envvar="FLYTE_DEFAULT_DOMAIN", show_default=True, show_envvar=True,
    help="Domain to register and run in.",
)  # fmt: skip
@click.option(
    "--version", default=None, help="Version to register under (default: a hash of the code archive and settings)."
)
@click.option(
    "--copy",
    type=click.Choice(["auto", "all", "none"]),
    default="auto",
    show_default=True,
    help="With --remote, the code to package: 'auto' the loaded Python modules of the source tree, 'all' every file, "
    "'none' nothing (registered without code: the backend's task environment must import it).",
)
@click.option(
    "--destination-dir",
    default=".",
    show_default=True,
    help="With --remote, where the code archive is unpacked where the tasks run.",
)
@click.option("--name", default=None, help="With --remote, the execution's name (default: the backend picks one).")
@click.option(
    "-e",
    "--envvars",
    "--env",
    "envvars",
    multiple=True,
    help="NAME=VALUE set in the tasks' environment (in their containers with --remote). Repeatable.",
)
@click.option("--labels", "--label", "labels", multiple=True, help="With --remote, KEY=VALUE labels. Repeatable.")
@click.option("--tags", "--tag", "tags", multiple=True, help="With --remote, tags of the execution. Repeatable.")
@click.option(
    "--overwrite-cache",
    is_flag=True,
    default=False,
    help="Run cached tasks again and overwrite their cached outputs.",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="With --remote, wait for the execution to end (--no-wait: print its id and return).",
)
@click.option("-q", "--quiet", is_flag=True, default=False, help="Print only the result (no id, no progress).")
@click.option(
    "-v", "--verbose", is_flag=True, default=False, help="On failure, the whole traceback (aioflyte's frames too)."
)
@click.pass_context
def run(
    ctx: click.Context,
    remote: bool,
    config_file: str | None,
    endpoint: str | None,
    insecure: bool,
    project: str,
    domain: str,
    version: str | None,
    copy: str,
    destination_dir: str,
    name: str | None,
    envvars: tuple[str, ...],
    labels: tuple[str, ...],
    tags: tuple[str, ...],
    overwrite_cache: bool,
    wait: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Run a task, workflow or launch plan from FILE.py, locally or (--remote) on a Flyte backend:
    aioflyte run [OPTIONS] FILE.py ENTITY --input value."""
    ctx.ensure_object(dict)
    ctx.obj[CTX_RUN] = {
        "remote": remote,
        "config_file": config_file,
        "endpoint": endpoint,
        "insecure": insecure,
        "project": project,
        "domain": domain,
        "version": version,
        "copy": copy,
        "destination_dir": destination_dir,
        "name": name,
        "envvars": envvars,
        "labels": labels,
        "tags": tags,
        "overwrite_cache": overwrite_cache,
        "wait": wait,
        "quiet": quiet,
        "verbose": verbose,
    }
    _key_values(envvars, "--envvars")
    _key_values(labels, "--labels")
