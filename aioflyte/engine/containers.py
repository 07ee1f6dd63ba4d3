"""Running a ``ContainerTask`` locally: Flyte's raw-container protocol (``aioflyte.core.copilot``) around its command,
run in a container runtime when one works here, else as a local process when its image is declared runnable so.

Which way (decided at run time, on every call; a runtime's probe is remembered per PATH):

* ``AIOFLYTE_CONTAINER_RUNTIME``: ``docker``, ``podman`` or a path to a docker-compatible executable (that one),
  or ``none`` (no runtime). Unset: the first of ``docker`` and ``podman`` on PATH whose ``info`` succeeds.
* Without a runtime, an image listed in ``AIOFLYTE_LOCAL_IMAGES`` (comma-separated names or ``fnmatch`` patterns;
  ``*`` for any) runs as a local process: the command as is, with the input and output directories' container
  paths in it replaced by the local directories. Any other image is an error saying how to fix it.

The secrets a task requests (``secret_requests``) are read from aioflyte's local secrets source (``SecretsManager``:
the ``_FSEC_``-prefixed or plain environment variable, then the secrets directory) and put in the container as
Flyte's Kubernetes secret injection does: ``Secret.MountType.ENV_VAR`` as ``_FSEC_<GROUP>_<KEY>`` (and
``FLYTE_SECRETS_ENV_PREFIX``), ``ANY`` and ``FILE`` as the file ``/etc/flyte/secrets/<group>/<key>`` (and
``FLYTE_SECRETS_DEFAULT_DIR``, an empty ``FLYTE_SECRETS_FILE_PREFIX``); a secret's ``env_var`` names one more variable
(its value, or for a file, the file's path). A runtime gets the values through its own environment (``-e NAME``, not
on its command line) and the files as one read-only mount; a local process gets the variables, and the files in the
run's scratch space with ``/etc/flyte/secrets`` in its command replaced by their directory.

The process (and whatever it starts) runs in its own process group; a cancelled task kills the group (and removes
the container), and nothing it half wrote becomes an output: outputs are read only after it exited with 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import functools
import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aioflyte.core.container_task import ContainerTask
from aioflyte.core.copilot import read_outputs, render, rewrite_paths, write_inputs
from aioflyte.exceptions import ContainerExitError as ContainerExitError
from aioflyte.exceptions import FlyteEntityNotCallable, FlyteValidationException
from aioflyte.io.provider import run_blocking
from aioflyte.types.engine import TypeEngine

RUNTIME_ENV = "AIOFLYTE_CONTAINER_RUNTIME"
LOCAL_IMAGES_ENV = "AIOFLYTE_LOCAL_IMAGES"
_RUNTIMES = ("docker", "podman")
_KILL_GRACE = 2.0
_TAIL = 4000

#: (runtime setting, PATH) -> (the runtime's executable or None, why none was usable)
_probed: dict[tuple[str, str], tuple[str | None, str]] = {}


@dataclass
class Way:
    """How a container task runs here: ``runtime`` (an executable) or a local process (``runtime`` None)."""

    runtime: str | None


def image_name(task: ContainerTask) -> str:
    img = task.image
    if isinstance(img, str):
        return img
    return img.image_name()


async def _probe(executable: str) -> str:
    """'' when ``<executable> info`` succeeds, else what it said."""
    try:
        proc = await asyncio.create_subprocess_exec(
            executable, "info", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    except (OSError, asyncio.TimeoutError) as e:
        return f"{type(e).__name__}: {e}"
    if proc.returncode == 0:
        return ""
    lines = [ln for ln in err.decode(errors="replace").splitlines() if ln.strip()]
    return lines[-1].strip() if lines else f"exit code {proc.returncode}"


async def _runtime() -> tuple[str | None, str]:
    """(the runtime executable to use or None, why none) for the current environment."""
    setting = os.environ.get(RUNTIME_ENV, "").strip()
    path = os.environ.get("PATH", "")
    key = (setting, path)
    if key in _probed:
        return _probed[key]
    if setting.lower() == "none":
        found: tuple[str | None, str] = (None, f"{RUNTIME_ENV}=none")
    elif setting:
        exe = shutil.which(setting)
        if exe is None:
            found = (None, f"{RUNTIME_ENV}={setting!r} is not an executable on PATH")
        else:
            why = await _probe(exe)
            found = (exe, "") if not why else (None, f"`{setting} info` failed: {why}")
    else:
        reasons = []
        found = (None, "")
        for name in _RUNTIMES:
            exe = shutil.which(name)
            if exe is None:
                continue
            why = await _probe(exe)
            if not why:
                found = (exe, "")
                break
            reasons.append(f"`{name} info` failed: {why}")
        if found[0] is None:
            found = (None, "; ".join(reasons) or "neither docker nor podman is on PATH")
    _probed[key] = found
    return found


def runs_locally(image: str) -> bool:
    """Whether ``AIOFLYTE_LOCAL_IMAGES`` declares ``image`` runnable as a local process."""
    patterns = [p.strip() for p in os.environ.get(LOCAL_IMAGES_ENV, "").split(",") if p.strip()]
    return any(p == image or fnmatch.fnmatchcase(image, p) for p in patterns)


async def choose(task: ContainerTask) -> Way:
    """How ``task`` runs here, or a clear error naming the task, the image and the ways to make it run."""
    exe, why = await _runtime()
    if exe is not None:
        return Way(exe)
    image = image_name(task)
    if runs_locally(image):
        return Way(None)
    raise FlyteEntityNotCallable(
        f"ContainerTask {task.name!r} (image {image!r}) cannot run here: no container runtime ({why}), and the image "
        f"is not declared runnable as a local process. Start docker or podman (or set {RUNTIME_ENV} to a "
        f"docker-compatible executable), or, if its command runs on this machine as it is, set "
        f"{LOCAL_IMAGES_ENV}={image} (or '*'), or mock the task (aioflyte.testing.patch)."
    )


# --- one run -------------------------------------------------------------------------------------------------


async def _fetch(uri: str, local: str, is_dir: bool) -> None:
    from aioflyte.io import default_provider

    fap = default_provider()
    if is_dir:
        await fap.get_directory(uri, local)
    else:
        await fap.get_file(uri, local)


async def _store(path: str, name: str, is_dir: bool) -> str:
    """A blob output's data copied under the run's raw output prefix (as copilot uploads it); its URI."""
    from aioflyte.io import default_provider

    fap = default_provider()
    uri = fap.random_remote_path(name)
    if is_dir:
        return await fap.put_directory(path, uri)
    return await fap.put_file(path, uri)


def _normpath(d: str | None) -> str | None:
    return os.path.normpath(d) if d else None  # a path's text only: no disk access


def _scratch() -> str:
    from aioflyte.runscope import working_directory

    return tempfile.mkdtemp(prefix="rawc-", dir=working_directory())


#: where Flyte's Kubernetes secret injection mounts a task's secret files (``<dir>/<group>/<key>``), and the prefix of
#: the variables it sets
SECRETS_DIR = "/etc/flyte/secrets"
SECRETS_ENV_PREFIX = "_FSEC_"


@dataclass
class Secrets:
    """The secrets a container gets: variables (``env``) and the host directory of its secret files (``files``,
    to be seen at ``SECRETS_DIR``; None when no secret is a file)."""

    env: dict[str, str]
    files: str | None


#: a task without secrets
NONE = Secrets({}, None)


def _write_secret(path: str, value: str) -> None:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value)


def secrets_for(task: ContainerTask, work: str, in_runtime: bool) -> Secrets:
    """The secrets ``task`` requests, read here and laid out as Flyte injects them; files written under
    ``<work>/secrets``. A request without a group or key, or a secret that cannot be found, is an error naming the
    task and the secret (never its value)."""
    from aioflyte.core.secrets import SecretsManager
    from aioflyte.models.security import Secret

    requested = list(task.secret_requests or [])
    env: dict[str, str] = {}
    files: str | None = None
    if not requested:
        return Secrets(env, files)
    manager = SecretsManager(requested=requested, entity=task.name)
    where = f"ContainerTask {task.name!r}"
    for i, s in enumerate(requested):
        if not s.group or not s.key:
            raise FlyteValidationException(
                f"{where}: parameter 'secret_requests' item {i} (group={s.group!r}, key={s.key!r}) needs both a "
                "group and a key: a container gets a secret by both, as Flyte's Kubernetes secret injection does"
            )
        value = manager.get(s.group, s.key, s.group_version)
        if s.mount_requirement == Secret.MountType.ENV_VAR:
            env[SECRETS_ENV_PREFIX + f"{s.group}_{s.key}".upper()] = value
            env["FLYTE_SECRETS_ENV_PREFIX"] = SECRETS_ENV_PREFIX
            if s.env_var:
                env[s.env_var] = value
            continue
        files = os.path.join(work, "secrets")
        rel = os.path.join(s.group.lower(), s.key.lower())
        _write_secret(os.path.join(files, rel), value)
        seen_dir = SECRETS_DIR if in_runtime else files
        env["FLYTE_SECRETS_DEFAULT_DIR"] = seen_dir
        env["FLYTE_SECRETS_FILE_PREFIX"] = ""
        if s.env_var:
            env[s.env_var] = os.path.join(seen_dir, rel)
    return Secrets(env, files)


def _container_argv(
    task: ContainerTask, runtime: str, name: str, argv: list[str], in_dir: str, out_dir: str, secrets: Secrets
) -> list[str]:
    """``<runtime> run`` with the input and output directories mounted where the task says, its environment, and its
    secrets (the values passed by name only: the runtime reads them from its own environment)."""
    cmd = [runtime, "run", "--rm", "--name", name]
    if task.input_data_dir:
        cmd += ["-v", f"{in_dir}:{os.path.normpath(task.input_data_dir)}:rw"]
    if task.output_data_dir:
        cmd += ["-v", f"{out_dir}:{os.path.normpath(task.output_data_dir)}:rw"]
    if secrets.files is not None:
        cmd += ["-v", f"{secrets.files}:{SECRETS_DIR}:ro"]
    for k, v in task.environment.items():
        cmd += ["-e", f"{k}={v}"]
    for k in secrets.env:
        cmd += ["-e", k]
    return [*cmd, image_name(task), *argv]


def _kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    _kill_group(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), _KILL_GRACE)
    except asyncio.TimeoutError:
        pass
    _kill_group(proc.pid)
    await proc.wait()


async def _remove_container(runtime: str, name: str) -> None:
    with contextlib.suppress(OSError, asyncio.TimeoutError):
        p = await asyncio.create_subprocess_exec(
            runtime, "rm", "-f", name, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        await asyncio.wait_for(p.wait(), 30)


async def _pump(stream: asyncio.StreamReader, tail: bytearray, echo: Callable[[str], None] | None) -> None:
    while True:
        line = await stream.readline()
        if not line:
            return
        tail.extend(line)
        del tail[:-_TAIL]
        if echo is not None:
            echo(line.decode(errors="replace").rstrip("\n"))


async def run_container(task: ContainerTask, inputs: dict[str, Any]) -> Any:
    """Run ``task`` once with (converted) Python ``inputs``; its Python outputs, as a function task returns them."""
    way = await choose(task)
    where = f"ContainerTask {task.name!r}"
    iface = task.python_interface
    from flyteidl.core import literals_pb2

    lm = literals_pb2.LiteralMap()
    for n, t in iface.input_types.items():
        if n in inputs:
            lm.literals[n].CopyFrom(await TypeEngine.async_to_literal(None, inputs[n], t))
    work = await run_blocking(_scratch)
    in_dir, out_dir = os.path.join(work, "inputs"), os.path.join(work, "outputs")
    await run_blocking(os.makedirs, out_dir)
    try:
        in_ctr = _normpath(task.input_data_dir)
        out_ctr = _normpath(task.output_data_dir)
        if way.runtime is not None and in_ctr:

            def visible(p: str) -> str:
                return in_ctr + p[len(in_dir) :]

        else:

            def visible(p: str) -> str:
                return p

        await write_inputs(lm, in_dir, task.metadata_format.value, _fetch, where, visible)
        argv = render([*task.command, *(task.arguments or [])], lm, where)
        secrets = await run_blocking(secrets_for, task, work, way.runtime is not None) if task.secret_requests else NONE
        container = None
        if way.runtime is not None:
            container = f"aioflyte-{uuid.uuid4().hex[:12]}"
            argv = _container_argv(task, way.runtime, container, argv, in_dir, out_dir, secrets)
            env = {**os.environ, **secrets.env}
        else:
            mapping = {d: h for d, h in ((in_ctr, in_dir), (out_ctr, out_dir), (SECRETS_DIR, secrets.files)) if d and h}
            argv = rewrite_paths(argv, mapping)
            env = {**os.environ, **task.environment, **secrets.env}
        await _run(task, argv, env, work, way.runtime, container)
        lts = {n: TypeEngine.to_literal_type(t) for n, t in iface.outputs.items()}
        out_lm = await read_outputs(lts, out_dir, _store, where)
        values = {
            n: await TypeEngine.async_to_python_value(None, out_lm.literals[n], t) for n, t in iface.outputs.items()
        }
    finally:  # whatever happened: nothing of this run's files stays (blob outputs were copied out)
        await asyncio.shield(run_blocking(functools.partial(shutil.rmtree, work, ignore_errors=True)))
    return iface.pack_outputs(values)


async def _run(
    task: ContainerTask, argv: list[str], env: dict[str, str], cwd: str, runtime: str | None, container: str | None
) -> None:
    where = f"ContainerTask {task.name!r}"
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True,
        )  # fmt: skip
    except OSError as e:
        raise FlyteEntityNotCallable(f"{where}: cannot start {argv[0]!r}: {e}") from e
    tail = bytearray()
    echo = (lambda line: print(f"[Local Container] {line}", flush=True)) if task.local_logs else None
    try:
        assert proc.stdout is not None
        await _pump(proc.stdout, tail, echo)
        await proc.wait()
    except BaseException:  # cancelled (or the pump failed): the whole group goes, and the container
        await asyncio.shield(_stop(proc))
        if runtime is not None and container is not None:
            await asyncio.shield(_remove_container(runtime, container))
        raise
    finally:
        _kill_group(proc.pid)  # what the command left running in its group
    if proc.returncode != 0:
        code = proc.returncode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        raise ContainerExitError(
            f"{where}: the command {how}; its output ends with:\n{tail.decode(errors='replace')[-2000:]}"
        )


__all__ = [
    "LOCAL_IMAGES_ENV",
    "RUNTIME_ENV",
    "SECRETS_DIR",
    "ContainerExitError",
    "Secrets",
    "choose",
    "run_container",
    "runs_locally",
    "secrets_for",
]
