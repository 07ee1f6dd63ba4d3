"""A local ``ContainerTask`` run gets the secrets it requests as Flyte's Kubernetes secret injection gives them to a
container: ``ENV_VAR`` secrets as ``_FSEC_<GROUP>_<KEY>``, ``ANY``/``FILE`` secrets as files under
``/etc/flyte/secrets/<group>/<key>``, and a secret's ``env_var`` as one more variable. The values come from
aioflyte's local secrets source (here: files in ``FLYTE_SECRETS_DEFAULT_DIR``, so that the command can only have
them through the injection). Real commands, run as local processes and through a small fake runtime on PATH."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from aioflyte import ContainerTask, Secret, kwtypes
from aioflyte.exceptions import FlyteSecretNotFoundError, FlyteValidationException

PY = sys.executable
pytestmark = pytest.mark.slow  # every test runs a command as a subprocess

# reads every way a secret can reach it and writes what it found as one JSON output
READER = r"""
import json, os, pathlib
env = {k: os.environ.get(k) for k in ("_FSEC_DB_PASSWORD", "PGPASSWORD", "FLYTE_SECRETS_ENV_PREFIX",
                                        "FLYTE_SECRETS_FILE_PREFIX")}
d = os.environ["FLYTE_SECRETS_DEFAULT_DIR"]
found = {
    "env": env,
    "token": pathlib.Path("/etc/flyte/secrets/api/token").read_text(),
    "token_in_dir": pathlib.Path(d, "api", "token").read_text(),
    "cert_by_var": pathlib.Path(os.environ["CERT_PATH"]).read_text(),
    "cert_path_tail": os.environ["CERT_PATH"][len(d):],
    "modes": oct(pathlib.Path(d, "api", "token").stat().st_mode & 0o777),
}
pathlib.Path("/var/outputs/found").write_text(json.dumps(found))
"""

SECRETS = [
    Secret(group="db", key="password", mount_requirement=Secret.MountType.ENV_VAR, env_var="PGPASSWORD"),
    Secret(group="api", key="Token", mount_requirement=Secret.MountType.FILE),
    Secret(group="cert", key="pem", env_var="CERT_PATH"),  # ANY: a file, as Flyte mounts it
]


def reader(name: str, secrets: list[Secret] = SECRETS) -> ContainerTask:
    return ContainerTask(
        name=name,
        image="python:3.11",
        input_data_dir="/var/inputs",
        output_data_dir="/var/outputs",
        command=[PY, "-c", READER],
        outputs=kwtypes(found=str),
        secret_requests=secrets,
    )


@pytest.fixture
def source(monkeypatch, tmp_path):
    """The local secrets source: one file per secret (as ``/etc/secrets/<group>/<key>``), nothing in the env."""
    src = tmp_path / "secrets-source"
    for group, key, value in (("db", "password", "pw-1234"), ("api", "token", "tok-5678"), ("cert", "pem", "PEM-9")):
        (src / group).mkdir(parents=True)
        (src / group / key).write_text(value + "\n")
    monkeypatch.setenv("FLYTE_SECRETS_DEFAULT_DIR", str(src))
    for name in ("_FSEC_DB_PASSWORD", "DB_PASSWORD", "PGPASSWORD", "CERT_PATH", "FLYTE_SECRETS_ENV_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    return src


@pytest.fixture
def local(monkeypatch):
    monkeypatch.setenv("AIOFLYTE_CONTAINER_RUNTIME", "none")
    monkeypatch.setenv("AIOFLYTE_LOCAL_IMAGES", "*")


async def test_a_local_process_gets_its_secrets_as_flyte_injects_them(local, source):
    found = json.loads(await reader("with_secrets")())
    assert found["env"] == {
        "_FSEC_DB_PASSWORD": "pw-1234",
        "PGPASSWORD": "pw-1234",
        "FLYTE_SECRETS_ENV_PREFIX": "_FSEC_",
        "FLYTE_SECRETS_FILE_PREFIX": "",
    }
    assert found["token"] == found["token_in_dir"] == "tok-5678"  # the key's file name in lower case, as Flyte's
    assert found["cert_by_var"] == "PEM-9" and found["cert_path_tail"] == "/cert/pem"
    assert found["modes"] == "0o600"


async def test_a_task_without_secrets_gets_none(local, source):
    t = ContainerTask(
        name="no_secrets",
        image="python:3.11",
        output_data_dir="/var/outputs",
        command=[
            PY,
            "-c",
            "import os, pathlib; pathlib.Path('/var/outputs/o').write_text(str(os.environ.get('_FSEC_DB_PASSWORD')))",
        ],
        outputs=kwtypes(o=str),
    )
    assert await t() == "None"


async def test_a_missing_secret_is_an_error_naming_the_task_and_the_secret(local, source):
    t = reader("missing", [Secret(group="db", key="nothere", mount_requirement=Secret.MountType.ENV_VAR)])
    with pytest.raises(FlyteSecretNotFoundError, match=r"group='db' key='nothere' not found for task 'missing'"):
        await t()


async def test_a_secret_without_a_group_is_a_clear_error(local, source):
    t = reader("no_group", [Secret(key="password")])
    with pytest.raises(FlyteValidationException, match=r"'no_group'.*'secret_requests' item 0 .*needs both a group"):
        await t()


FAKE_RUNTIME = r"""#!{py}
# A docker-compatible runtime for the test: records its argv, answers `info`, and for `run` executes the command on
# this machine with the mounts (-v host:container) applied to its arguments; `-e NAME=V` sets NAME, `-e NAME`
# passes the runtime's own NAME on, as docker does.
import json, os, subprocess, sys
args = sys.argv[1:]
with open({log!r}, "a") as f:
    f.write(json.dumps(args) + "\n")
