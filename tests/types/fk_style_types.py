"""Transformers written for flytekit (sync, and ``AsyncTypeTransformer``), and tasks using them.

Imported by the tests of this folder and, by name, by the processes they start (the entrypoint, the server's task
processes), so registering the transformers here is what a user's module does.
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any

from flyteidl.core import literals_pb2, types_pb2

from aioflyte import task, workflow
from aioflyte.types import TypeEngine, TypeTransformer
from aioflyte.types.engine import AsyncTypeTransformer
from aioflyte.types.file import FlyteFile

#: What the transformers saw, one tuple per call: (method, type of ctx, on a loop's thread?, class of the argument,
#: module and name).
CALLS: list[tuple[str, str, bool, str]] = []


def _on_loop() -> bool:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _qualified(x: Any) -> str:
    return f"{type(x).__module__}.{type(x).__name__}"


class Model:
    """A flytekit-style model object: a Python view with ``to_flyte_idl()``, as flytekit's transformers return."""

    def __init__(self, pb: Any) -> None:
        self.pb = pb

    def to_flyte_idl(self) -> Any:
        return self.pb


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and other.cents == self.cents

    def __repr__(self) -> str:
        return f"Money({self.cents})"


class MoneyTransformer(TypeTransformer[Money]):
    """flytekit's sync form: returns model objects, reads ``lv.scalar.primitive``."""

    def __init__(self) -> None:
        super().__init__("Money", Money)

    def get_literal_type(self, t: Any) -> Any:
        return Model(types_pb2.LiteralType(simple=types_pb2.STRING))

    def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> Any:
        CALLS.append(("to_literal", type(ctx).__name__, _on_loop(), _qualified(expected)))
        lit = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=literals_pb2.Primitive(string_value="")))
        lit.scalar.primitive.string_value = f"{python_val.cents}c"
        return Model(lit)

    def to_python_value(self, ctx: Any, lv: Any, expected_python_type: Any) -> Any:
        CALLS.append(("to_python_value", type(ctx).__name__, _on_loop(), _qualified(lv)))
        return Money(int(lv.scalar.primitive.string_value.rstrip("c")))


class Bundle:
    """Text kept in a local file: its transformer stores the file through the engine's own FlyteFile, sync."""

    def __init__(self, path: str) -> None:
        self.path = path


class BundleTransformer(TypeTransformer[Bundle]):
    def __init__(self) -> None:
        super().__init__("Bundle", Bundle)

    def get_literal_type(self, t: Any) -> Any:
        return TypeEngine.to_literal_type(FlyteFile)

    def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> Any:
        return TypeEngine.to_literal(ctx, FlyteFile(python_val.path), FlyteFile, expected)  # sync, with an upload

    def to_python_value(self, ctx: Any, lv: Any, expected_python_type: Any) -> Any:
        ff = TypeEngine.to_python_value(ctx, lv, FlyteFile)
        return Bundle(ff.download())  # sync, with a download


class Tag:
    def __init__(self, s: str) -> None:
        self.s = s


class TagTransformer(AsyncTypeTransformer[Tag]):
    """flytekit's async form: ``async_to_literal`` / ``async_to_python_value``."""

    def __init__(self) -> None:
        super().__init__("Tag", Tag)

    def get_literal_type(self, t: Any) -> Any:
        return types_pb2.LiteralType(simple=types_pb2.STRING)

    async def async_to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> Any:
        CALLS.append(("async_to_literal", type(ctx).__name__, _on_loop(), _qualified(expected)))
        return await TypeEngine.async_to_literal(ctx, "#" + python_val.s, str, expected)

    async def async_to_python_value(self, ctx: Any, lv: Any, expected_python_type: Any) -> Any:
        return Tag((await TypeEngine.async_to_python_value(ctx, lv, str)).removeprefix("#"))


class Table:
    """A dataframe kept as a StructuredDataset by a sync transformer, which reads it back sync."""

    def __init__(self, df: Any) -> None:
        self.df = df


class TableTransformer(TypeTransformer[Table]):
    def __init__(self) -> None:
        super().__init__("Table", Table)

    def get_literal_type(self, t: Any) -> Any:
        from aioflyte.types.structured import StructuredDataset

        return TypeEngine.to_literal_type(StructuredDataset)

    def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> Any:
        from aioflyte.types.structured import StructuredDataset

        return TypeEngine.to_literal(ctx, StructuredDataset(dataframe=python_val.df), StructuredDataset, expected)

    def to_python_value(self, ctx: Any, lv: Any, expected_python_type: Any) -> Any:
        import pandas as pd

        from aioflyte.types.structured import StructuredDataset

        return Table(TypeEngine.to_python_value(ctx, lv, StructuredDataset).open(pd.DataFrame).all())


class Notes:
    def __init__(self, text: str) -> None:
        self.text = text


class NotesTransformer(TypeTransformer[Notes]):
    """The usual flytekit transformer: it moves its data with ``ctx.file_access`` and builds model objects."""

    def __init__(self) -> None:
        super().__init__("Notes", Notes)

    def get_literal_type(self, t: Any) -> Any:
        return types_pb2.LiteralType(blob=types_pb2.BlobType(format="notes"))

    def to_literal(self, ctx: Any, python_val: Any, python_type: Any, expected: Any) -> Any:
        from aioflyte.models.core.types import BlobType
        from aioflyte.models.literals import Blob, BlobMetadata, Literal, Scalar

        local = ctx.file_access.get_random_local_path()
        with open(local, "w") as f:
            f.write(python_val.text)
        uri = ctx.file_access.put_raw_data(local)
        meta = BlobMetadata(type=BlobType(format="notes", dimensionality=BlobType.BlobDimensionality.SINGLE))
        return Literal(scalar=Scalar(blob=Blob(metadata=meta, uri=uri)))

    def to_python_value(self, ctx: Any, lv: Any, expected_python_type: Any) -> Any:
        local = ctx.file_access.get_random_local_path()
        ctx.file_access.get_data(lv.scalar.blob.uri, local)
        with open(local) as f:
            return Notes(f.read())


TypeEngine.register(MoneyTransformer())
TypeEngine.register(NotesTransformer())
TypeEngine.register(BundleTransformer())
TypeEngine.register(TagTransformer())
TypeEngine.register(TableTransformer())


@task
def make_money(cents: int) -> Money:
    return Money(cents)


@task
async def add_money(a: Money, b: Money) -> Money:
    return Money(a.cents + b.cents)


@workflow
def double_money(cents: int) -> Money:
    m = make_money(cents=cents)
    return add_money(a=m, b=m)


@task
def write_bundle(text: str) -> Bundle:
    path = os.path.join(tempfile.mkdtemp(), "bundle.txt")
    with open(path, "w") as f:
        f.write(text)
    return Bundle(path)


@task
def read_bundle(b: Bundle, t: Tag) -> str:
    with open(b.path) as f:
        return f"{f.read()}{t.s}:{threading.current_thread() is not threading.main_thread()}"


@task
def take_notes(text: str) -> Notes:
    return Notes(text)


@task
async def shout(n: Notes) -> str:
    return n.text.upper()


@workflow
def notes_flow(text: str) -> str:
    return shout(n=take_notes(text=text))


@workflow
def bundle_round_trip(text: str) -> str:
    return read_bundle(b=write_bundle(text=text), t=Tag("!"))
