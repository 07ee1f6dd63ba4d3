"""How ``aioflyte run`` reads input values, as ``pyflyte run`` does: JSON for lists, dicts and dataclasses (nested
too: ``list[dataclass]``, ``dict[str, dataclass]``), ISO 8601 for ``datetime`` and ``date`` (and ``now``,
``today``), seconds, ``H:MM:SS`` or ISO 8601 durations for ``timedelta``, enums by value. The same rules read the
values of ``--inputs-file`` (YAML or JSON), where the values may already be numbers, lists or mappings.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import os
import typing
from typing import Any

import click

from aioflyte.types.durations import parse_duration


class InputError(ValueError):
    """A value that does not fit its type; the message says what was expected."""


def _optional_inner(py_type: Any) -> Any:
    args = typing.get_args(py_type)
    if typing.get_origin(py_type) is typing.Union and type(None) in args and len(args) == 2:
        return next(a for a in args if a is not type(None))
    return None


def type_name(py_type: Any) -> str:
    if isinstance(py_type, type) and not typing.get_args(py_type):
        return py_type.__name__
    return str(py_type).replace("typing.", "")


def parse_datetime(text: str) -> datetime.datetime:
    """ISO 8601 (``2026-01-02``, ``2026-01-02T03:04:05``, with an offset or ``Z``), ``now`` or ``today``.
    A value without an offset is UTC, as pyflyte reads it."""
    t = text.strip()
    if t.lower() == "now":
        return datetime.datetime.now(datetime.timezone.utc)
    if t.lower() == "today":
        today = datetime.date.today()
        return datetime.datetime(today.year, today.month, today.day, tzinfo=datetime.timezone.utc)
    try:
        value = datetime.datetime.fromisoformat(t.replace("Z", "+00:00") if t.endswith("Z") else t)
    except ValueError:
        raise InputError(f"{text!r} is not an ISO 8601 date-time (e.g. 2026-01-02T03:04:05 or 2026-01-02)") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.timezone.utc)


def parse_date(text: str) -> datetime.date:
    t = text.strip()
    if t.lower() in ("today", "now"):
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(t)
    except ValueError:
        try:
            return datetime.datetime.fromisoformat(t).date()
        except ValueError:
            raise InputError(f"{text!r} is not an ISO 8601 date (e.g. 2026-01-02)") from None


def parse_timedelta(value: Any) -> datetime.timedelta:
    """A duration as ``aioflyte.types.durations.parse_duration`` reads it; an ``InputError`` otherwise."""
    try:
        return parse_duration(value)
    except ValueError as e:
        raise InputError(str(e)) from None


def structure(value: Any, py_type: Any, where: str = "value") -> Any:
    """``value`` (parsed JSON/YAML: dicts, lists, strings, numbers) as an instance of ``py_type``, recursively:
    dataclasses and pydantic models from mappings, typed lists and dicts, enums by value, dates, durations."""
    inner = _optional_inner(py_type)
    if inner is not None:
        return None if value is None else structure(value, inner, where)
    origin = typing.get_origin(py_type) or py_type
    args = typing.get_args(py_type)
    if py_type is Any or py_type is object:
        return value
    if isinstance(py_type, type) and dataclasses.is_dataclass(py_type):
        if isinstance(value, py_type):
            return value
        if not isinstance(value, dict):
            raise InputError(f"{where}: {value!r} is not a JSON object of {py_type.__name__}'s fields")
        hints = typing.get_type_hints(py_type)
        names = {f.name for f in dataclasses.fields(py_type) if f.init}
        unknown = sorted(set(value) - names)
        if unknown:
            raise InputError(f"{where}: {py_type.__name__} has no field {unknown[0]!r} (its fields: {sorted(names)})")
        kwargs = {k: structure(v, hints.get(k, Any), f"{where}.{k}") for k, v in value.items()}
        try:
            return py_type(**kwargs)
        except TypeError as e:
            raise InputError(f"{where}: {value!r} does not fit {py_type.__name__}: {e}") from None
    if isinstance(py_type, type) and hasattr(py_type, "model_validate"):  # pydantic v2 models
        try:
            return py_type.model_validate(value)
        except ValueError as e:
            raise InputError(f"{where}: {value!r} does not fit {py_type.__name__}: {e}") from None
    if origin is list:
        if not isinstance(value, list):
            raise InputError(f"{where}: {value!r} is not a JSON list ({type_name(py_type)})")
        item = args[0] if args else Any
        return [structure(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise InputError(f"{where}: {value!r} is not a JSON object ({type_name(py_type)})")
        item = args[1] if len(args) == 2 else Any
        return {k: structure(v, item, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(origin, type) and issubclass(origin, enum.Enum):
        if isinstance(value, origin):
            return value
        try:
            return origin(value)
        except ValueError:
            values = [m.value for m in origin]
            raise InputError(f"{where}: {value!r} is not a value of {origin.__name__} ({values})") from None
    if py_type is datetime.datetime:
        if isinstance(value, datetime.datetime):
            return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        if isinstance(value, datetime.date):  # YAML reads 2026-01-02 as a date
            return datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.timezone.utc)
        return parse_datetime(str(value))
    if py_type is datetime.date:
        if isinstance(value, datetime.datetime):
            return value.date()
        return value if isinstance(value, datetime.date) else parse_date(str(value))
    if py_type is datetime.timedelta:
        return parse_timedelta(value)
    if py_type is bool:
        if isinstance(value, bool):
            return value
        raise InputError(f"{where}: {value!r} is not a boolean (true or false)")
    if py_type is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if py_type in (int, str) and isinstance(value, py_type) and not isinstance(value, bool):
        return value
    if py_type in (int, float, str):
        raise InputError(f"{where}: {value!r} is not a {py_type.__name__}")
    return value


class _Parsed(click.ParamType):
    """A click type that reads strings with ``parse`` and structures other values (from ``--inputs-file``)."""

    def __init__(self, py_type: Any, name: str) -> None:
        self.py_type = py_type
        self.name = name

    def parse(self, text: str) -> Any:
        return structure(text, self.py_type)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            if isinstance(value, str):
                return self.parse(value)
            return structure(value, self.py_type)
        except InputError as e:
            self.fail(str(e).removeprefix("value: "), param, ctx)


class DateTimeType(_Parsed):
    def __init__(self) -> None:
        super().__init__(datetime.datetime, "ISO 8601 date-time")


class DateType(_Parsed):
    def __init__(self) -> None:
        super().__init__(datetime.date, "ISO 8601 date")


class DurationType(_Parsed):
    def __init__(self) -> None:
        super().__init__(datetime.timedelta, "duration (seconds, H:MM:SS or ISO 8601)")


class EnumType(click.Choice):
    """One of an enum's values, given as the enum's member."""

    def __init__(self, enum_type: type[enum.Enum]) -> None:
        super().__init__([str(m.value) for m in enum_type])
        self.enum_type = enum_type

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.enum_type):
            return value
        chosen = super().convert(str(value), param, ctx)
        return next(m for m in self.enum_type if str(m.value) == chosen)


def read_inputs_file(path: str) -> dict[str, Any]:
    """The mapping of input names to values in a YAML or JSON file (``--inputs-file``)."""
    import json

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise click.BadParameter(f"cannot read {path}: {e.strerror or e}", param_hint="'--inputs-file'") from None
    import yaml

    try:
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise click.BadParameter(f"{path} is not valid JSON or YAML: {e}", param_hint="'--inputs-file'") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise click.BadParameter(
            f"{path} holds a {type(data).__name__}; expected a mapping of input names to values",
            param_hint="'--inputs-file'",
        )
    return data


def is_dataframe_type(py_type: Any) -> bool:
    """A ``StructuredDataset`` (or subclass, or ``Annotated`` one) or a pandas / polars / pyarrow table type."""
    from aioflyte.types.structured import StructuredDataset

    base = typing.get_args(py_type)[0] if typing.get_origin(py_type) is typing.Annotated else py_type
    if isinstance(base, type) and issubclass(base, StructuredDataset):
        return True
    module = (getattr(base, "__module__", "") or "").split(".")[0]
    return getattr(base, "__name__", "") in ("DataFrame", "Table", "LazyFrame") and module in (
        "pandas",
        "polars",
        "pyarrow",
    )


def dataset_format(path: str) -> str:
    """``csv`` for a ``.csv`` file (or a folder of them), else ``parquet``."""
    if path.lower().endswith(".csv"):
        return "csv"
    if os.path.isdir(path):
        names = os.listdir(path)
        if names and all(n.lower().endswith(".csv") for n in names if not n.startswith(".")):
            return "csv"
    return "parquet"


class DatasetType(click.ParamType):
    """A parquet or CSV file (or folder), local or a URI, as a ``StructuredDataset`` for a dataframe input."""

    name = "parquet/CSV path or URI"

    def __init__(self, py_type: Any) -> None:
        self.py_type = py_type

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from aioflyte.types.structured import StructuredDataset

        if not isinstance(value, str):
            return value
        if "://" not in value:
            if not os.path.exists(value):
                self.fail(f"{value!r}: no such file or directory (expected a parquet or CSV dataset)", param, ctx)
            value = os.path.abspath(value)
        return StructuredDataset(uri=value, file_format=dataset_format(value))