if args[:1] in (["info"], ["rm"]):
    sys.exit(0)
i, mounts, env = 1, {{}}, {{"PATH": os.environ["PATH"]}}
while args[i].startswith("-"):
    if args[i] == "-v":
        host, ctr, _ = args[i + 1].split(":")
        mounts[ctr] = host
    elif args[i] == "-e":
        k, sep, v = args[i + 1].partition("=")
        if sep:
            env[k] = v
        elif k in os.environ:
            env[k] = os.environ[k]
    i += 2 if args[i] in ("-v", "-e", "--name") else 1
cmd = args[i + 1:]
for ctr, host in mounts.items():
    cmd = [c.replace(ctr, host) for c in cmd]
for k in ("FLYTE_SECRETS_DEFAULT_DIR", "CERT_PATH"):  # paths in the container, seen through its mount here
    env[k] = env[k].replace("/etc/flyte/secrets", mounts["/etc/flyte/secrets"])
sys.exit(subprocess.call(cmd, env=env))
"""


async def test_a_runtime_gets_the_secret_files_mounted_and_the_values_by_name(monkeypatch, tmp_path, source):
    bin_dir, log = tmp_path / "bin", tmp_path / "argv.jsonl"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(FAKE_RUNTIME.format(py=PY, log=str(log)))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("AIOFLYTE_CONTAINER_RUNTIME", raising=False)
    monkeypatch.delenv("AIOFLYTE_LOCAL_IMAGES", raising=False)
    found = json.loads(await reader("in_runtime")())
    assert found["env"]["_FSEC_DB_PASSWORD"] == found["env"]["PGPASSWORD"] == "pw-1234"
    assert found["token"] == found["token_in_dir"] == "tok-5678"
    assert found["cert_by_var"] == "PEM-9"
    run = json.loads(log.read_text().splitlines()[-1])
    mount = [run[i + 1] for i, a in enumerate(run) if a == "-v" and run[i + 1].endswith(":/etc/flyte/secrets:ro")]
    assert len(mount) == 1
    names = {run[i + 1] for i, a in enumerate(run) if a == "-e"}
    assert names == {
        "_FSEC_DB_PASSWORD",
        "PGPASSWORD",
        "FLYTE_SECRETS_ENV_PREFIX",
        "FLYTE_SECRETS_DEFAULT_DIR",
        "FLYTE_SECRETS_FILE_PREFIX",
        "CERT_PATH",
    }
    assert not any(v in a for a in run for v in ("pw-1234", "tok-5678", "PEM-9"))  # no value on the command line
