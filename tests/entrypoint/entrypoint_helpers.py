"""Helpers of the entrypoint tests: write inputs.pb, run ``python -m aioflyte.entrypoint`` as a real
subprocess, read outputs.pb / error.pb back. The store is local disk or the loopback S3 server."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from typing import Any

from flyteidl.core import errors_pb2, literals_pb2

from aioflyte.io import default_provider
from aioflyte.types.engine import TypeEngine

HERE = os.path.dirname(os.path.abspath(__file__))
RESOLVE = ["task-module", "tasks_for_entrypoint", "task-name"]


@dataclasses.dataclass
class Store:
    """Where a test keeps inputs.pb, the output prefix and raw data."""

    kind: str
    base: str

    def uri(self, *parts: str) -> str:
        return "/".join([self.base.rstrip("/"), *parts])

    async def put_inputs(self, values: dict[str, Any], types: dict[str, Any], name: str = "inputs.pb") -> str:
        lm = await TypeEngine.dict_to_literal_map(None, values, types)
        return await self.put(name, lm.SerializeToString())

    async def put(self, name: str, data: bytes) -> str:
        uri = self.uri(name)
        await default_provider().put_bytes(uri, data)
        return uri

    async def exists(self, *parts: str) -> bool:
        return await default_provider().exists(self.uri(*parts))

    async def outputs(self, prefix: str = "out") -> literals_pb2.LiteralMap:
        lm = literals_pb2.LiteralMap()
        lm.ParseFromString(await default_provider().get_bytes(self.uri(prefix, "outputs.pb")))
        return lm

    async def error(self, prefix: str = "out") -> errors_pb2.ContainerError:
        doc = errors_pb2.ErrorDocument()
        doc.ParseFromString(await default_provider().get_bytes(self.uri(prefix, "error.pb")))
        return doc.error

    async def value(self, name: str, python_type: Any, prefix: str = "out") -> Any:
        lm = await self.outputs(prefix)
        return await TypeEngine.to_python_value(None, lm.literals[name], python_type)


def entrypoint_cmd(
    store: Store,
    resolver_args: list[str],
    *,
    inputs: str | None = None,
    args: list[str] | None = None,
    resolver: str | None = "flytekit.core.python_auto_container.default_task_resolver",
    prefix: str = "out",
) -> list[str]:
    """``python -m aioflyte.entrypoint`` with the options propeller passes."""
    return [
        sys.executable,
        "-m",
        "aioflyte.entrypoint",
        "--inputs",
        inputs or store.uri("inputs.pb"),
        "--output-prefix",
        store.uri(prefix),
        "--raw-output-data-prefix",
        store.uri("raw"),
        "--checkpoint-path",
        store.uri("checkpoints", "1"),
        "--prev-checkpoint",
        '""',
        *(args or []),
        *(["--resolver", resolver] if resolver else []),
        "--",
        *resolver_args,
    ]


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` in a fresh process that can import the tasks of this directory."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (HERE, os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=90)
    if proc.returncode not in (0, 1):
        raise AssertionError(f"entrypoint exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def run_entrypoint(
    store: Store,
    resolver_args: list[str],
    *,
    env: dict[str, str] | None = None,
    **kw: Any,
) -> subprocess.CompletedProcess[str]:
    """The entrypoint on ``resolver_args`` (options as ``entrypoint_cmd`` takes them), in a fresh process."""
    return run(entrypoint_cmd(store, resolver_args, **kw), env)
