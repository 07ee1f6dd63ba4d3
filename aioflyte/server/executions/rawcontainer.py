"""A raw container's attempt on the local server (flytekit's ``ContainerTask``, task type ``raw-container``): the
server pulls no image; it runs the command as registered, as a local process, around Flyte's data protocol
(``aioflyte.core.copilot``): the inputs written into a local input directory, ``{{.inputs.x}}`` filled, the
container's input and output directories in the command replaced by the local ones, and after a clean exit the
outputs read back (blobs copied under the attempt's raw output prefix) into ``outputs.pb``; a failure becomes
``error.pb``, as the entrypoint would write it.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

from flyteidl.core import errors_pb2, execution_pb2, literals_pb2, tasks_pb2

from aioflyte.core.copilot import ContainerProtocolError, ContainerUserError, read_outputs, render, rewrite_paths
from aioflyte.core.copilot import write_inputs as _write_inputs
from aioflyte.io.provider import run_blocking


def data_config(template: tasks_pb2.TaskTemplate) -> tasks_pb2.DataLoadingConfig | None:
    """The copilot settings of a raw-container template (on its container or its pod), or None for other tasks."""
    for holder in (template.container, template.k8s_pod):
        if holder.HasField("data_config") and holder.data_config.enabled:
            return holder.data_config
    return None


def _dirs(out: Path) -> tuple[str, str]:
    return str(out / "rawc" / "inputs"), str(out / "rawc" / "outputs")


async def _fetch(uri: str, local: str, is_dir: bool) -> None:
    from aioflyte.io import default_provider

    fap = default_provider()
    if is_dir:
        await fap.get_directory(uri, local)
    else:
        await fap.get_file(uri, local)


def _fresh_dirs(out: Path, out_dir: str, inputs_path: Path) -> literals_pb2.LiteralMap:
    """Empty directories for an attempt; the execution's inputs."""
    shutil.rmtree(out / "rawc", ignore_errors=True)
    os.makedirs(out_dir)
    if inputs_path.exists():
        return literals_pb2.LiteralMap.FromString(inputs_path.read_bytes())
    return literals_pb2.LiteralMap()


async def prepare(
    template: tasks_pb2.TaskTemplate, dlc: tasks_pb2.DataLoadingConfig, inputs_path: Path, out: Path,
    argv: list[str],
) -> list[str]:  # fmt: skip
    """Write the inputs for one attempt; the command line to run (``argv``: the template's, other templates
    filled)."""
    in_dir, out_dir = _dirs(out)
    inputs = await run_blocking(_fresh_dirs, out, out_dir, inputs_path)
    where = f"ContainerTask {template.id.name!r}"
    await _write_inputs(inputs, in_dir, dlc.format, _fetch, where)
    argv = render(argv, inputs, where)
    mapping = {d: h for d, h in ((dlc.input_path, in_dir), (dlc.output_path, out_dir)) if d}
    return rewrite_paths(argv, mapping)


def _write_outputs(out: Path, data: bytes) -> None:
    tmp = out / "outputs.pb.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, out / "outputs.pb")  # never a half-written outputs.pb


def _error(out: Path, code: str, message: str, recoverable: bool) -> None:
    doc = errors_pb2.ErrorDocument(
        error=errors_pb2.ContainerError(
            code=code, message=message, origin=execution_pb2.ExecutionError.USER,
            kind=errors_pb2.ContainerError.RECOVERABLE if recoverable else errors_pb2.ContainerError.NON_RECOVERABLE,
        )
    )  # fmt: skip
    (out / "error.pb").write_bytes(doc.SerializeToString())


async def finish(template: tasks_pb2.TaskTemplate, out: Path, returncode: int | None, raw_prefix: str) -> None:
    """After the process exited: ``outputs.pb`` from the output directory, or ``error.pb`` saying what failed."""
    _, out_dir = _dirs(out)
    where = f"ContainerTask {template.id.name!r}"
    try:
        if returncode != 0:
            code = returncode
            how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
            await run_blocking(
                _error, out, "USER:ContainerFailed", f"{where}: the command {how} (see the task's log)", True
            )
            return
        from aioflyte.io import default_provider

        fap = default_provider()

        async def store(path: str, name: str, is_dir: bool) -> str:
            uri = f"{raw_prefix.rstrip('/')}/{name}"
            return await (fap.put_directory(path, uri) if is_dir else fap.put_file(path, uri))

        outputs = dict(template.interface.outputs.variables)
        try:
            lm = await read_outputs({k: v.type for k, v in outputs.items()}, out_dir, store, where)
        except ContainerUserError as e:
            await run_blocking(_error, out, "USER:ContainerError", str(e), False)
            return
        except ContainerProtocolError as e:
            await run_blocking(_error, out, "USER:ContainerProtocolError", str(e), False)
            return
        await run_blocking(_write_outputs, out, lm.SerializeToString())
    finally:
        await run_blocking(functools.partial(shutil.rmtree, out / "rawc", ignore_errors=True))


async def discard(out: Path) -> None:
    """Remove the attempt's raw-container folders (a timed-out or cancelled attempt, whose outputs are not read)."""
    await run_blocking(functools.partial(shutil.rmtree, out / "rawc", ignore_errors=True))


__all__ = ["data_config", "discard", "finish", "prepare"]
