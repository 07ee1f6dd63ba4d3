"""``SQLTask``: the base of tasks whose body is a query template (flytekit's ``flytekit.core.base_sql_task``).

The template names inputs as ``{{ .inputs.x }}`` (any spacing, case-insensitive ``inputs``); ``interpolate_query``
fills them with ``str(value)``, refusing a template that names an input the task does not get and inputs the
template does not use (flytekit's rules). The template is kept on one line (runs of whitespace become one space).

A ``SQLTask`` has no body aioflyte can run: a backend plugin runs it (its ``get_custom``/``get_sql`` carry the
query), and a local run is an error telling to mock it (``aioflyte.testing.task_mock``) unless a subclass runs the
query itself (``SQLite3Task`` does).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from aioflyte.core.base_task import PythonTask, TaskMetadata
from aioflyte.core.interface import Interface
from aioflyte.exceptions import FlyteValidationException

T = TypeVar("T")


class SQLTask(PythonTask):
    """A task whose body is the SQL ``query_template``, with its ``inputs`` and ``outputs`` (dicts of types, as
    ``kwtypes(...)`` makes) given, since there is no function to read them from.

    ``SQLTask[MyConfig]`` is ``SQLTask`` (plugins name their config type so, as in flytekit).
    """

    _INPUT_REGEX = re.compile(r"({{\s*.inputs.(\w+)\s*}})", re.IGNORECASE)

    def __init__(
        self,
        name: str,
        query_template: str,
        task_config: Any = None,
        task_type: str = "sql_task",
        inputs: dict[str, Any] | None = None,
        metadata: TaskMetadata | None = None,
        outputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(query_template, str):
            raise FlyteValidationException(
                f"task {name}: parameter 'query_template' expected str, got {type(query_template).__name__}"
            )
        for param, value in (("inputs", inputs), ("outputs", outputs)):
            if value is not None and not isinstance(value, dict):
                raise FlyteValidationException(
                    f"task {name}: parameter {param!r} expected a dict of names to types (kwtypes(...)), "
                    f"got {type(value).__name__}"
                )
        super().__init__(
            task_type,
            name,
            task_config,
            Interface(inputs=inputs or {}, outputs=outputs or {}),
            metadata=metadata,
            **kwargs,
        )
        self._query_template = re.sub(r"\s+", " ", query_template).strip()

    @property
    def query_template(self) -> str:
        return self._query_template

    def execute(self, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"task {self.name}: a SQL task cannot run locally (a backend plugin runs its query); mock it with "
            f"aioflyte.testing.task_mock or patch, or run it on a Flyte backend"
        )

    def get_query(self, **kwargs: Any) -> str:
        """The query with these inputs filled in."""
        return self.interpolate_query(self.query_template, **kwargs)

    @classmethod
    def interpolate_query(cls, query_template: str, **kwargs: Any) -> str:
        """``query_template`` with each ``{{ .inputs.x }}`` replaced by ``str(kwargs["x"])``.

        A name the template uses that is not in ``kwargs``, or a keyword the template does not use, is a
        ``ValueError`` (flytekit's rules). When a task runs on a Flyte backend its executor does this.
        """
        query = query_template
        used: set[str] = set()
        for match in cls._INPUT_REGEX.finditer(query_template):
            expr, var = match.group(1), match.group(2)
            if var not in kwargs:
                raise ValueError(
                    f"the query template names input {var!r} (in {expr}), which is not among the inputs "
                    f"{sorted(kwargs)}"
                )
            used.add(var)
            query = query.replace(expr, str(kwargs[var]))
        unused = set(kwargs) - used
        if unused:
            raise ValueError(f"inputs {sorted(unused)} are not used by the query template")
        return query


__all__ = ["SQLTask"]
