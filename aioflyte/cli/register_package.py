"""``aioflyte register flyte-package.tgz`` (or a folder of ``.pb`` files): register what ``aioflyte package`` (or
``pyflyte package``) wrote, as ``flytectl register files`` does.

The ``N_<name>_<kind>.pb`` files are read in their order (tasks ``_1``, workflows ``_2``, launch plans ``_3``); every
identifier in them without a project, domain or version gets the ones registered under; a ``fast<digest>.tar.gz``
code archive beside them is uploaded through the backend's data proxy and its location replaces
``{{ .remote_package_path }}`` in the tasks' commands. Without ``--version`` the version is a hash of the code
archive (a package without one needs ``--version``).
"""

from __future__ import annotations

import os
import re
import tarfile
from typing import Any

import click
from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError

PACKAGE_PATH_PLACEHOLDER = "{{ .remote_package_path }}"
_PB_NAME = re.compile(r"^(\d+)_(.+)_([123])\.pb$")
_KINDS: dict[str, Any] = {"1": task_pb2.TaskSpec, "2": workflow_pb2.WorkflowSpec, "3": launch_plan_pb2.LaunchPlan}


def is_package(path: str) -> bool:
    """A ``.tgz`` / ``.tar.gz`` archive (not a code archive ``fast*.tar.gz``), or a folder holding ``.pb`` files."""
    name = os.path.basename(path)
    if os.path.isfile(path):
        return name.endswith((".tgz", ".tar.gz")) and not name.startswith("fast")
    return os.path.isdir(path) and any(_PB_NAME.match(f) for f in os.listdir(path))


def read_package(folder: str) -> tuple[list[Any], str | None]:
    """The messages of the ``.pb`` files in ``folder`` (in their index order) and the code archive's path, if any."""
    found = []
    archive = None
    for f in os.listdir(folder):
        m = _PB_NAME.match(f)
        if m:
            found.append((int(m.group(1)), f, _KINDS[m.group(3)]))
        elif f.startswith("fast") and f.endswith(".tar.gz"):
            archive = os.path.join(folder, f)
    messages = []
    for _, f, cls in sorted(found):
        with open(os.path.join(folder, f), "rb") as fh:
            try:
                messages.append(cls.FromString(fh.read()))
            except DecodeError as e:
                raise click.ClickException(f"{f} is not a {cls.__name__} message: {e}") from e
    return messages, archive


def hydrate(message: Any, project: str, domain: str, version: str, package_path: str | None) -> None:
    """Fill in the missing project, domain and version of every ``Identifier`` in ``message`` (in place), and
    put ``package_path`` where the code archive's location is expected."""
    if message.DESCRIPTOR.full_name == "flyteidl.core.Identifier":
        message.project = message.project or project
        message.domain = message.domain or domain
        message.version = message.version or version
        return
    for field, value in message.ListFields():
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                value_field = field.message_type.fields_by_name["value"]
                if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                    for v in value.values():
                        hydrate(v, project, domain, version, package_path)
                elif value_field.type == FieldDescriptor.TYPE_STRING and package_path:
                    for k in list(value):
                        value[k] = value[k].replace(PACKAGE_PATH_PLACEHOLDER, package_path)
            elif field.is_repeated:
                for v in value:
                    hydrate(v, project, domain, version, package_path)
            else:
                hydrate(value, project, domain, version, package_path)
        elif field.type == FieldDescriptor.TYPE_STRING and package_path:
            if field.is_repeated:
                for i, s in enumerate(value):
                    if PACKAGE_PATH_PLACEHOLDER in s:
                        value[i] = s.replace(PACKAGE_PATH_PLACEHOLDER, package_path)
            elif PACKAGE_PATH_PLACEHOLDER in value:
                setattr(message, field.name, value.replace(PACKAGE_PATH_PLACEHOLDER, package_path))


def load_package(path: str, scratch: str) -> tuple[list[Any], str | None]:
    """The messages and code archive of the package at ``path`` (a ``.tgz``, unpacked into ``scratch``, or a
    folder)."""
    folder = path
    if os.path.isfile(path):
        try:
            with tarfile.open(path, "r:*") as tar:
                if hasattr(tarfile, "data_filter"):  # Python 3.10.12+: refuse links and paths out of scratch
                    tar.extractall(scratch, filter="data")
                else:  # pragma: no cover
                    tar.extractall(scratch)  # an older Python without extraction filters
        except (tarfile.TarError, OSError) as e:
            raise click.ClickException(f"cannot read {path} as a package archive: {e}") from e
        folder = scratch
    messages, archive = read_package(folder)
    if not messages:
        raise click.ClickException(f"{path} holds no .pb files of tasks, workflows or launch plans")
    return messages, archive


async def register_package(
    messages: list[Any], archive: str | None, *, config: Any, project: str, domain: str, version: str | None
) -> tuple[str, list[Any]]:
    """Upload the code archive, fill in the identifiers and register ``messages``; (version, registered ids)."""
    from aioflyte.configuration.image import ImageConfig
    from aioflyte.remote.fast import version_from_hash
    from aioflyte.remote.remote import FlyteRemote
    from aioflyte.remote.serialization import SerializationSettings

    if archive is None and not version:
        raise click.UsageError("the package has no code archive to hash: give the version with --version")
    settings = SerializationSettings(image_config=ImageConfig.auto_default_image(), project=project, domain=domain)
    async with FlyteRemote(config, project, domain) as remote:
        package_path = None
        if archive is not None:
            md5_bytes, package_path = await remote.upload_file(archive, project, domain)
            click.secho(f"  Uploaded {os.path.basename(archive)}", dim=True)
            version = version or version_from_hash(md5_bytes, settings, None)
        assert version is not None
        for m in messages:
            hydrate(m, project, domain, version, package_path)
        settings = settings.replace(version=version)
        ids = await remote._register_all(messages, settings, version)
    return version, [i for i in ids if i is not None]
