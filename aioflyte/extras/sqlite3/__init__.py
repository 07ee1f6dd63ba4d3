"""SQLite3 queries as tasks: ``SQLite3Task`` and ``SQLite3Config`` (flytekit's ``flytekit.extras.sqlite3``)."""

from aioflyte.extras.sqlite3.task import SQLite3Config as SQLite3Config
from aioflyte.extras.sqlite3.task import SQLite3Task as SQLite3Task
from aioflyte.extras.sqlite3.task import SQLite3TaskExecutor as SQLite3TaskExecutor

__all__ = ["SQLite3Config", "SQLite3Task", "SQLite3TaskExecutor"]
