"""The variables task processes get: an allow-list of the server's environment, never all of it.

A task process sees, from the server's environment, only:

- ``PATH``, ``PYTHONPATH``, ``VIRTUAL_ENV``, ``HOME``, ``LANG`` and ``TZ`` (:data:`ALLOWED`);
- the ``FLYTE_*`` and ``_F_*`` variables the entrypoint reads (data config, SDK settings), except the server's own
  client credentials (``FLYTE_CREDENTIALS_*``) and variables named with the secrets prefix;
- the secrets the task requests: the server's ``<prefix><GROUP>_[<VERSION>_]<KEY>`` (the prefix of
  ``FLYTE_SECRETS_ENV_PREFIX``, default ``_FSEC_``), under that name and under the secret's ``env_var`` when it
  names one (as Flyte mounts a secret there: the value always comes from the server's secret variable, so
  ``env_var`` cannot name another variable of the server to read it);
- the variables named with ``--task-env NAME`` (``AdminServer(task_env=...)``);
- with an S3 raw store, the ``AWS_*`` variables (the store's credentials and region, which tasks need to read their
  inputs and write their outputs there, as pods on a cluster get them).

The runner adds the task's container ``env``, the execution's declared ``envs`` and the ``FLYTE_INTERNAL_*``
variables on top (:mod:`aioflyte.server.executions.runner`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from flyteidl.core import tasks_pb2

#: The server's variables every task process gets (when the server has them).
ALLOWED = ("PATH", "PYTHONPATH", "VIRTUAL_ENV", "HOME", "LANG", "TZ")
#: Prefixes of the variables the entrypoint reads.
ALLOWED_PREFIXES = ("FLYTE_", "_F_")
#: Prefixes never passed on by the prefix rule: the server's own credentials to a Flyte backend.
DENIED_PREFIXES = ("FLYTE_CREDENTIALS_",)
DEFAULT_SECRETS_PREFIX = "_FSEC_"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_names(names: Iterable[str]) -> tuple[str, ...]:
    """``--task-env`` names, checked: each must be a variable name (letters, digits, ``_``; not a digit first)."""
    out = []
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"--task-env: expected an environment variable name (letters, digits and _), got {name!r}")
        out.append(name)
    return tuple(out)


def secrets_prefix(environ: Mapping[str, str]) -> str:
    return environ.get("FLYTE_SECRETS_ENV_PREFIX") or DEFAULT_SECRETS_PREFIX


def inherited(environ: Mapping[str, str], names: Iterable[str] = (), prefixes: tuple[str, ...] = ()) -> dict[str, str]:
    """What every task process of this server gets from ``environ`` (the server's environment): the allow-list,
    ``names`` (``--task-env``) and the variables starting with one of ``prefixes`` (``AWS_`` with an S3 raw store,
    whose credentials tasks need to read and write their data)."""
    prefix = secrets_prefix(environ)
    extra = set(names)
    env: dict[str, str] = {}
    for key, value in environ.items():
        if key in ALLOWED or key in extra or (prefixes and key.startswith(prefixes)):
            env[key] = value
        elif key.startswith(ALLOWED_PREFIXES) and not key.startswith((*DENIED_PREFIXES, prefix)):
            env[key] = value
    return env


def secret_variables(template: tasks_pb2.TaskTemplate, environ: Mapping[str, str]) -> dict[str, str]:
    """The secrets ``template`` requests that ``environ`` (the server's environment) holds, as variables."""
    prefix = secrets_prefix(environ)
    env: dict[str, str] = {}
    for s in template.security_context.secrets:
        name = prefix + "_".join(p.upper() for p in (s.group, s.group_version, s.key) if p)
        if name in environ:
            env[name] = environ[name]
            if s.env_var:
                env[s.env_var] = environ[name]
    return env
