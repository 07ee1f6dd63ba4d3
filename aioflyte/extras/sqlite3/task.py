"""``SQLite3Task``: a query against a SQLite database file, run with Python's ``sqlite3`` (flytekit's
``flytekit.extras.sqlite3.task``).

The database is ``SQLite3Config.uri``: a local path, ``file://``, ``s3://`` or anything else aioflyte's data plane
reads (``https://`` too), downloaded for every run. With ``compressed=True`` it is an archive
(``shutil.unpack_archive``'s formats: zip, tar, gztar, bztar, xztar, told by the file name's extension) holding
exactly one file, the database. The query template's ``{{ .inputs.x }}`` are filled with the inputs
(``SQLTask.interpolate_query``) and the result is a pandas DataFrame, returned as the task's one output
``results`` (``output_schema_type``: a ``StructuredDataset``, a ``FlyteSchema``, by default ``FlyteSchema``).

Like flytekit's, it is a prebuilt container task: registered, it runs ``SQLite3TaskExecutor`` in
``container_image`` (default: aioflyte's default image) from its template alone, so no user code is needed there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from typing import Any

from aioflyte.core.base_sql_task import SQLTask
from aioflyte.core.interface import kwtypes
from aioflyte.core.python_customized_container_task import PythonCustomizedContainerTask
from aioflyte.core.shim_task import ShimTaskExecutor
from aioflyte.exceptions import FlyteValidationException


def unarchive_file(local_path: str, to_dir: str) -> str:
    """Unpack the archive at ``local_path`` under ``to_dir``; the path of the one file it holds (else an error)."""
    archive_dir = os.path.join(to_dir, "_arch")
    shutil.unpack_archive(local_path, archive_dir)
    files = os.listdir(archive_dir)
    if len(files) != 1:
        raise RuntimeError(f"the archive {local_path} should hold exactly one file (the database); it holds {files}")
    return os.path.join(archive_dir, files[0])


@dataclass
class SQLite3Config:
    """Where the database is (``uri``) and whether it is an archive holding it (``compressed``)."""

    uri: str
    compressed: bool = False


class SQLite3Task(PythonCustomizedContainerTask, SQLTask):
    """A SQLite3 query as a task::

    tracks = SQLite3Task(
        "tracks",
        query_template="select TrackId, Name from tracks limit {{ .inputs.limit }}",
        inputs=kwtypes(limit=int),
        output_schema_type=StructuredDataset,
        task_config=SQLite3Config(uri="s3://bucket/chinook.zip", compressed=True),
    )
    """

    _SQLITE_TASK_TYPE = "sqlite"

    def __init__(
        self,
        name: str,
        query_template: str,
        inputs: dict[str, Any] | None = None,
        task_config: SQLite3Config | None = None,
        output_schema_type: Any = None,
        container_image: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(task_config, SQLite3Config) or not isinstance(task_config.uri, str):
            got = type(task_config).__name__ if not isinstance(task_config, SQLite3Config) else repr(task_config)
            raise FlyteValidationException(
                f"task {name}: parameter 'task_config' expected SQLite3Config(uri=...) naming the database, got {got}"
            )
        if output_schema_type is None:
            from aioflyte.types.schema import FlyteSchema

            output_schema_type = FlyteSchema
        if container_image is None:
            from aioflyte.configuration.image import DefaultImages

            container_image = DefaultImages.default_image()
        super().__init__(
            name=name,
            task_config=task_config,
            container_image=container_image,
            executor_type=SQLite3TaskExecutor,
            task_type=self._SQLITE_TASK_TYPE,
            query_template=query_template,
            inputs=inputs,
            outputs=kwtypes(results=output_schema_type),
            **kwargs,
        )

    @property
    def output_columns(self) -> list[str] | None:
        """The columns the output type declares, or None."""
        t = self.python_interface.outputs["results"]
        names = getattr(t, "column_names", None)
        columns = names() if callable(names) else None
        if columns is None and callable(getattr(t, "columns", None)):
            columns = list(t.columns() or {})
        return list(columns) if columns else None

    def get_custom(self, settings: Any) -> dict[str, Any]:
        return {
            "query_template": self.query_template,
            "uri": self.task_config.uri,
            "compressed": self.task_config.compressed,
        }


class SQLite3TaskExecutor(ShimTaskExecutor[SQLite3Task]):
    """Fetches the database through the data plane, then runs the filled-in query with ``sqlite3`` and pandas."""

    async def execute_from_model(self, tt: Any, **kwargs: Any) -> Any:
        from aioflyte.io import default_provider
        from aioflyte.io.provider import run_blocking

        custom = tt.custom
        uri = custom["uri"]
        query = SQLite3Task.interpolate_query(custom["query_template"], **kwargs)
        with tempfile.TemporaryDirectory() as temp_dir:
            local_path = os.path.join(temp_dir, os.path.basename(uri.rstrip("/")) or "database")
            await default_provider().get_file(uri, local_path)
            return await run_blocking(_query, local_path, temp_dir, bool(custom.get("compressed")), query)


def _query(local_path: str, temp_dir: str, compressed: bool, query: str) -> Any:
    import pandas as pd

    if compressed:
        local_path = unarchive_file(local_path, temp_dir)
    with contextlib.closing(sqlite3.connect(local_path)) as con:
        return pd.read_sql_query(query, con)


__all__ = ["SQLite3Config", "SQLite3Task", "SQLite3TaskExecutor", "unarchive_file"]
